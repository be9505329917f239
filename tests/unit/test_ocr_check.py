"""The visible-text check without reading pixels: matching, verdicts, the decision and the skipped path.

Reading real pictures with the OCR model is in tests/integration/test_ocr_storyboard.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from storypainter.agent.context import Context
from storypainter.errors import BackendError
from storypainter.evaluation.alignment import score_alignment
from storypainter.nodes.critic import decide
from storypainter.providers import registry
from storypainter.providers.judges import ocr
from storypainter.providers.judges.ocr import (
    FOUND_SIMILARITY,
    GARBLED_SIMILARITY,
    TextEntry,
    VisibleTextCheck,
    blocks_from,
    match_entry,
    normalise,
    similarity,
    text_key_point,
    text_verdicts,
)
from storypainter.runner import start_run
from storypainter.schema import AlignmentReport, Attempt, KeyPoint, SceneLayout, Story, StoryCheck, Verdict
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json


def test_normalise_keeps_letters_and_digits_only():
    assert normalise("Café: OPEN 24/7!") == "cafeopen247"
    assert normalise("GOD'S TIME IS BEST") == normalise("GOD'STIMEIS BEST")


def test_similarity_counts_edits_against_the_expected_length():
    assert similarity("lastbus2310", "lastbus2310") == 1.0
    assert similarity("lastbus2310", "lastbus231o") == pytest.approx(1 - 1 / 11)
    assert similarity("ladies", "aldies") == pytest.approx(1 - 2 / 6)  # swapped letters are two edits
    assert similarity("lastbus2310", "") == 0.0


def test_the_words_of_a_sign_are_found_inside_a_longer_line():
    entry = match_entry("SCHOOL ZONE", "road sign", [["SLOW: SCHOOL ZONE AHEAD"]])
    assert (entry.status, entry.read) == ("found", "SCHOOL ZONE")


@pytest.mark.parametrize(
    ("read", "status"),
    [
        (["LASTBUS", "23:10", "bus stop sign"], "found"),  # wrapped over two lines, spaces dropped
        (["LAST BUS 23:1O"], "found"),  # one OCR confusion
        (["LSAT BSU 2E:10"], "garbled"),  # three letters wrong out of eleven
        (["ALST UBS 32:10"], "missing"),  # two letters swapped in every word: six edits of eleven
        (["NEXT TRAM 10:45"], "missing"),
        ([], "missing"),
    ],
)
def test_each_text_is_found_garbled_or_missing(read, status):
    entry = match_entry("LAST BUS 23:10", "bus stop sign", [read])
    assert entry.status == status
    if status == "garbled":
        assert entry.read == "LSAT BSU 2E:10" and GARBLED_SIMILARITY <= entry.similarity < FOUND_SIMILARITY


@pytest.mark.parametrize("text", ["!!!", "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd",
                                  "\u2615\U0001f68c", "OPEN \u2615"])
def test_a_text_the_check_cannot_read_back_counts_as_missing(text):
    entry = match_entry(text, "sign", [["OPEN"], ["!!!"]])
    assert entry.status == "missing" and entry.note
    [verdict] = text_verdicts(VisibleTextCheck(checked=True, entries=[entry]), [])
    assert verdict.answer == "no" and verdict.evidence.startswith("missing: ")


def test_blocks_group_lines_that_sit_under_each_other():
    def line(x0, y0, x1, y1, text):
        return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1]], text, 0.99]

    result = [line(300, 10, 500, 30, "TITLE"), line(20, 100, 200, 130, "LAST"), line(400, 102, 560, 128, "OPEN"),
              line(30, 135, 190, 165, "BUS"), line(410, 133, 550, 160, "24/7")]
    assert blocks_from(result) == [["TITLE"], ["LAST", "BUS"], ["OPEN", "24/7"]]
    assert match_entry("LAST BUS", "sign", blocks_from(result)).status == "found"


def test_a_text_key_point_takes_the_category_of_the_key_point_that_uses_it():
    entry = TextEntry(text="LAST BUS 23:10", on="bus stop sign", status="missing")
    points = [KeyPoint(category="time", text="It is late at night.", clue="LAST BUS 23:10 sign + dark sky")]
    point = text_key_point(entry, points)
    assert point == KeyPoint(category="time", text='The bus stop sign reads "LAST BUS 23:10".',
                             clue='"LAST BUS 23:10" on bus stop sign')
    assert text_key_point(entry, []).category == "location"


def test_verdicts_say_what_was_read():
    entries = [
        TextEntry(text="LAST BUS", on="sign", status="found", read="LASTBUS", similarity=1.0),
        TextEntry(text="OPEN", on="door", status="garbled", read="0PEM", similarity=0.75),
        TextEntry(text="EXIT", on="door", status="missing"),
    ]
    verdicts = text_verdicts(VisibleTextCheck(checked=True, entries=entries), [])
    assert [verdict.answer for verdict in verdicts] == ["yes", "no", "no"]
    assert {(verdict.judge, verdict.level) for verdict in verdicts} == {("ocr", "ocr")}
    assert verdicts[1].evidence == 'garbled: read "0PEM" (similarity 0.75)'
    assert verdicts[2].evidence.startswith("missing")
    check = VisibleTextCheck(checked=True, entries=entries)
    assert check.summary() == "text 1/3 legible (1 garbled, 1 missing)"


def text_report(*answers: str, layout_yes: int = 4) -> AlignmentReport:
    """A report whose layout verdicts all pass, plus one visible-text verdict per answer."""
    layout = [Verdict(key_point=KeyPoint(category="event", text=f"Event {i}."), answer="yes", judge="layout",
                      level="layout") for i in range(layout_yes)]
    texts = [Verdict(key_point=KeyPoint(category="location", text=f'The sign reads "T{i}".', clue=f'"T{i}" on sign'),
                     answer=answer, judge="ocr", level="ocr", evidence="missing: not read") for i, answer in
             enumerate(answers)]
    return score_alignment(layout + texts, judge="layout", level="layout")


def test_an_unreadable_text_sends_the_picture_back_even_when_alignment_passes():
    context = Context(max_rounds=3)
    report = text_report("no")
    assert report.overall >= context.alignment_threshold
    decision = decide(StoryCheck(), report, 1, context)
    assert decision.action == "rerender"
    assert decision.emphasis[0] == 'The sign reads "T0".'
    assert decision.reasons[0].startswith('visible text not legible: "T0" on sign missing')
    assert decide(StoryCheck(), text_report("yes"), 1, context).action == "accept"
    assert decide(StoryCheck(), report, 3, context).action == "stop"


def test_the_same_text_failing_twice_in_a_row_sends_the_story_back_to_be_shortened():
    context = Context(max_rounds=5)
    story = Story.model_validate_json(story_json())
    layout = SceneLayout(background="street")
    first = Attempt(number=1, story=story, layout=layout, report=text_report("no"))
    decision = decide(StoryCheck(), text_report("no"), 2, context, [first])
    assert decision.action == "revise_story"
    assert '"T0" on sign' in decision.feedback and "short" in decision.feedback
    passed_before = Attempt(number=1, story=story, layout=layout, report=text_report("yes"))
    assert decide(StoryCheck(), text_report("no"), 2, context, [passed_before]).action == "rerender"


@extras.durable
def test_without_the_ocr_extra_the_check_is_skipped_with_one_line(scripted, monkeypatch):
    monkeypatch.setattr(ocr, "ocr_installed", lambda: False)
    with pytest.raises(BackendError, match=r"OCR is not installed \(pip install 'storypainter\[ocr\]'\)"):
        registry.get_judge("ocr", Context())
    context = scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([lambda point: "yes"]),
                       visible_text_check=True)
    out = io.StringIO()
    values = start_run("a rainy bus stop", context, out=out)
    lines = [line for line in out.getvalue().splitlines() if "visible-text" in line]
    assert len(lines) == 1 and "skipped OCR is not installed" in lines[0]
    critique = json.loads((Path(values["result"].run_dir) / "attempts/01/critique.json").read_text())
    assert critique["visible_text"] == []
    assert critique["visible_text_check"]["checked"] is False
    assert critique["visible_text_check"]["skipped"].startswith("OCR is not installed")
    assert all(verdict["level"] != "ocr" for verdict in critique["report"]["verdicts"]), "skipped, not faked"
    assert values["result"].decision_path == ["accept"]
