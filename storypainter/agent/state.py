"""Graph state: typed values plus reducers for what accumulates over rounds."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from storypainter.schema import (
    AlignmentReport,
    Attempt,
    Decision,
    Example,
    Plan,
    RenderedImage,
    Result,
    Review,
    SceneLayout,
    Story,
    StoryCheck,
)


def add_numbers(left: dict[str, float] | None, right: dict[str, float] | None) -> dict[str, float]:
    """Merge two {name: amount} maps by summing (time per node, token counts)."""
    merged = dict(left or {})
    for key, value in (right or {}).items():
        merged[key] = merged.get(key, 0) + value
    return merged


class InputState(TypedDict, total=False):
    """What a caller passes to ``graph.invoke``: a theme (empty: imagine freely)."""

    theme: str
    run_dir: str


class State(InputState, total=False):
    plan: Plan
    examples: list[Example]
    story: Story
    layout: SceneLayout
    image: RenderedImage
    report: AlignmentReport
    check: StoryCheck
    decision: Decision
    attempt: int
    painter_error: str
    story_review: Review | None
    attempts: Annotated[list[Attempt], operator.add]
    node_seconds: Annotated[dict[str, float], add_numbers]
    tokens: Annotated[dict[str, float], add_numbers]
    usage: Annotated[list[dict], operator.add]  # token use per node and model (ledger.usage_entry), for the ledger
    result: Result


class OutputState(TypedDict, total=False):
    run_dir: str
    result: Result
    attempts: list[Attempt]
    story: Story
    image: RenderedImage
    report: AlignmentReport
    decision: Decision
