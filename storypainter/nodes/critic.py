"""Critic: checks the picture against the story and the story against the rules, then decides.

Key points come from the story itself (``key_points: story``) or from an LLM following
the paper's protocol (``key_points: llm``); the configured judge gives a verdict on each.
The attempt's score (used to pick the best attempt when the budget runs out) is::

    score = 0.6 * alignment + 0.4 * semantic / 100 - 0.15 * rule violations   (floored at 0)
"""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.evaluation.alignment import key_points_from_story, score_alignment
from storypainter.evaluation.rules import check_story
from storypainter.ledger import judge_model, metered
from storypainter.prompts import render
from storypainter.providers.llms.structured import invoke_structured
from storypainter.providers.registry import get_judge, get_llm
from storypainter.runs import attempt_dir, write_json
from storypainter.schema import AlignmentReport, Attempt, Decision, KeyPoint, RuleViolation, Story, StoryCheck

ALIGNMENT_WEIGHT, SEMANTIC_WEIGHT, VIOLATION_PENALTY = 0.6, 0.4, 0.15
MAX_EMPHASIS = 6


class KeyPointList(BaseModel):
    key_points: list[KeyPoint] = Field(max_length=21)


def attempt_score(check: StoryCheck, report: AlignmentReport) -> float:
    alignment = report.overall or 0.0
    raw = ALIGNMENT_WEIGHT * alignment + SEMANTIC_WEIGHT * check.semantic_score / 100
    return round(max(0.0, raw - VIOLATION_PENALTY * len(check.violations)), 4)


def decide(check: StoryCheck, report: AlignmentReport, attempt: int, context: Context) -> Decision:
    """accept / revise_story / rerender, or stop when the round budget is spent."""
    if not context.critic_loop:
        return Decision(action="accept", reasons=["single-pass mode: the critic scores but does not loop"])
    if check.violations:
        action, reasons = "revise_story", [f"{v.rule}: {v.detail}" for v in check.violations]
        feedback, emphasis = "\n".join(f"- {v.detail}" for v in check.violations), []
    elif report.overall is not None and report.overall < context.alignment_threshold:
        missed = report.missed()
        action = "rerender"
        reasons = [
            f"alignment {report.overall:.2f} < {context.alignment_threshold:.2f}: {len(missed)} key points missed"
        ]
        feedback, emphasis = "", [point.text for point in missed][:MAX_EMPHASIS]
    else:
        shown = "n/a" if report.overall is None else f"{report.overall:.2f}"
        return Decision(action="accept", reasons=[f"story rules pass; alignment {shown} meets the threshold"])
    if attempt >= context.max_rounds:
        return Decision(action="stop", reasons=[*reasons, f"round budget spent ({attempt} of {context.max_rounds})"])
    return Decision(action=action, reasons=reasons, feedback=feedback, emphasis=emphasis)


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


def refused_check(error: str) -> StoryCheck:
    return StoryCheck(violations=[RuleViolation(rule="painter_refused", detail=f"the painter refused: {error}")])


def critic(state: State, runtime: Runtime[Context]) -> dict:
    context, story, number = runtime.context, state["story"], state["attempt"]
    image = state.get("image")
    usage: list[dict] = []
    if state.get("painter_error"):
        check, report = refused_check(state["painter_error"]), AlignmentReport()
    else:
        with metered("critic", context.llm, usage):
            key_points = extract_key_points(story, context)
        judge = get_judge(context.judge, context)
        with metered("critic", judge_model(context.judge), usage):
            verdicts = judge.judge(key_points, image=image, layout=state["layout"], story=story)
        report = score_alignment(verdicts, judge=judge.name, level=judge.level)
        check = check_story(story, state.get("examples", []), context.min_cors, context.copy_threshold)
    score = attempt_score(check, report)
    decision = decide(check, report, number, context)
    folder = attempt_dir(state["run_dir"], number)
    write_json(folder / "critique.json", {"score": score, "decision": decision, "check": check, "report": report})
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
