"""The shipped coherence judge measured: its evaluation split, score distributions and speed.

1. The evaluation split (stories the judge never trained on; ``coherence_data``): ROC AUC and
   accuracy overall and per negative kind, without and with the story's description as context.
2. Score distributions: human chains (the seed corpus' evaluation-split scenes, never trained
   on), and the chains of the base model and of Mini-Storyteller v1 on the 30 held-out themes
   (read from docs/student_bench/{base,student}/report.html, never trained on).
3. Speed: model load, one critic call (a story's chains in one batch; median of ``--repeats``),
   and ``storypainter coherence FILE`` on 50 chains in a fresh process (load included; median).

Writes ``benchmarks/results/coherence_eval.json`` and prints markdown tables.

    python benchmarks/coherence_eval.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storypainter.distill.coherence_data import build_pairs, seed_stories
from storypainter.distill.coherence_train import evaluate
from storypainter.memory.corpus import parse_chain
from storypainter.providers.judges.coherence import LearnedCoherence, load_learned
from storypainter.schema import DIMENSION_LABELS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "coherence_eval.json"
BASE_RUNS = ROOT / "training" / "coherence" / "base" / "cor"  # training/coherence/train.sh's base chains
LABEL_TO_DIMENSION = {label: dimension for dimension, label in DIMENSION_LABELS.items()}
CHAIN_ITEM = re.compile(r"<li>([A-Za-z ]+): ([^<]*-&gt;[^<]*)</li>")


def report_chains(system: str):
    """The chains a system wrote on the held-out themes, from its bench report."""
    text = (ROOT / "docs" / "student_bench" / system / "report.html").read_text(encoding="utf-8")
    chains = []
    for label, chain in CHAIN_ITEM.findall(text):
        if label in LABEL_TO_DIMENSION:
            try:
                chains.append(parse_chain(LABEL_TO_DIMENSION[label], html.unescape(chain)))
            except ValueError:
                continue
    return chains


def distribution(values: list[float], threshold: float = 0.5) -> dict[str, float]:
    quartiles = statistics.quantiles(values, n=4)
    return {"n": len(values), "mean": round(statistics.mean(values), 3), "q1": round(quartiles[0], 3),
            "median": round(quartiles[1], 3), "q3": round(quartiles[2], 3),
            "coherent_share": round(sum(value >= threshold for value in values) / len(values), 3)}


def split_metrics(judge: LearnedCoherence) -> dict[str, dict]:
    base = BASE_RUNS if BASE_RUNS.is_dir() else None  # the evaluation split's base chains, where they were made
    pairs = [pair.__dict__ for pair in build_pairs(seed=0, base_chains=base)["eval"]]
    chains = [parse_chain(pair["dimension"], " + ".join(pair["clues"]) + " -> " + pair["conclusion"])
              for pair in pairs]
    bare = judge.probabilities(chains)
    with_context = [judge.probabilities([chain], pair["context"])[0] for chain, pair in zip(chains, pairs, strict=True)]
    return {"without context": evaluate(pairs, bare), "with context": evaluate(pairs, with_context)}


def distributions(judge: LearnedCoherence) -> dict[str, dict]:
    from storypainter.distill.coherence_data import in_eval_split

    human = [chain for story in seed_stories() if in_eval_split(story.id) for chain in story.chains]
    return {
        "human (seed corpus, evaluation split)": distribution(judge.probabilities(human)),
        "base SmolLM2-135M (30 held-out themes)": distribution(judge.probabilities(report_chains("base"))),
        "Mini-Storyteller v1 (30 held-out themes)": distribution(judge.probabilities(report_chains("student"))),
    }


def speed(judge: LearnedCoherence, repeats: int) -> dict[str, float]:
    load_learned.cache_clear()
    started = time.perf_counter()
    load_learned(judge.weights)
    load = time.perf_counter() - started
    story = report_chains("student")[:7]
    calls = []
    for _ in range(repeats):
        started = time.perf_counter()
        judge.score(story)
        calls.append(time.perf_counter() - started)
    chains = report_chains("student")[:50]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "chains.jsonl"
        source.write_text("\n".join(chain.model_dump_json() for chain in chains) + "\n", encoding="utf-8")
        command = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "storypainter.cli", "coherence", str(source)], check=True,
                           capture_output=True)
            command.append(time.perf_counter() - started)
    return {"model_load_s": round(load, 2), "critic_call_7_chains_median_s": round(statistics.median(calls), 3),
            "command_50_chains_median_s": round(statistics.median(command), 2), "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    judge = LearnedCoherence()
    results = {"split": split_metrics(judge), "distributions": distributions(judge),
               "speed": speed(judge, args.repeats)}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| evaluation split | AUC | accuracy | " + " | ".join(results["split"]["without context"]["per_kind"]) + " |")
    for name, metrics in results["split"].items():
        kinds = " | ".join(f"{row['auc']:.3f} / {row['accuracy']:.2f}" for row in metrics["per_kind"].values())
        print(f"| {name} | {metrics['auc']:.3f} | {metrics['accuracy']:.3f} | {kinds} |")
    print("\n| chains | n | mean | q1 | median | q3 | coherent (>= 0.5) |")
    for name, row in results["distributions"].items():
        print(f"| {name} | {row['n']} | {row['mean']} | {row['q1']} | {row['median']} | {row['q3']} | "
              f"{row['coherent_share']:.0%} |")
    print(f"\nspeed: {results['speed']}")


if __name__ == "__main__":
    main()
