"""The visible-text check on real pictures, read by the real OCR model (the ocr extra): no mocks.

A storyboard sign is read back and matched; the same picture with the sign's text drawn
garbled, or without it, fails and sends the picture back; a tiny diffusers picture (noise)
has no sign; and the whole critic loop rerenders, then asks for a shorter text when a
painter garbles it twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("rapidocr_onnxruntime", reason="needs the ocr extra")

from storypainter.agent.context import Context
from storypainter.agent.graph import build_graph, route_after_critic, run_config
from storypainter.evaluation.alignment import key_points_from_story, score_alignment
from storypainter.layout import compose_layout
from storypainter.nodes.critic import decide
from storypainter.providers import registry
from storypainter.providers.judges.layout import LayoutJudge
from storypainter.providers.judges.ocr import OcrJudge, OcrReader, text_verdicts
from storypainter.providers.painters.storyboard import StoryboardPainter
from storypainter.schema import SceneLayout, Story, StoryCheck, VisibleText
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

SIGN = "LAST BUS 23:10"


@pytest.fixture(scope="module")
def judge() -> OcrJudge:
    return OcrJudge(OcrReader())


@pytest.fixture
def story() -> Story:
    """The scripted story (sign "LAST BUS 23:10" on the bus stop sign) under a title that shares no word with it."""
    story = Story.model_validate_json(story_json(title="Waiting in the Rain"))
    assert story.visible_text == [VisibleText(text=SIGN, on="bus stop sign")]
    return story


def with_sign_text(layout: SceneLayout, text: str | None) -> SceneLayout:
    """The same layout with the sign's words replaced (or the sign left out when text is None)."""
    entities = [
        entity.model_copy(update={"text": text}) if entity.kind == "sign" else entity
        for entity in layout.entities
        if entity.kind != "sign" or text is not None
    ]
    return layout.model_copy(update={"entities": entities})


def test_a_storyboard_sign_is_read_back_and_matched(judge, story, tmp_path):
    layout = compose_layout(story, seed=1)
    image = StoryboardPainter().paint(story, layout, 1, tmp_path / "image.png")
    check = judge.check(story, image)
    [entry] = check.entries
    assert (entry.status, entry.similarity) == ("found", 1.0)
    assert check.regions == "sign boxes" and check.engine.startswith("rapidocr-onnxruntime")
    [verdict] = text_verdicts(check, key_points_from_story(story))
    assert (verdict.answer, verdict.level, verdict.judge) == ("yes", "ocr", "ocr")


@pytest.mark.parametrize(("drawn", "status"), [("LSAT BSU 2E:1O", "garbled"), (None, "missing")])
def test_a_garbled_or_removed_sign_fails_the_check_and_routes_to_rerender(judge, story, tmp_path, drawn, status):
    layout = with_sign_text(compose_layout(story, seed=1), drawn)
    image = StoryboardPainter().paint(story, layout, 1, tmp_path / "image.png")
    check = judge.check(story, image)
    [entry] = check.entries
    assert entry.status == status and check.regions == "whole picture"
    if status == "garbled":
        assert "LSAT" in entry.read
    key_points = key_points_from_story(story)
    verdicts = LayoutJudge().judge(key_points, image=image, layout=layout, story=story)
    report = score_alignment(verdicts + text_verdicts(check, key_points), judge="layout", level="layout")
    decision = decide(StoryCheck(), report, 1, Context(max_rounds=3))
    assert decision.action == "rerender" and route_after_critic({"decision": decision}) == "painter"
    assert decision.emphasis[0] == f'The bus stop sign reads "{SIGN}".'
    emphasised = compose_layout(story, emphasis=decision.emphasis, seed=2)
    assert [entity.emphasis for entity in emphasised.entities if entity.kind == "sign"] == [True]


def test_a_tiny_diffusers_picture_reports_the_sign_missing(judge, story, tmp_path):
    pytest.importorskip("diffusers", reason="needs the gpu extra")
    import torch

    from storypainter.providers.painters.diffusers_painter import DiffusersPainter
    from tests.fixtures.tiny_diffusion import build_tiny_pipeline

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        painter = DiffusersPainter.load(str(build_tiny_pipeline(tmp_path / "tiny-sd")), {"steps": 2}, width=64,
                                        height=48)
        image = painter.paint(story, compose_layout(story), seed=3, path=tmp_path / "noise.png")
    finally:
        torch.set_num_threads(threads)
    check = judge.check(story, image)
    assert image.manifest == [] and check.regions == "whole picture"
    assert [entry.status for entry in check.entries] == ["missing"]


class GarblingPainter(StoryboardPainter):
    """A storyboard that cannot spell: a visible text longer than 8 characters comes out with letters swapped."""

    def paint(self, story, layout, seed, path, **options):
        garbled = [
            entity.model_copy(update={"text": swap_letters(entity.text)}) if len(entity.text) > 8 else entity
            for entity in layout.entities
        ]
        return super().paint(story, layout.model_copy(update={"entities": garbled}), seed, path)


def swap_letters(text: str) -> str:
    """'LAST BUS 23:10' -> 'ALST UBS 23:10': the first two letters of the first two words swapped."""
    words = text.split()
    return " ".join(word[1] + word[0] + word[2:] if index < 2 and len(word) > 2 else word
                    for index, word in enumerate(words))


def test_the_critic_rerenders_then_asks_for_a_shorter_text_a_painter_cannot_write(scripted, tmp_path):
    registry.register_painter("garbling", lambda name, options, context: GarblingPainter(context.width, context.height))
    short = story_json(visible_text=[{"text": "BUS 42", "on": "bus stop sign"}])
    context = scripted(
        ScriptedChatModel(replies=[story_json(), short]),
        ScriptedJudge([lambda point: "yes"]),
        painter="garbling",
        visible_text_check=True,
        max_rounds=4,
    )
    output = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    assert output["result"].decision_path == ["rerender", "revise_story", "accept"]
    attempts = Path(output["result"].run_dir) / "attempts"
    critiques = [json.loads((attempts / f"{n:02d}/critique.json").read_text()) for n in (1, 2, 3)]
    assert [c["visible_text"][0]["status"] for c in critiques] == ["garbled", "garbled", "found"]
    assert critiques[0]["visible_text"][0]["text"] == "LAST BUS 23:10"
    assert "ALST" in critiques[0]["visible_text"][0]["read"].replace(" ", "")
    assert critiques[1]["decision"]["action"] == "revise_story" and "short" in critiques[1]["decision"]["feedback"]
    assert critiques[2]["visible_text_check"]["checked"] is True
