"""The seed corpus as distillation data: each hand-written example scene becomes a Story.

These are *not* outputs of a teacher model: they let a user try distillation without
runs. A scene becomes a story as ``memory.corpus.story_from_example`` makes it (its CoRs
as chains with all their clues, its entities as objects, its quoted words as visible
texts; scenes carry no character sheet, so no characters). The prompt is the
storyteller's own: the CoR system prompt and a request whose theme is the scene's event,
its setting the scene's place and time, its dimensions those the scene covers, with
``examples_k`` other scenes as in-context examples.
"""

from __future__ import annotations

import random
from pathlib import Path

from storypainter.distill.export import SEED_CORPUS_NOTE, ExportResult, TeacherSample, write_dataset, write_summary
from storypainter.memory.corpus import first_conclusion, load_seed_corpus, story_from_example
from storypainter.nodes.storyteller import build_messages
from storypainter.schema import DIMENSIONS, Example, Plan


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
