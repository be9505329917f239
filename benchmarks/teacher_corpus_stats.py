"""Teacher corpus: quality bar, near-duplicates and statistics (writes docs/teacher_corpus.md).

    python benchmarks/teacher_corpus_stats.py [--drop-duplicates]

Near-duplicates are pairs whose descriptions' MiniLM embeddings have cosine similarity of
at least ``DUPLICATE_COSINE``; with ``--drop-duplicates`` the later record of each pair is
removed from its part file. Diversity is the mean pairwise cosine distance of the
descriptions, for the teacher corpus and for the seed corpus, with the same embedder.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from storypainter.evaluation.semantic import semantic_score
from storypainter.memory.corpus import load_seed_corpus
from storypainter.memory.teacher import TEACHER_DIR, check_record, load_heldout, read_records
from storypainter.providers.embeddings import get_embedder
from storypainter.schema import DIMENSIONS, Story
from storypainter.text import content_words

DUPLICATE_COSINE = 0.9
ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "benchmarks" / "data" / "heldout_themes.txt"


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def mean_pairwise_distance(vectors: np.ndarray) -> float:
    similarity = unit(vectors) @ unit(vectors).T
    count = len(vectors)
    return float(1 - (similarity.sum() - count) / (count * (count - 1)))


def near_duplicates(vectors: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """(earlier, later, cosine) for every later record too close to an earlier kept one."""
    similarity = unit(vectors) @ unit(vectors).T
    dropped: set[int] = set()
    pairs = []
    for later in range(len(vectors)):
        for earlier in range(later):
            if earlier not in dropped and similarity[earlier, later] >= threshold:
                pairs.append((earlier, later, float(similarity[earlier, later])))
                dropped.add(later)
                break
    return pairs


def load_all() -> list[tuple[Path, dict]]:
    return [(path, record) for path in sorted(TEACHER_DIR.glob("*.jsonl")) for record in read_records(path)]


def drop(records: list[tuple[Path, dict]], doomed: set[str]) -> None:
    for path in sorted({path for path, _ in records}):
        kept = [record for owner, record in records if owner == path and record["id"] not in doomed]
        path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in kept), encoding="utf-8")


def statistics(stories: list[Story], records: list[dict], teacher: np.ndarray, seed: np.ndarray) -> dict:
    per_dimension = Counter(chain.dimension for story in stories for chain in story.cors)
    valid = [sum(semantic_score(story).per_dimension.values()) for story in stories]
    moments = Counter(record["request"]["setting"].rpartition(", at ")[2] for record in records)
    vocabulary = set().union(*(content_words(story.description) for story in stories))
    return {
        "stories": len(stories),
        "distinct themes": len({record["request"]["theme"] for record in records}),
        "distinct locations": len({story.location.lower() for story in stories}),
        "distinct moments": len(moments),
        "description vocabulary (content words)": len(vocabulary),
        "CoRs per story (mean)": round(float(np.mean([len(story.cors) for story in stories])), 2),
        "valid CoRs per story (mean, min)": (round(float(np.mean(valid)), 2), min(valid)),
        "semantic score (mean)": round(float(np.mean([semantic_score(story).score for story in stories])), 1),
        "stories with visible text": sum(bool(story.visible_text) for story in stories),
        "CoRs per dimension": {dimension: per_dimension[dimension] for dimension in DIMENSIONS},
        "mean pairwise cosine distance, teacher corpus": round(mean_pairwise_distance(teacher), 4),
        "mean pairwise cosine distance, seed corpus": round(mean_pairwise_distance(seed), 4),
    }


def main(args: argparse.Namespace) -> int:
    records = load_all()
    heldout = load_heldout(HELDOUT)
    failing = {record["id"]: check_record(record, heldout) for _, record in records}
    failing = {key: value for key, value in failing.items() if value}
    embedder = get_embedder("minilm")
    descriptions = [record["story"]["description"] for _, record in records]
    vectors = np.asarray(embedder.encode(descriptions), dtype=np.float32)
    pairs = near_duplicates(vectors, DUPLICATE_COSINE)
    for earlier, later, cosine in pairs:
        print(f"near-duplicate {records[later][1]['id']} of {records[earlier][1]['id']} (cosine {cosine:.3f})")
    doomed = {records[later][1]["id"] for _, later, _ in pairs} | set(failing)
    if args.drop_duplicates and doomed:
        drop(records, doomed)
        records = load_all()
        vectors = np.asarray(embedder.encode([record["story"]["description"] for _, record in records]))
    stories = [Story.model_validate(record["story"]) for _, record in records]
    seed = np.asarray(embedder.encode([example.description for example in load_seed_corpus().examples]))
    stats = statistics(stories, [record for _, record in records], vectors, seed)
    stats["failing the quality bar"] = len(failing)
    stats[f"near-duplicates (cosine >= {DUPLICATE_COSINE})"] = len(pairs)
    print(json.dumps(stats, indent=2))
    (ROOT / "benchmarks" / "results" / "teacher_corpus.json").write_text(json.dumps(stats, indent=2) + "\n")
    return 1 if failing and not args.drop_duplicates else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop-duplicates", action="store_true", help="remove near-duplicates and failing records")
    sys.exit(main(parser.parse_args()))
