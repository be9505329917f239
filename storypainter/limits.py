"""Size and depth limits on what comes in from outside, checked before it is used.

- a config file (or a run's request.json) over ``MAX_CONFIG_BYTES`` is refused unread;
- a settings tree (a whole config, ``llm_options``, ``painter_options``) over
  ``MAX_TREE_NODES`` values or ``MAX_TREE_DEPTH`` levels is refused, counting every use of
  a YAML alias as the copy it becomes, so a small alias bomb is refused in microseconds;
- a reference or corpus file over ``MAX_CORPUS_BYTES`` is refused unread.

(A model's reply has its own caps, in ``providers/llms/structured.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storypainter.errors import ConfigError

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: the shipped configs are under 1 KB
MAX_TREE_NODES = 10_000
MAX_TREE_DEPTH = 16
MAX_CORPUS_BYTES = 64 << 20  # 64 MiB: CogBench's annotations are a few MB


def check_file_size(path: Path, limit: int, what: str) -> None:
    """Refuse a file larger than ``limit`` bytes before reading it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # a missing or unreadable file is reported by its reader
    if size > limit:
        raise ConfigError(f"{what} {path} is {size:,} bytes; the limit is {limit:,}")


def tree_problem(value: Any) -> str | None:
    """Why a YAML/JSON tree is too big or too deep (aliases counted at every use), or None."""
    count, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_TREE_NODES:
            return f"more than {MAX_TREE_NODES:,} values (a YAML alias counts at each use)"
        if depth > MAX_TREE_DEPTH:
            return f"nested more than {MAX_TREE_DEPTH} levels deep"
        if isinstance(node, dict):
            stack.extend((item, depth + 1) for pair in node.items() for item in pair)
        elif isinstance(node, list | tuple | set):
            stack.extend((item, depth + 1) for item in node)
    return None
