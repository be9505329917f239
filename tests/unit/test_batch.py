"""Batch jobs in-process on scripted models: item list, skip-when-done, summary, bad input."""

from __future__ import annotations

import json

import pytest

from storypainter.batch import plan_items, read_themes, run_batch, summary_table
from storypainter.errors import ConfigError
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json


def test_read_themes_skips_comments_and_blanks(tmp_path):
    path = tmp_path / "themes.txt"
    path.write_text("# my themes\na market\n\n  a harbour at dawn  \n")
    assert read_themes(path) == ["a market", "a harbour at dawn"]


@pytest.mark.parametrize(("content", "expected"), [("# only a comment\n", "has no themes"), (b"\xff\xfe", "UTF-8")])
def test_bad_themes_files_are_named(tmp_path, content, expected):
    path = tmp_path / "themes.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError, match=expected):
        read_themes(path)


def test_a_batch_directory_refuses_a_different_batch(tmp_path):
    plan_items(tmp_path, ["a", "b"], base_seed=0)
    assert plan_items(tmp_path, ["a", "b"], base_seed=0)[1]["seed"] == 1
    with pytest.raises(ConfigError, match="different batch"):
        plan_items(tmp_path, ["a", "c"], base_seed=0)


def test_rerun_skips_done_items_and_seeds_differ_per_item(scripted, tmp_path):
    model = ScriptedChatModel(replies=[story_json()] * 3)
    context = scripted(model, ScriptedJudge([lambda point: "yes"]), seed=10)
    batch_dir = tmp_path / "batch"
    first = run_batch(batch_dir, ["a market", "a harbour", "a school"], context, concurrency=2, out=None)
    assert [outcome.status for outcome in first] == ["done"] * 3
    seeds = [json.loads((batch_dir / f"items/{i:04d}/request.json").read_text())["context"]["seed"] for i in range(3)]
    assert seeds == [10, 11, 12]
    second = run_batch(batch_dir, ["a market", "a harbour", "a school"], context, concurrency=2, out=None)
    assert all(outcome.status.startswith("skipped") for outcome in second)
    assert len(model.prompts) == 3, "nothing is generated twice"
    assert "3 items, 0 failed" in summary_table(second)
