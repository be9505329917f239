"""Example-store benchmark: index build throughput, query latency and peak memory at 100,000 examples.

The examples are synthetic CogBench-format records (template sentences with random
places, people, actions and signs, two CoRs each, about 1 KB of JSON per record) written
to a temporary file, so the build goes through the real path: load, validate, fingerprint,
embed, add to Chroma in batches of the client's maximum batch size. Vectors come from the
``hash`` embedder (384 dimensions, real feature hashing of the text, no model) to keep the
run short; its share of the build time is reported separately. Query latency is
``ExampleStore.query`` end to end (embed the query, Chroma nearest neighbours, parse the
examples) for ``k=3`` over 200 different queries; the target is p50 under 10 ms.

Run from the repository root: ``python benchmarks/store_bench.py [-n 100000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storypainter.memory.corpus import load_corpus
from storypainter.memory.store import ExampleStore
from storypainter.providers.embeddings import HashingEmbedder

QUERIES, K = 200, 3
PLACES = ("bus stop", "laundromat", "harbour", "bakery", "library", "train platform", "night market", "hospital ward",
          "rooftop garden", "school gym", "temple courtyard", "ice rink", "farm kitchen", "airport gate", "museum hall")
PEOPLE = ("old man", "young woman", "little boy", "girl", "nurse", "fisherman", "baker", "police officer",
          "grandmother", "student", "waiter", "street vendor", "teacher", "tourist", "firefighter")
ACTIONS = ("drops a tray of cups", "hides behind a pillar", "holds up a torn ticket", "points at a broken clock",
           "clutches a wet umbrella", "stares at a flooded floor", "offers a paper lantern", "chases a runaway dog")
MOODS = ("worried", "delighted", "furious", "embarrassed", "exhausted", "surprised", "proud", "nervous")
TIMES = ("at dawn", "on a stormy night", "at closing time", "on New Year's Eve", "during a power cut", "at noon")


class TimedEmbedder:
    """The hash embedder, with the seconds spent embedding added up."""

    def __init__(self):
        self.inner, self.name, self.dimension, self.seconds = HashingEmbedder(), "hash", 384, 0.0

    def encode(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.inner.encode(texts)
        self.seconds += time.perf_counter() - started
        return vectors


def synthetic_record(rng: random.Random, number: int) -> dict:
    place, time_, mood = rng.choice(PLACES), rng.choice(TIMES), rng.choice(MOODS)
    first, second = rng.sample(PEOPLE, 2)
    action, other = rng.sample(ACTIONS, 2)
    sign = f"{place.upper()} NO. {number}"
    description = (f"In a {place} {time_}, a {first} {action} beneath a sign reading \"{sign}\", "
                   f"while a {second} {other} and looks {mood}.")
    none = ["None"]
    return {
        "Image Name": [f"synthetic-{number}.png"], "Entities": [first, second, place, "sign"],
        "Special Time Reasoning": none, "Location Reasoning": [f"sign \"{sign}\" -> the scene is a {place}"],
        "Character Reasoning": none, "Character Relationship Reasoning": none, "Event Reasoning": none,
        "Event Relationship Reasoning": [f"the {first} {action} -> the {second} is distracted"],
        "Next Moment Event Reasoning": none,
        "Mental State Reasoning": [f"the {second}'s face + posture -> the {second} is {mood}"],
        "Description": [description],
    }


def write_corpus(path: Path, count: int) -> None:
    rng = random.Random(0)
    path.write_text(json.dumps({f"syn-{n:06d}": synthetic_record(rng, n) for n in range(count)}), encoding="utf-8")


def query_texts() -> list[str]:
    rng = random.Random(1)
    return [f"a {rng.choice(PEOPLE)} at a {rng.choice(PLACES)} {rng.choice(TIMES)}" for _ in range(QUERIES)]


def latencies_ms(store: ExampleStore, strategy: str) -> list[float]:
    store.query("warm-up query", K, strategy)
    times = []
    for text in query_texts():
        started = time.perf_counter()
        store.query(text, K, strategy)
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="synthetic examples (default 100000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="store-bench-"))
    try:
        source = work / "synthetic.json"
        write_corpus(source, args.n)
        load_started = time.perf_counter()
        load_corpus(str(source))
        load = time.perf_counter() - load_started
        embedder = TimedEmbedder()
        store = ExampleStore(work / "memory", embedder, source=str(source))
        report = store.build()
        reuse_started = time.perf_counter()
        ExampleStore(work / "memory", TimedEmbedder(), source=str(source)).build()
        reuse = time.perf_counter() - reuse_started
        similar, mmr = latencies_ms(store, "similar"), latencies_ms(store, "mmr")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        build_rate = report["count"] / report["seconds"]
        rows = [
            ("examples indexed", f"{report['count']:,}"),
            ("build, total (load+embed+add)", f"{report['seconds']:.1f} s = {build_rate:,.0f} examples/s"),
            ("  load + validate JSON (separate run)", f"{load:.1f} s"),
            ("  hash embedding", f"{embedder.seconds:.1f} s"),
            ("  Chroma add (the rest)", f"{report['seconds'] - embedder.seconds - load:.1f} s"),
            ("reopen unchanged (no embedding)", f"{reuse:.1f} s"),
            (f"query k={K} similar p50 / p99", f"{percentile(similar, 50):.2f} / {percentile(similar, 99):.2f} ms"),
            (f"query k={K} mmr p50 / p99", f"{percentile(mmr, 50):.2f} / {percentile(mmr, 99):.2f} ms"),
            ("mean similar latency", f"{statistics.mean(similar):.2f} ms over {QUERIES} queries"),
            ("peak RSS", f"{peak_mib:,.0f} MiB"),
        ]
        for name, value in rows:
            print(f"{name:<38} {value}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
