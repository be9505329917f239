"""``storypainter ui [--port N] [--out DIR]``: the web page, served with the graph by a LangGraph
Agent Server on 127.0.0.1 (the same server ``langgraph dev`` starts from langgraph.json)."""

from __future__ import annotations

import argparse

HOST = "127.0.0.1"
GRAPHS = {"storypainter": "storypainter.agent.graph:graph"}
HTTP = {"app": "storypainter.ui.app:app"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("ui", help="serve the web page (generate, watch, review, browse) on 127.0.0.1")
    parser.add_argument("--port", type=int, default=2024, help="port on 127.0.0.1 (default 2024; 0 picks a free one)")
    parser.add_argument("--out", help="output directory the page browses and new runs go to (default: out_dir)")


def free_port(port: int) -> int:
    """``port`` when nothing listens on it (a free one for 0); refused in one line otherwise."""
    import socket

    from storypainter.errors import ConfigError

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be 0..65535, got {port}")
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            raise ConfigError(f"--port {port}: {HOST}:{port} is in use; pick another port (0: any free one)") from None
        return probe.getsockname()[1]


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from storypainter.agent.context import Context
    from storypainter.errors import ConfigError

    out = Path(args.out or Context().out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is not a directory")
    port = free_port(args.port)
    import logging

    from langgraph_api.cli import run_server  # the studio extra; its absence is named by errors.missing_extra

    from storypainter.ui.app import OUT_ENV

    os.environ[OUT_ENV] = str(out)
    os.environ.setdefault("LANGGRAPH_NO_VERSION_CHECK", "true")  # no call home: the page works offline
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the server's warnings and errors, not its info chatter
    logging.getLogger("langgraph_api.cli").setLevel(logging.WARNING)  # nor its banner pointing at hosted Studio
    print(f"storypainter ui: http://{HOST}:{port}/ui  (output directory {out}; Ctrl-C stops)", flush=True)
    run_server(HOST, port, reload=False, graphs=GRAPHS, http=HTTP, open_browser=False)
    return 0
