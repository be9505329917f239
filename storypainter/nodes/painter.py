"""Painter: renders the story's layout to an image; on a rerender, emphasises what the
last picture missed and uses a new seed (a new attempt, same story)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.attempts import attempt_seed, open_attempt
from storypainter.errors import PainterRefused
from storypainter.providers.protocols import reports_progress
from storypainter.providers.registry import get_painter
from storypainter.runs import attempt_dir


def painter(state: State, runtime: Runtime[Context]) -> dict:
    context, story = runtime.context, state["story"]
    number, layout, decision = state["attempt"], state["layout"], state.get("decision")
    update: dict = {}
    if decision is not None and decision.action == "rerender":
        number += 1
        layout = open_attempt(state["run_dir"], number, story, context.seed, decision.emphasis)
        update.update(attempt=number, layout=layout)
    backend = get_painter(context.painter, context.painter_options, context)
    path = attempt_dir(state["run_dir"], number) / "image.png"
    runtime.stream_writer({"event": "render", "attempt": number, "painter": context.painter})

    def report(step: int, steps: int) -> None:
        runtime.stream_writer({"event": "render", "attempt": number, "step": f"{step}/{steps}"})

    progress = {"progress": report} if reports_progress(backend) else {}
    try:
        image = backend.paint(story, layout, seed=attempt_seed(context.seed, number), path=path, **progress)
    except PainterRefused as refusal:
        return update | {"image": None, "painter_error": str(refusal)}
    return update | {"image": image, "painter_error": ""}
