"""Writes outside the output directory (issue #23, item 4): nothing is opened for writing
through a symbolic link that leaves the output (or run) directory, and every refusal comes
before the first write."""

from __future__ import annotations

import json
from pathlib import Path

from tests.faults.conftest import storypainter, write_config


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_batch_item_linked_outside_the_batch_is_refused_and_its_target_untouched(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "manifest.json").write_text('{"mine": true}\n')
    (tmp_path / "batch" / "items").mkdir(parents=True)
    (tmp_path / "batch" / "items" / "0000").symlink_to(elsewhere)
    before = snapshot(elsewhere)
    result = storypainter(["batch", "--count", "2", "--config", str(config), "--out", "batch",
                           "--workers", "threads"], tmp_path)
    assert result.code == 1, result.stderr[-2000:]
    summary = {item["index"]: item for item in json.loads((tmp_path / "batch" / "summary.json").read_text())}
    assert summary[0]["status"] == "failed" and "symbolic link" in summary[0]["error"]
    assert summary[1]["status"] == "done"
    assert snapshot(elsewhere) == before, "nothing written through the link"


def test_resume_of_a_hand_made_run_directory_refuses_before_writing(tmp_path):
    run_dir = tmp_path / "runs" / "hand-made"
    (run_dir / "attempts" / "01").mkdir(parents=True)
    (run_dir / "attempts" / "01" / "story.json").write_text("{}\n")
    request = {"theme": "a kite", "thread_id": "t1", "context": {"embeddings": "hash"}}
    (run_dir / "request.json").write_text(json.dumps(request))
    before = snapshot(run_dir)
    result = storypainter(["resume", str(run_dir)], tmp_path)
    assert result.code == 2 and "checkpoints are missing" in result.one_line()
    assert snapshot(run_dir) == before and sorted(path.name for path in run_dir.iterdir()) == [
        "attempts", "request.json"], "no .lock, checkpoints.sqlite or manifest.json"


def test_resume_refuses_a_link_inside_the_run_that_leaves_it(tmp_path):
    outside = tmp_path / "outside.sqlite"
    outside.write_bytes(b"not yours")
    run_dir = tmp_path / "runs" / "linked"
    run_dir.mkdir(parents=True)
    (run_dir / "request.json").write_text(json.dumps({"theme": "a kite", "thread_id": "t1",
                                                      "context": {"embeddings": "hash"}}))
    (run_dir / "checkpoints.sqlite").symlink_to(outside)
    (run_dir / ".lock").symlink_to(tmp_path / "outside.lock")
    result = storypainter(["resume", str(run_dir)], tmp_path)
    assert result.code == 2 and "symbolic link" in result.one_line()
    assert outside.read_bytes() == b"not yours" and not (tmp_path / "outside.lock").exists()
    assert not (run_dir / "manifest.json").exists()
