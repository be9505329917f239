"""What providers can do, as small Protocols: the graph asks these, never class names.

A capability is a class attribute the provider declares; ``isinstance`` against these
runtime-checkable Protocols tells whether it is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from storypainter.schema import KeyPoint, RenderedImage, SceneLayout, Story, Verdict

StructuredStyle = Literal["grammar", "json_schema", "json_object", "prompt"]
PromptStyle = Literal["full", "compact"]


@runtime_checkable
class Painter(Protocol):
    """Renders a story's layout to ``path``; raises ``errors.PainterRefused`` for a refusal."""

    def paint(self, story: Story, layout: SceneLayout, seed: int, path: Path, **options: Any) -> RenderedImage: ...


@runtime_checkable
class ReportsProgress(Protocol):
    """A painter that takes ``progress(step, steps)`` and calls it while it renders."""

    reports_progress: bool


@runtime_checkable
class Judge(Protocol):
    """Answers yes / no / abstain for each key point against a picture."""

    name: str
    level: str

    def judge(
        self, key_points: list[KeyPoint], image: RenderedImage | None, layout: SceneLayout, story: Story
    ) -> list[Verdict]: ...


@runtime_checkable
class TakesSeed(Protocol):
    """A chat model whose ``invoke`` takes ``seed=`` for reproducible sampling."""

    accepts_seed: bool


@runtime_checkable
class Structured(Protocol):
    """A chat model that says how it constrains output to a JSON schema (see ``llms/structured``)."""

    structured_style: StructuredStyle


@runtime_checkable
class TrainedPrompt(Protocol):
    """A chat model trained on one prompt format (a distilled student: ``compact``)."""

    prompt_style: PromptStyle


def prompt_style(model: Any) -> PromptStyle:
    return model.prompt_style if isinstance(model, TrainedPrompt) else "full"


def structured_style(model: Any) -> StructuredStyle:
    """The model's declared style; a model that declares none is asked by prompt and validated."""
    return model.structured_style if isinstance(model, Structured) else "prompt"


def takes_seed(model: Any) -> bool:
    return isinstance(model, TakesSeed) and model.accepts_seed


def reports_progress(painter: Any) -> bool:
    return isinstance(painter, ReportsProgress) and painter.reports_progress
