"""Mini-Storyteller vs its base on the 30 held-out themes, same seeds: single pass and critic loop.

    python benchmarks/student_vs_base.py [--out docs/student_bench] [-n 30] [--systems student,base]

Each system runs ``storypainter bench --modes cor+critic`` on ``benchmarks/data/heldout_themes.txt``
(themes that appear nowhere in the teacher corpus): the student is the default config
(``local:mini-storyteller``, its compact prompt); the base is ``local:smollm2`` with the CoR
prompt and 2 examples (the previous default). The **single pass** is each run's first attempt:
the same plan, prompt and seed a ``cor`` single-pass run would use, so it is measured from the
same runs instead of paying for them twice (llama.cpp reuses its cache between calls, so a
separate single-pass run samples the same distribution, not the same bytes). Reported per
system and arm: rule pass rate, semantic score and alignment with 95% t-intervals, diversity
(MiniLM, k=5) with a bootstrap interval, rounds used and median seconds per ``generate``.
Results: ``<out>/summary.md`` and ``summary.json``; the bench's own tables stay in ``<out>/<system>``, and
each run's first story in ``<out>/<system>/first_attempts.jsonl`` (kept in git, unlike the runs, so that
another judge can score them: ``benchmarks/coherence_eval.py``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np

from storypainter.evaluation.diversity import diversity_scores
from storypainter.evaluation.report.loading import embed_texts
from storypainter.evaluation.report.statistics import bootstrap_interval, mean_interval, wilson_interval
from storypainter.evaluation.semantic import coherent_share, semantic_score
from storypainter.evaluation.theme import theme_problems
from storypainter.schema import Story, StoryCheck

ROOT = Path(__file__).resolve().parent.parent
THEMES = ROOT / "benchmarks" / "data" / "heldout_themes.txt"
SYSTEMS = {"student": ["--config", "default"],
           "base": ["--config", str(ROOT / "benchmarks" / "data" / "base-smollm2.yaml")]}


def bench(out: Path, extra: list[str], count: int) -> None:
    command = [sys.executable, "-m", "storypainter.cli", "bench", "--modes", "cor+critic", "-n", str(count),
               "--themes", str(THEMES), "--out", str(out), "--reference", "none", *extra]
    subprocess.run(command, check=True)


def attempt_facts(folder: Path, theme: str) -> dict:
    """One attempt's story and scores; semantic and coherence from the critic's own chain marks."""
    story = Story.model_validate_json((folder / "story.json").read_text())
    critique = json.loads((folder / "critique.json").read_text())
    check = StoryCheck.model_validate(critique["check"])
    marks = check.chains or None
    return {"story": story, "passed": not check.violations,
            "rules passed": not [v for v in check.violations if v.rule not in ("incoherent_chain", "off_theme")],
            "semantic": semantic_score(story, marks).score, "alignment": critique["report"].get("overall"),
            "coherent": coherent_share(check.chains),
            "mean coherence": statistics.mean(mark.coherence for mark in marks) if marks else None,
            "told incoherent": any(v.rule == "incoherent_chain" for v in check.violations),
            "theme kept": not theme_problems(theme, story)}


def run_facts(run_dir: Path) -> dict | None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    if manifest.get("status") != "complete":
        return None
    result = json.loads((run_dir / "result.json").read_text())
    theme = json.loads((run_dir / "request.json").read_text())["theme"]
    started, finished = (datetime.fromisoformat(manifest[key]) for key in ("started", "finished"))
    attempts = [attempt_facts(folder, theme) for folder in sorted((run_dir / "attempts").iterdir())]
    return {"single pass": attempts[0], "critic loop": attempts[result["best_attempt"] - 1], "attempts": attempts,
            "rounds": len(attempts), "seconds": (finished - started).total_seconds()}


def write_first_attempts(runs: list[Path], path: Path) -> None:
    """Each run's theme and first story, one JSON line per run."""
    lines = [json.dumps({"run": run.name, "theme": json.loads((run / "request.json").read_text())["theme"],
                         "story": json.loads((run / "attempts" / "01" / "story.json").read_text())},
                        ensure_ascii=False) for run in runs if (run / "attempts" / "01" / "story.json").is_file()]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def feedback_outcomes(facts: list[dict]) -> dict:
    """How often an attempt sent back for incoherent chains was followed by a more coherent one."""
    pairs = [(before, after) for fact in facts for before, after in itertools.pairwise(fact["attempts"])
             if before["told incoherent"] and before["mean coherence"] is not None]
    better = sum(after["mean coherence"] > before["mean coherence"] for before, after in pairs)
    return {"revisions after incoherence feedback": len(pairs), "next attempt more coherent": better}


def cell(interval, pattern: str = "{:.1f}") -> str:
    if interval.mean is None:
        return "-"
    if interval.low is None:
        return pattern.format(interval.mean)
    return f"{pattern.format(interval.mean)} [{pattern.format(interval.low)}, {pattern.format(interval.high)}]"


def diversity_cell(mean: float, interval) -> str:
    return f"{mean:.3f} [{interval.low:.3f}, {interval.high:.3f}]" if interval.low is not None else f"{mean:.3f}"


def arm_row(facts: list[dict], arm: str, embedder: str) -> dict:
    chosen = [fact[arm] for fact in facts]
    vectors = np.asarray(embed_texts([item["story"].description for item in chosen], embedder))
    diversity = diversity_scores(vectors, k=5)
    return {
        "runs": len(chosen),
        "rule pass": cell(wilson_interval(sum(item["rules passed"] for item in chosen), len(chosen)), "{:.0%}"),
        "semantic": cell(mean_interval([item["semantic"] for item in chosen], (0, 100))),
        "coherent chains": cell(mean_interval([item["coherent"] for item in chosen], (0, 1)), "{:.0%}"),
        "theme kept": cell(wilson_interval(sum(item["theme kept"] for item in chosen), len(chosen)), "{:.0%}"),
        "alignment": cell(mean_interval([item["alignment"] for item in chosen], (0, 1)), "{:.2f}"),
        "diversity": diversity_cell(diversity.mean, bootstrap_interval(diversity.per_item)),
        "semantic_mean": statistics.mean(item["semantic"] for item in chosen),
        "diversity_mean": diversity.mean,
        "rule_pass_rate": sum(item["rules passed"] for item in chosen) / len(chosen),
        "rounds used": round(statistics.mean(fact["rounds"] for fact in facts), 2) if arm == "critic loop" else 1,
        "median s / generate": round(statistics.median(fact["seconds"] for fact in facts), 1),
    }


COLUMNS = ("runs", "rule pass", "semantic", "coherent chains", "theme kept", "alignment", "diversity", "rounds used",
           "median s / generate")


def markdown(summary: dict) -> str:
    lines = ["| system | arm | " + " | ".join(COLUMNS) + " |", "|" + " --- |" * (len(COLUMNS) + 2)]
    for system, arms in summary.items():
        for arm, row in arms.items():
            lines.append(f"| {system} | {arm} | " + " | ".join(str(row[column]) for column in COLUMNS) + " |")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    for system in filter(None, args.systems.split(",")):
        bench(out / system, SYSTEMS[system], args.n)
    summary, feedback = {}, {}
    for system in SYSTEMS:
        runs = sorted((out / system / "cor+critic" / "runs").glob("*/"))
        if runs:
            write_first_attempts(runs, out / system / "first_attempts.jsonl")
        facts = [fact for path in runs if (fact := run_facts(path))]
        if facts:
            summary[system] = {arm: arm_row(facts, arm, "minilm") for arm in ("single pass", "critic loop")}
            feedback[system] = feedback_outcomes(facts)
    (out / "summary.json").write_text(json.dumps({"arms": summary, "feedback": feedback}, indent=2, default=str) + "\n")
    notes = ("Single pass = each run's first attempt (see benchmarks/student_vs_base.py). Cells: mean [95% interval]; "
             "rule pass (the story rules other than coherence and theme) and theme kept: Wilson; semantic (coherent "
             "chains only), coherent chains (share of a story's chains the learned judge finds coherent), alignment: "
             "Student's t; diversity: bootstrap over the stories' scores. Coherence feedback: "
             + "; ".join(f"{system}: {row['next attempt more coherent']} of "
                         f"{row['revisions after incoherence feedback']} revisions after 'incoherent_chain' feedback "
                         "were more coherent" for system, row in feedback.items()) + ".")
    title = f"# Mini-Storyteller vs base, {args.n} held-out themes"
    (out / "summary.md").write_text(f"{title}\n\n{markdown(summary)}\n\n{notes}\n")
    print(markdown(summary))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "student_bench"))
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--systems", default="student,base", help="which systems to (re)run; all found are summarised")
    sys.exit(main(parser.parse_args()))
