"""The example store with the real MiniLM embedder and Chroma on disk."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from storypainter.memory.store import ExampleStore
from storypainter.providers.embeddings import get_embedder

pytestmark = pytest.mark.slow
QUERIES = ("a rainy bus stop at night", "a family celebrating a festival", "a child at the doctor")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ExampleStore:
    store = ExampleStore(tmp_path_factory.mktemp("memory"), get_embedder("minilm"))
    assert store.build()["rebuilt"] is True
    return store


def test_rainy_bus_stop_query_ranks_the_rainy_bus_stop_example_first(store):
    hits = store.query("a rainy bus stop at night", 3, "similar")
    assert hits[0].example.id == "sp-010"  # "At a crowded city bus stop in pouring rain, ..."
    assert hits[0].similarity > 0.5
    assert hits[0].similarity >= hits[1].similarity >= hits[2].similarity


def test_mmr_spreads_examples_more_than_similar(store):
    def spread(strategy: str) -> float:
        distances = []
        for query in QUERIES:
            vectors = store.embed([example.description for example in store.search(query, 3, strategy)])
            distances += [1 - vectors[a] @ vectors[b] for a, b in itertools.combinations(range(3), 2)]
        return float(np.mean(distances))

    assert spread("mmr") > spread("similar")


def test_a_second_store_reuses_the_index(store):
    again = ExampleStore(store.memory_dir, get_embedder("minilm"))
    assert again.build()["rebuilt"] is False
