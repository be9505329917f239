"""Time diversity_scores on 10,000 x 384 random float32 embeddings: median of 5 runs and peak memory.

Run from the repository root: ``python benchmarks/diversity_bench.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storypainter.evaluation.diversity import diversity_scores

ITEMS, DIMENSIONS, RUNS, K = 10_000, 384, 5, 5


def main() -> None:
    embeddings = np.random.default_rng(0).standard_normal((ITEMS, DIMENSIONS), dtype=np.float32)
    seconds = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = diversity_scores(embeddings, k=K)
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    diversity_scores(embeddings, k=K)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"diversity_scores on {ITEMS} x {DIMENSIONS} float32, k={K}: mean diversity {result.mean:.4f}")
    print(f"median of {RUNS} runs: {statistics.median(seconds):.3f} s (min {min(seconds):.3f}, max {max(seconds):.3f})")
    print(f"peak traced memory in one run: {peak / 2**20:.1f} MiB (input: {embeddings.nbytes / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
