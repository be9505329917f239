"""A run the graph opens itself (a LangGraph server, Studio, the web page, ``graph.invoke``) has no runner
to mark its failure: the failing node marks the manifest ``failed`` with the one-line reason, and a review
pause is not a failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from storypainter.agent.graph import build_graph, run_config
from storypainter.errors import StorypainterError
from tests.fakes import ScriptedChatModel, story_json


def only_run(out_dir: str) -> Path:
    [run_dir] = Path(out_dir).iterdir()
    return run_dir


def test_a_failing_node_marks_the_graphs_own_run_failed_in_one_line(scripted):
    context = scripted(ScriptedChatModel(replies=["not a story"] * 5), max_repairs=1)
    with pytest.raises(StorypainterError) as failure:
        build_graph().invoke({"theme": "a broken kite"}, context=context, config=run_config(context))
    manifest = json.loads((only_run(context.out_dir) / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["error"] == str(failure.value) and "\n" not in manifest["error"]


def test_a_review_pause_leaves_the_run_running(scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()]), review=True)
    graph = build_graph(checkpointer=InMemorySaver())
    output = graph.invoke({"theme": "a paused kite"}, context=context,
                          config=run_config(context, thread_id="t1"))
    assert output["__interrupt__"][0].value["stage"] == "story"
    manifest = json.loads((only_run(context.out_dir) / "manifest.json").read_text())
    assert manifest["status"] == "running" and "error" not in manifest
