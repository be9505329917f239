"""The ``storypainter`` command line. Each command lives in storypainter/commands/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from storypainter import interrupts
from storypainter.commands import COMMAND_MODULES
from storypainter.errors import StorypainterError, describe_fault

EXIT_INTERRUPTED = 130  # SIGINT; SIGTERM exits 143 (128 + the signal's number)


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(prog="storypainter", description="Generate storytelling images.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"storypainter.commands.{name}")
        module.add_parser(subparsers)
        modules[name] = module
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        with interrupts.handled():
            return modules[args.command].run(args)
    except StorypainterError as error:
        print(f"storypainter: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as error:
        stop = interrupts.interrupted(error)
        interrupts.report(str(stop))
        interrupts.leave(stop.exit_code)
        return stop.exit_code
    except Exception as error:
        if os.environ.get("STORYPAINTER_DEBUG"):
            traceback.print_exc()
        fault = describe_fault(error)
        print(f"storypainter: error: {fault}", file=sys.stderr)
        return fault.exit_code


if __name__ == "__main__":
    sys.exit(main())
