"""Training and evaluation pairs for the chain-coherence judge, built from the project's corpora.

A *positive* is a chain as its author wrote it (the teacher corpus and the hand-written seed
corpus). Every *negative* keeps the look of a real chain and breaks only its logic, so the
judge must learn whether the conclusion follows, not which corpus a sentence came from:

- ``same_story``: the conclusion of another chain of the same story (same dimension first),
  so topic and style match and only the link is wrong;
- ``other_story``: a conclusion of the same dimension from another story;
- ``reversed_cause``: ``because A, B`` becomes ``because B, A`` (and ``B because A``, ``A, so B``);
- ``flipped``: a mental state, relation, role or time word replaced by its opposite;
- ``restated``: the conclusion merely repeats a clue;
- ``base``: chains the untrained base model wrote (``--base-chains``: a JSONL file or a folder of
  runs, e.g. the base on training themes from ``training/coherence/train.sh``), when given.

Stories are split into train and evaluation by a hash of their id (``EVAL_SHARE``), and a
negative only borrows conclusions from stories of its own split, so nothing of an
evaluation story is ever seen in training.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from storypainter.memory.corpus import load_seed_corpus, parse_chain
from storypainter.memory.teacher import TEACHER_DIR, read_records
from storypainter.schema import ChainOfReasoning, Story
from storypainter.text import content_words

EVAL_SHARE = 0.1
NEGATIVE_KINDS = ("same_story", "other_story", "reversed_cause", "flipped", "restated", "base")
# The chance that a chain gets a negative of each kind (where the kind applies to it).
NEGATIVE_RATES = {"same_story": 0.45, "other_story": 0.35, "reversed_cause": 0.9, "flipped": 0.5, "restated": 0.2}
SIMILAR_CONCLUSION = 0.5  # a borrowed conclusion this close (word Jaccard) to the true one is not a negative

OPPOSITES = {
    "happy": "miserable", "joyful": "grieving", "delighted": "disgusted", "ecstatic": "devastated",
    "proud": "ashamed", "calm": "panicked", "relaxed": "tense", "content": "resentful", "excited": "bored",
    "eager": "reluctant", "hopeful": "hopeless", "confident": "insecure", "grateful": "resentful",
    "amused": "offended", "relieved": "alarmed", "curious": "indifferent", "focused": "distracted",
    "patient": "impatient", "anxious": "carefree", "nervous": "at ease", "worried": "carefree",
    "afraid": "fearless", "scared": "unafraid", "frightened": "unafraid", "angry": "pleased",
    "frustrated": "satisfied", "annoyed": "charmed", "sad": "cheerful", "lonely": "surrounded by friends",
    "embarrassed": "unbothered", "exhausted": "full of energy", "tired": "refreshed", "bored": "thrilled",
    "determined": "indifferent", "impatient": "patient", "loves": "hates", "enjoys": "dreads",
    "mother": "stranger", "father": "stranger", "daughter": "stranger", "son": "stranger",
    "grandmother": "stranger", "grandfather": "stranger", "friends": "strangers", "siblings": "strangers",
    "sisters": "rivals", "brothers": "rivals", "couple": "strangers", "married": "unacquainted",
    "teammates": "opponents", "colleagues": "strangers", "neighbours": "strangers", "neighbors": "strangers",
    "teacher": "pupil", "student": "teacher", "customer": "owner", "owner": "customer", "boss": "intern",
    "won": "lost", "winning": "losing", "wins": "loses", "arriving": "leaving", "arrived": "left",
    "morning": "midnight", "dawn": "midnight", "night": "noon", "evening": "early morning",
    "summer": "winter", "winter": "summer", "spring": "autumn", "autumn": "spring",
    "birthday": "funeral", "wedding": "funeral", "celebrating": "mourning", "celebration": "funeral",
    "first": "last", "late": "early", "early": "late", "before": "after", "after": "before",
}
OPPOSITE_WORD = re.compile(r"\b(" + "|".join(sorted(OPPOSITES, key=len, reverse=True)) + r")\b", re.IGNORECASE)
BECAUSE_FIRST = re.compile(r"^\s*(because|since|as)\s+(.+?),\s+(.+)$", re.IGNORECASE)
BECAUSE_AFTER = re.compile(r"^(.+?)\s+because\s+(.+)$", re.IGNORECASE)
SO_AFTER = re.compile(r"^(.+?),?\s+(?:so|which is why|and therefore|therefore)\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class SourceStory:
    """A story's chains and description, as a corpus holds them."""

    id: str
    source: str
    description: str
    chains: tuple[ChainOfReasoning, ...]


@dataclass(frozen=True)
class Pair:
    """One judged chain: its parts, the label (1 follows, 0 does not) and how it was made."""

    dimension: str
    clues: tuple[str, ...]
    conclusion: str
    context: str
    label: int
    kind: str
    story: str
    source: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def teacher_stories(folder: Path = TEACHER_DIR) -> list[SourceStory]:
    stories = []
    for path in sorted(folder.glob("*.jsonl")):
        for record in read_records(path):
            story = record["story"]
            chains = tuple(ChainOfReasoning.model_validate(chain) for chain in story["cors"])
            stories.append(SourceStory(record["id"], "teacher", story["description"], chains))
    return stories


def seed_stories() -> list[SourceStory]:
    stories = []
    for example in load_seed_corpus().examples:
        chains = tuple(parse_chain(dimension, chain) for dimension, items in example.cors.items() for chain in items)
        stories.append(SourceStory(example.id, "seed", example.description, chains))
    return stories


def in_eval_split(story_id: str, share: float = EVAL_SHARE) -> bool:
    """Deterministic, order-free split: the story's id hashed to [0, 1)."""
    digest = hashlib.sha256(story_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _jaccard(left: str, right: str) -> float:
    a, b = content_words(left), content_words(right)
    return len(a & b) / len(a | b) if a | b else 1.0


def reversed_cause(conclusion: str) -> str | None:
    """``because A, B`` -> ``because B, A``; ``B because A`` -> ``A because B``; ``A, so B`` -> ``B, so A``."""
    if match := BECAUSE_FIRST.match(conclusion):
        word, cause, effect = match.groups()
        return f"{word.lower()} {effect.rstrip('.')}, {cause}"
    if match := BECAUSE_AFTER.match(conclusion):
        effect, cause = match.groups()
        return f"{cause.rstrip('.')} because {effect}"
    if match := SO_AFTER.match(conclusion):
        cause, effect = match.groups()
        return f"{effect.rstrip('.')}, so {cause}"
    return None


def flipped(conclusion: str, rng: random.Random) -> str | None:
    """The conclusion with one mental-state, relation, role or time word replaced by its opposite."""
    found = list(OPPOSITE_WORD.finditer(conclusion))
    if not found:
        return None
    match = rng.choice(found)
    return conclusion[: match.start()] + OPPOSITES[match.group(1).lower()] + conclusion[match.end() :]


def restated(chain: ChainOfReasoning, rng: random.Random) -> str:
    clue = rng.choice(chain.clues)
    return rng.choice(["{}", "there is {}", "the picture shows {}", "we can see {}"]).format(clue)


class NegativeMaker:
    """Makes negatives of each kind for chains of one split's stories."""

    def __init__(self, stories: list[SourceStory], rng: random.Random):
        self.stories, self.rng = stories, rng
        self.by_dimension: dict[str, list[str]] = {}
        for story in stories:
            for chain in story.chains:
                self.by_dimension.setdefault(chain.dimension, []).append(chain.conclusion)

    def same_story(self, story: SourceStory, chain: ChainOfReasoning) -> str | None:
        others = [other for other in story.chains if other.conclusion != chain.conclusion]
        same = [other for other in others if other.dimension == chain.dimension]
        for candidate in [*self.rng.sample(same, len(same)), *self.rng.sample(others, len(others))]:
            if _jaccard(candidate.conclusion, chain.conclusion) < SIMILAR_CONCLUSION:
                return candidate.conclusion
        return None

    def other_story(self, story: SourceStory, chain: ChainOfReasoning) -> str | None:
        own = {other.conclusion for other in story.chains}
        pool = self.by_dimension.get(chain.dimension) or []
        for _ in range(10):
            candidate = self.rng.choice(pool)
            if candidate not in own and _jaccard(candidate, chain.conclusion) < SIMILAR_CONCLUSION:
                return candidate
        return None

    def make(self, kind: str, story: SourceStory, chain: ChainOfReasoning) -> str | None:
        makers = {
            "same_story": lambda: self.same_story(story, chain),
            "other_story": lambda: self.other_story(story, chain),
            "reversed_cause": lambda: reversed_cause(chain.conclusion),
            "flipped": lambda: flipped(chain.conclusion, self.rng),
            "restated": lambda: restated(chain, self.rng),
        }
        return makers[kind]()


def _pair(story: SourceStory, chain: ChainOfReasoning, conclusion: str, label: int, kind: str) -> Pair:
    return Pair(chain.dimension, tuple(chain.clues), conclusion, story.description, label, kind, story.id, story.source)


def pairs_of(stories: list[SourceStory], seed: int) -> Iterator[Pair]:
    """Every chain as a positive, and a negative of each kind with that kind's ``NEGATIVE_RATES`` chance."""
    rng = random.Random(seed)
    maker = NegativeMaker(stories, rng)
    for story in stories:
        for chain in story.chains:
            yield _pair(story, chain, chain.conclusion, 1, "positive")
            for kind, rate in NEGATIVE_RATES.items():
                if rng.random() >= rate:
                    continue
                conclusion = maker.make(kind, story, chain)
                if conclusion and conclusion.lower() != chain.conclusion.lower():
                    yield _pair(story, chain, conclusion, 0, kind)


def base_pairs(path: Path) -> Iterator[Pair]:
    """The base model's chains as negatives: a JSONL of {story, dimension, clues, conclusion, context},
    or a folder of run directories (each run's first attempt; the run's name is the story id)."""
    for row in base_rows(path):
        yield Pair(row["dimension"], tuple(row["clues"]), row["conclusion"], row.get("context", ""), 0, "base",
                   row["story"], "base")


def base_rows(path: Path) -> Iterator[dict]:
    if path.is_file():
        yield from (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        return
    for story_file in sorted(path.rglob("attempts/01/story.json")):
        story = Story.model_validate_json(story_file.read_text(encoding="utf-8"))
        run = story_file.parent.parent.parent.name
        for chain in story.cors:
            yield {"story": run, "context": story.description} | chain.model_dump(mode="json")


def build_pairs(seed: int = 0, base_chains: Path | None = None) -> dict[str, list[Pair]]:
    """{"train": [...], "eval": [...]} from the teacher and seed corpora (and base chains when given)."""
    stories = teacher_stories() + seed_stories()
    splits: dict[str, list[Pair]] = {}
    for split in ("train", "eval"):
        chosen = [story for story in stories if in_eval_split(story.id) == (split == "eval")]
        splits[split] = list(pairs_of(chosen, seed + (split == "eval")))
    if base_chains is not None:
        for pair in base_pairs(base_chains):
            splits["eval" if in_eval_split(pair.story) else "train"].append(pair)
    return splits


def write_pairs(pairs: Iterable[Pair], path: Path) -> int:
    lines = [pair.to_json() for pair in pairs]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)
