"""The example store with the real MiniLM embedder and Chroma on disk."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from storypainter.memory.store import ExampleStore
from storypainter.providers.embeddings import SentenceEmbedder, get_embedder, minilm_directory
from tests.unit.test_cogbench import REAL_FORMAT

pytestmark = pytest.mark.slow
QUERIES = ("a rainy bus stop at night", "a family celebrating a festival", "a child at the doctor")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ExampleStore:
    store = ExampleStore(tmp_path_factory.mktemp("memory"), get_embedder("minilm"))
    assert store.build()["rebuilt"] is True
    return store


def test_minilm_without_sentence_transformers_gives_its_vectors():
    texts = ["a rainy bus stop at dawn", "the boy is afraid of being blamed for the vase", "word " * 400, ""]
    light = get_embedder("minilm").encode(texts)
    reference = SentenceEmbedder(minilm_directory(), "reference").encode(texts)
    assert light.shape == reference.shape == (4, 384)
    assert np.abs(light - reference).max() < 1e-5  # truncation at 256 tokens included (the third text)


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


def test_a_real_format_cogbench_file_is_indexed_and_retrieved(tmp_path):
    """CogBench's real layout (string Image Name, lists elsewhere, 'None' placeholders, 5-clue chains,
    15+ entities, an unknown field) loads whole and MiniLM retrieves each scene by its meaning."""
    source = tmp_path / "cogbench_description.json"
    source.write_text(json.dumps(REAL_FORMAT), encoding="utf-8")
    store = ExampleStore(tmp_path / "memory", get_embedder("minilm"), source=str(source))
    report = store.build()
    assert report["count"] == 3 and report["problems"] == []
    hits = store.query("someone receives a letter from abroad at a snowy village post office", 3)
    assert hits[0].example.id == "0001" and hits[0].similarity > hits[1].similarity
    assert store.search("a family rescues a man overboard in a storm at sea", 1)[0].id == "0002"
    assert store.search("a child's birthday cake in a shop", 1, "mmr")[0].id == "0003"
