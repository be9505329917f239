"""Running a batch with an engine: the lock, the plan, the schedule under the budget, progress,
and the summary with the ledger's totals."""

from __future__ import annotations

import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any, Protocol, TextIO

from storypainter.agent.context import Context
from storypainter.batch.budget import Budget
from storypainter.batch.items import (
    NOT_STARTED,
    SUMMARY_FILE,
    ItemOutcome,
    finished_item,
    not_started,
    plan_items,
    portable,
    record_totals,
    totals,
)
from storypainter.errors import ConfigError
from storypainter.ledger import Tally, describe
from storypainter.runner import locked
from storypainter.runs import write_json

ENGINES = ("local", "ray")


class Engine(Protocol):
    """Runs items: ``submit`` one, ``wait`` for at least one outcome, ``close`` at the end."""

    def describe(self) -> str: ...

    def submit(self, item: dict) -> None: ...

    def wait(self) -> list[ItemOutcome]: ...

    def close(self, graceful: bool = True) -> None: ...


class ProgressBar:
    """A tqdm bar (count, elapsed, time left) with one line per finished item above it."""

    def __init__(self, total: int, out: TextIO):
        from tqdm import tqdm

        self.lock = threading.Lock()
        self.bar = tqdm(total=total, file=out, unit="item", dynamic_ncols=True, mininterval=0.5)

    def advance(self, outcome: ItemOutcome) -> None:
        with self.lock:
            line = f"item {outcome.index:04d} {outcome.status}" + (f": {outcome.error}" if outcome.error else "")
            self.bar.write(line, file=self.bar.fp)
            self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def schedule(items: list[dict], engine: Engine, capacity: int, budget: Budget, spent: Tally,
             report: Any) -> tuple[list[ItemOutcome], str]:
    """Keep up to ``capacity`` items in flight until all ran or the budget is reached; returns the
    outcomes and why scheduling stopped early ('' when it did not). ``spent``: the ledger so far."""
    waiting, outcomes, in_flight, stopped = deque(items), [], 0, ""
    while True:
        while waiting and in_flight < capacity and not (stopped := budget.reached(spent.total())):
            engine.submit(waiting.popleft())
            in_flight += 1
        if in_flight == 0:
            break
        for outcome in engine.wait():
            in_flight -= 1
            spent.add(outcome.ledger)
            outcomes.append(outcome)
            report(outcome)
    return outcomes + not_started(list(waiting), stopped), stopped if waiting else ""


def open_engine(engine: str, batch_dir: Path, context: Context, concurrency: int | None, workers: str,
                address: str | None) -> tuple[Engine, int]:
    """The engine and how many items it keeps in flight."""
    if engine == "local":
        from storypainter.batch.local import local_engine

        local = local_engine(batch_dir, context, concurrency or 1, workers)
        return local, concurrency or 1
    if engine == "ray":
        from storypainter.batch.ray_engine import RayEngine

        remote = RayEngine(batch_dir, context, concurrency, address)
        return remote, remote.capacity
    raise ConfigError(f"engine: '{engine}' is not one of {', '.join(ENGINES)}")


def run_batch(batch_dir: Path, themes: list[str], context: Context, concurrency: int | None = 1,
              out: TextIO | None = sys.stderr, workers: str = "auto", wait: bool = False, engine: str = "local",
              address: str | None = None, budget: Budget | None = None) -> list[ItemOutcome]:
    """Run (or resume) a batch; returns each item's outcome, in item order.

    One driver per batch directory: a second refuses in one line (or waits with ``wait``).
    Finished items are read here, not sent to the engine; their ledgers count toward the budget.
    """
    budget = budget or Budget()
    budget.check(context)
    if engine not in ENGINES:
        raise ConfigError(f"engine: '{engine}' is not one of {', '.join(ENGINES)}")
    if address is not None and engine != "ray":
        raise ConfigError("--address needs --engine ray")
    if engine == "local":
        from storypainter.batch.local import choose_workers

        choose_workers(context, concurrency or 1, workers)  # refuse bad settings before anything is written
    batch_dir = batch_dir.expanduser().resolve()
    batch_dir.mkdir(parents=True, exist_ok=True)
    with locked(batch_dir, wait):
        items = plan_items(batch_dir, themes, context)
        done = {item["index"]: outcome for item in items if (outcome := finished_item(batch_dir, item))}
        todo = [item for item in items if item["index"] not in done]
        spent = Tally()
        for outcome in done.values():
            spent.add(outcome.ledger)
        stopped = budget.reached(spent.total()) if todo else ""
        runner, capacity = (None, 0) if stopped or not todo else open_engine(
            engine, batch_dir, portable(context), concurrency, workers, address)
        if out and runner:
            before = f" ({len(done)} done before)" if done else ""
            print(f"batch: {len(items)} items{before}, {runner.describe()}", file=out, flush=True)
        bar = ProgressBar(len(items), out) if out else None
        report = bar.advance if bar else (lambda outcome: None)
        outcomes, graceful = list(done.values()), False
        try:
            for outcome in done.values():
                report(outcome)
            if runner:
                ran, stopped = schedule(todo, runner, capacity, budget, spent, report)
                outcomes += ran
            else:
                outcomes += not_started(todo, stopped)
            graceful = True
        finally:
            if runner:
                runner.close(graceful)
            if bar:
                bar.close()
        outcomes.sort(key=lambda outcome: outcome.index)
        total = totals(outcomes)
        if out:
            waiting = sum(outcome.status == NOT_STARTED for outcome in outcomes)
            if stopped:
                print(f"batch: {stopped}; {waiting} items not started, the items in flight finished; rerun with "
                      "a higher cap to continue", file=out, flush=True)
            print(f"batch: ledger: {describe(total)}", file=out, flush=True)
        write_json(batch_dir / SUMMARY_FILE, [vars(outcome) for outcome in outcomes])
        record_totals(batch_dir, {**total, "budget": budget.describe(), "stopped": stopped})
    return outcomes
