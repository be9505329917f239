"""Batch jobs on scripted models: item list, skip-when-done, summary, bad input, and the
choice and behaviour of worker processes (forked, so they inherit the scripted providers)."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from storypainter.agent.context import Context
from storypainter.batch import choose_workers, plan_items, read_themes, run_batch, summary_table
from storypainter.errors import ConfigError
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

THEMES = ["a market", "a harbour", "a school", "a park"]


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


def test_a_batch_directory_refuses_a_different_batch_or_other_settings(tmp_path):
    context = Context(embeddings="hash")
    plan_items(tmp_path, ["a", "b"], context)
    assert plan_items(tmp_path, ["a", "b"], context)[1]["seed"] == 1
    with pytest.raises(ConfigError, match="different batch"):
        plan_items(tmp_path, ["a", "c"], context)
    with pytest.raises(ConfigError, match=r"other settings \(max_rounds\)"):
        plan_items(tmp_path, ["a", "b"], Context(embeddings="hash", max_rounds=5))


@extras.durable
def test_rerun_skips_done_items_and_seeds_differ_per_item(scripted, tmp_path):
    model = ScriptedChatModel(replies=[story_json()] * 3)
    context = scripted(model, ScriptedJudge([lambda point: "yes"]), seed=10)
    batch_dir = tmp_path / "batch"
    themes = THEMES[:3]
    first = run_batch(batch_dir, themes, context, concurrency=2, out=None, workers="threads")
    assert [outcome.status for outcome in first] == ["done"] * 3
    seeds = [json.loads((batch_dir / f"items/{i:04d}/request.json").read_text())["context"]["seed"] for i in range(3)]
    assert seeds == [10, 11, 12]
    second = run_batch(batch_dir, themes, context, concurrency=2, out=None, workers="threads")
    assert all(outcome.status.startswith("skipped") for outcome in second)
    assert len(model.prompts) == 3, "nothing is generated twice"
    assert "3 items, 0 failed" in summary_table(second)


class DyingChatModel(ScriptedChatModel):
    """Ends its whole process, the way a native crash would, when asked about a doomed theme."""

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any):
        if any("doomed" in str(message.content) for message in messages):
            os._exit(9)
        return super()._generate(messages, stop, run_manager, **kwargs)


@extras.durable
def test_process_workers_run_every_item_outside_this_process(scripted, tmp_path):
    model = ScriptedChatModel(replies=[story_json()] * len(THEMES))
    context = scripted(model, ScriptedJudge([lambda point: "yes"]))
    outcomes = run_batch(tmp_path / "batch", THEMES, context, concurrency=2, out=None, workers="processes")
    assert [outcome.status for outcome in outcomes] == ["done"] * len(THEMES)
    for index in range(len(THEMES)):
        result = json.loads((tmp_path / f"batch/items/{index:04d}/result.json").read_text())
        assert os.path.isfile(result["image_path"]) and os.path.isfile(result["story_path"])
    assert model.prompts == [], "the stories were written by the worker processes' own copies"
    again = run_batch(tmp_path / "batch", THEMES, context, concurrency=2, out=None, workers="processes")
    assert all(outcome.status.startswith("skipped") for outcome in again)


@extras.durable
def test_a_worker_that_dies_fails_only_the_item_it_held(scripted, tmp_path):
    model = DyingChatModel(replies=[story_json()] * len(THEMES))
    context = scripted(model, ScriptedJudge([lambda point: "yes"]))
    themes = ["a market", "a doomed harbour", "a school", "a park"]
    outcomes = run_batch(tmp_path / "batch", themes, context, concurrency=2, out=None, workers="processes")
    assert [outcome.status for outcome in outcomes] == ["done", "failed", "done", "done"]
    assert outcomes[1].error == "worker process died (exit code 9)"
    assert "4 items, 1 failed" in summary_table(outcomes)


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({"llm": "openai:gpt-4.1", "llm_options": {"base_url": "http://127.0.0.1:1/v1"}}, "processes"),
        ({"llm": "local:smollm2"}, "threads"),
        ({"llm": "hf:/models/student"}, "threads"),
        ({"painter": "diffusers:tiny"}, "threads"),
        ({"judge": "vlm:local:smollm2"}, "threads"),
        ({"retrieval": "mmr"}, "threads"),
    ],
)
def test_auto_workers_keep_in_process_models_and_the_store_in_one_process(scripted, overrides, kind):
    context = replace(scripted(ScriptedChatModel(replies=[])), **overrides)
    plan = choose_workers(context, concurrency=8)
    assert ("processes" if plan.processes > 1 else "threads") == kind
    assert plan.processes * plan.threads >= 8


def test_worker_choices_are_checked(scripted):
    context = scripted(ScriptedChatModel(replies=[]))
    assert choose_workers(context, 8, "threads").processes == 1
    assert choose_workers(context, 1, "processes").processes == 1, "one item at a time needs no worker process"
    with pytest.raises(ConfigError, match=r"concurrency must lie in 1\.\.256"):
        choose_workers(context, 0)
    with pytest.raises(ConfigError, match=r"concurrency must lie in 1\.\.256"):
        choose_workers(context, 100_000)
    with pytest.raises(ConfigError, match="workers: 'fibers' is not one of auto, threads, processes"):
        choose_workers(context, 2, "fibers")
    with pytest.raises(ConfigError, match="processes cannot share the Chroma example store"):
        choose_workers(replace(context, retrieval="similar"), 2, "processes")
    assert choose_workers(replace(context, llm="local:smollm2"), 2, "processes").processes == 2, "asked for"


@extras.durable
def test_progress_lines_count_items_and_estimate_the_time_left(scripted, tmp_path):
    context = scripted(ScriptedChatModel(replies=[story_json()] * 2), ScriptedJudge([lambda point: "yes"]))
    out = io.StringIO()
    run_batch(tmp_path / "batch", THEMES[:2], context, concurrency=1, out=out, workers="threads")
    text = out.getvalue()
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    assert lines[0] == "batch: 2 items, 1 in flight: 1 threads in this process (asked for threads)"
    assert lines.index("item 0000 done") < lines.index("item 0001 done")
    bars = [line for line in lines if "item/s" in line or "?it" in line or "|" in line]
    assert any(line.startswith("50%") and "1/2" in line and "<" in line for line in bars), bars  # elapsed<left
    assert any(line.startswith("100%") and "2/2" in line for line in bars), bars
