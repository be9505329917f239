"""Fault injection: real processes, real servers (or their absence), real disks and files.

Every fault must end with one line on stderr, the right exit code, a failed manifest where
a run existed, nothing already produced lost and no process left behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str

    def one_line(self) -> str:
        """The single line that reports the outcome (progress lines aside); fails on a traceback."""
        lines = [line for line in self.stderr.splitlines() if line.startswith("storypainter: error") or
                 line.startswith("storypainter: /") or line.startswith("Traceback") or line.startswith("  File ")]
        assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{self.stderr[-3000:]}"
        return lines[0]


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", STORYPAINTER_THREADS="1", **extra)
    env.pop("STORYPAINTER_DEBUG", None)
    return env


def storypainter(args: list[str], cwd: Path, stdin: str | None = "", timeout: float = 120, **env: str) -> Finished:
    """Run the real command line in a fresh process."""
    done = subprocess.run([sys.executable, "-m", "storypainter.cli", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=clean_env(**env))
    return Finished(done.returncode, done.stdout, done.stderr)


def write_config(folder: Path, base_url: str, **settings: object) -> Path:
    """A config that talks to an OpenAI-compatible server and paints storyboards quickly."""
    options = settings.pop("llm_options", {})
    # The fake server answers one canned story whatever the theme: the theme and coherence rules, which would
    # send it back for another round, are not what a fault test is about (a test may still turn them on).
    settings = {"painter": "storyboard", "judge": "layout", "embeddings": "hash", "width": 320, "height": 224,
                "coherence": "off", "theme_check": False,
                "memory_dir": str(folder / "memory"), **settings}  # each key once: duplicate YAML keys are refused
    lines = [
        "llm: openai:fake", "llm_options:", f"  base_url: {base_url}", "  max_retries: 0",
        *[f"  {key}: {value}" for key, value in options.items()],
        *[f"{key}: {json.dumps(value)}" for key, value in settings.items()],
    ]
    path = folder / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def manifest_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))


def only_run(out_dir: Path) -> Path:
    runs = [path for path in out_dir.iterdir() if path.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fake_server() -> Iterator:
    """Start fake OpenAI-compatible servers (``start(delay, story)`` -> base URL; ``story``: fields its stories
    have); all stopped after the test."""
    started = []

    def start(delay: float = 0.0, story: dict | None = None) -> str:
        server = subprocess.Popen([sys.executable, str(REPO / "tests/fake_openai_server.py"), "--delay", str(delay),
                                   "--story", json.dumps(story or {})], stdout=subprocess.PIPE, text=True)
        started.append(server)
        port = int(server.stdout.readline().split()[1])
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for server in started:
        server.kill()
        server.wait()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()
