"""Diversity of stories from the embedded storyteller under three in-context example strategies.

For each seed 0..n-1 one free-theme request is run per strategy (interleaved, so partial
results stay comparable), single pass (critic_loop false, max_rounds 1: one LLM call):

- ``fixed``: the same k examples for every request. Done without new settings: the first
  k records of the seed corpus are written to a small CogBench-format file used as
  ``examples_source`` with ``retrieval: random``, so every draw is those k (order varies).
- ``random``: the paper's dynamic ICL, k fresh examples from the seed corpus per request.
- ``mmr``: relevant to the plan's setting yet mutually diverse (Chroma store, MiniLM).

Self-memory is switched off (``remember_threshold`` above any score) so that every strategy
gets the same plans for the same seeds. Diversity is ``diversity_scores`` (k=5) on MiniLM
embeddings of the story descriptions, over all stories and over the originals only: in
single-pass mode nothing sends a copied example back, and copies inflate diversity.
Results are written after every story to ``benchmarks/results/diversity_icl.json``; a
rerun resumes where it stopped, and ``-n 0`` only summarises what is there.

Run from the repository root: ``python benchmarks/diversity_icl.py -n 30``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storypainter.config import load_context
from storypainter.errors import StorypainterError
from storypainter.memory.corpus import SEED_CORPUS

STRATEGIES = ("fixed", "random", "mmr")
RESULTS = Path(__file__).resolve().parent / "results" / "diversity_icl.json"
EXAMPLES_K = 3
NEIGHBOURS = 5
COPY_THRESHOLD = 0.35  # the critic's default: above it a story counts as a copy of an example


def write_fixed_corpus(folder: Path, k: int) -> Path:
    """The first k seed-corpus records as a CogBench-format file."""
    records = json.loads(SEED_CORPUS.read_text(encoding="utf-8"))
    path = folder / "fixed_examples.json"
    path.write_text(json.dumps(dict(list(records.items())[:k]), indent=1), encoding="utf-8")
    return path


def strategy_context(strategy: str, seed: int, work: Path, fixed_source: Path):
    retrieval = {"fixed": "random", "random": "random", "mmr": "mmr"}[strategy]
    source = str(fixed_source) if strategy == "fixed" else "seed"
    return load_context(
        None, critic_loop=False, max_rounds=1, examples_k=EXAMPLES_K, retrieval=retrieval, examples_source=source,
        seed=seed, out_dir=str(work / "runs"), memory_dir=str(work / "memory"), remember_threshold=2.0,
    )


def run_story(graph, strategy: str, seed: int, work: Path, fixed_source: Path) -> dict:
    from storypainter.agent.graph import run_config

    context = strategy_context(strategy, seed, work, fixed_source)
    started = time.perf_counter()
    row = {"strategy": strategy, "seed": seed}
    try:
        values = graph.invoke({"theme": ""}, config=run_config(context), context=context)
    except StorypainterError as error:
        return row | {"error": str(error), "seconds": round(time.perf_counter() - started, 1)}
    attempt = values["attempts"][-1]
    return row | {
        "title": attempt.story.title,
        "setting": f"{attempt.story.location}; {attempt.story.time}",
        "description": attempt.story.description,
        "copy_overlap": attempt.check.copy_overlap if attempt.check else None,
        "run_dir": values["run_dir"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def diversity(embedder, rows: list[dict]) -> float | None:
    from storypainter.evaluation.diversity import diversity_scores

    if len(rows) < 2:
        return None
    return round(diversity_scores(embedder.encode([row["description"] for row in rows]), k=NEIGHBOURS).mean, 4)


def summarise(rows: list[dict]) -> dict[str, dict]:
    """Per strategy: diversity of all stories and of those that are not copies of an example."""
    from storypainter.providers.embeddings import get_embedder

    embedder, table = get_embedder("minilm"), {}
    for strategy in STRATEGIES:
        done = [row for row in rows if row["strategy"] == strategy and "description" in row]
        original = [row for row in done if (row["copy_overlap"] or 0) <= COPY_THRESHOLD]
        table[strategy] = {
            "stories": len(done),
            "failed": sum(1 for row in rows if row["strategy"] == strategy and "error" in row),
            "copies": len(done) - len(original),
            "diversity": diversity(embedder, done),
            "diversity_originals": diversity(embedder, original),
            "mean_copy_overlap": round(sum(row["copy_overlap"] or 0 for row in done) / len(done), 3) if done else None,
            "mean_seconds": round(sum(row["seconds"] for row in done) / len(done), 1) if done else None,
        }
    return table


def print_table(table: dict[str, dict]) -> None:
    columns = {
        "stories": 7, "failed": 6, "copies": 6, "diversity": 9, "diversity_originals": 19,
        "mean_copy_overlap": 17, "mean_seconds": 12,
    }
    print(f"{'strategy':<8} " + " ".join(f"{name:>{width}}" for name, width in columns.items()))
    for strategy, row in table.items():
        cells = (f"{'-' if row[name] is None else row[name]:>{width}}" for name, width in columns.items())
        print(f"{strategy:<8} " + " ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="stories per strategy (seeds 0..n-1; 0: summarise only)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON (resumed when it exists)")
    args = parser.parse_args()

    from storypainter.agent.graph import build_graph

    work = Path(tempfile.mkdtemp(prefix="diversity-icl-"))
    fixed_source = write_fixed_corpus(work, EXAMPLES_K)
    rows = json.loads(args.out.read_text())["stories"] if args.out.is_file() else []
    done = {(row["strategy"], row["seed"]) for row in rows}
    graph = build_graph()
    for seed in range(args.n):
        for strategy in STRATEGIES:
            if (strategy, seed) in done:
                continue
            rows.append(run_story(graph, strategy, seed, work, fixed_source))
            print(json.dumps({key: rows[-1].get(key) for key in ("strategy", "seed", "title", "error", "seconds")}),
                  flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"examples_k": EXAMPLES_K, "stories": rows}, indent=1))
    table = summarise(rows)
    args.out.write_text(json.dumps({"examples_k": EXAMPLES_K, "stories": rows, "summary": table}, indent=1))
    print_table(table)


if __name__ == "__main__":
    main()
