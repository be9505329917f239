"""The page's Starlette app. langgraph.json mounts it into the LangGraph Agent Server
(``"http": {"app": "storypainter.ui.app:app"}``), so ``langgraph dev`` and ``storypainter ui``
serve the graph API and the page from one address.

Routes: ``/ui`` (the page), ``/ui/static/*`` (its script and style, shipped in the package),
``/ui/api/runs`` and ``/ui/api/runs/{path}`` (the output directory's runs and batches, read
from disk), ``/ui/files/{path}`` (pictures inside the output directory, nothing else).
Runs are started, streamed and resumed by the page through the server's own threads/runs API.
The output directory is ``STORYPAINTER_UI_OUT`` (``storypainter ui --out``), else Context's
``out_dir``. Handlers are plain functions: Starlette runs them in a thread, off the event loop.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from storypainter.agent.context import Context
from storypainter.ui.library import detail, list_entries, within

OUT_ENV = "STORYPAINTER_UI_OUT"
HERE = Path(__file__).parent
PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
# Only the page's own script, style and pictures: no CDN, no inline script, no other origin.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def output_root() -> Path:
    return Path(os.environ.get(OUT_ENV) or Context().out_dir).expanduser().resolve()


@cache
def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)


def page(request: Request) -> Response:
    html = templates().get_template("index.html").render(out_dir=str(output_root()))
    return HTMLResponse(html, headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"})


def runs(request: Request) -> Response:
    root = output_root()
    return JSONResponse({"out_dir": str(root), "entries": list_entries(root)})


def run(request: Request) -> Response:
    found = detail(output_root(), request.path_params["path"])
    if found is None:
        return JSONResponse({"error": "no run or batch there inside the output directory"}, status_code=404)
    return JSONResponse(found)


def files(request: Request) -> Response:
    """A picture inside the output directory; a path that leads out of it is refused (403)."""
    root = output_root()
    path = within(root, request.path_params["path"])
    if path is None:
        return PlainTextResponse("refused: outside the output directory", status_code=403)
    if path.suffix.lower() not in PICTURE_SUFFIXES:
        return PlainTextResponse("refused: only pictures are served", status_code=403)
    if not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(path, stat_result=path.stat(), headers={"X-Content-Type-Options": "nosniff"})


def not_found(request: Request) -> Response:
    """Any other /ui address: the server's own /ui mount (LangGraph's generative-UI assets, unused here) would
    answer 500 for it."""
    return PlainTextResponse("not found", status_code=404)


app = Starlette(routes=[
    Route("/ui", page),
    Route("/ui/api/runs", runs),
    Route("/ui/api/runs/{path:path}", run),
    Route("/ui/files/{path:path}", files),
    Mount("/ui/static", StaticFiles(directory=HERE / "static"), name="static"),
    Route("/ui/{rest:path}", not_found),
])
