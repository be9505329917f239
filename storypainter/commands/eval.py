"""``storypainter eval [RUN_DIR...] [--reference [SOURCE]]``: score finished runs (semantic, alignment,
rules, set diversity) and, with ``--reference``, human annotations beside them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("table", "csv", "json", "html")
FILE_NAMES = {"csv": "eval.csv", "json": "eval.json", "html": "report.html"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="score run directories and write a table, CSV, JSON or HTML report")
    parser.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", help="a run directory or a folder of them")
    parser.add_argument("--out", default="eval", help="folder for csv/json/html files (default: ./eval)")
    parser.add_argument("--format", default="table", help="comma-separated: table,csv,json,html (default: table)")
    parser.add_argument("--embeddings", default="minilm", help="minilm, hash or a sentence-transformers directory")
    parser.add_argument("-k", type=int, default=5, help="neighbours per story for diversity (default: 5)")
    parser.add_argument("--coherence", help="chain-coherence judge for the semantic score: 'learned' (default), "
                        "'llm:<provider string>' or 'off' (then the critic's own marks are used where runs have them)")
    parser.add_argument(
        "--reference", nargs="?", const="seed", metavar="SOURCE",
        help="score human annotations beside the runs: a CogBench-format .json file, or 'seed' "
        "(the project's corpus; the default when the flag has no value)",
    )


def parse_formats(text: str) -> list[str]:
    from storypainter.errors import ConfigError

    formats = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"--format: unknown format {', '.join(unknown) or '(none)'}; use {','.join(FORMATS)}")
    return formats


def write_outputs(evaluation, formats: list[str], out_dir: Path, reference=None) -> None:
    from storypainter.evaluation import report
    from storypainter.runs import atomic_write_bytes

    writers = {
        "csv": lambda: report.to_csv(evaluation, reference),
        "json": lambda: report.to_json(evaluation, reference=reference),
        "html": lambda: report.to_html(evaluation, reference=reference),
    }
    for name in formats:
        if name == "table":
            print(report.to_table(evaluation, reference), end="")
            continue
        path = out_dir / FILE_NAMES[name]
        atomic_write_bytes(path, writers[name]().encode("utf-8"))
        print(f"wrote {path}", file=sys.stderr)


def chain_marker(coherence: str | None):
    """``story -> coherence marks`` from the judge ``coherence`` names (Context's default when None)."""
    from storypainter.agent.context import Context
    from storypainter.providers.judges.coherence import story_marker
    from storypainter.providers.registry import get_coherence_judge, validate_provider_strings

    context = Context() if coherence is None else Context(coherence=coherence)
    validate_provider_strings(context)
    return story_marker(get_coherence_judge(context))


def run(args: argparse.Namespace) -> int:
    from storypainter.errors import ConfigError
    from storypainter.evaluation.report import evaluate, load_reference, load_runs
    from storypainter.text import terminal_safe

    formats = parse_formats(args.format)
    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}")
    if args.reference and Path(args.reference).is_dir():  # `eval --reference RUN_DIR`: the flag had no value
        args.run_dirs, args.reference = [args.reference, *args.run_dirs], "seed"
    if not args.run_dirs and not args.reference:
        raise ConfigError("give run directories to evaluate, --reference, or both")
    mark_chains = chain_marker(args.coherence)
    rows, problems = load_runs(args.run_dirs, mark_chains)
    for problem in problems:
        print(f"storypainter: skipped {terminal_safe(problem)}", file=sys.stderr)
    if args.run_dirs and not rows:
        print("storypainter: error: no readable runs to evaluate", file=sys.stderr)
        return 1
    reference = None
    if args.reference:
        reference = load_reference(args.reference, args.embeddings, args.k, match_size=len(rows),
                                   mark_chains=mark_chains)
        for problem in reference.problems:
            print(f"storypainter: reference: skipped {terminal_safe(problem)}", file=sys.stderr)
    write_outputs(evaluate(rows, problems, args.embeddings, args.k), formats, Path(args.out), reference)
    return 0
