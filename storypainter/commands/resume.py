"""``storypainter resume RUN_DIR``: continue an interrupted, failed or paused run."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("resume", help="continue a run from its last checkpoint")
    parser.add_argument("run_dir", help="the run directory to continue")
    parser.add_argument("--quiet", action="store_true", help="no live progress, only the summary")
    parser.add_argument("--tokens", action="store_true", help="echo the storyteller's reply token by token")
    parser.add_argument("--wait", action="store_true", help="wait for another process using the run to finish")


def run(args: argparse.Namespace) -> int:
    import sys
    import time
    from pathlib import Path

    from storypainter.progress import summary, terminal_reviewer, token_mode
    from storypainter.runner import RunFinished, resume_run

    started = time.perf_counter()
    out = None if args.quiet else sys.stderr
    try:
        values = resume_run(Path(args.run_dir), out, terminal_reviewer, tokens=token_mode(args.tokens), wait=args.wait)
    except RunFinished as finished:
        print(f"storypainter: {finished}", file=sys.stderr)
        return 0
    print(summary(values, time.perf_counter() - started))
    return 0
