"""Faults during a run (issue #17, defects 2, 4, 5, 9): one line, the right exit code, a failed
manifest, nothing already produced lost."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.conftest import Finished, clean_env, free_port, manifest_of, only_run, storypainter, write_config


def test_llm_server_down_fails_the_run_in_one_line(tmp_path):
    config = write_config(tmp_path, f"http://127.0.0.1:{free_port()}/v1")
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 1
    assert "cannot reach the model server" in result.one_line()
    manifest = manifest_of(only_run(tmp_path / "runs"))
    assert manifest["status"] == "failed" and "cannot reach the model server" in manifest["error"]


def test_a_server_that_never_answers_times_out(tmp_path, silent_server):
    config = write_config(tmp_path, silent_server, llm_options={"timeout": 1})
    started = time.perf_counter()
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 1 and time.perf_counter() - started < 60
    assert "did not answer in time" in result.one_line()
    assert manifest_of(only_run(tmp_path / "runs"))["status"] == "failed"


@pytest.fixture
def small_disk(tmp_path):
    """A 400 KB tmpfs: the run starts, then the disk fills."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_fails_the_run_in_one_line(tmp_path, small_disk, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=3, width=1024, height=768)
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", str(small_disk / "runs")], tmp_path)
    assert result.code == 1
    assert "disk is full" in result.one_line()
    run_dir = only_run(small_disk / "runs")
    assert (run_dir / "request.json").is_file(), "what was written before the fault stays"
    assert manifest_of(run_dir)["status"] == "failed"


def finished_run(tmp_path: Path, base_url: str) -> Path:
    config = write_config(tmp_path, base_url, max_rounds=1)
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs", "--quiet"], tmp_path)
    assert result.code == 0, result.stderr
    return only_run(tmp_path / "runs")


def test_corrupt_checkpoints_fail_a_resume_in_one_line(tmp_path, fake_server):
    run_dir = finished_run(tmp_path, fake_server())
    (run_dir / "result.json").unlink()  # an unfinished run ...
    for wal in run_dir.glob("checkpoints.sqlite-*"):
        wal.unlink()
    (run_dir / "checkpoints.sqlite").write_bytes(b"this is not a database" * 100)  # ... with corrupt checkpoints
    story = (run_dir / "attempts/01/story.json").read_bytes()
    result = storypainter(["resume", str(run_dir)], tmp_path)
    assert result.code == 1
    assert "checkpoints.sqlite is corrupt" in result.one_line()
    assert manifest_of(run_dir)["status"] == "failed"
    assert (run_dir / "attempts/01/story.json").read_bytes() == story


def test_resume_of_a_finished_run_changes_nothing_even_when_renamed(tmp_path, fake_server):
    run_dir = finished_run(tmp_path, fake_server())
    moved = run_dir.with_name("renamed-copy")
    shutil.copytree(run_dir, moved)
    before = {path: path.stat().st_mtime_ns for path in moved.rglob("*") if path.is_file()}
    result = storypainter(["resume", str(moved)], tmp_path)
    assert result.code == 0
    assert "is finished" in result.one_line()
    assert {path: path.stat().st_mtime_ns for path in moved.rglob("*") if path.is_file()} == before


def test_resume_without_checkpoints_refuses_to_overwrite_attempts(tmp_path, fake_server):
    run_dir = finished_run(tmp_path, fake_server())
    (run_dir / "result.json").unlink()
    for path in run_dir.glob("checkpoints.sqlite*"):
        path.unlink()
    story = (run_dir / "attempts/01/story.json").read_bytes()
    result = storypainter(["resume", str(run_dir)], tmp_path)
    assert result.code == 2
    assert "checkpoints are missing" in result.one_line()
    assert (run_dir / "attempts/01/story.json").read_bytes() == story


def test_a_moved_unfinished_run_is_refused_and_resumes_once_back(tmp_path, fake_server):
    base_url = fake_server(delay=0.5)
    config = write_config(tmp_path, base_url, max_rounds=1)
    command = [sys.executable, "-m", "storypainter.cli", "generate", "a kite", "--config", str(config), "--out", "runs"]
    running = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stderr=subprocess.PIPE, text=True)
    for line in running.stderr:  # kill once the painter runs: the storyteller's step is checkpointed by then
        if line.strip().startswith("painter"):
            break
    running.kill()
    running.wait()
    run_dir = only_run(tmp_path / "runs")
    moved = run_dir.rename(tmp_path / "moved")
    refused = storypainter(["resume", str(moved)], tmp_path)
    assert refused.code == 2 and "was moved or copied" in refused.one_line()
    assert not (moved / "result.json").exists(), "a refused resume finishes nothing"
    back = moved.rename(run_dir)
    result = storypainter(["resume", str(back)], tmp_path)
    assert result.code == 0, result.stderr
    assert (back / "result.json").is_file()
    assert "storyteller" not in result.stderr  # the finished node was not repeated


def test_two_resumes_of_one_run_never_run_together(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(delay=8.0), max_rounds=1)
    cli = [sys.executable, "-m", "storypainter.cli"]
    generate = subprocess.Popen([*cli, "generate", "a kite", "--config", str(config), "--out", "runs"], cwd=tmp_path,
                                env=clean_env(), stderr=subprocess.PIPE, text=True)
    generate.stderr.readline()  # "storypainter: 'a kite' -> <run dir>": the run exists, its storyteller waits
    generate.kill()
    generate.wait()
    run_dir = only_run(tmp_path / "runs")
    first = subprocess.Popen([*cli, "resume", str(run_dir)], cwd=tmp_path, env=clean_env(), stderr=subprocess.PIPE,
                             text=True)
    assert first.stderr.readline().startswith("storypainter: resuming"), "the first resume holds the lock"
    second = storypainter(["resume", str(run_dir)], tmp_path)  # while the first waits on the storyteller
    assert first.wait(timeout=120) == 0 and (run_dir / "result.json").is_file()
    assert second.code == 1
    assert "in use by another storypainter process" in second.one_line()


def test_review_with_closed_stdin_fails_in_one_line(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    command = [sys.executable, "-m", "storypainter.cli", "generate", "a kite", "--config", str(config), "--out", "runs",
               "--review", "--quiet"]
    done = subprocess.run(["sh", "-c", 'exec "$@" 0<&-', "sh", *command], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=clean_env())  # file descriptor 0 closed, not just empty
    result = Finished(done.returncode, done.stdout, done.stderr)
    assert result.code == 1
    assert "input ended while a review pause waited for an answer" in result.one_line()
    run_dir = only_run(tmp_path / "runs")
    assert manifest_of(run_dir)["status"] == "failed"
    assert (run_dir / "attempts/01/story.json").is_file(), "the story written before the pause stays"
    assert not (run_dir / "attempts/01/image.png").exists(), "nothing runs past an unanswered pause"


def test_a_theme_that_is_not_utf8_is_refused_before_anything_is_written(tmp_path):
    done = subprocess.run([sys.executable, "-m", "storypainter.cli", "generate", b"a \xff kite", "--out", "runs"],
                          cwd=tmp_path, capture_output=True, env=clean_env())
    lines = [line for line in done.stderr.decode().splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "UTF-8" in lines[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", ""])
def test_a_corrupt_request_json_is_refused_in_one_line(tmp_path, content):
    (tmp_path / "request.json").write_text(content, encoding="utf-8")
    result = storypainter(["resume", str(tmp_path)], tmp_path)
    assert result.code == 2 and "request.json" in result.one_line()
