"""Example corpora in CogBench's annotation format, and the project's own JSONL outputs.

CogBench data is research-only and never shipped: users load their own copy by path.
The project ships its own original corpus (``memory/data/seed_corpus.json``) in the
same format. Loading is tolerant of the variants found in the wild, and every problem is
reported as one line naming the record (and the field) while the good records load:

- the file is an object keyed by image id, or a list of records (a record's id is its
  ``id`` field, else its ``Image Name`` without the extension, else ``#N``);
- field names match ignoring case, spaces, underscores and hyphens; unknown fields are
  ignored and every field is optional: a record is usable when it has a description or
  at least one chain of reasoning (a record without a description gets one made of its
  chains' conclusions);
- each field may be a string or a list of strings (real files: ``Image Name`` is a string,
  every other field a list); ``"None"`` placeholders, blanks and nulls are dropped;
- a chain of reasoning reads ``clue + clue -> conclusion`` (``→`` is read as ``->``);
- a record over ``MAX_RECORD_BYTES`` (100 KB as JSON) or a chain over ``MAX_COR_CHARS``
  (2,000 characters) is reported, not loaded; a file over ``limits.MAX_CORPUS_BYTES`` is
  refused unread.

Project JSONL files (one story per line, bare or under ``"story"``) get the same care:
blank lines are skipped, unknown fields ignored, and a bad line is reported by file, line
and field. ``story_from_example`` turns an annotated scene back into a ``Story`` (the human
reference and the seed-corpus distillation data use it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from storypainter.errors import ConfigError
from storypainter.limits import MAX_CORPUS_BYTES, check_file_size
from storypainter.schema import (
    MAX_CLUES,
    MAX_CORS,
    MAX_OBJECTS,
    MAX_VISIBLE_TEXTS,
    ChainOfReasoning,
    Example,
    Story,
    VisibleText,
)

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
ID_FIELDS = ("id", "imageid")
MAX_RECORD_BYTES = 100_000
MAX_COR_CHARS = 2_000
PLACEHOLDERS = frozenset({"", "none"})
PREMISE_SEPARATOR = re.compile(r"\s+\+\s+")
QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{1,60})[\"\u201d]")
CARRIER_BEFORE = re.compile(r"(\w+)\s+(?:reading|labeled|labelled|that says|that reads|saying|marked|printed)\s*$")
WORD_AFTER = re.compile(r"^\s*(\w+)")
MAX_TITLE, MAX_PAINTER_PROMPT = 60, 400


def field_key(name: str) -> str:
    """A field name folded for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


KNOWN_FIELDS = {field_key(name): name for name in (*TEXT_FIELDS, *COR_FIELDS)}


class RecordProblem(ValueError):
    """One malformed record: the message names the record and, where it can, the field."""


@dataclass
class LoadedCorpus:
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def present(values: list[str]) -> list[str]:
    """Drop CogBench's ``"None"`` placeholders and blanks."""
    return [value.strip() for value in values if value.strip().lower() not in PLACEHOLDERS]


def field_texts(record_id: str, name: str, value: Any) -> list[str]:
    """A field's strings: a string or a list of strings (nulls, placeholders and blanks dropped)."""
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(item is None or isinstance(item, str) for item in values):
        kind = type(value).__name__ if not isinstance(value, list) else "a list holding non-strings"
        raise RecordProblem(f"{record_id}: field '{name}' must be a string or a list of strings, got {kind}")
    return present([item for item in values if item is not None])


def split_chain(chain: str) -> tuple[list[str], str]:
    """The clues and the conclusion of ``'clue + clue -> conclusion'`` (empty when absent)."""
    premises, arrow, conclusion = chain.replace("\u2192", "->").partition("->")
    if not arrow:
        return [], ""
    return [clue.strip() for clue in PREMISE_SEPARATOR.split(premises) if clue.strip()], conclusion.strip()


def chain_problem(chain: str) -> str | None:
    """Why a chain of reasoning cannot be read, or None."""
    if len(chain) > MAX_COR_CHARS:
        return f"CoR of {len(chain):,} characters (the limit is {MAX_COR_CHARS:,})"
    if "->" not in chain.replace("\u2192", "->"):
        return f"CoR without '->': {chain[:60]!r}"
    clues, conclusion = split_chain(chain)
    if not clues or not conclusion:
        return f"CoR without {'a clue' if not clues else 'a conclusion'}: {chain[:60]!r}"
    return None


def known_fields(record_id: str, record: Any) -> dict[str, list[str]]:
    """The record's CogBench fields by their canonical names, as lists of strings (others ignored)."""
    if not isinstance(record, dict):
        raise RecordProblem(f"{record_id}: expected an object, got {type(record).__name__}")
    size = len(json.dumps(record, ensure_ascii=False).encode("utf-8"))
    if size > MAX_RECORD_BYTES:
        raise RecordProblem(f"{record_id}: record of {size:,} bytes (the limit is {MAX_RECORD_BYTES:,})")
    fields = {}
    for key, value in record.items():
        name = KNOWN_FIELDS.get(field_key(str(key)))
        if name is not None:
            fields[name] = field_texts(record_id, name, value)
    return fields


def described(cors: dict[str, list[str]]) -> str:
    """A description made of the chains' conclusions, for a record that has none."""
    conclusions = [split_chain(chain)[1].rstrip(".") for chains in cors.values() for chain in chains]
    return " ".join(f"{text[:1].upper()}{text[1:]}." for text in conclusions)


def example_from_record(record_id: str, record: Any, source: str) -> Example:
    """One CogBench-format record as an Example; raises RecordProblem naming the id and field."""
    fields = known_fields(record_id, record)
    cors: dict[str, list[str]] = {}
    for name, dimension in COR_FIELDS.items():
        for chain in fields.get(name, []):
            if problem := chain_problem(chain):
                raise RecordProblem(f"{record_id}: field '{name}': {problem}")
            cors.setdefault(dimension, []).append(chain.replace("\u2192", "->"))
    description = " ".join(fields.get("Description", []))
    if not description and not cors:
        raise RecordProblem(f"{record_id}: field 'Description' is empty and no chain of reasoning is given")
    return Example(
        id=record_id,
        source=source,
        description=description or described(cors),
        entities=fields.get("Entities", []),
        cors=cors,
        next_moment=fields.get("Next Moment Event Reasoning", []),
    )


def listed_id(record: Any, number: int) -> str:
    """The id of a record in a list: its id field, else its image name's stem, else ``#number``."""
    if isinstance(record, dict):
        keyed = {field_key(str(key)): value for key, value in record.items()}
        for key in ID_FIELDS:
            if isinstance(keyed.get(key), str | int) and str(keyed[key]).strip():
                return str(keyed[key]).strip()
        image = keyed.get("imagename")
        image = image[0] if isinstance(image, list) and image and isinstance(image[0], str) else image
        if isinstance(image, str) and image.strip() and image.strip().lower() != "none":
            return Path(image.strip()).stem
    return f"#{number}"


def parse_cogbench(data: Any, source: str) -> LoadedCorpus:
    """Records keyed by id or listed; each malformed one becomes a problem line."""
    if isinstance(data, dict):
        items = [(str(key), record) for key, record in data.items()]
    elif isinstance(data, list):
        items = [(listed_id(record, number), record) for number, record in enumerate(data, start=1)]
    else:
        raise ConfigError(f"{source}: expected a JSON object keyed by image id or a list of records")
    corpus, seen = LoadedCorpus(), set()
    for record_id, record in items:
        try:
            if record_id in seen:
                raise RecordProblem(f"{record_id}: duplicate id (an earlier record has it)")
            corpus.examples.append(example_from_record(record_id, record, source))
            seen.add(record_id)
        except RecordProblem as problem:
            corpus.problems.append(str(problem))
    return corpus


def read_json_file(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"corpus file not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ConfigError(f"corpus file {path} is nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError; also a number too long to convert
        raise ConfigError(f"corpus file {path} is not valid JSON: {str(error).split(';')[0]}") from None


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


def validation_problem(error: ValidationError) -> str:
    """The first validation error as ``field 'a.0.b': message``."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(root)"
    return f"field '{where}': {first['msg']}"


def story_from_line(line: str) -> Story:
    """One JSONL line as a Story (bare or under ``"story"``); raises RecordProblem without the record id."""
    if len(line.encode("utf-8")) > MAX_RECORD_BYTES:
        raise RecordProblem(f"line of {len(line.encode('utf-8')):,} bytes (the limit is {MAX_RECORD_BYTES:,})")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise RecordProblem(f"not valid JSON ({error.msg} at character {error.pos})") from None
    record = record.get("story", record) if isinstance(record, dict) else record
    if not isinstance(record, dict):
        raise RecordProblem(f"expected an object, got {type(record).__name__}")
    try:
        story = Story.model_validate(record, extra="ignore")
    except ValidationError as error:
        raise RecordProblem(validation_problem(error)) from None
    for number, chain in enumerate(story.cors):
        if len(str(chain)) > MAX_COR_CHARS:
            raise RecordProblem(f"field 'cors.{number}': CoR of {len(str(chain)):,} characters "
                                f"(the limit is {MAX_COR_CHARS:,})")
    return story


def load_story_jsonl(path: str | Path) -> LoadedCorpus:
    """The project's JSONL outputs: one object per line holding a ``story`` (or a bare Story)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"corpus file not found: {path}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise ConfigError(f"corpus file {path} is not UTF-8 text: {error}") from None
    corpus = LoadedCorpus()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record_id = f"{path.stem}:{number}"
        try:
            corpus.examples.append(example_from_story(record_id, story_from_line(line), path.stem))
        except RecordProblem as problem:
            corpus.problems.append(f"{record_id}: {problem}")
    return corpus


def load_corpus(source: str) -> LoadedCorpus:
    """``seed`` (the shipped corpus), a CogBench-format .json or a project .jsonl file."""
    if source == "seed":
        return load_seed_corpus()
    check_file_size(Path(source).expanduser(), MAX_CORPUS_BYTES, "corpus file")
    if source.endswith(".jsonl"):
        return load_story_jsonl(source)
    return load_cogbench(source)


# ---------------------------------------------------------------- annotated scene -> Story


def parse_chain(dimension: str, chain: str) -> ChainOfReasoning:
    """'a + b -> c' as a typed chain (clues beyond ``MAX_CLUES`` are joined into the last one)."""
    clues, conclusion = split_chain(chain)
    if len(clues) > MAX_CLUES:
        clues = [*clues[: MAX_CLUES - 1], " and ".join(clues[MAX_CLUES - 1 :])]
    return ChainOfReasoning(dimension=dimension, clues=clues, conclusion=conclusion)  # type: ignore[arg-type]


def first_conclusion(example: Example, dimension: str) -> str:
    chains = example.cors.get(dimension, [])
    return split_chain(chains[0])[1] if chains else ""


def short_title(text: str) -> str:
    """The first words of ``text`` up to MAX_TITLE characters, capitalised."""
    title = text if len(text) <= MAX_TITLE else text[:MAX_TITLE].rsplit(" ", 1)[0]
    return title[:1].upper() + title[1:]


def visible_texts(description: str) -> list[VisibleText]:
    """Quoted words of the description, each on the noun that carries it when the wording shows it."""
    texts = []
    for match in QUOTED.finditer(description):
        before = CARRIER_BEFORE.search(description[: match.start()])
        after = WORD_AFTER.match(description[match.end() :])
        carrier = before.group(1) if before else (after.group(1) if after else "sign")
        if match.group(1).strip():
            texts.append(VisibleText(text=match.group(1).strip(), on=carrier))
    return texts[:MAX_VISIBLE_TEXTS]


def painter_prompt(description: str) -> str:
    """Whole leading sentences of the description, within MAX_PAINTER_PROMPT characters."""
    sentences = re.split(r"(?<=[.!?])\s+", description)
    prompt = sentences[0]
    for sentence in sentences[1:]:
        if len(prompt) + len(sentence) + 1 > MAX_PAINTER_PROMPT:
            break
        prompt += " " + sentence
    return prompt[:MAX_PAINTER_PROMPT]


def story_from_example(example: Example) -> Story:
    """An annotated scene as a Story: its chains, its entities as objects, its quoted words as
    visible texts (annotations carry no character sheet, so no characters)."""
    chains = [parse_chain(dimension, chain) for dimension, values in example.cors.items() for chain in values]
    event = first_conclusion(example, "event") or example.description
    return Story(
        title=short_title(event) or example.id,
        description=example.description,
        location=first_conclusion(example, "location"),
        time=first_conclusion(example, "time"),
        objects=example.entities[:MAX_OBJECTS],
        visible_text=visible_texts(example.description),
        cors=chains[:MAX_CORS],
        painter_prompt=painter_prompt(example.description),
    )
