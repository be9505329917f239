"""Critic: checks the picture against the story and the story against the rules, then decides.

Key points come from the story itself (``key_points: story``) or from an LLM following
the paper's protocol (``key_points: llm``); the configured judge gives a verdict on each.
Whatever the painter, the story's visible texts are then read from the picture's pixels
(``providers/judges/ocr``, the ``ocr`` extra; skipped with a one-line message when it is
not installed; ``visible_text_check: false`` turns it off): each becomes a key point with a
``level: ocr`` verdict in the report; critique.json gets
``visible_text`` (per text: text, on, status found/garbled/missing, read, similarity) and
``visible_text_check`` (engine, thresholds, regions read, seconds, or why it was skipped).
A text that is missing or garbled sends the picture back (``rerender``, the text
emphasised); the same text failing in two attempts in a row sends the story back
(``revise_story``: shorten it).

Every chain gets a coherence mark from the judge ``Context.coherence`` names
(``providers/judges/coherence``): critique.json's ``check.chains``. A chain below
``coherence_threshold`` does not count for the semantic score and is an ``incoherent_chain``
violation: the story goes back to the storyteller with each such chain named and why.
The attempt's score (used to pick the best attempt) is::

    score = 0.5 * alignment + 0.25 * semantic / 100 + 0.25 * mean coherence - 0.15 * rule violations

floored at 0; with ``coherence: off`` the coherence weight goes to the semantic score.
"""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.errors import BackendError
from storypainter.evaluation.alignment import key_points_from_story, score_alignment
from storypainter.evaluation.rules import check_story
from storypainter.ledger import judge_model, metered
from storypainter.prompts import render
from storypainter.providers.judges.ocr import VisibleTextCheck, skipped_check, text_verdicts
from storypainter.providers.llms.structured import invoke_structured
from storypainter.providers.registry import get_coherence_judge, get_judge, get_llm
from storypainter.runs import attempt_dir, write_json
from storypainter.schema import (
    AlignmentReport,
    Attempt,
    ChainMark,
    Decision,
    KeyPoint,
    RenderedImage,
    RuleViolation,
    Story,
    StoryCheck,
    Verdict,
)

ALIGNMENT_WEIGHT, SEMANTIC_WEIGHT, COHERENCE_WEIGHT, VIOLATION_PENALTY = 0.5, 0.25, 0.25, 0.15
MAX_EMPHASIS = 6
TEXT_FAILURES_BEFORE_REVISING = 2  # attempts in a row that fail the same visible text


class KeyPointList(BaseModel):
    key_points: list[KeyPoint] = Field(max_length=21)


def attempt_score(check: StoryCheck, report: AlignmentReport) -> float:
    alignment = report.overall or 0.0
    semantic = check.semantic_score / 100
    if check.chains:
        sense = COHERENCE_WEIGHT * sum(mark.coherence for mark in check.chains) / len(check.chains)
    else:
        sense = COHERENCE_WEIGHT * semantic
    raw = ALIGNMENT_WEIGHT * alignment + SEMANTIC_WEIGHT * semantic + sense
    return round(max(0.0, raw - VIOLATION_PENALTY * len(check.violations)), 4)


def unreadable_texts(report: AlignmentReport) -> list[Verdict]:
    """The visible-text verdicts that failed: the text is missing or garbled in the picture."""
    return [verdict for verdict in report.verdicts if verdict.level == "ocr" and verdict.answer == "no"]


def failed_in_a_row(verdict: Verdict, history: list[Attempt]) -> bool:
    """Whether the same visible text also failed in the attempts just before this one."""
    earlier = history[-(TEXT_FAILURES_BEFORE_REVISING - 1) :] if TEXT_FAILURES_BEFORE_REVISING > 1 else []
    if len(earlier) < TEXT_FAILURES_BEFORE_REVISING - 1:
        return False
    return all(
        attempt.report is not None
        and any(old.key_point.text == verdict.key_point.text for old in unreadable_texts(attempt.report))
        for attempt in earlier
    )


def decide(
    check: StoryCheck, report: AlignmentReport, attempt: int, context: Context, history: list[Attempt] | None = None
) -> Decision:
    """accept / revise_story / rerender, or stop when the round budget is spent."""
    if not context.critic_loop:
        return Decision(action="accept", reasons=["single-pass mode: the critic scores but does not loop"])
    unreadable = unreadable_texts(report)
    repeated = [verdict for verdict in unreadable if failed_in_a_row(verdict, history or [])]
    if check.violations:
        action, reasons = "revise_story", [f"{v.rule}: {v.detail}" for v in check.violations]
        feedback, emphasis = "\n".join(f"- {v.detail}" for v in check.violations), []
    elif repeated:
        action, reasons, feedback, emphasis = "revise_story", [_text_reason(repeated, "again")], _shorten(repeated), []
    elif unreadable or (report.overall is not None and report.overall < context.alignment_threshold):
        missed = report.missed()
        action, reasons = "rerender", [_text_reason(unreadable, "")] if unreadable else []
        if report.overall is not None and report.overall < context.alignment_threshold:
            reasons.append(
                f"alignment {report.overall:.2f} < {context.alignment_threshold:.2f}: {len(missed)} key points missed"
            )
        first = [verdict.key_point for verdict in unreadable]
        feedback, emphasis = "", [point.text for point in first + [p for p in missed if p not in first]][:MAX_EMPHASIS]
    else:
        shown = "n/a" if report.overall is None else f"{report.overall:.2f}"
        return Decision(action="accept", reasons=[f"story rules pass; alignment {shown} meets the threshold"])
    if attempt >= context.max_rounds:
        return Decision(action="stop", reasons=[*reasons, f"round budget spent ({attempt} of {context.max_rounds})"])
    return Decision(action=action, reasons=reasons, feedback=feedback, emphasis=emphasis)


def _text_reason(verdicts: list[Verdict], again: str) -> str:
    listed = "; ".join(f"{verdict.key_point.clue} {verdict.evidence.partition(':')[0]}" for verdict in verdicts)
    return f"visible text not legible{' ' + again if again else ''}: {listed}"


def _shorten(verdicts: list[Verdict]) -> str:
    return "\n".join(
        f"- the painter could not write {verdict.key_point.clue} legibly in {TEXT_FAILURES_BEFORE_REVISING} "
        "pictures in a row: make it a few short, common words (or drop it), and keep every visible text short"
        for verdict in verdicts
    )


def extract_key_points(story: Story, context: Context) -> list[KeyPoint]:
    if context.key_points == "story":
        return key_points_from_story(story)
    messages = [
        SystemMessage(content=render("key_points")),
        HumanMessage(content=story.model_dump_json(include={"description", "characters", "objects", "visible_text"})),
    ]
    model = get_llm(context.llm, context.llm_options, context)
    reply = invoke_structured(model, messages, KeyPointList, context.max_repairs)
    return [point for point in reply.value.key_points if point.clue.strip()]  # type: ignore[attr-defined]


def judge_chains(story: Story, context: Context, usage: list[dict]) -> tuple[list[ChainMark] | None, str]:
    """Each chain's coherence mark (None when the judge is off) and the judge's name."""
    judge = get_coherence_judge(context)
    if judge is None:
        return None, ""
    with metered("critic", judge.name.removeprefix("llm:"), usage):
        return judge.score(story.cors, story.description), judge.name


def refused_check(error: str) -> StoryCheck:
    return StoryCheck(violations=[RuleViolation(rule="painter_refused", detail=f"the painter refused: {error}")])


def read_visible_text(
    story: Story, image: RenderedImage | None, key_points: list[KeyPoint], context: Context, tell
) -> tuple[VisibleTextCheck | None, list[Verdict]]:
    """The visible-text check of the picture (None when the story has no visible text) and its verdicts."""
    if image is None or not story.visible_text or not context.visible_text_check:
        return None, []
    try:
        reader = get_judge("ocr", context)
    except BackendError as error:  # the ocr extra is not installed: say so, judge nothing
        tell({"event": "visible-text", "skipped": str(error)})
        return skipped_check(str(error)), []
    check = reader.check(story, image)
    return check, text_verdicts(check, key_points)


def critic(state: State, runtime: Runtime[Context]) -> dict:
    context, story, number = runtime.context, state["story"], state["attempt"]
    image = state.get("image")
    usage: list[dict] = []
    text_check = None
    if state.get("painter_error"):
        check, report = refused_check(state["painter_error"]), AlignmentReport()
    else:
        with metered("critic", context.llm, usage):
            key_points = extract_key_points(story, context)
        judge = get_judge(context.judge, context)
        verdicts = []
        if judge.level != "ocr":  # an ocr judge's verdicts are the visible-text check's, below
            with metered("critic", judge_model(context.judge), usage):
                verdicts = judge.judge(key_points, image=image, layout=state["layout"], story=story)
        text_check, text = read_visible_text(story, image, key_points, context, runtime.stream_writer)
        report = score_alignment(verdicts + text, judge=judge.name, level=judge.level)
        marks, coherence_judge = judge_chains(story, context, usage)
        check = check_story(story, state.get("examples", []), context.min_cors, context.copy_threshold, marks=marks,
                            theme=state.get("theme", "") if context.theme_check else "")
        check = check.model_copy(update={"coherence_judge": coherence_judge})
    score = attempt_score(check, report)
    decision = decide(check, report, number, context, state.get("attempts", []))
    folder = attempt_dir(state["run_dir"], number)
    critique = {"score": score, "decision": decision, "check": check, "report": report}
    if text_check is not None:  # expected vs read per visible text, then how the check ran (or why it was skipped)
        how = text_check.model_dump(exclude={"entries"})
        critique |= {"visible_text": text_check.entries, "visible_text_check": how}
    write_json(folder / "critique.json", critique)
    attempt = Attempt(
        number=number,
        story=story,
        layout=state["layout"],
        image=image,
        report=report,
        check=check,
        decision=decision,
        score=score,
        directory=str(folder),
    )
    return {"report": report, "check": check, "decision": decision, "attempts": [attempt], "usage": usage}
