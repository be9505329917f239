"""The StorytellingPainter graph: wiring, timing and routing (small pure functions).

planner -> retriever -> storyteller -> [review_story] -> painter -> critic -> [review_decision] --accept/stop--> finish
                             ^            |  (reject)                              |  |
                             '------------'------------- revise_story -------------'  '-- rerender --> painter

The review nodes (which interrupt for a person) are visited only when ``review`` is on;
otherwise the routes skip them, which saves two graph steps and their checkpoints per round.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy

from storypainter.agent.context import MAX_ROUNDS, Context
from storypainter.agent.state import InputState, OutputState, State
from storypainter.errors import describe_fault
from storypainter.nodes.critic import critic
from storypainter.nodes.finish import finish
from storypainter.nodes.painter import painter
from storypainter.nodes.planner import planner
from storypainter.nodes.retriever import retriever
from storypainter.nodes.review import review_decision, review_story
from storypainter.nodes.storyteller import storyteller
from storypainter.runs import mark_status
from storypainter.schema import Decision

NODES: dict[str, Callable[..., dict]] = {
    "planner": planner,
    "retriever": retriever,
    "storyteller": storyteller,
    "review_story": review_story,
    "painter": painter,
    "critic": critic,
    "review_decision": review_decision,
    "finish": finish,
}
TIMED_NODES = ("planner", "retriever", "storyteller", "painter", "critic", "finish")
ROUTES = {"accept": "finish", "stop": "finish", "revise_story": "storyteller", "rerender": "painter"}
TRANSIENT_ERRORS = (ConnectionError, TimeoutError)
RETRIED_NODES = ("storyteller", "painter")


def route_after_story_review(state: dict[str, Any]) -> str:
    """A story the reviewer rejected goes back to the storyteller; otherwise paint it."""
    review = state.get("story_review")
    return "storyteller" if review is not None and review.action == "reject" else "painter"


def route_after_critic(state: dict[str, Any]) -> str:
    """Where the (possibly reviewed) decision sends the run next."""
    decision: Decision = state["decision"]
    return ROUTES[decision.action]


def route_after_storyteller(state: dict[str, Any], runtime: Runtime[Context]) -> str:
    return "review_story" if with_defaults(runtime).context.review else "painter"


def route_after_critic_step(state: dict[str, Any], runtime: Runtime[Context]) -> str:
    return "review_decision" if with_defaults(runtime).context.review else route_after_critic(state)


def recursion_limit(max_rounds: int) -> int:
    """Enough graph steps for every round, with room to spare (set explicitly, never defaulted)."""
    return 12 + 6 * max_rounds


def with_defaults(runtime: Runtime[Context]) -> Runtime[Context]:
    """``graph.invoke`` without ``context=`` runs on Context's defaults, as Studio and the CLI do."""
    return runtime if runtime.context is not None else runtime.override(context=Context())


def untimed(node: Callable[..., dict]) -> Callable[..., dict]:
    def run(state: State, runtime) -> dict:
        return node(state, with_defaults(runtime))

    run.__name__, run.__doc__ = node.__name__, node.__doc__
    return run


def timed(name: str, node: Callable[..., dict]) -> Callable[..., dict]:
    """Wrap a node so its wall time is added to ``node_seconds`` (a summing reducer).

    Review nodes are not wrapped: an interrupt re-runs its node, and waiting for a
    person is not compute time.
    """

    def run(state: State, runtime) -> dict:
        started = time.perf_counter()
        update = node(state, with_defaults(runtime))
        return update | {"node_seconds": {name: time.perf_counter() - started}}

    run.__name__ = name
    run.__doc__ = node.__doc__
    return run


def marking_failures(name: str, node: Callable[..., dict]) -> Callable[..., dict]:
    """Wrap a node so that its failure marks the run's manifest ``failed`` with the one-line reason.

    The runner does the same for the runs it owns; this covers runs that a LangGraph server
    starts (Studio, the web page), whose errors reach a client only as "An internal error
    occurred". A review pause (an interrupt) is not a failure, nor is an error the node's
    retry policy will try again.
    """

    def run(state: State, runtime) -> dict:
        try:
            return node(state, runtime)
        except GraphBubbleUp:
            raise
        except Exception as error:
            retried = name in RETRIED_NODES and isinstance(error, TRANSIENT_ERRORS)
            if state.get("run_dir") and not retried:
                with suppress(OSError):  # a run directory that is gone must not hide the node's own error
                    mark_status(state["run_dir"], "failed", str(describe_fault(error)))
            raise

    run.__name__, run.__doc__ = node.__name__, node.__doc__
    return run


def build_graph(checkpointer: Any = None):
    """Compile the graph. ``graph.invoke({"theme": ...}, context=Context(...))``.

    Pass a checkpointer (see storypainter.agent.checkpoints) for durable, resumable runs
    and for review pauses.
    """
    builder = StateGraph(State, context_schema=Context, input_schema=InputState, output_schema=OutputState)
    retry = RetryPolicy(max_attempts=3, retry_on=TRANSIENT_ERRORS)
    for name, node in NODES.items():
        wrapped = marking_failures(name, timed(name, node) if name in TIMED_NODES else untimed(node))
        builder.add_node(name, wrapped, retry_policy=retry if name in RETRIED_NODES else None)
    builder.add_edge(START, "planner")
    builder.add_edge("planner", "retriever")
    builder.add_edge("retriever", "storyteller")
    builder.add_conditional_edges("storyteller", route_after_storyteller, ["review_story", "painter"])
    builder.add_conditional_edges("review_story", route_after_story_review, ["storyteller", "painter"])
    builder.add_edge("painter", "critic")
    builder.add_conditional_edges(
        "critic", route_after_critic_step, ["review_decision", "finish", "storyteller", "painter"]
    )
    builder.add_conditional_edges("review_decision", route_after_critic, ["finish", "storyteller", "painter"])
    builder.add_edge("finish", END)
    compiled = builder.compile(checkpointer=checkpointer, name="storypainter")
    return compiled.with_config(recursion_limit=recursion_limit(MAX_ROUNDS))  # enough for any budget



def run_config(context: Context | None = None, thread_id: str | None = None) -> dict[str, Any]:
    """The invoke/stream config for a run: explicit recursion limit, optional thread."""
    config: dict[str, Any] = {"recursion_limit": recursion_limit((context or Context()).max_rounds)}
    if thread_id:
        config["configurable"] = {"thread_id": thread_id}
    return config


graph = build_graph()
