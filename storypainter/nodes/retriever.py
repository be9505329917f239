"""Retriever: draws fresh in-context examples for this request from the example memory."""

from __future__ import annotations

from langgraph.runtime import Runtime

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.memory.retrieval import select_examples


def retriever(state: State, runtime: Runtime[Context]) -> dict:
    context, plan = runtime.context, state["plan"]
    if plan.mode == "naive" or context.retrieval == "none" or context.examples_k == 0:
        return {"examples": []}
    return {"examples": select_examples(context, plan, request_key=plan.theme)}
