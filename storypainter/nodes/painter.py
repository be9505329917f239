"""Painter: renders the story's layout to an image; on a rerender, emphasises what the
last picture missed and uses a new seed (a new attempt, same story)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.errors import PainterRefused
from storypainter.layout import compose_layout
from storypainter.providers.protocols import reports_progress
from storypainter.providers.registry import get_painter
from storypainter.runs import attempt_dir, write_json

SEED_STRIDE = 7919  # a prime, so attempt seeds never collide across nearby run seeds


def image_seed(run_seed: int, attempt: int) -> int:
    return run_seed * SEED_STRIDE + attempt


def painter(state: State, runtime: Runtime[Context]) -> dict:
    context, story = runtime.context, state["story"]
    number, layout, decision = state["attempt"], state["layout"], state.get("decision")
    update: dict = {}
    if decision is not None and decision.action == "rerender":
        number += 1
        layout = compose_layout(story, emphasis=decision.emphasis, seed=image_seed(context.seed, number))
        write_json(attempt_dir(state["run_dir"], number) / "story.json", story)
        write_json(attempt_dir(state["run_dir"], number) / "layout.json", layout)
        update.update(attempt=number, layout=layout)
    backend = get_painter(context.painter, context.painter_options, context)
    path = attempt_dir(state["run_dir"], number) / "image.png"
    runtime.stream_writer({"event": "render", "attempt": number, "painter": context.painter})

    def report(step: int, steps: int) -> None:
        runtime.stream_writer({"event": "render", "attempt": number, "step": f"{step}/{steps}"})

    progress = {"progress": report} if reports_progress(backend) else {}
    try:
        image = backend.paint(story, layout, seed=image_seed(context.seed, number), path=path, **progress)
    except PainterRefused as refusal:
        return update | {"image": None, "painter_error": str(refusal)}
    return update | {"image": image, "painter_error": ""}
