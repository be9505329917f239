"""Load and validate run settings from YAML plus command-line overrides."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from storypainter.agent.context import Context
from storypainter.backends.registry import validate_provider_strings
from storypainter.errors import ConfigError

MAX_THEME_CHARS = 10_000
CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; every failure is a one-line ConfigError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        raise ConfigError(f"invalid YAML in {path}{line}: {getattr(error, 'problem', error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return data


def build_context(values: dict[str, Any], source: str = "settings") -> Context:
    """Validate a mapping of settings into a Context (unknown keys are errors)."""
    try:
        context = TypeAdapter(Context).validate_python(values)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(root)"
        if first["type"] == "unexpected_keyword_argument":
            raise ConfigError(f"{source}: unknown setting '{field}'") from None
        raise ConfigError(f"{source}: {field}: {first['msg']}") from None
    check_ranges(context, source)
    validate_provider_strings(context)
    return context


def check_ranges(context: Context, source: str) -> None:
    rules = [
        (context.max_rounds >= 1, f"max_rounds must be at least 1, got {context.max_rounds}"),
        (context.examples_k >= 0, f"examples_k must be 0 or more, got {context.examples_k}"),
        (context.max_repairs >= 0, f"max_repairs must be 0 or more, got {context.max_repairs}"),
        (0 <= context.alignment_threshold <= 1, "alignment_threshold must lie in 0..1"),
        (0 < context.copy_threshold <= 1, "copy_threshold must lie in (0, 1]"),
        (64 <= context.width <= 4096 and 64 <= context.height <= 4096, "width and height must lie in 64..4096"),
        (0 <= context.temperature <= 2, "temperature must lie in 0..2"),
    ]
    for ok, message in rules:
        if not ok:
            raise ConfigError(f"{source}: {message}")


def load_context(config: str | Path | None = None, **overrides: Any) -> Context:
    """Settings from a YAML file (default: configs/default.yaml) with overrides applied."""
    path = Path(config) if config else CONFIG_DIR / "default.yaml"
    values = read_yaml(path) if path.exists() or config else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    return build_context(values, source=str(path))


def with_overrides(context: Context, **overrides: Any) -> Context:
    return replace(context, **{key: value for key, value in overrides.items() if value is not None})


def check_theme(theme: str) -> str:
    """A theme is free text; reject only what cannot be a theme."""
    if len(theme) > MAX_THEME_CHARS:
        raise ConfigError(f"theme is {len(theme)} characters long; the limit is {MAX_THEME_CHARS}")
    if any(ord(char) < 32 and char not in "\n\t" for char in theme):
        raise ConfigError("theme contains control characters")
    stripped = theme.strip()
    if stripped and not any(char.isalnum() for char in stripped):
        raise ConfigError(f"theme has no words, only symbols: {stripped[:40]!r}")
    return stripped
