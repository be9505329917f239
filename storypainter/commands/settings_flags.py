"""Command-line flags generated from settings dataclasses (``Context``, ``TrainSettings``),
so flags, YAML and defaults agree.

Every scalar field becomes ``--name-with-dashes`` (booleans also ``--no-...``) with its
description as help and ``None`` as the parsed default, so an unset flag leaves the
config's (or Context's) value alone. Option mappings (``llm_options`` ...) stay in YAML.
"""

from __future__ import annotations

import argparse
import types
import typing
from dataclasses import fields
from typing import Any, Literal

from storypainter.agent.context import Context

FLAG_ALIASES = {"out_dir": ["--out"]}
SCALARS = (str, int, float)


def scalar_type(annotation: Any) -> tuple[Any, list[str] | None]:
    """(python type, choices) of a field annotation, or (None, None) for a non-scalar."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if typing.get_origin(annotation) is Literal:
        return str, list(typing.get_args(annotation))
    return (annotation, None) if annotation in (*SCALARS, bool) else (None, None)


def add_context_flags(parser: argparse.ArgumentParser) -> None:
    """A flag per scalar Context field, plus ``--config``."""
    parser.add_argument("--config", help="a shipped config by name (default, openai, local-gpu, paper-cor, "
                        "paper-naive) or a YAML file; flags override it")
    add_dataclass_flags(parser, Context)


def add_dataclass_flags(parser: argparse.ArgumentParser, settings: type, required: tuple[str, ...] = ()) -> None:
    """A flag per scalar field of the ``settings`` dataclass; ``required`` ones must be given."""
    hints = typing.get_type_hints(settings, include_extras=True)
    for item in fields(settings):
        kind, choices = scalar_type(hints[item.name])
        if kind is None:
            continue
        names = [f"--{item.name.replace('_', '-')}", *FLAG_ALIASES.get(item.name, [])]
        help_text = item.metadata.get("description", "")
        if kind is bool:
            parser.add_argument(*names, dest=item.name, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(*names, dest=item.name, type=kind, choices=choices, help=help_text,
                                required=item.name in required)


def context_overrides(args: argparse.Namespace, settings: type = Context) -> dict[str, Any]:
    """The ``settings`` fields given on the command line (unset flags are left out)."""
    names = {item.name for item in fields(settings)}
    return {name: value for name, value in vars(args).items() if name in names and value is not None}
