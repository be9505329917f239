"""The VLM judge with a fake vision chat model that checks the picture really travels in the message."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from storypainter.agent.graph import build_graph, run_config
from storypainter.errors import BackendError
from storypainter.layout import compose_layout
from storypainter.providers import registry
from storypainter.providers.judges.vlm import VlmJudge, parse_answers
from storypainter.providers.painters.storyboard import StoryboardPainter
from storypainter.schema import KeyPoint, Story
from tests.fakes import ScriptedChatModel, story_json

DATA_URI_PREFIX = "data:image/png;base64,"


class FakeVisionModel(BaseChatModel):
    """Answers from a script after checking that the picture in the message is the expected file."""

    reply: str
    expected_png: bytes = b""
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "fake-vision"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        blocks = [block for message in messages if isinstance(message.content, list) for block in message.content]
        images = [block["image_url"]["url"] for block in blocks if block.get("type") == "image_url"]
        assert len(images) == 1, "exactly one picture must be sent"
        assert images[0].startswith(DATA_URI_PREFIX)
        if self.expected_png:
            assert base64.b64decode(images[0][len(DATA_URI_PREFIX) :]) == self.expected_png
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply))])


@pytest.fixture
def story():
    return Story.model_validate_json(story_json())


@pytest.fixture
def picture(story, tmp_path):
    return StoryboardPainter(256, 176).paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")


KEY_POINTS = [
    KeyPoint(category="time", text="It is late at night.", clue="dark sky"),
    KeyPoint(category="mental_state", text="The grandfather is worried.", clue="broken umbrella"),
    KeyPoint(category="event", text="The girl won a school competition today.", clue="trophy"),
]


def verdicts_for(reply: str, picture, story) -> list[str]:
    model = FakeVisionModel(reply=reply, expected_png=Path(picture.path).read_bytes())
    judge = VlmJudge("fake:vision", lambda: model)
    verdicts = judge.judge(KEY_POINTS, image=picture, layout=compose_layout(story), story=story)
    assert all(verdict.judge == "vlm:fake:vision" and verdict.level == "vlm" for verdict in verdicts)
    return [verdict.answer for verdict in verdicts]


def test_picture_and_numbered_key_points_are_sent(picture, story):
    model = FakeVisionModel(reply="1. YES\n2. NO\n3. YES", expected_png=Path(picture.path).read_bytes())
    verdicts = VlmJudge("fake:vision", lambda: model).judge(KEY_POINTS, image=picture, layout=compose_layout(story))
    assert [verdict.answer for verdict in verdicts] == ["yes", "no", "yes"]
    text = next(block["text"] for block in model.seen[0][-1].content if block["type"] == "text")
    assert "1. It is late at night." in text and "3. The girl won a school competition today." in text
    assert "YES" in text and "NO" in text
    assert verdicts[1].evidence == "NO"


@pytest.mark.parametrize(
    ("reply", "answers"),
    [
        ("**1.** Yes, the sky is dark.\n**2.** No.\n**3.** Yes", ["yes", "no", "yes"]),
        ("yes\nno\nno", ["yes", "no", "no"]),
        ('```json\n["YES", "NO", "YES"]\n```', ["yes", "no", "yes"]),
        ('{"1": "no", "3": true}', ["no", "abstain", "yes"]),
        ('{"answers": ["yes", "yes", "no"]}', ["yes", "yes", "no"]),
        ("1. YES\n2. Maybe, hard to tell\n3. yes or no", ["yes", "abstain", "abstain"]),
    ],
)
def test_answer_formats(reply, answers, picture, story):
    assert verdicts_for(reply, picture, story) == answers


@pytest.mark.parametrize("reply", ["I cannot see the picture.", "", "The picture shows a bus stop.\nIt is raining."])
def test_unparseable_reply_abstains(reply, picture, story):
    assert verdicts_for(reply, picture, story) == ["abstain"] * 3


def test_no_picture_abstains_without_asking(story):
    model = FakeVisionModel(reply="1. YES")
    verdicts = VlmJudge("fake:vision", lambda: model).judge(KEY_POINTS, image=None, layout=compose_layout(story))
    assert [verdict.answer for verdict in verdicts] == ["abstain"] * 3 and model.seen == []


def test_missing_picture_file_is_a_clear_error(picture, story, tmp_path):
    moved = picture.model_copy(update={"path": str(tmp_path / "gone.png")})
    with pytest.raises(BackendError, match="picture not found"):
        judge = VlmJudge("fake:vision", lambda: FakeVisionModel(reply=""))
        judge.judge(KEY_POINTS, image=moved, layout=compose_layout(story))


def test_parse_answers_ignores_stray_lines_when_unnumbered():
    assert parse_answers("yes\nno", count=3) == {}


def test_vlm_judge_in_a_graph_run_judges_the_painted_file(scripted):
    vision = FakeVisionModel(reply="\n".join(f"{number}. YES" for number in range(1, 10)))
    context = replace(scripted(ScriptedChatModel(replies=[story_json()])), judge="vlm:fakevision:model")
    registry.register_llm("fakevision", lambda name, options, context: vision)
    output = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    report = output["attempts"][0].report
    assert report.judge == "vlm:fakevision:model" and report.level == "vlm"
    assert report.overall == 1.0 and output["result"].decision_path == ["accept"]
    assert len(vision.seen) == 1
