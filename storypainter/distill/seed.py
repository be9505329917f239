"""The seed corpus as distillation data: each hand-written example scene becomes a Story.

These are *not* outputs of a teacher model: they let a user try distillation without
runs. A scene's CoRs become the story's chains (clues beyond three are joined into the
third), its entities the objects, its quoted words the visible texts (on the noun that
carries them, when the wording shows it). Scenes carry no character sheet, so the stories
have no characters. The prompt is the storyteller's own: the CoR system prompt and a
request whose theme is the scene's event, its setting the scene's place and time, its
dimensions those the scene covers, with ``examples_k`` other scenes as in-context examples.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from storypainter.distill.export import SEED_CORPUS_NOTE, ExportResult, TeacherSample, write_dataset, write_summary
from storypainter.memory.corpus import load_seed_corpus
from storypainter.nodes.storyteller import build_messages
from storypainter.schema import DIMENSIONS, ChainOfReasoning, Example, Plan, Story, VisibleText

QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{1,60})[\"\u201d]")
CARRIER_BEFORE = re.compile(r"(\w+)\s+(?:reading|labeled|labelled|that says|that reads|saying|marked|printed)\s*$")
WORD_AFTER = re.compile(r"^\s*(\w+)")
MAX_CLUES, MAX_CORS, MAX_OBJECTS, MAX_TEXTS = 3, 14, 10, 4
MAX_TITLE, MAX_PAINTER_PROMPT = 60, 400


def parse_chain(dimension: str, chain: str) -> ChainOfReasoning:
    """'a + b -> c' as a typed chain; clues beyond the third are joined into it."""
    premises, _, conclusion = chain.partition("->")
    clues = [clue.strip() for clue in premises.split(" + ") if clue.strip()]
    clues = [*clues[: MAX_CLUES - 1], " and ".join(clues[MAX_CLUES - 1 :])] if len(clues) > MAX_CLUES else clues
    return ChainOfReasoning(dimension=dimension, clues=clues, conclusion=conclusion.strip())  # type: ignore[arg-type]


def first_conclusion(example: Example, dimension: str) -> str:
    chains = example.cors.get(dimension, [])
    return chains[0].partition("->")[2].strip() if chains else ""


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
        texts.append(VisibleText(text=match.group(1).strip(), on=carrier))
    return texts[:MAX_TEXTS]


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
    chains = [parse_chain(dimension, chain) for dimension, values in example.cors.items() for chain in values]
    event = first_conclusion(example, "event") or example.description
    return Story(
        title=short_title(event),
        description=example.description,
        location=first_conclusion(example, "location"),
        time=first_conclusion(example, "time"),
        objects=example.entities[:MAX_OBJECTS],
        visible_text=visible_texts(example.description),
        cors=chains[:MAX_CORS],
        painter_prompt=painter_prompt(example.description),
    )


def plan_for(example: Example, seed: int) -> Plan:
    place_and_time = [first_conclusion(example, "location"), first_conclusion(example, "time")]
    return Plan(
        theme=first_conclusion(example, "event") or example.id,
        mode="cor",
        dimensions=[dimension for dimension in DIMENSIONS if dimension in example.cors],
        setting=", ".join(part for part in place_and_time if part),
        seed=seed,
    )


def seed_corpus_samples(examples_k: int, seed: int, notes: list[str]) -> list[TeacherSample]:
    """One sample per well-formed seed-corpus scene; malformed ones become notes."""
    corpus = load_seed_corpus()
    notes.extend(f"skipped seed example {problem}" for problem in corpus.problems)
    samples = []
    for example in corpus.examples:
        others = [other for other in corpus.examples if other.id != example.id]
        shown = random.Random(f"{seed}|{example.id}").sample(others, min(examples_k, len(others)))
        plan = plan_for(example, seed)
        messages = build_messages(plan, shown, None, None)
        prompt = [{"role": "system" if m.type == "system" else "user", "content": str(m.content)} for m in messages]
        samples.append(
            TeacherSample(id=f"seed:{example.id}", theme=plan.theme, seed=seed, prompt=prompt,
                          story=story_from_example(example))
        )
    return samples


def export_seed_corpus(out: Path, examples_k: int = 3, eval_split: float = 0.1, seed: int = 0) -> ExportResult:
    """SFT data from the project's own seed corpus (hand-written scenes, not teacher outputs)."""
    result = ExportResult(notes=[SEED_CORPUS_NOTE])
    teachers = seed_corpus_samples(examples_k, seed, result.notes)
    result.counts = write_dataset(out, teachers, {}, "seed-corpus", eval_split, seed)
    write_summary(out, result, {"seed_corpus": True, "examples_k": examples_k})
    return result
