"""Running a batch with an engine: the lock, the plan, the schedule under the budget, progress,
and the summary with the ledger's totals."""

from __future__ import annotations

import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any, Protocol, TextIO

from storypainter import interrupts
from storypainter.agent.context import MAX_SEED, Context
from storypainter.batch.budget import Budget
from storypainter.batch.items import (
    NOT_STARTED,
    SUMMARY_FILE,
    ItemOutcome,
    finished_item,
    item_dir,
    not_started,
    plan_items,
    portable,
    record_totals,
    totals,
)
from storypainter.errors import ConfigError
from storypainter.ledger import Tally, describe
from storypainter.runner import locked
from storypainter.runs import mark_unfinished, write_json

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


class InFlight:
    """The items handed to an engine and not back yet, each held (``interrupts.hold``) until it is."""

    def __init__(self, batch_dir: Path):
        self.batch_dir, self.run_dirs = batch_dir, {}

    def __len__(self) -> int:
        return len(self.run_dirs)

    def add(self, item: dict) -> None:
        self.run_dirs[item["index"]] = item_dir(self.batch_dir, item["index"])
        interrupts.hold(self.run_dirs[item["index"]])

    def back(self, index: int) -> None:
        interrupts.release(self.run_dirs.pop(index))

    def end(self, why: str = "") -> None:
        """Release the rest, marking each ``interrupted`` (``why``) when the batch was cut short."""
        for run_dir in self.run_dirs.values():
            if why:
                mark_unfinished(run_dir, why)
            interrupts.release(run_dir)


def schedule(items: list[dict], engine: Engine, capacity: int, budget: Budget, spent: Tally,
             report: Any, in_flight: InFlight) -> tuple[list[ItemOutcome], str]:
    """Keep up to ``capacity`` items in flight until all ran or the budget refuses another (``Budget.refuses``);
    returns the outcomes and why scheduling stopped early ('' when it did not). ``spent``: the ledger so far."""
    waiting, outcomes, stopped = deque(items), [], ""
    while True:
        while waiting and len(in_flight) < capacity and not (
                stopped := budget.refuses(spent.total(), len(in_flight))):
            item = waiting.popleft()
            in_flight.add(item)
            engine.submit(item)
        if not in_flight:
            break
        for outcome in engine.wait():
            in_flight.back(outcome.index)
            spent.add(outcome.ledger)
            outcomes.append(outcome)
            report(outcome)
    return outcomes + not_started(list(waiting), stopped), stopped if waiting else ""


def open_engine(engine: str, batch_dir: Path, context: Context, concurrency: int | None, workers: str,
                cluster: Any) -> tuple[Engine, int]:
    """The engine and how many items it keeps in flight (``cluster``: the Ray engine, already connected)."""
    if engine == "ray":
        cluster.start(batch_dir)
        return cluster, cluster.capacity
    from storypainter.batch.local import local_engine

    concurrency = 1 if concurrency is None else concurrency  # 0 is refused, never read as 1
    return local_engine(batch_dir, context, concurrency, workers), concurrency


def check_batch(themes: list[str], context: Context, concurrency: int | None, workers: str, engine: str,
                address: str | None, budget: Budget) -> None:
    """Every refusal that needs no cluster, before anything is written."""
    budget.check(context)
    if engine not in ENGINES:
        raise ConfigError(f"engine: '{engine}' is not one of {', '.join(ENGINES)}")
    if address is not None and engine != "ray":
        raise ConfigError("--address needs --engine ray")
    if context.seed + len(themes) - 1 > MAX_SEED:
        raise ConfigError(f"seed: items take seeds {context.seed}..{context.seed + len(themes) - 1}, above the "
                          f"limit {MAX_SEED:,}; use a smaller seed")
    if engine == "local":
        from storypainter.batch.local import choose_workers

        choose_workers(context, 1 if concurrency is None else concurrency, workers)
    elif concurrency is not None:
        from storypainter.batch.local import check_concurrency

        check_concurrency(concurrency)


def run_batch(batch_dir: Path, themes: list[str], context: Context, concurrency: int | None = 1,
              out: TextIO | None = sys.stderr, workers: str = "auto", wait: bool = False, engine: str = "local",
              address: str | None = None, budget: Budget | None = None) -> list[ItemOutcome]:
    """Run (or resume) a batch; returns each item's outcome, in item order.

    One driver per batch directory: a second refuses in one line (or waits with ``wait``).
    Finished items are read here, not sent to the engine; their ledgers count toward the budget.
    Every refusal (the Ray cluster's included: unreachable, or without the resources an item
    needs) comes before anything is written.
    """
    budget = budget or Budget()
    check_batch(themes, context, concurrency, workers, engine, address, budget)
    batch_dir = batch_dir.expanduser().resolve()
    cluster = None
    if engine == "ray":
        from storypainter.batch.ray_engine import RayEngine

        cluster = RayEngine(portable(context), concurrency, address)
    try:
        batch_dir.mkdir(parents=True, exist_ok=True)
        with locked(batch_dir, wait):
            return drive_batch(batch_dir, themes, context, concurrency, out, workers, engine, budget, cluster)
    finally:
        if cluster:
            cluster.close()


def drive_batch(batch_dir: Path, themes: list[str], context: Context, concurrency: int | None, out: TextIO | None,
                workers: str, engine: str, budget: Budget, cluster: Any) -> list[ItemOutcome]:
    """The batch under its lock: plan, schedule what is left, summarise."""
    items = plan_items(batch_dir, themes, context)
    done = {item["index"]: outcome for item in items if (outcome := finished_item(batch_dir, item))}
    todo = [item for item in items if item["index"] not in done]
    spent = Tally()
    for outcome in done.values():
        spent.add(outcome.ledger)
    stopped = budget.refuses(spent.total()) if todo else ""
    runner, capacity = (None, 0) if stopped or not todo else open_engine(
        engine, batch_dir, portable(context), concurrency, workers, cluster)
    if out and runner:
        before = f" ({len(done)} done before)" if done else ""
        print(f"batch: {len(items)} items{before}, {runner.describe()}", file=out, flush=True)
    bar = ProgressBar(len(items), out) if out else None
    report = bar.advance if bar else (lambda outcome: None)
    outcomes, graceful, in_flight, why = list(done.values()), False, InFlight(batch_dir), ""
    try:
        for outcome in done.values():
            report(outcome)
        if runner:
            ran, stopped = schedule(todo, runner, capacity, budget, spent, report, in_flight)
            outcomes += ran
        else:
            outcomes += not_started(todo, stopped)
        graceful = True
    except KeyboardInterrupt as error:
        stop = interrupts.interrupted(error, "rerun the same batch command to continue")
        why = stop.reason
        raise stop from None
    finally:
        if runner:
            runner.close(graceful)
        if bar:
            bar.close()
        in_flight.end(why)
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
