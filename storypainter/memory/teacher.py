"""The teacher corpus: original stories, each with the request it answers, for Mini-Storytellers.

One JSON object per line: ``{"id", "request": {"theme", "mode", "dimensions", "setting"},
"story": Story}``. ``check_record`` holds every story to the corpus' quality bar: the
project's own story rules pass, at least ``MIN_VALID_CORS`` chains count for the semantic
evaluator, 5-9 chains over at least 4 dimensions, every requested dimension covered,
short enough for a 135M student, and no theme kept back for the benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from storypainter.evaluation.rules import check_story
from storypainter.evaluation.semantic import semantic_score
from storypainter.schema import Plan, Story
from storypainter.text import words

TEACHER_DIR = Path(__file__).resolve().parent / "data" / "teacher"
MIN_VALID_CORS, MIN_CORS, MAX_CORS, MIN_DIMENSIONS = 5, 5, 9, 4
MAX_DESCRIPTION_WORDS, MAX_PAINTER_PROMPT_WORDS = 110, 60


def _normal(text: str) -> str:
    return " ".join(words(text))


def check_record(record: dict, heldout_themes: set[str]) -> list[str]:
    """Everything wrong with one corpus record (empty when it meets the bar)."""
    try:
        plan = Plan.model_validate(record["request"])
        story = Story.model_validate(record["story"])
    except (KeyError, TypeError, ValidationError) as error:
        return [f"not a valid record: {str(error).splitlines()[0]}"]
    violations = check_story(story, [], min_cors=MIN_VALID_CORS).violations
    problems = [f"rule {violation.rule}: {violation.detail}" for violation in violations]
    valid = sum(semantic_score(story).per_dimension.values())
    covered = {chain.dimension for chain in story.cors}
    if not MIN_CORS <= len(story.cors) <= MAX_CORS:
        problems.append(f"{len(story.cors)} CoRs (need {MIN_CORS}-{MAX_CORS})")
    if valid < MIN_VALID_CORS:
        problems.append(f"only {valid} valid CoRs: {semantic_score(story).rejected[:2]}")
    if len(covered) < MIN_DIMENSIONS:
        problems.append(f"covers {len(covered)} dimensions (need {MIN_DIMENSIONS})")
    if missing := set(plan.dimensions) - covered:
        problems.append(f"requested dimensions without a CoR: {sorted(missing)}")
    if "event" not in plan.dimensions or plan.mode != "cor":
        problems.append("request must be mode 'cor' and include 'event'")
    if not plan.setting.startswith(plan.theme + ", at "):
        problems.append("setting must read '<theme>, at <moment>'")
    if len(story.description.split()) > MAX_DESCRIPTION_WORDS:
        problems.append(f"description over {MAX_DESCRIPTION_WORDS} words")
    if len(story.painter_prompt.split()) > MAX_PAINTER_PROMPT_WORDS:
        problems.append(f"painter_prompt over {MAX_PAINTER_PROMPT_WORDS} words")
    for item in story.visible_text:
        if _normal(item.text) not in _normal(story.description):
            problems.append(f"visible text {item.text!r} is not quoted in the description")
    if any(theme in _normal(plan.theme) or _normal(plan.theme) in theme for theme in heldout_themes):
        problems.append(f"theme {plan.theme!r} is kept back for the benchmark")
    return problems


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_heldout(path: Path) -> set[str]:
    return {_normal(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
