"""Distillation data as JSONL that ``datasets.load_dataset("json", ...)`` and TRL read directly.

Files written to the output folder (``*.eval.jsonl`` hold the held-out share)::

    sft.jsonl, sft.eval.jsonl   {"messages": [system, user, assistant], "id", "source"}
    dpo.jsonl, dpo.eval.jsonl   {"prompt": [system, user], "chosen": [assistant], "rejected": [assistant],
                                 "id", "source": "rejected" | "mix"}
    export.json                 counts, filters, sources and notes

A teacher run gives its best attempt (``result.json``): the prompt is that attempt's
system and request messages (a revision request is dropped, so the student learns to
write the picked story at once) and the answer is the story as JSON. A rejected run
(``--rejected``: the student or base model; ``--mix``: smaller models, DPO-Mix) gives the
first raw reply of its first attempt and pairs with the teacher run of the same theme
and seed. The split is by teacher, so every pair of one prompt lands on the same side.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storypainter.errors import ConfigError
from storypainter.evaluation.report import find_run_dirs
from storypainter.runs import RunFileProblem, atomic_write_bytes, attempt_dir, read_run_object, write_json
from storypainter.schema import Story

ROLES = {"system": "system", "human": "user", "ai": "assistant"}
SEED_CORPUS_NOTE = (
    "seed-corpus samples are the project's own hand-written example scenes turned into stories, "
    "not outputs of a teacher model"
)


@dataclass(frozen=True)
class TeacherSample:
    """One prompt and the story the teacher wrote for it, with the critic's scores."""

    id: str
    theme: str
    seed: int
    prompt: list[dict[str, str]]
    story: Story
    score: float | None = None
    alignment: float | None = None


@dataclass(frozen=True)
class RejectedSample:
    """A weaker model's first reply to the same theme and seed."""

    id: str
    theme: str
    seed: int
    reply: str
    source: str


@dataclass(frozen=True)
class Filters:
    min_score: float | None = None
    min_alignment: float | None = None

    def rejects(self, sample: TeacherSample) -> str | None:
        """Why the sample is filtered out, or None when it passes."""
        if self.min_score is not None and (sample.score is None or sample.score < self.min_score):
            return f"score {sample.score} < {self.min_score}"
        if self.min_alignment is not None and (sample.alignment is None or sample.alignment < self.min_alignment):
            return f"alignment {sample.alignment} < {self.min_alignment}"
        return None


@dataclass
class ExportResult:
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_object(path: Path) -> dict[str, Any]:
    return read_run_object(path, shown=f"{path.parent.name}/{path.name}")


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def chat_messages(dumped: list[Any]) -> list[dict[str, str]]:
    """LangChain message dumps -> role/content dicts, up to and including the first request."""
    messages = []
    for item in dumped:
        if not isinstance(item, dict) or item.get("type") not in ROLES:
            raise RunFileProblem("malformed prompt.json: a message has no known type")
        messages.append({"role": ROLES[item["type"]], "content": str(item.get("content", ""))})
        if messages[-1]["role"] == "user":
            return messages
    raise RunFileProblem("malformed prompt.json: no user message")


def story_text(story: Story) -> str:
    """The story as the storyteller is asked to answer: one JSON object."""
    return json.dumps(story.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def run_key(request: dict[str, Any]) -> tuple[str, int]:
    context = request.get("context") if isinstance(request.get("context"), dict) else {}
    return str(request.get("theme", "")), int(context.get("seed", 0))


def teacher_sample(run_dir: Path) -> TeacherSample:
    """The best attempt of a finished run; RunFileProblem when it has none."""
    theme, seed = run_key(read_object(run_dir / "request.json"))
    best = read_object(run_dir / "result.json").get("best_attempt")
    if not isinstance(best, int):
        raise RunFileProblem("malformed result.json: best_attempt is missing")
    folder = attempt_dir(run_dir, best)
    try:
        story = Story.model_validate(read_object(folder / "story.json"))
    except ValueError as error:
        raise RunFileProblem(f"malformed {folder.name}/story.json: {str(error).splitlines()[0]}") from None
    critique = read_object(folder / "critique.json")
    report = critique.get("report") if isinstance(critique.get("report"), dict) else {}
    return TeacherSample(
        id=run_dir.name, theme=theme, seed=seed, story=story,
        prompt=chat_messages(read_object(folder / "prompt.json").get("messages") or []),
        score=number(critique.get("score")), alignment=number(report.get("overall")),
    )


def first_reply(run_dir: Path) -> str:
    """The first raw reply of the first attempt (a failed storyteller call counts too)."""
    folder = attempt_dir(run_dir, 1)
    name = "prompt.json" if (folder / "prompt.json").is_file() else "failed_reply.json"
    replies = read_object(folder / name).get("replies") or []
    if not replies or not isinstance(replies[0], str) or not replies[0].strip():
        raise RunFileProblem(f"no reply in {folder.name}/{name}")
    return replies[0]


def rejected_sample(run_dir: Path, source: str) -> RejectedSample:
    theme, seed = run_key(read_object(run_dir / "request.json"))
    return RejectedSample(id=run_dir.name, theme=theme, seed=seed, reply=first_reply(run_dir), source=source)


def collect(paths: Iterable[str | Path], read: Callable[[Path], Any], notes: list[str]) -> list:
    """``read(run_dir)`` for every run directory under ``paths``; one note per skipped run."""
    samples = []
    for path in map(Path, paths):
        run_dirs = find_run_dirs(path) if path.is_dir() else []
        if not run_dirs:
            notes.append(f"skipped {path}: no run directories found")
        for run_dir in run_dirs:
            try:
                samples.append(read(run_dir))
            except (RunFileProblem, OSError, ValueError, TypeError) as error:
                notes.append(f"skipped {run_dir}: {' '.join(str(error).split())}")
    return samples


def filtered(samples: list[TeacherSample], filters: Filters, notes: list[str]) -> list[TeacherSample]:
    kept = []
    for sample in samples:
        reason = filters.rejects(sample)
        if reason:
            notes.append(f"filtered {sample.id}: {reason}")
        else:
            kept.append(sample)
    return kept


def sft_record(sample: TeacherSample, source: str) -> dict[str, Any]:
    answer = {"role": "assistant", "content": story_text(sample.story)}
    return {"messages": [*sample.prompt, answer], "id": sample.id, "source": source}


def dpo_records(teacher: TeacherSample, rejected: list[RejectedSample]) -> list[dict[str, Any]]:
    chosen = story_text(teacher.story)
    return [
        {
            "prompt": teacher.prompt,
            "chosen": [{"role": "assistant", "content": chosen}],
            "rejected": [{"role": "assistant", "content": sample.reply}],
            "id": f"{teacher.id}|{sample.id}",
            "source": sample.source,
        }
        for sample in rejected
        if sample.reply.strip() != chosen
    ]


def pair_rejected(
    teachers: list[TeacherSample], rejected: list[RejectedSample], notes: list[str]
) -> dict[str, list[RejectedSample]]:
    """Teacher id -> the rejected samples of the same theme and seed."""
    by_key = {(teacher.theme, teacher.seed): teacher.id for teacher in teachers}
    pairs: dict[str, list[RejectedSample]] = {teacher.id: [] for teacher in teachers}
    for sample in rejected:
        teacher_id = by_key.get((sample.theme, sample.seed))
        if teacher_id is None:
            notes.append(f"unpaired {sample.source} run {sample.id}: no teacher with theme {sample.theme!r} "
                         f"and seed {sample.seed}")
        else:
            pairs[teacher_id].append(sample)
    return pairs


def eval_ids(ids: list[str], eval_split: float, seed: int) -> set[str]:
    """A reproducible share of the ids (at least one when asked for and there are two or more)."""
    if eval_split <= 0 or len(ids) < 2:
        return set()
    count = min(len(ids) - 1, max(1, math.floor(len(ids) * eval_split)))
    return set(random.Random(seed).sample(sorted(ids), count))


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    atomic_write_bytes(path, text.encode("utf-8"))


def write_split(out: Path, name: str, records: list[tuple[str, dict]], held_out: set[str]) -> dict[str, int]:
    train = [record for teacher_id, record in records if teacher_id not in held_out]
    evaluation = [record for teacher_id, record in records if teacher_id in held_out]
    write_jsonl(out / f"{name}.jsonl", train)
    write_jsonl(out / f"{name}.eval.jsonl", evaluation)
    return {name: len(train), f"{name}.eval": len(evaluation)}


def write_dataset(
    out: Path,
    teachers: list[TeacherSample],
    pairs: dict[str, list[RejectedSample]],
    source: str,
    eval_split: float,
    seed: int,
) -> dict[str, int]:
    """sft and dpo files with the same held-out teachers; returns the record counts."""
    held_out = eval_ids([teacher.id for teacher in teachers], eval_split, seed)
    sft = [(teacher.id, sft_record(teacher, source)) for teacher in teachers]
    dpo = [(teacher.id, record) for teacher in teachers for record in dpo_records(teacher, pairs.get(teacher.id, []))]
    return write_split(out, "sft", sft, held_out) | write_split(out, "dpo", dpo, held_out)


def export_runs(
    run_dirs: list[str],
    out: Path,
    filters: Filters,
    rejected_dirs: list[str],
    mix_dirs: list[str],
    eval_split: float = 0.1,
    seed: int = 0,
) -> ExportResult:
    """SFT and DPO data from teacher runs, paired with ``--rejected`` and ``--mix`` runs."""
    result = ExportResult()
    teachers = filtered(collect(run_dirs, teacher_sample, result.notes), filters, result.notes)
    if not teachers:
        raise ConfigError(f"export: no usable teacher runs ({'; '.join(result.notes[:3]) or 'none given'})")
    rejected = collect(rejected_dirs, lambda run: rejected_sample(run, "rejected"), result.notes)
    rejected += collect(mix_dirs, lambda run: rejected_sample(run, "mix"), result.notes)
    pairs = pair_rejected(teachers, rejected, result.notes)
    result.counts = write_dataset(out, teachers, pairs, "run", eval_split, seed)
    write_summary(out, result, {"runs": run_dirs, "rejected": rejected_dirs, "mix": mix_dirs, "filters": filters})
    return result


def write_summary(out: Path, result: ExportResult, sources: dict[str, Any]) -> None:
    sources = {key: vars(value) if isinstance(value, Filters) else value for key, value in sources.items()}
    write_json(out / "export.json", {"counts": result.counts, "sources": sources, "notes": result.notes})
