"""Dynamic in-context learning: which examples the storyteller sees for a request.

Strategies: ``random`` (the paper's: k fresh examples per request, reproducible with a
seed; drawn from the corpus file without Chroma), ``similar`` (nearest to the plan's
setting) and ``mmr`` (maximal marginal relevance, langchain_core's: relevant to the setting
yet mutually diverse). ``similar`` and ``mmr`` go through the Chroma example store
(``memory/store.py``), which may also lend one slot to a remembered story.
"""

from __future__ import annotations

import random
from functools import cache
from typing import TYPE_CHECKING

from storypainter.memory.corpus import load_corpus
from storypainter.schema import Example, Plan

if TYPE_CHECKING:
    from storypainter.agent.context import Context

@cache
def corpus_examples(source: str) -> tuple[Example, ...]:
    return tuple(load_corpus(source).examples)


def query_text(plan: Plan) -> str:
    """What the examples should resemble: the planned setting (it holds the theme), else the theme."""
    return plan.setting or plan.theme


def pick_random(pool: list[Example], k: int, seed: str) -> list[Example]:
    return random.Random(seed).sample(pool, min(k, len(pool)))


def select_examples(context: Context, plan: Plan, request_key: str) -> list[Example]:
    """The examples for one request under the configured strategy."""
    if context.retrieval == "random":
        pool = list(corpus_examples(context.examples_source))
        return pick_random(pool, context.examples_k, f"{context.seed}|{request_key}|{plan.setting}")
    from storypainter.memory.store import example_store

    return example_store(context).search(query_text(plan), context.examples_k, strategy=context.retrieval)
