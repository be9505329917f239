"""Aggregate stories per minute with 1, 2 and 4 embedded `generate` processes started at once.

    python benchmarks/concurrent_generate.py [--repeats 3] [--processes 1,2,4] [--lock on,off]

Each process runs one single-pass story on the embedded default (the student on llama.cpp,
storyboard, layout judge) with its own output and memory directory. A round's rate is
N stories / wall time of the slowest process; the report gives medians over the repeats and
each rate as a ratio of the single-process rate of the same lock setting, measured in the
same run. ``--lock off`` sets STORYPAINTER_DECODE_LOCK=off (no machine-wide decode turn) to
show the collapse the lock prevents. Results: benchmarks/results/concurrent_generate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THEMES = ("a kite festival", "a night ferry", "a village well", "a school bus breakdown")
RESULTS = Path(__file__).resolve().parent / "results" / "concurrent_generate.json"


def one_round(processes: int, lock: str, seed: int) -> float:
    """Stories per minute of ``processes`` generate commands started together."""
    env = dict(os.environ, STORYPAINTER_DECODE_LOCK=lock, ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    with tempfile.TemporaryDirectory(prefix="concurrent-") as scratch:
        commands = [
            [sys.executable, "-m", "storypainter.cli", "generate", THEMES[index % len(THEMES)], "--quiet",
             "--no-critic-loop", "--max-rounds", "1", "--seed", str(seed + index),
             "--out", f"{scratch}/runs{index}", "--memory-dir", f"{scratch}/memory{index}"]
            for index in range(processes)
        ]
        started = time.perf_counter()
        running = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for command in commands]
        for process in running:
            _, errors = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"generate failed: {errors.strip().splitlines()[-1:]}")
        return 60 * processes / (time.perf_counter() - started)


def main(args: argparse.Namespace) -> int:
    counts = [int(value) for value in args.processes.split(",")]
    report: dict[str, dict] = {}
    for lock in args.lock.split(","):
        rates = {count: [] for count in counts}
        for repeat in range(args.repeats):
            for count in counts:
                rates[count].append(one_round(count, lock, seed=100 * repeat))
                print(f"lock {lock} processes {count} repeat {repeat + 1}: {rates[count][-1]:.2f} stories/min",
                      file=sys.stderr, flush=True)
        single = statistics.median(rates[counts[0]])
        report[f"lock {lock}"] = {
            str(count): {"stories_per_minute": round(statistics.median(values), 2),
                         "ratio_to_single": round(statistics.median(values) / single, 2), "runs": values}
            for count, values in rates.items()
        }
    earlier = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    RESULTS.write_text(json.dumps(earlier | report, indent=2) + "\n")  # one lock setting at a time keeps the other
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--lock", default="on,off")
    sys.exit(main(parser.parse_args()))
