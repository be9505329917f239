"""Typed values that travel between the graph's nodes.

Every arrow in the graph carries one of these pydantic models, never free text:
``Plan`` -> ``Example`` -> ``Story`` + ``SceneLayout`` -> ``RenderedImage`` ->
``AlignmentReport`` + ``StoryCheck`` -> ``Decision``; an ``Attempt`` bundles one round.

How much a ``Story`` may hold is sized for real human annotations (CogBench chains of
reasoning run to 5 or more clues, an image lists 10-20 entities and has about 9 chains),
with room to spare: up to ``MAX_CORS`` (24) chains of 1 to ``MAX_CLUES`` (8) clues each,
``MAX_CHARACTERS`` (10) characters, ``MAX_OBJECTS`` (20) objects and ``MAX_VISIBLE_TEXTS``
(4) visible texts. A tiny model's constrained decoding keeps its own, much tighter bounds
(``providers/llms/local.py``: ``LIST_BOUNDS``), so its output is as constrained as ever.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["naive", "cor"]

Dimension = Literal[
    "time",
    "location",
    "character_role",
    "character_relationship",
    "event",
    "event_causal",
    "mental_state",
]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
DIMENSION_LABELS: dict[str, str] = {
    "time": "Time",
    "location": "Location",
    "character_role": "Character Role",
    "character_relationship": "Character Relationship",
    "event": "Event",
    "event_causal": "Event Causal Relationship",
    "mental_state": "Mental State",
}

# The alignment protocol's seven key-point categories (paper, alignment evaluator).
Category = Literal[
    "time",
    "location",
    "character",
    "character_relationship",
    "event",
    "event_causal",
    "mental_state",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)
CATEGORY_LABELS: dict[str, str] = {
    "time": "Time",
    "location": "Location",
    "character": "Character",
    "character_relationship": "Character Relationship",
    "event": "Event",
    "event_causal": "Event Causal Relationship",
    "mental_state": "Character Mental State",
}
DIMENSION_TO_CATEGORY: dict[str, Category] = {
    "time": "time",
    "location": "location",
    "character_role": "character",
    "character_relationship": "character_relationship",
    "event": "event",
    "event_causal": "event_causal",
    "mental_state": "mental_state",
}


class Frozen(BaseModel):
    """Base for values: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Plan(Frozen):
    """What the storyteller is asked for: theme, mode, target dimensions, setting."""

    theme: str = ""
    mode: Mode = "cor"
    dimensions: list[Dimension] = Field(default_factory=list)
    setting: str = ""
    avoid: list[str] = Field(default_factory=list, description="recently used themes to steer away from")
    seed: int = 0


class Example(Frozen):
    """One annotated storytelling scene from an example corpus (CogBench format)."""

    id: str
    source: str = "seed"
    description: str
    entities: list[str] = Field(default_factory=list)
    cors: dict[str, list[str]] = Field(default_factory=dict, description="dimension -> 'clue + clue -> conclusion'")
    next_moment: list[str] = Field(default_factory=list)

    def cor_count(self) -> int:
        return sum(len(chain) for chain in self.cors.values())


# Story limits, documented in the module docstring. Class docstrings become the JSON
# schema's descriptions sent to models, so the limits are not restated there.
MAX_CLUES = 8
MAX_CHARACTERS = 10
MAX_OBJECTS = 20
MAX_VISIBLE_TEXTS = 4
MAX_CORS = 24


class ChainOfReasoning(Frozen):
    """Visible clues that together let a viewer infer a conclusion."""

    dimension: Dimension
    clues: list[str] = Field(min_length=1, max_length=MAX_CLUES)
    conclusion: str = Field(min_length=1)

    def __str__(self) -> str:
        return " + ".join(self.clues) + " -> " + self.conclusion


class Character(Frozen):
    name: str = Field(min_length=1, description="short label, e.g. 'old man'")
    role: str = Field(description="role or identity shown by a visible cue, e.g. 'bus driver'")
    appearance: str = Field(description="clothes and props that show the role")
    emotion: str = Field(description="one word: happy, sad, angry, afraid, surprised, worried, calm, ...")
    action: str = Field(description="what the character is doing at this frozen moment")


class VisibleText(Frozen):
    text: str = Field(min_length=1, max_length=60, description="the exact words visible in the picture")
    on: str = Field(description="where the words appear, e.g. 'bus stop sign'")


class Story(Frozen):
    """A single-moment story whose meaning is carried by visible clues."""

    title: str = Field(min_length=1)
    description: str = Field(min_length=1, description="the one frozen moment, present tense, no dialogue")
    location: str = Field(description="the specific place")
    time: str = Field(description="time of day, season or special date")
    characters: list[Character] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    objects: list[str] = Field(default_factory=list, max_length=MAX_OBJECTS)
    visible_text: list[VisibleText] = Field(default_factory=list, max_length=MAX_VISIBLE_TEXTS)
    cors: list[ChainOfReasoning] = Field(default_factory=list, max_length=MAX_CORS)
    painter_prompt: str = Field(description="one paragraph for a text-to-image model")

    def cor_strings(self) -> list[str]:
        return [str(chain) for chain in self.cors]


class Box(Frozen):
    """A rectangle in relative coordinates (0..1), origin top left."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(gt=0, le=1)
    h: float = Field(gt=0, le=1)


EntityKind = Literal["person", "animal", "object", "sign"]


class LayoutEntity(Frozen):
    label: str
    kind: EntityKind
    box: Box
    role: str = ""
    emotion: str = ""
    action: str = ""
    text: str = ""
    emphasis: bool = False


class SceneLayout(Frozen):
    """Where everything sits in the picture; painters draw it, judges check against it."""

    background: str = Field(description="the location as a phrase")
    indoor: bool = False
    time_of_day: Literal["dawn", "day", "dusk", "night"] = "day"
    weather: Literal["clear", "rain", "snow", "fog"] = "clear"
    time_label: str = ""
    title: str = ""
    entities: list[LayoutEntity] = Field(default_factory=list)


class DrawnItem(Frozen):
    """One thing a painter reports having drawn, and where."""

    label: str
    kind: str
    box: Box
    details: str = ""


class RenderedImage(Frozen):
    path: str
    backend: str
    seed: int
    prompt: str
    width: int
    height: int
    manifest: list[DrawnItem] = Field(default_factory=list, description="what was drawn where, when known")
    seconds: float = 0.0


class KeyPoint(Frozen):
    """One complete sentence naming its subject, with the visible clue that shows it."""

    category: Category
    text: str
    clue: str = ""


Answer = Literal["yes", "no", "abstain"]


class Verdict(Frozen):
    key_point: KeyPoint
    answer: Answer
    judge: str
    level: Literal["layout", "ocr", "vlm", "pixel"] = "pixel"
    evidence: str = ""


class AlignmentReport(Frozen):
    """Share of key points the judge saw, per category and overall (abstentions excluded)."""

    verdicts: list[Verdict] = Field(default_factory=list)
    per_category: dict[str, float | None] = Field(default_factory=dict)
    overall: float | None = None
    abstentions: int = 0
    judge: str = ""
    level: Literal["layout", "ocr", "vlm", "pixel"] = "pixel"

    def missed(self) -> list[KeyPoint]:
        return [verdict.key_point for verdict in self.verdicts if verdict.answer == "no"]


class RuleViolation(Frozen):
    rule: Literal[
        "single_moment", "no_dialogue", "enough_cors", "not_copied", "painter_refused", "offensive",
        "incoherent_chain", "off_theme",
    ]
    detail: str


class ChainMark(Frozen):
    """The coherence judge's mark for one chain: does its conclusion follow from its clues?"""

    chain: str = Field(description="'clue + clue -> conclusion'")
    dimension: Dimension
    coherence: float = Field(ge=0, le=1, description="probability that the conclusion follows from the clues")
    coherent: bool
    reason: str = ""


class StoryCheck(Frozen):
    violations: list[RuleViolation] = Field(default_factory=list)
    semantic_score: float = 0.0
    copy_overlap: float = 0.0
    chains: list[ChainMark] = Field(default_factory=list, description="coherence per chain, in story order")
    coherence_judge: str = ""

    @property
    def passed(self) -> bool:
        return not self.violations


Action = Literal["accept", "revise_story", "rerender", "stop"]


class Decision(Frozen):
    action: Action
    reasons: list[str] = Field(default_factory=list)
    feedback: str = Field(default="", description="concrete instructions for the storyteller")
    emphasis: list[str] = Field(default_factory=list, description="key points the painter must show")


class Review(Frozen):
    """A person's answer at a review pause (``--review``)."""

    stage: Literal["story", "decision"]
    action: Literal["approve", "edit", "reject", "keep", "accept", "revise_story", "rerender", "stop"]
    feedback: str = ""


class Attempt(Frozen):
    """One story + picture + critique, as written to attempts/NN/."""

    number: int
    story: Story
    layout: SceneLayout
    image: RenderedImage | None = None
    report: AlignmentReport | None = None
    check: StoryCheck | None = None
    decision: Decision | None = None
    score: float = 0.0
    directory: str = ""


class Result(Frozen):
    """The pick of a run and why."""

    best_attempt: int
    score: float
    decision_path: list[Action]
    why: str
    image_path: str
    story_path: str
    run_dir: str
