"""Hung servers and signals (issue #23, items 1-2): a server that accepts and never answers holds
no run past its ``timeout``, and SIGINT / SIGTERM end a run or a batch within 5 s whatever it
waits on, every unfinished manifest marked ``interrupted`` in one line, exit 130 / 143."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults.conftest import clean_env, manifest_of, only_run, storypainter, write_config
from tests.processes import ctrl_c_as_in_a_terminal, wait_until_gone

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
SIGNAL_SECONDS = 5.0


@dataclass
class HungServer:
    """A server on 127.0.0.1 that accepts connections and never answers; counts what it accepted."""

    listener: socket.socket
    held: list[socket.socket] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def wait_for(self, connections: int, seconds: float = 60) -> None:
        deadline = time.time() + seconds
        while len(self.held) < connections:
            assert time.time() < deadline, f"only {len(self.held)} of {connections} connections came"
            time.sleep(0.05)


@pytest.fixture
def hung() -> Iterator[HungServer]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    server, stop = HungServer(listener), threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                server.held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join()
    for connection in server.held:
        connection.close()
    listener.close()


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "storypainter.cli", *args], cwd=cwd, env=clean_env(),
                            preexec_fn=ctrl_c_as_in_a_terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def interrupt(process: subprocess.Popen, signum: int) -> tuple[float, str]:
    """Send ``signum``; the seconds until the process exited and its stderr (killed after 20 s)."""
    sent = time.perf_counter()
    os.kill(process.pid, signum)
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return time.perf_counter() - sent, stderr


def last_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(("storypainter:", "Traceback"))]
    return lines[-1] if lines else ""


@pytest.mark.parametrize(("waits_on", "signum"), [("model", signal.SIGINT), ("model", signal.SIGTERM),
                                                  ("chroma", signal.SIGINT), ("chroma", signal.SIGTERM)])
def test_a_signal_ends_a_run_waiting_on_a_hung_server_within_5_s(tmp_path, hung, fake_server, waits_on, signum):
    if waits_on == "model":
        config = write_config(tmp_path, f"{hung.url}/v1")  # the default timeout: 120 s a try
        extra = []
    else:
        config = write_config(tmp_path, fake_server(), retrieval="similar")
        extra = ["--chroma-url", hung.url]
    process = start(["generate", "a kite", "--config", str(config), "--out", "runs", *extra], tmp_path)
    hung.wait_for(1)
    seconds, stderr = interrupt(process, signum)
    assert process.returncode == EXIT_CODES[signum], stderr[-2000:]
    assert seconds < SIGNAL_SECONDS, f"took {seconds:.1f} s"
    line = last_line(stderr)
    assert line.startswith(f"storypainter: interrupted by {signal.Signals(signum).name}"), stderr[-2000:]
    assert "Traceback" not in stderr
    manifest = manifest_of(only_run(tmp_path / "runs"))
    assert manifest["status"] == "interrupted"
    assert manifest["error"] == f"interrupted by {signal.Signals(signum).name}"


def test_the_timeout_setting_bounds_a_call_to_a_hung_model_server(tmp_path, hung):
    config = write_config(tmp_path, f"{hung.url}/v1")
    started = time.perf_counter()
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs", "--timeout", "1"],
                          tmp_path, timeout=90)
    assert result.code == 1 and time.perf_counter() - started < 30
    assert "did not answer in time" in result.one_line()
    assert manifest_of(only_run(tmp_path / "runs"))["status"] == "failed"


def test_the_timeout_setting_bounds_a_call_to_a_hung_chroma_server(tmp_path, hung, fake_server):
    config = write_config(tmp_path, fake_server(), retrieval="similar")
    started = time.perf_counter()
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs", "--chroma-url",
                           hung.url, "--timeout", "1"], tmp_path, timeout=90)
    assert result.code == 1 and time.perf_counter() - started < 30
    assert "did not answer in time" in result.one_line() and hung.url in result.one_line()
    assert manifest_of(only_run(tmp_path / "runs"))["status"] == "failed"


@pytest.mark.parametrize(("workers", "signum"), [("threads", signal.SIGINT), ("threads", signal.SIGTERM),
                                                 ("processes", signal.SIGINT), ("processes", signal.SIGTERM)])
def test_a_signal_ends_a_batch_and_marks_every_item_in_flight(tmp_path, hung, workers, signum):
    config = write_config(tmp_path, f"{hung.url}/v1", max_rounds=1)
    batch = tmp_path / "batch"
    process = start(["batch", "--count", "5", "--concurrency", "2", "--workers", workers, "--out", str(batch),
                     "--config", str(config)], tmp_path)
    hung.wait_for(2)  # both items in flight wait on the server
    seconds, stderr = interrupt(process, signum)
    assert process.returncode == EXIT_CODES[signum], stderr[-2000:]
    assert seconds < SIGNAL_SECONDS, f"took {seconds:.1f} s"
    assert last_line(stderr).startswith(f"storypainter: interrupted by {signal.Signals(signum).name}")
    assert wait_until_gone(str(batch), seconds=5) == []
    manifests = batch.glob("items/*/manifest.json")
    statuses = {path.parent.name: json.loads(path.read_text())["status"] for path in manifests}
    assert len(statuses) == 2 and set(statuses.values()) == {"interrupted"}, statuses
