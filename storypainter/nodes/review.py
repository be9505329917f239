"""Human review (``review: true``): pauses after the storyteller and after the critic
through LangGraph interrupts, in the CLI and in Studio alike.

Resume values: after the story, ``{"action": "approve"}``, ``{"action": "edit",
"story": {...}}`` or ``{"action": "reject", "feedback": "..."}``; after the critic,
``{"action": "keep"}`` (the critic's decision) or one of accept / revise_story /
rerender / stop. An invalid answer (an edited story that fails validation, an unknown
action) pauses again with the problem in ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.attempts import open_attempt
from storypainter.errors import ConfigError
from storypainter.runs import attempt_dir, write_json
from storypainter.schema import Decision, Review, Story

DECISION_ACTIONS = ("accept", "revise_story", "rerender", "stop")
STORY_ACTIONS = ("approve", "edit", "reject")


def parse_review(stage: str, answer: Any) -> Review:
    if isinstance(answer, str):
        answer = {"action": answer}
    try:
        return Review(stage=stage, action=answer.get("action", ""), feedback=answer.get("feedback", ""))
    except (ValidationError, AttributeError):
        raise ConfigError(f"review: unknown answer {answer!r} at the {stage} pause") from None


def edited_story(answer: Any) -> Story:
    try:
        return Story.model_validate(answer.get("story") if isinstance(answer, dict) else None)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"review: the edited story is invalid: {where}: {first['msg']}") from None


def ask_until_valid(payload: dict, parse: Callable[[Any], Any]) -> Any:
    """Interrupt until the answer parses; each retry shows the previous answer's problem."""
    while True:
        answer = interrupt(payload)
        try:
            return parse(answer)
        except ConfigError as error:
            payload = payload | {"error": str(error)}


def story_answer(answer: Any) -> tuple[Review, Story | None]:
    review = parse_review("story", answer)
    if review.action not in STORY_ACTIONS:
        raise ConfigError(f"review: '{review.action}' is not a story answer (use {', '.join(STORY_ACTIONS)})")
    return review, edited_story(answer) if review.action == "edit" else None


def decision_answer(answer: Any) -> Review:
    review = parse_review("decision", answer)
    if review.action not in ("keep", *DECISION_ACTIONS):
        raise ConfigError(f"review: '{review.action}' is not a decision (use keep, {', '.join(DECISION_ACTIONS)})")
    return review


def review_story(state: State, runtime: Runtime[Context]) -> dict:
    story, number = state["story"], state["attempt"]
    payload = {"stage": "story", "attempt": number, "story": story.model_dump(mode="json")}
    review, edited = ask_until_valid(payload, story_answer)
    folder = attempt_dir(state["run_dir"], number)
    write_json(folder / "review_story.json", review)
    if edited is not None:
        story = edited
        layout = open_attempt(state["run_dir"], number, story, runtime.context.seed)
        return {"story_review": review, "story": story, "layout": layout}
    if review.action == "reject":
        feedback = review.feedback or "the reviewer rejected this story: write a different one"
        decision = Decision(action="revise_story", reasons=["rejected by the reviewer"], feedback=f"- {feedback}")
        return {"story_review": review, "decision": decision}
    return {"story_review": review}


def review_decision(state: State, runtime: Runtime[Context]) -> dict:
    decision, number = state["decision"], state["attempt"]
    payload = {"stage": "decision", "attempt": number, "decision": decision.model_dump(mode="json"),
               "report": state["report"].model_dump(mode="json") if state.get("report") else None}
    review = ask_until_valid(payload, decision_answer)
    write_json(attempt_dir(state["run_dir"], number) / "review_decision.json", review)
    if review.action == "keep":
        return {}
    reasons = [f"overridden by the reviewer ({decision.action} -> {review.action})"]
    feedback = f"- {review.feedback}" if review.feedback else decision.feedback
    return {"decision": decision.model_copy(update={"action": review.action, "reasons": reasons,
                                                     "feedback": feedback})}
