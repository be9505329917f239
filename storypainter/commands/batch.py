"""``storypainter batch THEMES_FILE | --count N --concurrency K --out DIR``."""

from __future__ import annotations

import argparse

from storypainter.commands.settings_flags import add_context_flags, context_overrides


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("batch", help="many stories, concurrent and resumable after a kill")
    parser.add_argument("themes_file", nargs="?", help="a text file with one theme per line")
    parser.add_argument("--count", type=int, help="N free-theme stories instead of a themes file")
    parser.add_argument("--concurrency", type=int, default=1, help="stories in flight at once (remote models)")
    parser.add_argument("--workers", choices=("auto", "threads", "processes"), default="auto",
                        help="threads in this process, or spread over one process per core "
                        "(auto: processes unless a model or the Chroma store lives in-process)")
    parser.add_argument("--wait", action="store_true", help="wait for another process using --out to finish")
    add_context_flags(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from storypainter.batch import MAX_ITEMS, read_themes, run_batch, summary_table
    from storypainter.config import load_context
    from storypainter.errors import ConfigError

    if bool(args.themes_file) == bool(args.count):
        raise ConfigError("batch: give either a themes file or --count N")
    if args.count is not None and not 1 <= args.count <= MAX_ITEMS:
        raise ConfigError(f"batch: --count must lie in 1..{MAX_ITEMS}, got {args.count}")
    if not args.out_dir:
        raise ConfigError("batch: --out DIR is required (it is also how a killed batch resumes)")
    context = load_context(args.config, **context_overrides(args))
    themes = read_themes(args.themes_file) if args.themes_file else [""] * args.count
    outcomes = run_batch(Path(args.out_dir), themes, context, args.concurrency, workers=args.workers, wait=args.wait)
    print(summary_table(outcomes))
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0
