"""Self-memory: accepted stories above a score threshold, so long jobs stop repeating.

The durable record is ``<memory_dir>/generated.jsonl`` (one line per accepted story,
appended with a single write); the planner reads its tail without touching Chroma.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from storypainter.memory.corpus import example_from_story
from storypainter.schema import Example, Story

if TYPE_CHECKING:
    from storypainter.agent.context import Context

RECENT_LIMIT = 20


def memory_file(context: Context) -> Path:
    return Path(context.memory_dir).expanduser() / "generated.jsonl"


def remember(context: Context, story: Story, score: float, run_dir: str) -> bool:
    """Append an accepted story to self-memory when its score passes the threshold."""
    if score < context.remember_threshold:
        return False
    path = memory_file(context)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"story": story.model_dump(mode="json"), "score": score, "run_dir": run_dir, "time": time.time()}
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)
    return True


def generated_records(context: Context) -> list[dict]:
    """Every remembered story, oldest first; unreadable lines are skipped."""
    path = memory_file(context)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def recent_settings(context: Context, limit: int = RECENT_LIMIT) -> list[str]:
    """Places, times and titles of the most recent remembered stories, newest first."""
    settings = []
    for record in reversed(generated_records(context)[-limit:]):
        story = record.get("story", {})
        settings.extend(value for value in (story.get("location"), story.get("time")) if value)
    return settings


def generated_examples(context: Context) -> list[Example]:
    """Remembered stories as examples, best first (the retriever may draw on them)."""
    records = sorted(generated_records(context), key=lambda record: -record.get("score", 0))
    return [
        example_from_story(f"generated-{index}", Story.model_validate(record["story"]), "generated")
        for index, record in enumerate(records)
    ]
