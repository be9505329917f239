"""The shipped teacher corpus as SFT data, in the exact prompt format the student sees at run time.

Each record's request becomes a ``Plan``; the prompt is the storyteller's own ``compact``
conversation for it (no in-context examples: the compact prompt has none), and the answer
is the story as compact JSON in the schema's field order, the form grammar-constrained
decoding produces. Records that fail the corpus' quality bar are skipped with a note.
"""

from __future__ import annotations

from pathlib import Path

from storypainter.distill.export import ExportResult, TeacherSample, write_dataset, write_summary
from storypainter.memory.teacher import TEACHER_DIR, check_record, read_records
from storypainter.nodes.storyteller import build_messages
from storypainter.schema import Plan, Story

ROLE_OF = {"system": "system", "human": "user"}


def teacher_samples(folder: Path, notes: list[str]) -> list[TeacherSample]:
    samples = []
    for path in sorted(folder.glob("*.jsonl")):
        for record in read_records(path):
            if problems := check_record(record, heldout_themes=set()):
                notes.append(f"skipped {record.get('id')}: {problems[0]}")
                continue
            plan = Plan.model_validate(record["request"])
            messages = build_messages(plan, [], None, None, style="compact")
            prompt = [{"role": ROLE_OF[message.type], "content": str(message.content)} for message in messages]
            samples.append(TeacherSample(id=record["id"], theme=plan.theme, seed=0, prompt=prompt,
                                         story=Story.model_validate(record["story"])))
    return samples


def export_teacher_corpus(out: Path, eval_split: float = 0.05, seed: int = 0,
                          folder: Path = TEACHER_DIR) -> ExportResult:
    """sft.jsonl (+ eval) from the teacher corpus in ``folder``."""
    result = ExportResult()
    teachers = teacher_samples(folder, result.notes)
    result.counts = write_dataset(out, teachers, {}, "teacher-corpus", eval_split, seed)
    write_summary(out, result, {"teacher_corpus": str(folder)})
    return result
