"""CLI commands, one module each: ``add_parser(subparsers)`` and ``run(args) -> exit code``.

Modules here import only argparse-level things at the top; heavy work is imported inside
``run`` so that ``storypainter --help`` stays fast.
"""

COMMAND_MODULES = ("generate", "resume", "batch", "eval", "bench", "index", "distill", "coherence", "ui")
