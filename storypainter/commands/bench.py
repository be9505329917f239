"""``storypainter bench``: the paper's prompting ablation side by side, on the same models and seeds.

- ``naive``: naive prompt, no examples, a single pass (no critic loop, one round);
- ``cor``: CoR-guided prompt with dynamic in-context examples, a single pass;
- ``cor+critic``: ``cor`` with the critic loop and the config's round budget.

Each mode runs the graph for the same N seeds (and themes), each with its own self-memory,
then every run is evaluated; bench.md, bench.csv, bench.json and report.html land in ``--out``.
A human reference row (``--reference``: the seed corpus by default, or a CogBench-format
file; ``none`` leaves it out) scores annotated scenes with the same semantic scorer and
embedder, its diversity matched to the systems' set size.
An earlier run in ``--out`` with the same settings and theme that completed or failed is
reused, so an interrupted bench resumes where it stopped.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import MISSING, asdict, fields, replace
from pathlib import Path

MODES = ("naive", "cor", "cor+critic")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="the paper's ablation: naive vs cor vs cor+critic on the same seeds")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}")
    parser.add_argument("-n", type=int, default=10, help="stories per mode (seeds S..S+N-1, default 10)")
    parser.add_argument("--config", help="a shipped config by name or a YAML file (default: the defaults)")
    parser.add_argument("--out", default="bench", help="output folder (default: ./bench)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--themes", help="file with one theme per line, used in turn (default: the empty theme)")
    parser.add_argument("-k", type=int, default=5, help="neighbours per story for diversity (default: 5)")
    parser.add_argument("--reference", default="seed", metavar="SOURCE",
                        help="human reference row: 'seed' (default), a CogBench-format .json file, or 'none'")


def parse_modes(text: str) -> list[str]:
    from storypainter.errors import ConfigError

    modes = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in modes if name not in MODES]
    if unknown or not modes:
        raise ConfigError(f"--modes: unknown mode {', '.join(unknown) or '(none)'}; use {','.join(MODES)}")
    return list(dict.fromkeys(modes))


def read_themes(path: str | None) -> list[str]:
    """Themes from a file (blank lines and '#' comments skipped), or the paper's empty theme."""
    from storypainter.config import check_theme
    from storypainter.errors import ConfigError

    if not path:
        return [""]
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"--themes: cannot read {path}: {error}") from None
    themes = [check_theme(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not themes:
        raise ConfigError(f"--themes: {path} holds no themes")
    return themes


def mode_context(base, mode: str, seed: int, root: Path):
    """The base settings turned into one ablation arm, writing under ``root/mode``."""
    folders = {"out_dir": str(root / mode / "runs"), "memory_dir": str(root / mode / "memory"), "seed": seed}
    if mode == "naive":
        return replace(base, mode="naive", retrieval="none", examples_k=0, critic_loop=False, max_rounds=1, **folders)
    dynamic = base.retrieval != "none" and base.examples_k > 0
    retrieval = base.retrieval if dynamic else "random"
    examples_k = base.examples_k if dynamic else default_setting("examples_k")
    critic = mode == "cor+critic"
    return replace(
        base, mode="cor", retrieval=retrieval, examples_k=examples_k, critic_loop=critic,
        max_rounds=base.max_rounds if critic else 1, **folders,
    )


def default_setting(name: str):
    from storypainter.agent.context import Context

    return getattr(Context(), name)


def same_settings(stored: dict, context) -> bool:
    """Whether a run's stored settings equal ``context``; a setting added since counts when at its default."""
    defaults = {
        field.name: field.default_factory() if field.default is MISSING else field.default
        for field in fields(context)
    }
    current = asdict(context)
    return set(stored) <= set(current) and all(stored.get(name, defaults[name]) == current[name] for name in current)


def finished_run(theme: str, context) -> tuple[Path, str] | None:
    """An earlier run with exactly these settings and theme that completed or failed (so a rerun
    resumes), with its error ('' when it completed); interrupted runs are run again."""
    from storypainter.runs import read_json

    for manifest_path in sorted(Path(context.out_dir).glob("*/manifest.json")):
        try:
            manifest, request = read_json(manifest_path), read_json(manifest_path.parent / "request.json")
            settings = request["context"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        same = isinstance(settings, dict) and same_settings(settings, context) and request.get("theme") == theme
        if same and manifest.get("status") in ("complete", "failed"):
            return manifest_path.parent, manifest.get("error", "")
    return None


def run_once(theme: str, context) -> tuple[Path, str]:
    """One durable run through the runner; returns its directory and an error ('' when it finished)."""
    from storypainter.errors import StorypainterError
    from storypainter.runner import start_run
    from storypainter.runs import new_run_dir

    run_dir = new_run_dir(context.out_dir, theme)
    try:
        start_run(theme, context, out=None, run_dir=run_dir)
    except StorypainterError as error:
        return run_dir, str(error)
    return run_dir, ""


def describe_run(run_dir: Path, error: str, took: str) -> str:
    """One progress line's detail: the scores of a finished run, or why it failed."""
    from storypainter.evaluation.report import load_run
    from storypainter.runs import RunFileProblem

    if error:
        return f"failed ({took}): {error}"
    try:
        row = load_run(run_dir)
    except RunFileProblem as problem:
        return f"unreadable: {problem}"
    alignment = "-" if row.alignment is None else f"{row.alignment:.2f}"
    rules = "pass" if row.check.passed else "fail"
    return (
        f"{row.story.title!r} semantic {row.semantic.score:.1f} alignment {alignment} rules {rules}, "
        f"{row.words} words, attempt {row.best_attempt}/{row.attempts} ({took})"
    )


def run_all(modes: list[str], seeds: list[int], themes: list[str], base, root: Path) -> dict[str, list[Path]]:
    """Every (seed, mode) pair, seeds outermost so that modes see the same machine load."""
    run_dirs: dict[str, list[Path]] = {mode: [] for mode in modes}
    total, done = len(modes) * len(seeds), 0
    for index, seed in enumerate(seeds):
        theme = themes[index % len(themes)]
        for mode in modes:
            started, context = time.perf_counter(), mode_context(base, mode, seed, root)
            earlier = finished_run(theme, context)
            run_dir, error = earlier or run_once(theme, context)
            run_dirs[mode].append(run_dir)
            done += 1
            took = "reused" if earlier else f"{time.perf_counter() - started:.1f}s"
            line = describe_run(run_dir, error, took)
            print(f"[{done:>3}/{total}] {mode:<10} seed {seed}: {line}", file=sys.stderr, flush=True)
    return run_dirs


def evaluate_modes(run_dirs: dict[str, list[Path]], embedder: str, k: int, mark_chains=None) -> dict:
    """One Evaluation per mode over exactly the runs of this bench (semantic: coherent chains only)."""
    from storypainter.evaluation.report import evaluate, load_runs

    evaluations = {}
    for mode, dirs in run_dirs.items():
        rows, problems = load_runs(dirs, mark_chains)
        evaluations[mode] = evaluate(rows, problems, embedder, k)
    return evaluations


def bench_notes(args: argparse.Namespace, base, seeds: list[int], themes: list[str], embedder: str, k: int) -> str:
    theme_text = "the empty theme" if themes == [""] else f"{len(themes)} themes from {args.themes}"
    return (
        f"Config {args.config or 'default'}: storyteller {base.llm}, painter {base.painter}, "
        f"judge {base.judge}, key points from {base.key_points}; seeds {seeds[0]}..{seeds[-1]} with {theme_text}; "
        f"cor+critic budget {base.max_rounds} rounds; diversity over {embedder} embeddings, k={k}"
        + ("." if args.reference.lower() == "none" else f"; human reference {args.reference}.")
    )


def human_reference(source: str, size: int, embedder: str, k: int, mark_chains=None):
    """The reference row's scores (None for 'none'), its diversity matched to ``size`` stories per system."""
    from storypainter.evaluation.report import load_reference

    if source.lower() == "none":
        return None
    reference = load_reference(source, embedder, k, match_size=size, mark_chains=mark_chains)
    for problem in reference.problems:
        print(f"reference: skipped {problem}", file=sys.stderr)
    return reference


def write_reports(
    root: Path, evaluations: dict, notes: str, run_dirs: dict[str, list[Path]], reference=None
) -> None:
    import json

    from storypainter.evaluation import report
    from storypainter.runs import atomic_write_bytes

    summaries = {mode: report.summarize(evaluation) for mode, evaluation in evaluations.items()}
    counts = {mode: f"{len(evaluations[mode].rows)}/{len(run_dirs[mode])}" for mode in evaluations}
    title = "storypainter bench: naive vs CoR vs CoR + critic"
    payload = {
        "notes": notes,
        "modes": {
            mode: json.loads(report.to_json(evaluation, summaries[mode])) | {"runs_ok": counts[mode]}
            for mode, evaluation in evaluations.items()
        },
        **({"reference": report.reference_payload(reference)} if reference else {}),
    }
    outputs = {
        "bench.md": report.bench_markdown(title, summaries, counts, notes, reference),
        "bench.csv": report.bench_csv(summaries, counts, reference),
        "bench.json": json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
        "report.html": report.bench_html(title, summaries, counts, notes, evaluations, reference),
    }
    for name, text in outputs.items():
        atomic_write_bytes(root / name, text.encode("utf-8"))
        print(f"wrote {root / name}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from storypainter.agent.checkpoints import require_durable
    from storypainter.config import load_context
    from storypainter.errors import ConfigError

    modes, themes = parse_modes(args.modes), read_themes(args.themes)
    if args.n < 1 or args.k < 1:
        raise ConfigError("-n and -k must be at least 1")
    from storypainter.providers.judges.coherence import story_marker
    from storypainter.providers.registry import get_coherence_judge

    base = load_context(args.config)
    mark_chains = story_marker(get_coherence_judge(base))
    reference = human_reference(args.reference, args.n, base.embeddings, args.k, mark_chains)  # bad source fails first
    require_durable()  # before any run: a run failed for a missing package would be reused by the next bench
    root = Path(args.out).expanduser().resolve()
    seeds = list(range(args.seed, args.seed + args.n))
    print(f"bench: {', '.join(modes)} x {args.n} seeds -> {root}", file=sys.stderr, flush=True)
    run_dirs = run_all(modes, seeds, themes, base, root)
    evaluations = evaluate_modes(run_dirs, base.embeddings, args.k, mark_chains)
    notes = bench_notes(args, base, seeds, themes, base.embeddings, args.k)
    write_reports(root, evaluations, notes, run_dirs, reference)
    print((root / "bench.md").read_text(encoding="utf-8"))
    return 0
