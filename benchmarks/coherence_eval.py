"""The shipped coherence judge measured: its evaluation split, score distributions and speed.

1. The evaluation split (stories the judge never trained on; ``coherence_data``): ROC AUC and
   accuracy overall and per negative kind, without and with the story's description as context.
2. Score distributions: human chains (the seed corpus' evaluation-split scenes, never trained
   on), the same chains with their conclusions moved to another scene (same dimension where it
   has one), and the first-attempt chains of the base model and of the Mini-Storyteller on the 30
   held-out themes (the runs of ``benchmarks/student_vs_base.py``, never trained on).
3. Speed: model load, one critic call (7 chains in one batch; median of ``--repeats``), and
   ``storypainter coherence FILE`` on 50 seed-corpus chains in a fresh process (load included; median).

Writes ``benchmarks/results/coherence_eval.json`` and prints markdown tables.

    python benchmarks/coherence_eval.py [--repeats 5] [--weights DIR --out FILE]   # a candidate judge
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storypainter.distill.coherence_data import build_pairs, seed_stories
from storypainter.distill.coherence_train import evaluate
from storypainter.memory.corpus import parse_chain
from storypainter.providers.judges.coherence import WEIGHTS, LearnedCoherence, load_learned
from storypainter.schema import Story

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "coherence_eval.json"
BASE_CHAINS = ROOT / "training" / "coherence" / "base_chains.jsonl"  # training/coherence/train.sh's base chains


def first_attempt_chains(system: str):
    """The chains a system wrote in its first attempts on the held-out themes (student_vs_base.py keeps them)."""
    path = ROOT / "docs" / "student_bench" / system / "first_attempts.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    stories = [Story.model_validate(json.loads(line)["story"]) for line in lines if line.strip()]
    return [chain for story in stories for chain in story.cors]


def distribution(values: list[float], threshold: float = 0.5) -> dict[str, float]:
    quartiles = statistics.quantiles(values, n=4)
    return {"n": len(values), "mean": round(statistics.mean(values), 3), "q1": round(quartiles[0], 3),
            "median": round(quartiles[1], 3), "q3": round(quartiles[2], 3),
            "coherent_share": round(sum(value >= threshold for value in values) / len(values), 3)}


def split_metrics(judge: LearnedCoherence) -> dict[str, dict]:
    pairs = [pair.__dict__ for pair in build_pairs(seed=0, base_chains=BASE_CHAINS)["eval"]]
    chains = [parse_chain(pair["dimension"], " + ".join(pair["clues"]) + " -> " + pair["conclusion"])
              for pair in pairs]
    bare = judge.probabilities(chains)
    by_context: dict[str, list[int]] = {}
    for number, pair in enumerate(pairs):
        by_context.setdefault(pair["context"], []).append(number)
    with_context = [0.0] * len(pairs)
    for context, numbers in by_context.items():  # one batch per story
        for number, value in zip(numbers, judge.probabilities([chains[n] for n in numbers], context), strict=True):
            with_context[number] = value
    return {"without context": evaluate(pairs, bare), "with context": evaluate(pairs, with_context)}


def distributions(judge: LearnedCoherence) -> dict[str, dict]:
    from storypainter.distill.coherence_data import in_eval_split

    scenes = [story for story in seed_stories() if in_eval_split(story.id)]
    human = [chain for story in scenes for chain in story.chains]
    moved = moved_conclusions(scenes)
    rows = {
        "human (seed corpus, evaluation split)": judge.probabilities(human),
        "human, with each scene's description": [value for story in scenes
                                                 for value in judge.probabilities(story.chains, story.description)],
        "human, conclusions moved to another scene": judge.probabilities([chain for chain, _ in moved]),
        "moved, with the first scene's description": [judge.probabilities([chain], context)[0]
                                                      for chain, context in moved],
        "base SmolLM2-135M (30 held-out themes, first attempts)": judge.probabilities(first_attempt_chains("base")),
        "Mini-Storyteller (30 held-out themes, first attempts)": judge.probabilities(first_attempt_chains("student")),
    }
    # a row without student_vs_base.py's first attempts says so
    return {name: distribution(values) if len(values) >= 2 else {"n": len(values), "missing": "no first_attempts.jsonl"}
            for name, values in rows.items()}


def moved_conclusions(scenes) -> list:
    """Each scene's chains with a conclusion from the next scene (same dimension where it has one), each
    with the first scene's description."""
    rng = random.Random(0)
    moved = []
    for number, story in enumerate(scenes):
        other = scenes[(number + 1) % len(scenes)]
        for chain in story.chains:
            donors = [each for each in other.chains if each.dimension == chain.dimension] or other.chains
            moved.append((chain.model_copy(update={"conclusion": rng.choice(donors).conclusion}), story.description))
    return moved


def speed(judge: LearnedCoherence, repeats: int) -> dict[str, float]:
    load_learned.cache_clear()
    started = time.perf_counter()
    load_learned(judge.weights)
    load = time.perf_counter() - started
    chains = [chain for story in seed_stories() for chain in story.chains][:50]  # in git, unlike the bench's runs
    story = chains[:7]
    calls = []
    for _ in range(repeats):
        started = time.perf_counter()
        judge.score(story)
        calls.append(time.perf_counter() - started)
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
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="a judge's weights (default: the shipped)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    judge = LearnedCoherence(args.weights)
    results = {"split": split_metrics(judge), "distributions": distributions(judge),
               "speed": speed(judge, args.repeats)}
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| evaluation split | AUC | accuracy | " + " | ".join(results["split"]["without context"]["per_kind"]) + " |")
    for name, metrics in results["split"].items():
        kinds = " | ".join(f"{row['auc']:.3f} / {row['accuracy']:.2f}" for row in metrics["per_kind"].values())
        print(f"| {name} | {metrics['auc']:.3f} | {metrics['accuracy']:.3f} | {kinds} |")
    print("\n| chains | n | mean | q1 | median | q3 | coherent (>= 0.5) |")
    for name, row in results["distributions"].items():
        if "missing" in row:
            print(f"| {name} | {row['missing']} |")
            continue
        print(f"| {name} | {row['n']} | {row['mean']} | {row['q1']} | {row['median']} | {row['q3']} | "
              f"{row['coherent_share']:.0%} |")
    print(f"\nspeed: {results['speed']}")


if __name__ == "__main__":
    main()
