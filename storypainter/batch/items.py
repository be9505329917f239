"""A batch's items: the fixed item list (batch.json), one run directory per item, running
one item, and what became of it (with its cost ledger).

Every engine runs an item through ``run_item`` and so through ``runner.start_run`` /
``runner.resume_run``: an item is done when its ``result.json`` exists; a started one
resumes from its checkpoints; so a batch can move between engines and a killed driver or
worker repeats no finished item.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from storypainter.agent.context import Context
from storypainter.config import check_theme
from storypainter.errors import ConfigError, StorypainterError
from storypainter.ledger import add_ledgers, run_ledger
from storypainter.runner import read_request, resume_run, start_run
from storypainter.runs import RunFileProblem, check_links, read_json, read_run_object, write_json

BATCH_FILE = "batch.json"
SUMMARY_FILE = "summary.json"
NOT_STARTED = "not started"
# Settings that say where or how a batch runs, not what it makes: they may change between reruns.
PLACEMENT = ("out_dir", "seed", "item_resources")


@dataclass
class ItemOutcome:
    """What became of one item; ``status`` is done, resumed, skipped (already done), failed or not started."""

    index: int
    theme: str
    status: str
    seconds: float = 0.0
    score: float | None = None
    path: str = ""
    error: str = ""
    ledger: dict[str, Any] | None = field(default=None)
    worker: str = ""


def read_themes(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"themes file not found: {path}")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a byte-order mark is not part of a theme
    except UnicodeDecodeError:
        raise ConfigError(f"themes file is not UTF-8 text: {path}") from None
    themes = [check_theme(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not themes:
        raise ConfigError(f"themes file has no themes: {path}")
    return themes


def batch_settings(context: Context) -> dict[str, Any]:
    """The settings that make a batch what it is (where and how it runs do not)."""
    return {key: value for key, value in asdict(context).items() if key not in PLACEMENT}


def plan_items(batch_dir: Path, themes: list[str], context: Context) -> list[dict]:
    """The batch's fixed item list and settings: written once, checked on every rerun."""
    items = [{"index": index, "theme": theme, "seed": context.seed + index} for index, theme in enumerate(themes)]
    settings = json.loads(json.dumps(batch_settings(context), default=str))
    path = batch_dir / BATCH_FILE
    if not path.is_file():
        write_json(path, {"items": items, "settings": settings}, durable=True)
        return items
    try:
        existing = read_run_object(path)
    except RunFileProblem as problem:
        raise ConfigError(f"{path}: {problem}; move it away to start this batch afresh") from None
    if existing.get("items") != items:
        raise ConfigError(f"{path} holds a different batch; use another --out or the same themes and seed")
    before = existing.get("settings", settings)
    changed = sorted(key for key in settings if key in before and before[key] != settings[key])
    if changed:
        raise ConfigError(f"{path} was started with other settings ({', '.join(changed)}); rerun it with the "
                          "same config and flags, or use another --out")
    return items


def record_totals(batch_dir: Path, totals: dict[str, Any]) -> None:
    """Add the batch's ledger totals (and how the last run ended) to batch.json, keeping its items."""
    path = batch_dir / BATCH_FILE
    write_json(path, read_run_object(path) | {"ledger": totals}, durable=True)


def portable(context: Context) -> Context:
    """The context with its local paths made absolute, as every item records and runs it: a worker
    (a Ray actor, a resumed item on another engine) need not share the driver's directory."""
    changes: dict[str, str] = {"memory_dir": str(Path(context.memory_dir).expanduser().resolve())}
    if context.examples_source != "seed" and Path(context.examples_source).expanduser().exists():
        changes["examples_source"] = str(Path(context.examples_source).expanduser().resolve())
    if Path(context.embeddings).expanduser().is_dir():
        changes["embeddings"] = str(Path(context.embeddings).expanduser().resolve())
    return replace(context, **changes)


def item_dir(batch_dir: Path, index: int) -> Path:
    return batch_dir / "items" / f"{index:04d}"


def finished_item(batch_dir: Path, item: dict) -> ItemOutcome | None:
    """The outcome of an item already done (result.json present), with its ledger; else None."""
    run_dir = item_dir(batch_dir, item["index"])
    if not (run_dir / "result.json").is_file():
        return None
    outcome = ItemOutcome(item["index"], item["theme"], "skipped (already done)", path=str(run_dir))
    outcome.score = read_json(run_dir / "result.json")["score"]
    outcome.ledger = manifest_ledger(run_dir)
    return outcome


def manifest_ledger(run_dir: Path) -> dict[str, Any] | None:
    try:
        return read_run_object(run_dir / "manifest.json").get("ledger")
    except RunFileProblem:
        return None


def spent_before_failing(run_dir: Path) -> dict[str, Any] | None:
    """A failed run's ledger from what its checkpoints hold (best effort: the failing node's own
    calls are not in them); None when nothing can be read."""
    from storypainter.agent.checkpoints import CHECKPOINT_FILE, open_checkpointer, thread_config
    from storypainter.agent.graph import graph

    if not (run_dir / CHECKPOINT_FILE).is_file():
        return None  # failed before its first checkpoint: nothing spent that we can see, and nothing to create
    try:
        request, context = read_request(run_dir)
        with open_checkpointer(run_dir) as saver:
            state = graph.copy(update={"checkpointer": saver}).get_state(thread_config(request["thread_id"]))
        values = state.values or {}
        return run_ledger(values.get("usage", []), context.painter, len(values.get("attempts", [])), 0.0,
                          context.prices)
    except Exception:  # a run that failed before its first checkpoint has spent nothing we can see
        return None


def run_item(batch_dir: Path, item: dict, context: Context) -> ItemOutcome:
    """Run one item to its end: skip it when done, resume it when started, else start it."""
    done = finished_item(batch_dir, item)
    if done is not None:
        return done
    run_dir = item_dir(batch_dir, item["index"])
    outcome = ItemOutcome(index=item["index"], theme=item["theme"], status="done", path=str(run_dir))
    try:
        check_links(run_dir, batch_dir)  # nothing is written through a link that leaves the batch
    except ConfigError as error:
        outcome.status, outcome.error = "failed", str(error)
        return outcome
    started = time.perf_counter()
    try:
        if (run_dir / "request.json").is_file():
            # wait: a worker killed a moment ago (a dead driver's, a restarted Ray actor's) may still hold the lock
            values = resume_run(run_dir, out=None, wait=True)
            outcome.status = "resumed"
        else:
            item_context = replace(context, seed=item["seed"], out_dir=str(run_dir.parent))
            values = start_run(item["theme"], item_context, out=None, run_dir=run_dir)
        outcome.score = values["result"].score
        outcome.ledger = manifest_ledger(run_dir)
    except StorypainterError as error:
        outcome.status, outcome.error = "failed", str(error)
    except Exception as error:  # one item's bug must not end a batch of thousands
        outcome.status, outcome.error = "failed", f"unexpected {type(error).__name__}: {error}"
    if outcome.status == "failed":
        outcome.ledger = spent_before_failing(run_dir)
    outcome.seconds = time.perf_counter() - started
    return outcome


def not_started(items: list[dict], why: str) -> list[ItemOutcome]:
    return [ItemOutcome(item["index"], item["theme"], NOT_STARTED, error=why) for item in items]


def totals(outcomes: list[ItemOutcome]) -> dict[str, Any]:
    return add_ledgers(outcome.ledger for outcome in outcomes)


def summary_table(outcomes: list[ItemOutcome]) -> str:
    lines = [f"{'item':<5} {'status':<24} {'score':>6} {'secs':>7} {'tokens':>8}  theme"]
    for outcome in outcomes:
        score = "-" if outcome.score is None else f"{outcome.score:.3f}"
        tokens = "-" if not outcome.ledger else str(outcome.ledger["tokens_in"] + outcome.ledger["tokens_out"])
        theme = outcome.theme[:50] or "(free theme)"
        row = f"{outcome.index:04d}  {outcome.status:<24} {score:>6} {outcome.seconds:7.1f} {tokens:>8}"
        lines.append(f"{row}  {theme}")
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    waiting = sum(outcome.status == NOT_STARTED for outcome in outcomes)
    lines.append(f"{len(outcomes)} items, {failed} failed" + (f", {waiting} not started" if waiting else ""))
    return "\n".join(lines)
