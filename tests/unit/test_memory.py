"""Example memory: corpus loaders, retrieval strategies, the Chroma store, self-memory, copy guard."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from storypainter.agent.context import Context
from storypainter.cli import main
from storypainter.errors import ConfigError
from storypainter.evaluation.rules import check_story
from storypainter.memory.corpus import SEED_CORPUS, load_cogbench, load_seed_corpus, load_story_jsonl
from storypainter.memory.retrieval import select_examples
from storypainter.memory.self_memory import recent_settings, remember
from storypainter.memory.store import ExampleStore, example_store
from storypainter.nodes.planner import make_plan
from storypainter.providers.embeddings import HashingEmbedder
from storypainter.schema import Plan, Story
from tests import extras
from tests.fakes import story_json


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def pick_similar(query: np.ndarray, vectors: np.ndarray, k: int) -> list[int]:
    """Reference: the k rows most cosine-similar to ``query``."""
    similarity = unit_rows(vectors) @ (query / max(np.linalg.norm(query), 1e-12))
    return [int(index) for index in np.argsort(-similarity, kind="stable")[:k]]


def pick_mmr(query: np.ndarray, vectors: np.ndarray, k: int, weight: float = 0.5) -> list[int]:
    """Reference greedy MMR: argmax of weight * relevance - (1 - weight) * max similarity to the chosen."""
    unit = unit_rows(vectors)
    relevance = unit @ (query / max(np.linalg.norm(query), 1e-12))
    chosen: list[int] = []
    for _ in range(min(k, len(unit))):
        redundancy = (unit @ unit[chosen].T).max(axis=1) if chosen else np.zeros(len(unit))
        score = weight * relevance - (1 - weight) * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return chosen


SEED_RECORDS = json.loads(SEED_CORPUS.read_text(encoding="utf-8"))
QUERIES = (
    "a rainy bus stop at night",
    "a birthday party in a living room",
    "a crowded market at a festival",
    "a hospital waiting room",
    "children playing in the snow",
    "an exam in a school classroom",
)


class CountingEmbedder:
    """Wraps an embedder and counts the texts it was asked to embed."""

    def __init__(self, inner: HashingEmbedder):
        self.inner, self.name, self.dimension, self.texts = inner, inner.name, inner.dimension, 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts)


@pytest.fixture
def store(tmp_path) -> ExampleStore:
    return ExampleStore(tmp_path / "memory", HashingEmbedder())


def record(number: int) -> dict:
    return json.loads(json.dumps(SEED_RECORDS[f"sp-{number:03d}"]))


def write_corpus(path: Path, records: dict) -> str:
    path.write_text(json.dumps(records), encoding="utf-8")
    return str(path)


def make_story(**changes) -> Story:
    return Story.model_validate_json(story_json(**changes))


def mean_pairwise_distance(vectors: np.ndarray) -> float:
    return float(np.mean([1 - vectors[a] @ vectors[b] for a, b in itertools.combinations(range(len(vectors)), 2)]))


# Loaders


def test_seed_corpus_loads_whole():
    corpus = load_seed_corpus()
    assert corpus.problems == []
    assert len(corpus.examples) == len(SEED_RECORDS) >= 100


def test_cogbench_loader_reports_malformed_records_and_keeps_good_ones(tmp_path):
    no_entities = record(2)
    del no_entities["Entities"]
    wrong_type = record(3) | {"Event Reasoning": 42}
    no_arrow = record(4) | {"Mental State Reasoning": ["the nurse is tired"]}
    records = {"good-1": record(1), "no-entities": no_entities, "wrong": wrong_type, "arrow": no_arrow,
               "good-5": record(5)}

    corpus = load_cogbench(write_corpus(tmp_path / "mine.json", records))

    assert [example.id for example in corpus.examples] == ["good-1", "no-entities", "good-5"]
    assert corpus.examples[1].entities == []
    assert corpus.problems == [
        "wrong: field 'Event Reasoning' must be a string or a list of strings, got int",
        "arrow: field 'Mental State Reasoning': CoR without '->': 'the nurse is tired'",
    ]
    assert corpus.examples[0].source == "mine"


def test_cogbench_loader_rejects_unreadable_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_cogbench(broken)
    with pytest.raises(ConfigError, match="expected a JSON object keyed by image id or a list"):
        load_cogbench(write_corpus(tmp_path / "number.json", 7))  # type: ignore[arg-type]
    listed = load_cogbench(write_corpus(tmp_path / "list.json", [1, 2]))  # type: ignore[arg-type]
    assert listed.examples == [] and listed.problems == ["#1: expected an object, got int",
                                                         "#2: expected an object, got int"]
    with pytest.raises(ConfigError, match="not found"):
        load_cogbench(tmp_path / "absent.json")


def test_jsonl_loader_keeps_valid_stories_and_reports_bad_lines(tmp_path):
    path = tmp_path / "stories.jsonl"
    good = json.dumps({"story": json.loads(story_json())})
    path.write_text(f"{good}\nnot json\n{json.dumps({'story': {'title': 'x'}})}\n", encoding="utf-8")
    corpus = load_story_jsonl(path)
    assert [example.id for example in corpus.examples] == ["stories:1"]
    assert [problem.split(":")[:2] for problem in corpus.problems] == [["stories", "2"], ["stories", "3"]]


# Strategies


def test_random_strategy_is_reproducible_per_seed_and_varies_across_seeds():
    plan = Plan(theme="a kite festival", setting="a kite festival, at dusk")

    def draw(seed: int) -> list[str]:
        return [e.id for e in select_examples(Context(retrieval="random", seed=seed), plan, "a kite festival")]

    assert draw(1) == draw(1)
    assert len(set(draw(1))) == Context().examples_k
    assert len({tuple(draw(seed)) for seed in range(6)}) >= 5


@extras.chroma
def test_similar_returns_the_nearest_example(store):
    examples = load_seed_corpus().examples
    target = examples[9]
    hits = store.query(target.description, 3, "similar")
    assert hits[0].example == target
    assert hits[0].similarity == pytest.approx(1.0, abs=1e-4)

    vectors = HashingEmbedder().encode([example.description for example in examples])
    query = HashingEmbedder().encode([QUERIES[0]])[0]
    expected = [examples[index].id for index in pick_similar(query, vectors, 3)]
    assert [example.id for example in store.search(QUERIES[0], 3, "similar")] == expected


@extras.chroma
def test_mmr_picks_relevant_distinct_examples_like_numpy_mmr(store):
    examples = load_seed_corpus().examples
    embedder = HashingEmbedder()
    vectors = embedder.encode([example.description for example in examples])
    query = embedder.encode([QUERIES[1]])[0]
    pool = pick_similar(query, vectors, 20)
    expected = [examples[pool[index]].id for index in pick_mmr(query, vectors[pool], 3)]

    found = store.search(QUERIES[1], 3, "mmr")

    assert [example.id for example in found] == expected
    assert found[0].id == examples[pool[0]].id  # the first MMR pick is the most relevant
    assert len({example.id for example in found}) == 3


@extras.chroma
def test_mmr_sets_are_more_diverse_than_similar_sets(store):
    embedder = HashingEmbedder()
    spread = {}
    for strategy in ("similar", "mmr"):
        distances = []
        for query in QUERIES:
            found = store.search(query, 3, strategy)
            distances.append(mean_pairwise_distance(embedder.encode([example.description for example in found])))
        spread[strategy] = float(np.mean(distances))
    assert spread["mmr"] > spread["similar"]


@extras.chroma
def test_select_examples_uses_the_store_for_similar_and_mmr(tmp_path):
    context = Context(retrieval="mmr", embeddings="hash", memory_dir=str(tmp_path), examples_k=2)
    plan = Plan(theme="", setting="a rainy bus stop, at a stormy night")
    found = select_examples(context, plan, "")
    assert len(found) == 2
    assert example_store(context) is example_store(Context(retrieval="similar", embeddings="hash",
                                                           memory_dir=str(tmp_path)))


def test_query_rejects_empty_text_and_unknown_strategy(store):
    with pytest.raises(ConfigError, match="empty"):
        store.query("  ", 3)
    with pytest.raises(ConfigError, match="unknown retrieval strategy"):
        store.query("a bus stop", 3, "nearest")  # type: ignore[arg-type]


# The store


@extras.chroma
def test_store_reuses_an_unchanged_index_without_embedding(tmp_path):
    first = ExampleStore(tmp_path, CountingEmbedder(HashingEmbedder()))
    assert first.build()["rebuilt"] is True
    assert first.embedder.texts == len(SEED_RECORDS)

    again = ExampleStore(tmp_path, CountingEmbedder(HashingEmbedder()))
    report = again.build()
    assert report["rebuilt"] is False
    assert again.embedder.texts == 0
    assert report["count"] == len(SEED_RECORDS)


@extras.chroma
def test_store_rebuilds_when_the_embedder_changes(tmp_path):
    ExampleStore(tmp_path, HashingEmbedder(384)).build()
    smaller = ExampleStore(tmp_path, CountingEmbedder(HashingEmbedder(128)))
    report = smaller.build()
    assert report["rebuilt"] is True and smaller.embedder.texts == len(SEED_RECORDS)
    collection = smaller.corpus()
    assert collection.metadata["dimension"] == 128
    assert len(collection.get(limit=1, include=["embeddings"])["embeddings"][0]) == 128


@extras.chroma
def test_store_rebuilds_when_the_corpus_changes_or_a_build_was_interrupted(tmp_path):
    source = write_corpus(tmp_path / "mine.json", {"a": record(1), "b": record(2)})
    store = ExampleStore(tmp_path / "memory", HashingEmbedder(), source=source)
    assert store.build()["rebuilt"] is True
    write_corpus(tmp_path / "mine.json", {"a": record(1), "b": record(2) | {"Description": ["A new scene."]}})
    assert store.build()["rebuilt"] is True
    assert store.build()["rebuilt"] is False

    collection = store.corpus()
    collection.modify(metadata={**collection.metadata, "fingerprint": "building"})
    assert store.build()["rebuilt"] is True


@extras.chroma
def test_store_keeps_examples_exactly_and_names_collections_per_source_and_embedder(tmp_path):
    source = write_corpus(tmp_path / "My Corpus!.json", {"a": record(7)})
    store = ExampleStore(tmp_path / "memory", HashingEmbedder(), source=source)
    original = load_cogbench(source).examples[0]
    assert store.search(original.description, 1) == [original]
    name = store.corpus_name()
    assert name.startswith("corpus-my-corpus-") and name.endswith("-hash")
    assert ExampleStore(tmp_path / "memory", HashingEmbedder()).corpus_name() == "corpus-seed-hash"


@extras.chroma
def test_build_reports_problems_and_fails_on_a_corpus_without_good_records(tmp_path):
    bad = {name: ["None"] for name in record(2)} | {"Image Name": "bad.jpg"}
    source = write_corpus(tmp_path / "mine.json", {"ok": record(1), "bad": bad})
    report = ExampleStore(tmp_path / "memory", HashingEmbedder(), source=source).build()
    empty = "bad: field 'Description' is empty and no chain of reasoning is given"
    assert report["count"] == 1 and report["problems"] == [empty]
    only_bad = write_corpus(tmp_path / "bad.json", {"bad": bad})
    with pytest.raises(ConfigError, match="no usable examples"):
        ExampleStore(tmp_path / "memory", HashingEmbedder(), source=only_bad).build()


@extras.chroma
def test_info_lists_collections_counts_and_paths(store):
    store.build()
    info = store.info()
    assert info["embedder"] == "hash" and info["path"].endswith("chroma")
    assert {item["name"]: item["count"] for item in info["collections"]} == {
        "corpus-seed-hash": len(SEED_RECORDS),
        "generated-memory-hash": 0,
    }


# Self-memory


@extras.chroma
def test_generated_collection_follows_self_memory_and_lends_one_slot(tmp_path):
    context = Context(memory_dir=str(tmp_path), embeddings="hash", remember_threshold=0.6)
    story = make_story()
    assert remember(context, story, 0.9, str(tmp_path / "run")) is True
    assert remember(context, make_story(title="Low"), 0.1, str(tmp_path / "run")) is False
    store = ExampleStore(tmp_path, HashingEmbedder(), generated_threshold=0.6)

    found = store.search(story.description, 3, "similar")
    assert [example.source for example in found] == ["seed", "seed", "generated"]
    assert found[-1].description == story.description
    assert [example.source for example in store.search(story.description, 1, "similar")] == ["seed"]

    (tmp_path / "generated.jsonl").write_text("")
    assert store.sync_generated().count() == 0
    assert all(example.source == "seed" for example in store.search(story.description, 3, "similar"))


@extras.chroma
def test_generated_story_below_the_threshold_is_not_lent(tmp_path):
    story = make_story()
    line = json.dumps({"story": story.model_dump(mode="json"), "score": 0.3})
    (tmp_path / "generated.jsonl").write_text(line + "\nnot json\n")
    store = ExampleStore(tmp_path, HashingEmbedder(), generated_threshold=0.6)
    assert store.sync_generated().count() == 1
    assert all(example.source == "seed" for example in store.search(story.description, 3, "similar"))


def remember_run(context: Context, tmp_path: Path, name: str, setting: str, **story_changes) -> None:
    run_dir = tmp_path / "runs" / name
    run_dir.mkdir(parents=True)
    (run_dir / "request.json").write_text(json.dumps({"theme": "", "plan": {"setting": setting}}))
    assert remember(context, make_story(**story_changes), 0.9, str(run_dir))


def test_planner_avoids_settings_already_in_self_memory(tmp_path):
    context = Context(memory_dir=str(tmp_path / "memory"), remember_threshold=0.6)
    fresh = [make_plan("", Context(seed=seed), []).setting for seed in range(40)]
    assert any("a laundromat" in setting for setting in fresh) and any("dusk" in setting for setting in fresh)

    remember_run(context, tmp_path, "one", "a laundromat, at dusk", location="a busy coin laundry", time="evening")
    remember_run(context, tmp_path, "two", "", location="a night market", time="Diwali night")
    recent = recent_settings(context)

    assert recent == ["a night market, Diwali night", "a busy coin laundry, evening (planned: a laundromat, at dusk)"]
    for seed in range(40):
        plan = make_plan("", Context(seed=seed), recent)
        assert not any(used in plan.setting for used in ("a laundromat", "dusk", "a night market", "Diwali night"))
        assert plan.avoid == recent
    themed = make_plan("a lost kite", Context(seed=3), recent)
    assert themed.setting.startswith("a lost kite, at ") and "dusk" not in themed.setting


# Copy guard


def test_copy_guard_catches_a_verbatim_copy_and_passes_an_original_story():
    examples = load_seed_corpus().examples[:3]
    copied = make_story(description=examples[1].description)
    copy_check = check_story(copied, examples)
    assert [violation.rule for violation in copy_check.violations if violation.rule == "not_copied"] == ["not_copied"]
    assert examples[1].id in copy_check.violations[-1].detail and copy_check.copy_overlap == pytest.approx(1.0)

    original = check_story(make_story(), examples)
    assert original.passed and original.copy_overlap < 0.35


# The index command


def write_config(tmp_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"embeddings: hash\nmemory_dir: {tmp_path / 'memory'}\n")
    return str(path)


@extras.chroma
def test_index_command_builds_reports_problems_and_queries(tmp_path, capsys):
    config = write_config(tmp_path)
    no_arrow = record(4) | {"Mental State Reasoning": ["the nurse is tired"]}
    source = write_corpus(tmp_path / "mine.json", {"good": record(10), "arrow": no_arrow})

    assert main(["index", "build", "--source", source, "--config", config]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "skipped arrow: field 'Mental State Reasoning': CoR without '->': 'the nurse is tired'"
    assert "1 examples from" in out[1] and "rebuilt" in out[1]

    assert main(["index", "query", "a rainy bus stop", "-k", "1", "--source", source, "--config", config]) == 0
    assert capsys.readouterr().out.startswith("1. good ")
    assert main(["index", "info", "--config", config]) == 0
    assert "corpus-seed-hash" in capsys.readouterr().out


@extras.chroma
def test_index_needs_no_storyteller(tmp_path, capsys):
    """A base install has no local model; indexing never loads or checks the storyteller."""
    config = tmp_path / "config.yaml"
    config.write_text(f"llm: local:{tmp_path / 'absent.gguf'}\nembeddings: hash\nmemory_dir: {tmp_path / 'memory'}\n")
    assert main(["index", "info", "--config", str(config)]) == 0
    assert "embedder     hash" in capsys.readouterr().out


def test_index_command_errors_are_one_line(tmp_path, capsys):
    code = main(["index", "build", "--source", str(tmp_path / "absent.json"), "--config", write_config(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "corpus file not found" in err
