"""Example corpora in CogBench's annotation format, and the project's own JSONL outputs.

CogBench data is research-only and never shipped: users load their own copy by path.
The project ships its own original corpus (``memory/data/seed_corpus.json``) in the
same format. Malformed records are reported with their id and field; good ones load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storypainter.errors import ConfigError
from storypainter.schema import Example, Story

SEED_CORPUS = Path(__file__).resolve().parent / "data" / "seed_corpus.json"
COR_FIELDS = {
    "Special Time Reasoning": "time",
    "Location Reasoning": "location",
    "Character Reasoning": "character_role",
    "Character Relationship Reasoning": "character_relationship",
    "Event Reasoning": "event",
    "Event Relationship Reasoning": "event_causal",
    "Mental State Reasoning": "mental_state",
}
TEXT_FIELDS = ("Image Name", "Entities", "Next Moment Event Reasoning", "Description")
REQUIRED_FIELDS = (*TEXT_FIELDS, *COR_FIELDS)


@dataclass
class LoadedCorpus:
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def present(values: list[str]) -> list[str]:
    """Drop CogBench's ``"None"`` placeholders and blanks."""
    return [value.strip() for value in values if value.strip() and value.strip().lower() != "none"]


def record_problem(record_id: str, record: Any) -> str | None:
    """The first thing wrong with a CogBench record, or None when it is well formed."""
    if not isinstance(record, dict):
        return f"{record_id}: expected an object, got {type(record).__name__}"
    for name in REQUIRED_FIELDS:
        values = record.get(name)
        if values is None:
            return f"{record_id}: missing field '{name}'"
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            return f"{record_id}: field '{name}' must be a list of strings"
    for name in COR_FIELDS:
        for chain in present(record[name]):
            if "->" not in chain:
                return f"{record_id}: field '{name}': CoR without '->': {chain[:60]!r}"
    if not present(record["Description"]):
        return f"{record_id}: field 'Description' is empty"
    return None


def example_from_record(record_id: str, record: dict, source: str) -> Example:
    return Example(
        id=record_id,
        source=source,
        description=" ".join(present(record["Description"])),
        entities=present(record["Entities"]),
        cors={dimension: present(record[name]) for name, dimension in COR_FIELDS.items() if present(record[name])},
        next_moment=present(record["Next Moment Event Reasoning"]),
    )


def parse_cogbench(data: Any, source: str) -> LoadedCorpus:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object keyed by image id")
    corpus = LoadedCorpus()
    for record_id, record in data.items():
        problem = record_problem(str(record_id), record)
        if problem:
            corpus.problems.append(problem)
        else:
            corpus.examples.append(example_from_record(str(record_id), record, source))
    return corpus


def read_json_file(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"corpus file not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"corpus file {path} is not valid JSON: {error}") from None


def load_cogbench(path: str | Path) -> LoadedCorpus:
    """A user's CogBench-format JSON file (or the project's seed corpus)."""
    path = Path(path).expanduser()
    return parse_cogbench(read_json_file(path), source=path.stem)


def load_seed_corpus() -> LoadedCorpus:
    return parse_cogbench(read_json_file(SEED_CORPUS), source="seed")


def example_from_story(example_id: str, story: Story, source: str) -> Example:
    cors: dict[str, list[str]] = {}
    for chain in story.cors:
        cors.setdefault(chain.dimension, []).append(str(chain))
    entities = [character.name for character in story.characters] + list(story.objects)
    return Example(id=example_id, source=source, description=story.description, entities=entities, cors=cors)


def load_story_jsonl(path: str | Path) -> LoadedCorpus:
    """The project's JSONL outputs: one object per line holding a ``story`` (or a bare Story)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"corpus file not found: {path}")
    corpus = LoadedCorpus()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record_id = f"{path.stem}:{number}"
        try:
            record = json.loads(line)
            story = Story.model_validate(record.get("story", record))
        except (json.JSONDecodeError, ValueError, AttributeError) as error:
            corpus.problems.append(f"{record_id}: {str(error).splitlines()[0]}")
            continue
        corpus.examples.append(example_from_story(record_id, story, path.stem))
    return corpus


def load_corpus(source: str) -> LoadedCorpus:
    """``seed`` (the shipped corpus), a CogBench-format .json or a project .jsonl file."""
    if source == "seed":
        return load_seed_corpus()
    if source.endswith(".jsonl"):
        return load_story_jsonl(source)
    return load_cogbench(source)
