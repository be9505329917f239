"""Mini-Storyteller vs its base, same seeds, on the 30 held-out themes, single pass and with the critic loop.

    python benchmarks/student_vs_base.py [--out docs/student_bench] [-n 30]

Runs ``storypainter bench --modes cor,cor+critic`` twice on ``benchmarks/data/heldout_themes.txt``
(themes that appear nowhere in the teacher corpus): once on the default (``local:mini-storyteller``,
its compact prompt) and once on the base (``local:smollm2`` with the CoR prompt and 2 examples,
the previous default). Both benches' tables (semantic with interval, alignment, diversity,
rule pass, s/story) stay in their folders; this script adds what the bench table does not show
and writes ``summary.md``: first-attempt rule pass rate, rounds used, median wall time per
``generate`` (the run's own start-to-finish time), and the student/base ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THEMES = ROOT / "benchmarks" / "data" / "heldout_themes.txt"
SYSTEMS = {"student": ["--config", "default"],
           "base": ["--config", str(ROOT / "benchmarks" / "data" / "base-smollm2.yaml")]}


def bench(out: Path, extra: list[str], count: int) -> None:
    command = [sys.executable, "-m", "storypainter.cli", "bench", "--modes", "cor,cor+critic", "-n", str(count),
               "--themes", str(THEMES), "--out", str(out), "--reference", "none", *extra]
    subprocess.run(command, check=True)


def run_facts(run_dir: Path) -> dict | None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    if manifest.get("status") != "complete":
        return None
    first = json.loads((run_dir / "attempts" / "01" / "critique.json").read_text())
    started, finished = (datetime.fromisoformat(manifest[key]) for key in ("started", "finished"))
    return {"first_pass": not first["check"]["violations"], "rounds": len(list((run_dir / "attempts").iterdir())),
            "seconds": (finished - started).total_seconds()}


def summarise(folder: Path) -> dict:
    facts = [fact for path in sorted(folder.glob("runs/*/")) if (fact := run_facts(path))]
    seconds = [fact["seconds"] for fact in facts]
    return {
        "runs": len(facts),
        "first_attempt_rule_pass": round(sum(fact["first_pass"] for fact in facts) / max(len(facts), 1), 3),
        "rounds_used_mean": round(statistics.mean(fact["rounds"] for fact in facts), 2) if facts else None,
        "median_seconds_per_generate": round(statistics.median(seconds), 1) if seconds else None,
    }


def table(summary: dict) -> str:
    lines = ["| system | mode | runs | first-attempt rule pass | rounds used | median s / generate |",
             "| --- | --- | --- | --- | --- | --- |"]
    for system, modes in summary.items():
        for mode, facts in modes.items():
            lines.append(f"| {system} | {mode} | {facts['runs']} | {facts['first_attempt_rule_pass']:.0%} | "
                         f"{facts['rounds_used_mean']} | {facts['median_seconds_per_generate']} |")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    for system, extra in SYSTEMS.items():
        if system in args.systems.split(","):
            bench(out / system, extra, args.n)
    summary = {system: {mode: summarise(out / system / mode) for mode in ("cor", "cor+critic")}
               for system in SYSTEMS if (out / system).is_dir()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    benches = "\n\n".join(f"## {system}\n\n" + (out / system / "bench.md").read_text().split("\n", 2)[2]
                          for system in summary if (out / system / "bench.md").is_file())
    (out / "summary.md").write_text(f"# Mini-Storyteller vs base\n\n{table(summary)}\n\n{benches}\n")
    print(table(summary))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "student_bench"))
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--systems", default="student,base")
    sys.exit(main(parser.parse_args()))
