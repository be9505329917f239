"""Self-memory: accepted stories above a score threshold, so long jobs stop repeating.

The durable record is ``<memory_dir>/generated.jsonl`` (one line per accepted story,
appended with a single write). Each line also keeps the run's theme and planned setting,
read from the ``request.json`` the planner wrote in the run directory, because the
planner's setting choice is made from a fixed catalogue and matches it word for word,
whereas the story's own location and time are paraphrases. The planner reads the tail
(``recent_settings``) without touching Chroma; the example store mirrors the file into
its ``generated`` collection (``remembered_stories``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from storypainter.memory.corpus import example_from_story
from storypainter.schema import Example, Story

if TYPE_CHECKING:
    from storypainter.agent.context import Context

RECENT_LIMIT = 20
TAIL_BLOCK_BYTES = 1 << 16
GENERATED_FILE = "generated.jsonl"


@dataclass(frozen=True)
class Remembered:
    """One remembered story as an example; ``id`` changes whenever its line does."""

    id: str
    score: float
    example: Example


def generated_path(memory_dir: str | Path) -> Path:
    return Path(memory_dir).expanduser() / GENERATED_FILE


def memory_file(context: Context) -> Path:
    return generated_path(context.memory_dir)


def planned_request(run_dir: str) -> dict:
    """Theme and planned setting of a run, from its request.json ({} when unreadable)."""
    if not run_dir:
        return {}
    try:
        request = json.loads((Path(run_dir) / "request.json").read_text(encoding="utf-8"))
        plan = request.get("plan") or {}
        return {"theme": str(request.get("theme", "")), "setting": str(plan.get("setting", ""))}
    except (OSError, ValueError, AttributeError):
        return {}


def remember(context: Context, story: Story, score: float, run_dir: str) -> bool:
    """Append an accepted story to self-memory when its score passes the threshold."""
    if score < context.remember_threshold:
        return False
    path = memory_file(context)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "story": story.model_dump(mode="json"),
        "score": score,
        "run_dir": run_dir,
        "time": time.time(),
        **planned_request(run_dir),
    }
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)
    return True


def numbered_lines(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]


def read_records(path: Path) -> list[dict]:
    """Every readable JSON object in a self-memory file, oldest first."""
    return parse_records(line for _, line in numbered_lines(path))


def parse_records(lines: Iterable[str]) -> list[dict]:
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def setting_of(record: dict) -> str:
    """'location, time', followed by the planned setting (which holds the theme) when known."""
    story = record.get("story") or {}
    told = ", ".join(value for value in (story.get("location"), story.get("time")) if value)
    planned = record.get("setting", "")
    if planned and planned.lower() != told.lower():
        return f"{told} (planned: {planned})" if told else planned
    return told


def tail_records(path: Path, count: int) -> list[dict]:
    """The last ``count`` readable records, oldest first, read from the file's end (a long
    job's self-memory grows by a line per story; the planner must not reread all of it)."""
    if not path.is_file():
        return []
    with path.open("rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        data = b""
        while position > 0 and data.count(b"\n") <= count:
            step = min(TAIL_BLOCK_BYTES, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    lines = data.decode("utf-8", errors="replace").splitlines()[1 if position > 0 else 0 :]
    return parse_records(lines)[-count:]


def recent_settings(context: Context, limit: int = RECENT_LIMIT) -> list[str]:
    """One distinct entry per recent remembered story, newest first (see ``setting_of``)."""
    settings = [setting_of(record) for record in reversed(tail_records(memory_file(context), limit))]
    return list(dict.fromkeys(setting for setting in settings if setting))


def remembered_stories(memory_dir: str | Path) -> list[Remembered]:
    """Every valid remembered story, oldest first, with a stable id per line."""
    path = generated_path(memory_dir)
    stories = []
    for number, line in numbered_lines(path):
        try:
            record = json.loads(line)
            story = Story.model_validate(record["story"])
            score = float(record.get("score", 0.0))
        except (json.JSONDecodeError, ValidationError, KeyError, TypeError, ValueError):
            continue
        digest = hashlib.sha256(line.encode("utf-8")).hexdigest()[:8]
        example_id = f"generated:{number}:{digest}"
        stories.append(Remembered(example_id, score, example_from_story(example_id, story, "generated")))
    return stories
