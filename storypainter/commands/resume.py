"""``storypainter resume RUN_DIR``: continue an interrupted, failed or paused run."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("resume", help="continue a run from its last checkpoint")
    parser.add_argument("run_dir", help="the run directory to continue")
    parser.add_argument("--quiet", action="store_true", help="no live progress, only the summary")
    parser.add_argument("--tokens", action="store_true", help="echo the storyteller's reply token by token")


def run(args: argparse.Namespace) -> int:
    import sys
    import time
    from pathlib import Path

    from storypainter.progress import resume_run, summary, terminal_reviewer, token_mode

    started = time.perf_counter()
    out = None if args.quiet else sys.stderr
    values = resume_run(Path(args.run_dir), out, terminal_reviewer, tokens=token_mode(args.tokens))
    print(summary(values, time.perf_counter() - started))
    return 0
