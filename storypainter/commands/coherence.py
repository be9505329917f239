"""``storypainter coherence``: score chains of reasoning, or train the learned judge.

- ``coherence FILE [--scorer learned|llm:PROVIDER] [--config NAME|FILE]``: FILE is JSON lines
  ``{"dimension": ..., "clues": [...], "conclusion": ..., "context": ... (optional)}``, a
  story JSON file (a ``Story``, or an object holding one under ``"story"``) or a run
  directory (every attempt's story). Each chain is printed back as one JSON line with
  ``"coherence"`` added (and ``"coherent"``, ``"reason"``; ``"attempt"`` for a run). A
  malformed line is named by its number on stderr, the rest are scored, and the exit code is 2.
- ``coherence train [--work DIR] [...]``: rebuild the learned judge's weights (resumable);
  flags come from ``CoherenceTrainSettings``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SCORE_USAGE = "storypainter coherence FILE|RUN_DIR [--scorer learned|llm:PROVIDER] [--config NAME|FILE]"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "coherence", help="score chains of reasoning (does each conclusion follow?) or train the judge",
        description=f"{SCORE_USAGE}\n   or: storypainter coherence train --work DIR [...] (see 'coherence train -h')",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs=argparse.REMAINDER, help="FILE [options], or 'train' [options]")


def score_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storypainter coherence", usage=SCORE_USAGE)
    parser.add_argument("target", help="chains as JSON lines, a story JSON file or a run directory")
    parser.add_argument("--scorer", help="'learned' (default) or 'llm:<provider string>', e.g. llm:openai:gpt-4.1")
    parser.add_argument("--config", help="a shipped config by name or a YAML file (llm_options, threshold)")
    parser.add_argument("--threshold", type=float, help="coherent at or above this probability (default: Context's)")
    return parser


def train_parser() -> argparse.ArgumentParser:
    from storypainter.commands.settings_flags import add_dataclass_flags
    from storypainter.distill.coherence_train import CoherenceTrainSettings

    parser = argparse.ArgumentParser(prog="storypainter coherence train",
                                     description="train the learned coherence judge (resumable)")
    add_dataclass_flags(parser, CoherenceTrainSettings, required=("work",))
    return parser


def run(args: argparse.Namespace) -> int:
    if args.words[:1] == ["train"]:
        return run_train(train_parser().parse_args(args.words[1:]))
    return run_score(score_parser().parse_args(args.words))


def run_train(args: argparse.Namespace) -> int:
    from storypainter.commands.settings_flags import context_overrides
    from storypainter.distill.coherence_train import CoherenceTrainSettings, train

    card = train(CoherenceTrainSettings(**context_overrides(args, CoherenceTrainSettings)))
    final = card["eval"]
    print(f"coherence judge trained ({card['pairs']['train']} pairs, {card['seconds']}s): eval AUC {final['auc']}, "
          f"accuracy {final['accuracy']}; per kind: "
          + ", ".join(f"{kind} {row['auc']}" for kind, row in final["per_kind"].items()))
    return 0


def run_score(args: argparse.Namespace) -> int:
    from storypainter.config import load_context
    from storypainter.providers.registry import get_coherence_judge

    overrides = {key: value for key, value in {"coherence": args.scorer, "coherence_threshold": args.threshold}.items()
                 if value is not None}
    context = load_context(args.config, **overrides)
    rows, problems = read_target(Path(args.target).expanduser())
    judge = get_coherence_judge(context)
    for row, marked in zip(rows, score_rows(judge, rows), strict=True):
        print(json.dumps(row["echo"] | marked, ensure_ascii=False))
    for problem in problems:
        print(f"storypainter: {problem}", file=sys.stderr)
    return 2 if problems else 0


def score_rows(judge, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Marks for every row, one batch per context (a story's chains share theirs)."""
    marks: list[dict[str, Any] | None] = [None] * len(rows)
    by_context: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_context.setdefault(row["context"], []).append(index)
    for context, indices in by_context.items():
        scored = judge.score([rows[index]["chain"] for index in indices], context)
        for index, mark in zip(indices, scored, strict=True):
            marks[index] = {"coherence": mark.coherence, "coherent": mark.coherent, "reason": mark.reason}
    return marks  # type: ignore[return-value]


def read_target(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows to score ({"chain", "context", "echo"}) and one line per malformed input."""
    from storypainter.errors import ConfigError

    if path.is_dir():
        return run_rows(path), []
    if not path.is_file():
        raise ConfigError(f"coherence: {path} is neither a file nor a run directory")
    text = path.read_text(encoding="utf-8", errors="replace")
    story = story_in(text)
    if story is not None:
        return story_rows(story), []
    return chain_lines(text, path)


def story_in(text: str):
    """The Story a whole-file JSON object holds (bare or under "story"), or None for JSON lines."""
    from pydantic import ValidationError

    from storypainter.schema import Story

    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not ({"cors", "story"} & set(data)):
        return None
    try:
        return Story.model_validate(data.get("story", data))
    except ValidationError as error:
        from storypainter.errors import ConfigError

        raise ConfigError(f"coherence: not a valid story: {error.errors()[0]['msg']}") from None


def story_rows(story, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [{"chain": chain, "context": story.description,
             "echo": (extra or {}) | chain.model_dump(mode="json")} for chain in story.cors]


def run_rows(run_dir: Path) -> list[dict[str, Any]]:
    from storypainter.errors import ConfigError
    from storypainter.schema import Story

    files = sorted((run_dir / "attempts").glob("*/story.json"))
    if not files:
        raise ConfigError(f"coherence: {run_dir} holds no attempts/NN/story.json")
    rows = []
    for file in files:
        story = Story.model_validate_json(file.read_text(encoding="utf-8"))
        rows += story_rows(story, {"attempt": int(file.parent.name)})
    return rows


def chain_lines(text: str, path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    from pydantic import ValidationError

    from storypainter.schema import ChainOfReasoning

    rows, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            parts = {key: data.get(key) for key in ("dimension", "clues", "conclusion")}
            chain = ChainOfReasoning.model_validate(parts)
            context = data.get("context") or ""
            if not isinstance(context, str):
                raise ValueError("'context' must be a string")
        except ValidationError as error:
            first = error.errors()[0]
            problems.append(f"{path.name}:{number}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
            continue
        except ValueError as error:
            problems.append(f"{path.name}:{number}: {error}")
            continue
        rows.append({"chain": chain, "context": context, "echo": data})
    return rows, problems
