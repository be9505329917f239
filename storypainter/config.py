"""Load and validate run settings: a shipped config by name or a YAML file, plus overrides.

The defaults live in ``Context`` alone; a config states only what differs from them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from storypainter.agent.context import Context
from storypainter.errors import ConfigError
from storypainter.limits import MAX_CONFIG_BYTES, check_file_size, tree_problem
from storypainter.providers.registry import validate_provider_strings

MAX_THEME_CHARS = 10_000
CONFIG_DIR = Path(__file__).resolve().parent / "configs"


SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,60}")
YAML_MERGE = "tag:yaml.org,2002:merge"  # '<<: *base' merges keys that the mapping may then override


def shown_key(key: object) -> str:
    """A key as an error may show it: a setting-like name quoted, anything else never echoed (it may be a
    line of a file that is no config at all, such as /etc/shadow)."""
    return f"'{key}'" if isinstance(key, str) and SETTING_NAME.fullmatch(key) else "(a key that is no setting name)"


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a mapping that has one key twice (YAML requires unique keys)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = None if key_node.tag == YAML_MERGE else self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {shown_key(key)}",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; every failure is a one-line ConfigError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    check_file_size(path, MAX_CONFIG_BYTES, "config file")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except RecursionError:
        raise ConfigError(f"{path}: the settings are nested too deep") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        raise ConfigError(f"invalid YAML in {path}{line}: {getattr(error, 'problem', error)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    if problem := tree_problem(data):
        raise ConfigError(f"{path}: the settings are {problem}")
    return data


def build_context(values: dict[str, Any], source: str = "settings", check_models: bool = True) -> Context:
    """Validate a mapping of settings into a Context (unknown keys and out-of-range values are errors).

    ``check_models=False`` leaves the provider strings unchecked, for commands that load no model.
    """
    try:
        context = TypeAdapter(Context).validate_python(values)
    except ValidationError as error:
        raise ConfigError(f"{source}: {describe_setting_error(error)}") from None
    if check_models:
        validate_provider_strings(context)
    return context


def describe_setting_error(error: ValidationError) -> str:
    """The first problem of a settings ValidationError as 'field: message'."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(root)"
    if first["type"] == "unexpected_keyword_argument":
        return f"unknown setting {shown_key(field)}"
    return f"{field}: {first['msg'].removeprefix('Value error, ')}"


def shipped_configs() -> list[str]:
    return sorted(path.stem for path in CONFIG_DIR.glob("*.yaml"))


def config_path(config: str | Path) -> Path:
    """A shipped config by name (``openai``) or a YAML file by path; a missing one is an error."""
    if (CONFIG_DIR / f"{config}.yaml").is_file() and "/" not in str(config):
        return CONFIG_DIR / f"{config}.yaml"
    path = Path(config)
    if not path.is_file():
        raise ConfigError(f"config not found: {config} (a YAML path or one of: {', '.join(shipped_configs())})")
    return path


def load_context(config: str | Path | None = None, check_models: bool = True, **overrides: Any) -> Context:
    """Settings from ``config`` (none: the defaults) with the non-None overrides applied."""
    path = config_path(config) if config else None
    values = read_yaml(path) if path else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    return build_context(values, source=str(path) if path else "settings", check_models=check_models)


def check_theme(theme: str) -> str:
    """A theme is free text; reject only what cannot be a theme."""
    if len(theme) > MAX_THEME_CHARS:
        raise ConfigError(f"theme is {len(theme)} characters long; the limit is {MAX_THEME_CHARS}")
    try:
        theme.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError("theme is not valid UTF-8 text") from None
    if any(ord(char) < 32 and char not in "\n\t" for char in theme):
        raise ConfigError("theme contains control characters")
    stripped = theme.strip()
    if stripped and not any(char.isalnum() for char in stripped):
        raise ConfigError(f"theme has no words, only symbols: {stripped[:40]!r}")
    return stripped
