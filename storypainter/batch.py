"""Batch jobs: many stories, optionally concurrent, resumable after a kill.

A batch directory holds ``batch.json`` (the fixed item list: index, theme, seed), one run
directory per item under ``items/NNNN`` and, at the end, ``summary.json``. An item is done
when its ``result.json`` exists; a rerun skips done items, continues started ones from
their checkpoints and starts the rest, so nothing is lost and nothing is done twice.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from storypainter.agent.context import Context
from storypainter.config import check_theme
from storypainter.errors import ConfigError, StorypainterError
from storypainter.progress import resume_run, start_run
from storypainter.runs import read_json, write_json

BATCH_FILE = "batch.json"


@dataclass
class ItemOutcome:
    index: int
    theme: str
    status: str
    seconds: float = 0.0
    score: float | None = None
    path: str = ""
    error: str = ""


def read_themes(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"themes file not found: {path}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ConfigError(f"themes file is not UTF-8 text: {path}") from None
    themes = [check_theme(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not themes:
        raise ConfigError(f"themes file has no themes: {path}")
    return themes


def plan_items(batch_dir: Path, themes: list[str], base_seed: int) -> list[dict]:
    """The batch's fixed item list: written once, reused (and checked) on every rerun."""
    items = [{"index": index, "theme": theme, "seed": base_seed + index} for index, theme in enumerate(themes)]
    path = batch_dir / BATCH_FILE
    if path.is_file():
        existing = read_json(path)["items"]
        if existing != items:
            raise ConfigError(f"{path} holds a different batch; use another --out or the same themes and seed")
        return existing
    write_json(path, {"items": items})
    return items


def item_dir(batch_dir: Path, index: int) -> Path:
    return batch_dir / "items" / f"{index:04d}"


def run_item(batch_dir: Path, item: dict, context: Context) -> ItemOutcome:
    run_dir = item_dir(batch_dir, item["index"])
    outcome = ItemOutcome(index=item["index"], theme=item["theme"], status="done", path=str(run_dir))
    if (run_dir / "result.json").is_file():
        outcome.status = "skipped (already done)"
        outcome.score = read_json(run_dir / "result.json")["score"]
        return outcome
    started = time.perf_counter()
    try:
        if (run_dir / "request.json").is_file():
            values = resume_run(run_dir, out=None)
            outcome.status = "resumed"
        else:
            run_dir.mkdir(parents=True, exist_ok=True)
            values = start_run(item["theme"], replace(context, seed=item["seed"]), out=None, run_dir=run_dir)
        outcome.score = values["result"].score
    except StorypainterError as error:
        outcome.status, outcome.error = "failed", str(error)
    outcome.seconds = time.perf_counter() - started
    return outcome


class ProgressBar:
    def __init__(self, total: int, out: TextIO):
        self.total, self.done, self.out, self.lock = total, 0, out, threading.Lock()
        self.started = time.perf_counter()

    def advance(self, outcome: ItemOutcome) -> None:
        with self.lock:
            self.done += 1
            filled = int(30 * self.done / self.total)
            elapsed = time.perf_counter() - self.started
            bar = "#" * filled + "." * (30 - filled)
            line = f"[{bar}] {self.done}/{self.total} {elapsed:6.1f}s  item {outcome.index:04d} {outcome.status}"
            print(line + (f": {outcome.error}" if outcome.error else ""), file=self.out, flush=True)


def run_batch(batch_dir: Path, themes: list[str], context: Context, concurrency: int,
              out: TextIO | None = sys.stderr) -> list[ItemOutcome]:
    """Run (or resume) a batch; returns each item's outcome, in item order."""
    if concurrency < 1:
        raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
    batch_dir.mkdir(parents=True, exist_ok=True)
    items = plan_items(batch_dir, themes, context.seed)
    bar = ProgressBar(len(items), out) if out else None
    outcomes = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(run_item, batch_dir, item, context) for item in items]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            if bar:
                bar.advance(outcome)
    outcomes.sort(key=lambda outcome: outcome.index)
    write_json(batch_dir / "summary.json", [vars(outcome) for outcome in outcomes])
    return outcomes


def summary_table(outcomes: list[ItemOutcome]) -> str:
    lines = [f"{'item':<5} {'status':<24} {'score':>6} {'secs':>7}  theme"]
    for outcome in outcomes:
        score = "-" if outcome.score is None else f"{outcome.score:.3f}"
        theme = outcome.theme[:50] or "(free theme)"
        lines.append(f"{outcome.index:04d}  {outcome.status:<24} {score:>6} {outcome.seconds:7.1f}  {theme}")
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    lines.append(f"{len(outcomes)} items, {failed} failed")
    return "\n".join(lines)
