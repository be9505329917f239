"""Benchmark of the embedded offline default (issue: embedded default).

Prints medians over several runs: cold `storypainter generate` wall time and peak RSS,
time per node (from each run's manifest), local LLM tokens/s, and the schema-valid rate
of structured Story calls (one try each, no repair).

    python benchmarks/embedded_default.py [--runs 5] [--calls 100] [--json OUT]
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

THEMES = ["a rainy bus stop", "a night market", "a school playground", "a hospital corridor", "a harvest festival"]


def cold_generate(theme: str, seed: int, workdir: Path) -> dict:
    """One `storypainter generate` in a fresh process; wall time, peak RSS, node times."""
    out_dir = workdir / f"runs-{seed}"
    command = [sys.executable, "-m", "storypainter.cli", "generate", theme, "--seed", str(seed), "--out", str(out_dir),
               "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"generate failed: {process.stderr.read().decode()[-400:]}")
    manifest = json.loads(next(out_dir.iterdir()).joinpath("manifest.json").read_text())
    attempts = len(manifest["decision_path"])
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "node_seconds": manifest["node_seconds"],
            "attempts": attempts, "tokens": manifest["tokens"]}


def llm_throughput(model, runs: int) -> list[float]:
    """Tokens per second of free generation (prompt excluded from the count)."""
    from langchain_core.messages import HumanMessage

    speeds = []
    for seed in range(runs):
        started = time.perf_counter()
        reply = model.invoke([HumanMessage(content="Describe a busy train station at dawn.")], max_tokens=200,
                             seed=seed)
        speeds.append(reply.usage_metadata["output_tokens"] / (time.perf_counter() - started))
    return speeds


def schema_valid_rate(model, calls: int) -> tuple[float, float]:
    """Share of structured Story calls valid on the first try; mean seconds per call."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from storypainter.errors import StoryError
    from storypainter.prompts import render
    from storypainter.providers.llms.structured import invoke_structured
    from storypainter.schema import Story

    system = SystemMessage(content=render("storyteller_cor", story_format=render("story_format")))
    valid, started = 0, time.perf_counter()
    for index in range(calls):
        request = HumanMessage(content=f"Theme: {THEMES[index % len(THEMES)]}\nWrite the story now.")
        try:
            invoke_structured(model, [system, request], Story, max_repairs=0, seed=index)
            valid += 1
        except StoryError:
            pass
    return valid / calls, (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        runs = [cold_generate(THEMES[i % len(THEMES)], i, Path(workdir)) for i in range(args.runs)]
    from storypainter.providers.llms.local import local_chat_model

    model = local_chat_model("smollm2", {"max_tokens": 768}, temperature=0.7, seed=0)
    speeds = llm_throughput(model, args.runs)
    rate, seconds_per_call = schema_valid_rate(model, args.calls)
    nodes = sorted({node for run in runs for node in run["node_seconds"]})
    report = {
        "runs": args.runs,
        "generate_wall_s_median": statistics.median(run["wall_s"] for run in runs),
        "generate_wall_s_all": [round(run["wall_s"], 1) for run in runs],
        "attempts_per_run": [run["attempts"] for run in runs],
        "peak_rss_mb_median": statistics.median(run["peak_rss_mb"] for run in runs),
        "node_seconds_median": {node: statistics.median(run["node_seconds"].get(node, 0) for run in runs)
                                for node in nodes},
        "llm_tokens_per_s_median": statistics.median(speeds),
        "schema_valid_rate": rate,
        "structured_calls": args.calls,
        "seconds_per_structured_call": seconds_per_call,
    }
    for key, value in report.items():
        print(f"{key:<30} {value if not isinstance(value, float) else round(value, 3)}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
