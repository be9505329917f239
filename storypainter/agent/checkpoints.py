"""Durable runs: one SQLite checkpoint file per run directory.

The graph state holds the project's pydantic values; they are registered with the
serializer so checkpoints load them back without warnings (and keep working once
LangGraph blocks unregistered types).

The SQLite saver is the ``durable`` extra; without it a run stops before it writes anything,
with one line naming the extra.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from storypainter import schema
from storypainter.errors import ConfigError

CHECKPOINT_FILE = "checkpoints.sqlite"
SQLITE_SAVER = "langgraph.checkpoint.sqlite"
DURABLE_MISSING = ("a run keeps its checkpoints in SQLite, which needs the durable extra: "
                   "pip install 'storypainter[durable]'")


def require_durable() -> None:
    """Raise the one-line ConfigError naming the durable extra when the SQLite saver is not installed."""
    try:
        found = importlib.util.find_spec(SQLITE_SAVER) is not None
    except (ImportError, ValueError):  # a parent package is missing, or a test removed the module
        found = False
    if not found:
        raise ConfigError(DURABLE_MISSING)


def schema_types() -> list[tuple[str, str]]:
    return [
        (schema.__name__, name)
        for name, value in vars(schema).items()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == schema.__name__
    ]


@contextmanager
def open_checkpointer(run_dir: str | Path) -> Iterator[Any]:
    """A SqliteSaver for this run directory (created on first use), closed on exit."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    try:
        from langgraph.checkpoint.sqlite import SqliteSaver
    except ImportError:
        raise ConfigError(DURABLE_MISSING) from None

    with closing(sqlite3.connect(str(Path(run_dir) / CHECKPOINT_FILE), check_same_thread=False)) as connection:
        # WAL with synchronous=NORMAL: commits survive a killed process without an fsync each.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        yield SqliteSaver(connection, serde=JsonPlusSerializer(allowed_msgpack_modules=schema_types()))


def thread_config(thread_id: str) -> dict[str, Any]:
    """The checkpoint thread of a run: its id is stored in request.json, so a renamed or copied
    run directory keeps its checkpoints."""
    return {"configurable": {"thread_id": thread_id}}
