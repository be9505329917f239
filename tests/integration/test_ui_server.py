"""``storypainter ui`` starts a LangGraph server on 127.0.0.1 that serves the graph API and the page, and
serves only pictures inside its output directory, whatever the request's path says (raw HTTP)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.extras import needs

pytestmark = needs("studio", "langgraph_api", "the LangGraph server that serves the page")
SECRET = b"the secret beside the output directory"


def raw_get(port: int, path: str) -> tuple[int, bytes, dict[str, str]]:
    """GET ``path`` exactly as written (no client-side normalising of '..' or %2e)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """``storypainter ui --port 0 --out DIR`` with one run (a picture, a story) and a secret beside DIR."""
    home = tmp_path_factory.mktemp("ui")
    out = home / "runs"
    run_dir = out / "20261207-170000-a-bus-stop-abc123"
    (run_dir / "attempts" / "01").mkdir(parents=True)
    (run_dir / "request.json").write_text(json.dumps({"theme": "a bus stop", "context": {}, "thread_id": "t"}))
    (run_dir / "manifest.json").write_text(json.dumps({"status": "running"}))
    (run_dir / "attempts" / "01" / "image.png").write_bytes(b"\x89PNG picture")
    (home / "secret.png").write_bytes(SECRET)
    (out / "link.png").symlink_to(home / "secret.png")
    log = home / "server.log"
    command = [sys.executable, "-m", "storypainter.cli", "ui", "--port", "0", "--out", str(out)]
    with log.open("w") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        port = wait_for_page(server, log)
        yield {"port": port, "out": out.resolve(), "run": run_dir.name, "log": log}
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for_page(server: subprocess.Popen, log: Path, seconds: float = 120) -> int:
    """The port from the address the command prints, once the server answers there."""
    deadline = time.time() + seconds
    while time.time() < deadline and server.poll() is None:
        lines = [line for line in log.read_text().splitlines() if line.startswith("storypainter ui: http://")]
        if lines:
            port = int(lines[0].split("http://127.0.0.1:")[1].split("/ui")[0])
            try:
                if raw_get(port, "/ok")[0] == 200:
                    return port
            except OSError:
                pass
        time.sleep(0.5)
    server.kill()
    pytest.fail(f"storypainter ui did not come up: {log.read_text()[-2000:]}")


def test_one_server_answers_the_graph_api_and_the_page(ui):
    status, body, headers = raw_get(ui["port"], "/ui")
    assert status == 200 and b'src="/ui/static/ui.js"' in body and str(ui["out"]).encode() in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert raw_get(ui["port"], "/ui/static/ui.js")[0] == 200
    assert raw_get(ui["port"], "/ui/static/ui.css")[0] == 200
    connection = http.client.HTTPConnection("127.0.0.1", ui["port"], timeout=20)
    connection.request("POST", "/assistants/search", json.dumps({"graph_id": "storypainter"}),
                       {"Content-Type": "application/json"})
    assistants = json.loads(connection.getresponse().read())
    assert assistants and assistants[0]["graph_id"] == "storypainter"
    runs = json.loads(raw_get(ui["port"], "/ui/api/runs")[1])
    assert [(entry["path"], entry["status"]) for entry in runs["entries"]] == [(ui["run"], "running")]
    assert runs["entries"][0]["thumbnail"] == f"{ui['run']}/attempts/01/image.png"


def test_pictures_inside_the_output_directory_are_served(ui):
    status, body, headers = raw_get(ui["port"], f"/ui/files/{ui['run']}/attempts/01/image.png")
    assert (status, body) == (200, b"\x89PNG picture")
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", [
    "/ui/files/../secret.png", "/ui/files/..%2Fsecret.png", "/ui/files/%2e%2e/secret.png",
    "/ui/files/%2e%2e%2fsecret.png", "/ui/files/RUN/../../secret.png", "/ui/files/link.png",
    "/ui/files/SECRET", "/ui/api/runs/..%2F", "/ui/files/RUN/request.json", "/ui/secret.png", "/ui/../secret.png",
])
def test_anything_outside_the_output_directory_or_not_a_picture_is_refused(ui, path):
    secret = str(ui["out"].parent / "secret.png")
    status, body, _ = raw_get(ui["port"], path.replace("RUN", ui["run"]).replace("SECRET", secret))
    assert status in (403, 404) and SECRET not in body, (status, body)
    if path.startswith("/ui/files/"):
        assert status == 403, body


def test_a_busy_port_is_refused_in_one_line(ui):
    result = subprocess.run([sys.executable, "-m", "storypainter.cli", "ui", "--port", str(ui["port"])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"127.0.0.1:{ui['port']} is in use" in result.stderr


def test_the_page_listens_on_loopback_only(ui):
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, port = local.split(":")
            if state == "0A" and int(port, 16) == ui["port"]:  # 0A: LISTEN
                listening.add(address)
    assert listening == {"0100007F"}, listening  # 127.0.0.1 and nothing else
