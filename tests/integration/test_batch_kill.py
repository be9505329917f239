"""A batch killed with SIGKILL resumes with nothing lost and nothing done twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storypainter.cli import EXIT_INTERRUPTED
from tests.processes import ctrl_c_as_in_a_terminal, wait_until_gone

REPO = Path(__file__).resolve().parents[2]
ITEMS = 12
pytestmark = pytest.mark.slow


@pytest.fixture
def fake_openai():
    server = subprocess.Popen([sys.executable, str(REPO / "tests/fake_openai_server.py"), "--delay", "0.3"],
                              stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline().split()[1])
    yield f"http://127.0.0.1:{port}/v1"
    server.kill()
    server.wait()


def batch_command(tmp_path: Path, base_url: str) -> list[str]:
    config = tmp_path / "batch.yaml"
    config.write_text(
        f"llm: openai:fake\nllm_options:\n  base_url: {base_url}\npainter: storyboard\njudge: layout\n"
        f"embeddings: hash\nmax_rounds: 1\nwidth: 320\nheight: 224\nmemory_dir: {tmp_path / 'memory'}\n"
    )
    return [sys.executable, "-m", "storypainter.cli", "batch", "--count", str(ITEMS), "--concurrency", "2",
            "--out", str(tmp_path / "batch"), "--config", str(config)]


def finished(batch_dir: Path) -> list[Path]:
    return sorted(batch_dir.glob("items/*/result.json"))


def test_sigkill_then_resume_gives_exactly_n_complete_results(tmp_path, fake_openai):
    env = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}
    command = batch_command(tmp_path, fake_openai)
    batch_dir = tmp_path / "batch"
    running = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(finished(batch_dir)) < 3 and time.time() < deadline and running.poll() is None:
        time.sleep(0.05)
    running.send_signal(signal.SIGKILL)
    running.wait()
    assert wait_until_gone(str(batch_dir), seconds=3) == [], "worker processes outlived the killed batch"
    before = {path.parent.name: path.stat().st_mtime_ns for path in finished(batch_dir)}
    assert 3 <= len(before) < ITEMS, "the kill must land mid-batch"

    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = finished(batch_dir)
    assert [path.parent.name for path in results] == [f"{index:04d}" for index in range(ITEMS)]
    assert sorted(path.name for path in (batch_dir / "items").iterdir()) == [f"{i:04d}" for i in range(ITEMS)]
    for path in results:
        result = json.loads(path.read_text())
        assert Path(result["image_path"]).is_file() and Path(result["story_path"]).is_file()
        assert json.loads((path.parent / "manifest.json").read_text())["status"] == "complete"
    for name, mtime in before.items():
        assert (batch_dir / "items" / name / "result.json").stat().st_mtime_ns == mtime, f"item {name} redone"
    summary = json.loads((batch_dir / "summary.json").read_text())
    assert len(summary) == ITEMS and len({item["index"] for item in summary}) == ITEMS
    assert sum(item["status"].startswith("skipped") for item in summary) == len(before)
    assert "12 items, 0 failed" in completed.stdout
    assert "in 2 worker processes" in completed.stderr


def test_ctrl_c_stops_the_batch_and_its_workers_cleanly(tmp_path, fake_openai):
    env = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}
    batch_dir = tmp_path / "batch"
    running = subprocess.Popen(batch_command(tmp_path, fake_openai), cwd=tmp_path, env=env, start_new_session=True,
                               preexec_fn=ctrl_c_as_in_a_terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.time() + 120
    while len(finished(batch_dir)) < 2 and time.time() < deadline and running.poll() is None:
        time.sleep(0.05)
    os.killpg(running.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole process group
    _, stderr = running.communicate(timeout=60)
    assert running.returncode == EXIT_INTERRUPTED
    assert stderr.splitlines()[-1].startswith("storypainter: interrupted by SIGINT")
    assert "Traceback" not in stderr, "workers leave Ctrl-C to the batch"
    assert wait_until_gone(str(batch_dir), seconds=3) == []
