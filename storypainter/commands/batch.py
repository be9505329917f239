"""``storypainter batch THEMES_FILE | --count N --out DIR [--engine local|ray] [--budget-usd X]``."""

from __future__ import annotations

import argparse

from storypainter.commands.settings_flags import add_context_flags, context_overrides

EXIT_BUDGET = 3  # stopped by a budget cap with items left: rerun with a higher cap to continue


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("batch", help="many stories, concurrent and resumable, here or on a Ray cluster")
    parser.add_argument("themes_file", nargs="?", help="a text file with one theme per line")
    parser.add_argument("--count", type=int, help="N free-theme stories instead of a themes file")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="stories in flight at once (local: default 1; ray: default what the cluster holds)")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: this machine; ray: a Ray cluster (the ray extra), one worker per item in flight")
    parser.add_argument("--address", default=None,
                        help="ray: the cluster to join (HOST:PORT or auto); default: a new local cluster on 127.0.0.1")
    parser.add_argument("--workers", choices=("auto", "threads", "processes"), default="auto",
                        help="local: threads in this process, or spread over one process per core "
                        "(auto: processes unless a model or the embedded Chroma store lives in-process)")
    parser.add_argument("--budget-usd", type=float, default=None,
                        help="start no new item once the batch's ledger reaches this many US dollars (needs prices)")
    parser.add_argument("--budget-tokens", type=int, default=None,
                        help="start no new item once the batch's ledger reaches this many tokens (in + out)")
    parser.add_argument("--wait", action="store_true", help="wait for another process using --out to finish")
    add_context_flags(parser)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from storypainter.batch import MAX_ITEMS, Budget, read_themes, run_batch, summary_table
    from storypainter.config import load_context
    from storypainter.errors import ConfigError

    if bool(args.themes_file) == bool(args.count):
        raise ConfigError("batch: give either a themes file or --count N")
    if args.count is not None and not 1 <= args.count <= MAX_ITEMS:
        raise ConfigError(f"batch: --count must lie in 1..{MAX_ITEMS}, got {args.count}")
    if not args.out_dir:
        raise ConfigError("batch: --out DIR is required (it is also how a killed batch resumes)")
    if args.address is not None and args.engine != "ray":
        raise ConfigError("batch: --address needs --engine ray")
    budget = Budget(usd=args.budget_usd, tokens=args.budget_tokens)
    context = load_context(args.config, **context_overrides(args))
    themes = read_themes(args.themes_file) if args.themes_file else [""] * args.count
    outcomes = run_batch(Path(args.out_dir), themes, context, args.concurrency, out=sys.stderr, workers=args.workers,
                         wait=args.wait, engine=args.engine, address=args.address, budget=budget)
    print(summary_table(outcomes))
    if any(outcome.status == "failed" for outcome in outcomes):
        return 1
    return EXIT_BUDGET if any(outcome.status == "not started" for outcome in outcomes) else 0
