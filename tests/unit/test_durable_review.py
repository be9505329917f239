"""Durable runs (SQLite checkpoints, resume), human review pauses and live token streaming."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from storypainter.errors import StoryError
from storypainter.providers import registry
from storypainter.runner import PausedForReview, resume_run, start_run
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

pytestmark = extras.durable


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


class RecordingOut(io.StringIO):
    """A stream that also keeps each write, to tell a live token stream from one late dump."""

    def __init__(self):
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_tokens_echo_the_storytellers_reply_as_it_is_written(scripted):
    reply = story_json()
    context = scripted(ScriptedChatModel(replies=[reply]), ScriptedJudge([lambda point: "yes"]), max_rounds=1)
    out = RecordingOut()
    start_run("a rainy bus stop", context, out=out, tokens="text")
    lines = out.getvalue().splitlines()
    token_line = next(line for line in lines if line.strip().startswith('storyteller') and '{"title"' in line)
    assert token_line.split("  ", 2)[-1].strip() == reply.strip(), "every token, in order"
    assert sum(write in reply for write in out.writes) > 50, "tokens arrive one by one, not as one block"
    assert lines.index(token_line) < next(i for i, line in enumerate(lines) if "attempt 01:" in line)


def test_token_count_keeps_one_live_line_and_clears_it(scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([lambda point: "yes"]), max_rounds=1)
    out = RecordingOut()
    start_run("a market", context, out=out, tokens="count")
    counts = [write for write in out.writes if "writing:" in write]
    assert len(counts) > 50 and all(write.startswith("\r") for write in counts)
    assert counts[-1].split("writing: ")[1].startswith(f"{len(counts)} tokens")
    assert "\r\033[K" in out.writes, "the count line is cleared before the next progress line"


def test_no_token_stream_unless_asked(scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([lambda point: "yes"]), max_rounds=1)
    out = io.StringIO()
    start_run("a market", context, out=out)
    assert '{"title"' not in out.getvalue() and "writing:" not in out.getvalue()


def test_a_repaired_reply_streams_on_its_own_line(scripted):
    broken, fixed = '{"title": "Half a story", "description":', story_json()
    context = scripted(ScriptedChatModel(replies=[broken, fixed]), ScriptedJudge([yes]), max_rounds=1)
    out = io.StringIO()
    start_run("a market", context, out=out, tokens="text")
    streamed = [line.split("  ", 2)[-1].strip() for line in out.getvalue().splitlines()
                if line.lstrip().startswith("storyteller") and '{"title"' in line]
    assert streamed == [broken, fixed.strip()]
