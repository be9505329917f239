"""``storypainter generate [THEME]``: one storytelling image through the self-refining graph."""

from __future__ import annotations

import argparse

from storypainter.commands.settings_flags import add_context_flags, context_overrides


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("generate", help="one storytelling image through the self-refining graph")
    parser.add_argument("theme", nargs="?", default="", help="what the story is about (empty: imagine freely)")
    add_context_flags(parser)
    parser.add_argument("--quiet", action="store_true", help="no live progress, only the summary")
    parser.add_argument("--tokens", action="store_true",
                        help="echo the storyteller's reply token by token (on a terminal: a live token count)")


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from storypainter.config import check_theme, load_context
    from storypainter.progress import summary, terminal_reviewer, token_mode
    from storypainter.runner import start_run

    context = load_context(args.config, **context_overrides(args))
    theme = check_theme(args.theme)
    reviewer = terminal_reviewer if context.review else None
    started = time.perf_counter()
    values = start_run(theme, context, None if args.quiet else sys.stderr, reviewer, tokens=token_mode(args.tokens))
    print(summary(values, time.perf_counter() - started))
    return 0
