"""Durable runs (SQLite checkpoints, resume) and human review pauses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storypainter.backends import registry
from storypainter.errors import StoryError
from storypainter.progress import PausedForReview, resume_run, start_run
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json


def yes(point):
    return "yes"


def only_run_dir(context) -> Path:
    return next(Path(context.out_dir).iterdir())


def test_failed_run_resumes_from_its_last_checkpoint(scripted):
    dialogue = story_json(description='The old man shouts "Hurry up!" and the girl says "I am coming".')
    failing = ScriptedChatModel(replies=[dialogue, "broken", "broken"])
    context = scripted(failing, ScriptedJudge([yes]), max_repairs=1)
    with pytest.raises(StoryError):
        start_run("a rainy bus stop", context, out=None)
    run_dir = only_run_dir(context)
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "failed"

    fixed = ScriptedChatModel(replies=[story_json()])
    registry.clear_cache()
    registry.register_llm("scripted", lambda name, options, ctx: fixed)
    values = resume_run(run_dir, out=None)
    assert values["result"].decision_path == ["revise_story", "accept"]
    assert len(fixed.prompts) == 1, "resume must not redo the first attempt"
    assert "frozen moment" in fixed.prompts[0][-1].content or "dialogue" in fixed.prompts[0][-1].content
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"


def edit_sign(payload):
    if payload["stage"] == "story":
        story = payload["story"] | {"visible_text": [{"text": "FREE CAKE TODAY", "on": "bakery window"}]}
        return {"action": "edit", "story": story}
    return {"action": "keep"}


def test_review_pause_edit_and_resume_the_picture_follows_the_edit(scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([yes]), review=True)
    with pytest.raises(PausedForReview, match="storypainter resume"):
        start_run("a rainy bus stop", context, out=None)
    run_dir = only_run_dir(context)
    assert not (run_dir / "attempts/01/image.png").exists(), "nothing is painted before the review"

    values = resume_run(run_dir, out=None, reviewer=edit_sign)
    image = values["attempts"][0].image
    drawn = " ".join(f"{item.label} {item.details}" for item in image.manifest)
    assert "FREE CAKE TODAY" in drawn and "LAST BUS" not in drawn
    assert json.loads((run_dir / "attempts/01/story.json").read_text())["visible_text"][0]["text"] == "FREE CAKE TODAY"
    assert json.loads((run_dir / "attempts/01/review_story.json").read_text())["action"] == "edit"


def test_reviewer_rejects_a_story_and_overrides_the_critic(scripted):
    model = ScriptedChatModel(replies=[story_json(), story_json(title="A Second Story")])
    answers = iter([{"action": "reject", "feedback": "set it in a desert instead"}, {"action": "approve"},
                    {"action": "stop"}])
    context = scripted(model, ScriptedJudge([yes]), review=True)
    values = start_run("a rainy bus stop", context, out=None, reviewer=lambda payload: next(answers))
    assert "set it in a desert instead" in model.prompts[1][-1].content
    assert values["result"].decision_path == ["stop"]
    assert values["story"].title == "A Second Story"


def test_invalid_edit_pauses_again_naming_the_problem(scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([yes]), review=True)
    payloads = []

    def reviewer(payload):
        payloads.append(payload)
        if len(payloads) == 1:
            return {"action": "edit", "story": {"title": ""}}
        return {"action": "approve"} if payload["stage"] == "story" else "keep"

    values = start_run("a market", context, out=None, reviewer=reviewer)
    assert "edited story is invalid: title" in payloads[1]["error"]
    assert values["result"].decision_path == ["accept"]
