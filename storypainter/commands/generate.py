"""``storypainter generate [THEME]``: one storytelling image through the self-refining graph."""

from __future__ import annotations

import argparse


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs the graph."""
    parser.add_argument("--config", help="YAML settings file (default: configs/default.yaml)")
    parser.add_argument("--mode", choices=["naive", "cor"], help="prompt mode")
    parser.add_argument("--max-rounds", type=int, dest="max_rounds", help="attempt budget of the critic loop")
    parser.add_argument("--seed", type=int, help="run seed (examples, sampling, image seeds)")
    parser.add_argument("--out", dest="out_dir", help="output directory for run directories")
    parser.add_argument("--llm", help="storyteller provider string, e.g. local:smollm2, openai:gpt-4.1")
    parser.add_argument("--painter", help="painter provider string, e.g. storyboard, diffusers:<model>")


def run_options(args: argparse.Namespace) -> dict:
    names = ("mode", "max_rounds", "seed", "out_dir", "llm", "painter")
    return {name: getattr(args, name, None) for name in names}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("generate", help="one storytelling image through the self-refining graph")
    parser.add_argument("theme", nargs="?", default="", help="what the story is about (empty: imagine freely)")
    add_run_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no live progress, only the summary")
    parser.add_argument("--tokens", action="store_true",
                        help="echo the storyteller's reply token by token (on a terminal: a live token count)")
    parser.add_argument("--review", action="store_true", help="pause after the storyteller and the critic for you")


def run(args: argparse.Namespace) -> int:
    from storypainter.config import check_theme, load_context
    from storypainter.progress import run_with_progress, terminal_reviewer, token_mode

    context = load_context(args.config, **run_options(args), review=True if args.review else None)
    theme = check_theme(args.theme)
    reviewer = terminal_reviewer if args.review else None
    return run_with_progress(theme, context, quiet=args.quiet, reviewer=reviewer, tokens=token_mode(args.tokens))
