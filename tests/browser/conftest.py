"""The browser tests' parts: a LangGraph server (``langgraph dev``) that runs the graph with scripted
storytellers (server_graph.py) and mounts the page from langgraph.json's ``http.app``, and Debian's
Chromium driven by Playwright. A missing part ends each test in one line: a failure under
STORYPAINTER_NO_SKIPS (CI, ``make test``), a skip otherwise."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("STORYPAINTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS_ENV = "STORYPAINTER_UI_SHOTS"  # a folder for the page's screenshots (docs/ui when refreshing them)


def missing(line: str) -> None:
    if os.environ.get("STORYPAINTER_NO_SKIPS"):
        pytest.fail(line, pytrace=False)
    pytest.skip(line)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/ok", timeout=5) as response:
                if json.loads(response.read()).get("ok"):
                    return
        except OSError:
            time.sleep(0.5)
    server.kill()
    pytest.fail(f"the LangGraph server did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        missing(f"the browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        missing("the browser tests need playwright: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """``langgraph dev`` on 127.0.0.1 with a langgraph.json whose graph is server_graph.py's and whose
    ``http`` is the project's own; the page's output directory is a fresh one."""
    langgraph = shutil.which("langgraph", path=str(Path(sys.executable).parent))
    if not langgraph:
        missing("the browser tests need langgraph-cli[inmem]: pip install -e '.[studio]'")
    home = tmp_path_factory.mktemp("ui")
    out = home / "runs"
    out.mkdir()
    config = home / "langgraph.json"
    http = json.loads((REPO / "langgraph.json").read_text())["http"]
    config.write_text(json.dumps({"dependencies": ["."], "http": http,
                                  "graphs": {"storypainter": "tests.browser.server_graph:graph"}}))
    port, log = free_port(), home / "server.log"
    env = os.environ | {"STORYPAINTER_UI_OUT": str(out), "LANGGRAPH_NO_VERSION_CHECK": "true"}
    with log.open("w") as sink:
        server = subprocess.Popen([langgraph, "dev", "--config", str(config), "--host", "127.0.0.1", "--port",
                                   str(port), "--no-browser", "--no-reload"], cwd=REPO, env=env, stdout=sink,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, server, log)
    yield SimpleNamespace(url=base, out=out.resolve(), memory=home / "memory", log=log, home=home)
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    opened = context.new_page()
    # a hang guard: under `make test` a scripted run's first steps can wait a minute for the CPU (2 cores, 4
    # workers, the embedded model decoding beside it); 30 s failed the first tests of a module that started then
    opened.set_default_timeout(120_000)
    yield opened
    context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get(SHOTS_ENV) or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
