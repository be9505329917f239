"""``storypainter eval RUN_DIR...``: score finished runs (semantic, alignment, rules, set diversity)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("table", "csv", "json", "html")
FILE_NAMES = {"csv": "eval.csv", "json": "eval.json", "html": "report.html"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="score run directories and write a table, CSV, JSON or HTML report")
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="a run directory or a folder of them")
    parser.add_argument("--out", default="eval", help="folder for csv/json/html files (default: ./eval)")
    parser.add_argument("--format", default="table", help="comma-separated: table,csv,json,html (default: table)")
    parser.add_argument("--embeddings", default="minilm", help="minilm, hash or a sentence-transformers directory")
    parser.add_argument("-k", type=int, default=5, help="neighbours per story for diversity (default: 5)")


def parse_formats(text: str) -> list[str]:
    from storypainter.errors import ConfigError

    formats = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"--format: unknown format {', '.join(unknown) or '(none)'}; use {','.join(FORMATS)}")
    return formats


def write_outputs(evaluation, formats: list[str], out_dir: Path) -> None:
    from storypainter.evaluation import report
    from storypainter.runs import atomic_write_bytes

    writers = {"csv": report.to_csv, "json": report.to_json, "html": report.to_html}
    for name in formats:
        if name == "table":
            print(report.to_table(evaluation), end="")
            continue
        path = out_dir / FILE_NAMES[name]
        atomic_write_bytes(path, writers[name](evaluation).encode("utf-8"))
        print(f"wrote {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from storypainter.errors import ConfigError
    from storypainter.evaluation.report import evaluate, load_runs

    formats = parse_formats(args.format)
    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}")
    rows, problems = load_runs(args.run_dirs)
    for problem in problems:
        print(f"storypainter: skipped {problem}", file=sys.stderr)
    if not rows:
        print("storypainter: error: no readable runs to evaluate", file=sys.stderr)
        return 1
    write_outputs(evaluate(rows, problems, args.embeddings, args.k), formats, Path(args.out))
    return 0
