"""Every route of the critic loop, on scripted models (no network, seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storypainter.agent.graph import build_graph, recursion_limit, route_after_critic, run_config
from storypainter.errors import StoryError
from storypainter.schema import Decision
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json


def yes(point):
    return "yes"


def no_for(category):
    return lambda point: "no" if point.category == category else "yes"


def invoke(context, theme="a rainy bus stop"):
    return build_graph().invoke({"theme": theme}, context=context, config=run_config(context))


def attempt_files(run_dir: str) -> dict[str, list[str]]:
    root = Path(run_dir) / "attempts"
    return {folder.name: sorted(path.name for path in folder.iterdir()) for folder in sorted(root.iterdir())}


@pytest.mark.parametrize(
    ("action", "target"),
    [("accept", "finish"), ("stop", "finish"), ("revise_story", "storyteller"), ("rerender", "painter")],
)
def test_route_after_critic_maps_each_decision(action, target):
    assert route_after_critic({"decision": Decision(action=action)}) == target


def test_recursion_limit_grows_with_the_round_budget():
    assert recursion_limit(1) < recursion_limit(5)
    assert recursion_limit(5) >= 4 * 5


def test_accepted_at_once(scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([yes]))
    output = invoke(context)
    result = output["result"]
    assert result.decision_path == ["accept"]
    assert result.best_attempt == 1
    run_dir = Path(result.run_dir)
    assert attempt_files(result.run_dir) == {
        "01": ["critique.json", "image.png", "layout.json", "prompt.json", "story.json"]
    }
    for name in ("request.json", "result.json", "manifest.json"):
        assert (run_dir / name).is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert set(manifest["node_seconds"]) == {"planner", "retriever", "storyteller", "painter", "critic"}
    assert manifest["tokens"]["total_tokens"] == 30
    assert manifest["providers"]["llm"] == "scripted:story"


def test_revise_story_then_accept_feeds_the_critique_back(scripted):
    sequence = story_json(description="The girl waits at the bus stop. Then she runs home in the rain with her dog.")
    model = ScriptedChatModel(replies=[sequence, story_json()])
    output = invoke(scripted(model, ScriptedJudge([yes])))
    assert output["result"].decision_path == ["revise_story", "accept"]
    revision_prompt = model.prompts[1][-1].content
    assert "frozen moment" in revision_prompt or "single" in revision_prompt
    assert "Last Bus in the Rain" in revision_prompt
    assert output["result"].best_attempt == 2


def test_rerender_then_accept_keeps_the_story_and_changes_the_seed(scripted):
    judge = ScriptedJudge([no_for("mental_state"), yes])
    model = ScriptedChatModel(replies=[story_json()])
    output = invoke(scripted(model, judge, alignment_threshold=0.9))
    attempts = output["attempts"]
    assert output["result"].decision_path == ["rerender", "accept"]
    assert len(model.prompts) == 1, "a rerender must not ask the storyteller again"
    assert attempts[0].story == attempts[1].story
    assert attempts[0].image.seed != attempts[1].image.seed
    emphasised = [entity for entity in attempts[1].layout.entities if entity.emphasis]
    assert emphasised, "the missed key point must be emphasised in the new layout"
    assert attempts[0].decision.emphasis and "worried" in attempts[0].decision.emphasis[0]


def yes_only_for(*categories):
    return lambda point: "yes" if point.category in categories else "no"


def test_budget_spent_returns_the_best_attempt_not_the_last(scripted):
    judge = ScriptedJudge([yes_only_for("time"), no_for("mental_state"), yes_only_for("time", "location")])
    output = invoke(scripted(ScriptedChatModel(replies=[story_json()]), judge, alignment_threshold=0.99))
    result = output["result"]
    assert result.decision_path == ["rerender", "rerender", "stop"]
    overall = [attempt.report.overall for attempt in output["attempts"]]
    assert overall[1] == max(overall) and overall[2] < overall[1]
    assert result.best_attempt == 2
    assert "round budget spent" in result.why
    assert result.image_path.endswith("attempts/02/image.png")


def test_malformed_reply_is_repaired_with_the_validation_error(scripted):
    model = ScriptedChatModel(replies=['{"title": "Half a story"', story_json()])
    output = invoke(scripted(model, ScriptedJudge([yes])))
    assert output["result"].decision_path == ["accept"]
    repair = model.prompts[1][-1].content
    assert "not valid" in repair and "JSON" in repair
    prompt_record = json.loads((Path(output["result"].run_dir) / "attempts/01/prompt.json").read_text())
    assert len(prompt_record["replies"]) == 2


def test_unrecoverable_reply_raises_clear_error_and_keeps_earlier_attempts(scripted):
    dialogue = story_json(description='The old man shouts "Hurry up!" and the girl says "I am coming".')
    model = ScriptedChatModel(replies=[dialogue, "no json here", "still none", "{}"])
    context = scripted(model, ScriptedJudge([yes]), max_repairs=2)
    with pytest.raises(StoryError, match=r"Story reply still invalid after 3 tries"):
        invoke(context)
    run_dir = next((Path(context.out_dir)).iterdir())
    files = attempt_files(str(run_dir))
    assert files["01"] == ["critique.json", "image.png", "layout.json", "prompt.json", "story.json"]
    assert files["02"] == ["failed_reply.json"]
    failed = json.loads((run_dir / "attempts/02/failed_reply.json").read_text())
    assert failed["replies"] == ["no json here", "still none", "{}"]
    assert (run_dir / "request.json").is_file()


def test_empty_theme_is_valid_and_imagines_freely(scripted):
    model = ScriptedChatModel(replies=[story_json()])
    output = invoke(scripted(model, ScriptedJudge([yes])), theme="")
    assert output["result"].decision_path == ["accept"]
    assert "imagine" in model.prompts[0][1].content


def test_single_pass_mode_accepts_without_looping(scripted):
    sequence = story_json(description="The girl waits. Then she runs home.")
    model = ScriptedChatModel(replies=[sequence])
    output = invoke(scripted(model, ScriptedJudge([lambda point: "no"]), critic_loop=False, max_rounds=1))
    assert output["result"].decision_path == ["accept"]
    assert output["attempts"][0].check.violations, "the single pass still scores the rules"
