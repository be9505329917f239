"""`langgraph dev` serves the graph (the Studio entry) and runs it over HTTP on the embedded default."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(url: str, payload: dict | None = None, timeout: float = 10) -> dict:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@pytest.fixture
def studio_server(tmp_path):
    executable = shutil.which("langgraph", path=str(Path(__import__("sys").executable).parent))
    assert executable, "langgraph-cli[inmem] must be installed (make setup installs it)"
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([executable, "dev", "--host", "127.0.0.1", "--port", str(port), "--no-browser",
                               "--no-reload"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if call(f"{base}/ok").get("ok"):
                break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"langgraph dev did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
    yield base
    server.terminate()
    server.wait(timeout=20)


def test_langgraph_dev_runs_the_graph_on_the_embedded_default(studio_server, tmp_path):
    assistants = call(f"{studio_server}/assistants/search", {"graph_id": "storypainter"})
    assert assistants and assistants[0]["graph_id"] == "storypainter"
    schemas = call(f"{studio_server}/assistants/{assistants[0]['assistant_id']}/schemas")
    context_fields = schemas["context_schema"]["properties"]
    assert {"mode", "max_rounds", "llm", "painter", "alignment_threshold"} <= set(context_fields)
    context = {"out_dir": str(tmp_path / "runs"), "memory_dir": str(tmp_path / "memory"), "max_rounds": 1}
    events = stream_events(f"{studio_server}/runs/stream", {
        "assistant_id": "storypainter", "input": {"theme": "a rainy bus stop"}, "context": context,
        "stream_mode": ["values", "messages-tuple"],
    })
    tokens = [data[0]["content"] for name, data in events
              if name == "messages" and data[1].get("langgraph_node") == "storyteller"]
    assert len(tokens) > 20, "Studio sees the storyteller's reply token by token"
    output = [data for name, data in events if name == "values"][-1]
    result = output["result"]
    assert Path(result["image_path"]).is_file()
    assert result["decision_path"] and result["run_dir"].startswith(str(tmp_path / "runs"))
    assert output["story"]["title"] and output["story"]["title"] in "".join(tokens)


def stream_events(url: str, payload: dict, timeout: float = 400) -> list[tuple[str, object]]:
    """The server-sent events of a streamed run, as (event name, decoded data)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    events, name = [], ""
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for raw in response:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
    return events
