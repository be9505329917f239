"""Prompt templates live as text files next to this module; code only fills them.

Templates use ``$name`` placeholders (string.Template); a missing value is an error.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

PROMPT_DIR = Path(__file__).resolve().parent


@cache
def template(name: str) -> Template:
    path = PROMPT_DIR / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt template named '{name}' in {PROMPT_DIR}")
    return Template(path.read_text(encoding="utf-8").strip())


def render(name: str, **values: object) -> str:
    """Fill the template ``prompts/<name>.md``."""
    return template(name).substitute({key: str(value) for key, value in values.items()})
