"""Batch jobs: many stories, optionally concurrent, resumable after a kill.

A batch directory holds ``batch.json`` (the fixed item list: index, theme, seed), one run
directory per item under ``items/NNNN`` and, at the end, ``summary.json``. An item is done
when its ``result.json`` exists; a rerun skips done items, continues started ones from
their checkpoints and starts the rest, so nothing is lost and nothing is done twice.

Workers: the K items in flight run in forked worker processes, one per item up to
``PROCESSES_PER_CORE`` per core (then several threads each), because each story also
spends tens of milliseconds of GIL-bound Python (graph steps, checkpoints, drawing)
around its model calls. ``auto`` uses threads in this process instead whenever a model
runs inside the process (``local:``, ``hf:``, ``diffusers:``) or retrieval goes through
the Chroma store, so weights load once and one process owns the store; see
``choose_workers``.
"""

from __future__ import annotations

import gc
import json
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from storypainter.agent.context import Context
from storypainter.config import check_theme
from storypainter.errors import ConfigError, StorypainterError
from storypainter.providers import registry
from storypainter.runner import locked, resume_run, start_run
from storypainter.runs import RunFileProblem, read_json, read_run_object, write_json

BATCH_FILE = "batch.json"
WORKER_KINDS = ("auto", "threads", "processes")
IN_PROCESS_LLMS = frozenset({"local", "hf"})  # providers that load weights into this process
IN_PROCESS_PAINTERS = frozenset({"diffusers"})
CHROMA_RETRIEVAL = frozenset({"similar", "mmr"})
PARENT_POLL_SECONDS = 0.2
MAX_CONCURRENCY = 256
MAX_ITEMS = 100_000
PROCESSES_PER_CORE = 4  # one process per item in flight (no GIL shared) up to this many per core


Report = Callable[["ItemOutcome"], None]


@dataclass
class ItemOutcome:
    """What became of one item; ``status`` is done, resumed, skipped (already done) or failed."""

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
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # a byte-order mark is not part of a theme
    except UnicodeDecodeError:
        raise ConfigError(f"themes file is not UTF-8 text: {path}") from None
    themes = [check_theme(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not themes:
        raise ConfigError(f"themes file has no themes: {path}")
    return themes


def batch_settings(context: Context) -> dict[str, Any]:
    """The settings that make a batch what it is (where it is written does not)."""
    return {key: value for key, value in asdict(context).items() if key not in ("out_dir", "seed")}


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
    changed = sorted(key for key in settings if existing.get("settings", settings).get(key) != settings[key])
    if changed:
        raise ConfigError(f"{path} was started with other settings ({', '.join(changed)}); rerun it with the "
                          "same config and flags, or use another --out")
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
            item_context = replace(context, seed=item["seed"], out_dir=str(run_dir.parent))
            values = start_run(item["theme"], item_context, out=None, run_dir=run_dir)
        outcome.score = values["result"].score
    except StorypainterError as error:
        outcome.status, outcome.error = "failed", str(error)
    except Exception as error:  # one item's bug must not end a batch of thousands
        outcome.status, outcome.error = "failed", f"unexpected {type(error).__name__}: {error}"
    outcome.seconds = time.perf_counter() - started
    return outcome


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


@dataclass(frozen=True)
class Workers:
    """How a batch runs its K items in flight: ``processes`` x ``threads`` (1 process = this one)."""

    processes: int
    threads: int
    why: str

    def describe(self) -> str:
        where = "in this process" if self.processes == 1 else f"in {self.processes} worker processes"
        return f"{self.threads * self.processes} in flight: {self.threads} threads {where} ({self.why})"


def in_process_parts(context: Context) -> list[str]:
    """The parts of a config that hold models or stores inside the process running them."""
    llms = [context.llm]
    judge_prefix, judge_name = registry.split_provider(context.judge)
    if judge_prefix == "vlm":
        llms.append(judge_name)
    parts = [spec for spec in llms if registry.split_provider(spec)[0] in IN_PROCESS_LLMS]
    if registry.split_provider(context.painter)[0] in IN_PROCESS_PAINTERS:
        parts.append(context.painter)
    if context.retrieval in CHROMA_RETRIEVAL:
        parts.append(f"retrieval {context.retrieval} (Chroma store)")
    return parts


def choose_workers(context: Context, concurrency: int, kind: str = "auto") -> Workers:
    """Threads spread over up to one process per core, unless a model or store lives in-process."""
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ConfigError(f"concurrency must lie in 1..{MAX_CONCURRENCY}, got {concurrency}")
    if kind not in WORKER_KINDS:
        raise ConfigError(f"workers: '{kind}' is not one of {', '.join(WORKER_KINDS)}")
    cores = os.cpu_count() or 1
    held = in_process_parts(context)
    if kind == "processes" and context.retrieval in CHROMA_RETRIEVAL:
        raise ConfigError(f"workers: processes cannot share the Chroma example store (retrieval "
                          f"{context.retrieval}); use --workers threads or retrieval random")
    if kind == "threads" or (kind == "auto" and held):
        why = "asked for threads" if kind == "threads" else f"{', '.join(held)} stays in one process"
        return Workers(1, concurrency, why)
    processes = min(concurrency, PROCESSES_PER_CORE * cores)
    if processes == 1:
        return Workers(1, concurrency, "one core" if cores == 1 else "one item at a time")
    return Workers(processes, math.ceil(concurrency / processes), f"{cores} cores")


def run_batch(batch_dir: Path, themes: list[str], context: Context, concurrency: int,
              out: TextIO | None = sys.stderr, workers: str = "auto", wait: bool = False) -> list[ItemOutcome]:
    """Run (or resume) a batch; returns each item's outcome, in item order.

    One process per batch directory: a second refuses in one line (or waits with ``wait``).
    """
    plan = choose_workers(context, concurrency, workers)
    batch_dir.mkdir(parents=True, exist_ok=True)
    with locked(batch_dir, wait):
        items = plan_items(batch_dir, themes, context)
        if out:
            print(f"batch: {len(items)} items, {plan.describe()}", file=out, flush=True)
        bar = ProgressBar(len(items), out) if out else None
        report = bar.advance if bar else (lambda outcome: None)
        run = run_in_processes if plan.processes > 1 else run_in_threads
        try:
            outcomes = sorted(run(batch_dir, items, context, plan, report), key=lambda outcome: outcome.index)
        finally:
            if bar:
                bar.close()
        write_json(batch_dir / "summary.json", [vars(outcome) for outcome in outcomes])
    return outcomes



def run_in_threads(batch_dir: Path, items: list[dict], context: Context, plan: Workers,
                   report: Report) -> list[ItemOutcome]:
    outcomes = []
    with ThreadPoolExecutor(max_workers=plan.threads) as pool:
        futures = [pool.submit(run_item, batch_dir, item, context) for item in items]
        for future in as_completed(futures):
            outcomes.append(future.result())
            report(outcomes[-1])
    return outcomes


def run_in_processes(batch_dir: Path, items: list[dict], context: Context, plan: Workers,
                     report: Report) -> list[ItemOutcome]:
    """Items go out through one queue to worker processes; outcomes come back through another.

    A worker that dies (a native crash, the OOM killer) fails only the items it had in
    flight; the others keep taking items. Workers exit when this process does, even by SIGKILL.
    """
    start_method = "fork" if sys.platform == "linux" else "spawn"  # fork: no re-import per worker
    mp = multiprocessing.get_context(start_method)
    tasks, results = mp.Queue(), mp.Queue()
    for item in items:
        tasks.put(item)
    for _ in range(plan.processes * plan.threads):
        tasks.put(None)
    args = (batch_dir, context, plan.threads, tasks, results, os.getpid())
    children = [mp.Process(target=serve_items, args=args, daemon=True) for _ in range(plan.processes)]
    gc.freeze()  # a forked worker's collections then skip (and so never copy) the parent's objects
    try:
        for child in children:
            child.start()
    finally:
        gc.unfreeze()
    try:
        return collect_outcomes(items, children, results, report)
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
        for channel in (tasks, results):  # never wait at exit on a feeder thread whose readers are gone
            channel.cancel_join_thread()
            channel.close()


def collect_outcomes(items: list[dict], children: list[Any], results: Any, report: Report) -> list[ItemOutcome]:
    outcomes: dict[int, ItemOutcome] = {}
    in_flight: dict[int, tuple[int, dict]] = {}
    while len(outcomes) < len(items):
        try:
            kind, pid, payload = results.get(timeout=0.5)
        except queue.Empty:
            lost = lost_items(items, children, outcomes, in_flight)
        else:
            if kind == "started":
                in_flight[payload["index"]] = (pid, payload)
                continue
            in_flight.pop(payload.index, None)
            lost = [payload]
        for outcome in lost:
            outcomes[outcome.index] = outcome
            report(outcome)
    return list(outcomes.values())


def lost_items(items: list[dict], children: list[Any], outcomes: dict, in_flight: dict) -> list[ItemOutcome]:
    """Failed outcomes for the items of workers that died; all the rest when none is left."""
    dead = {child.pid: child.exitcode for child in children if child.exitcode not in (None, 0)}
    lost = [
        ItemOutcome(index, item["theme"], "failed", error=f"worker process died (exit code {dead[pid]})")
        for index, (pid, item) in list(in_flight.items())
        if pid in dead
    ]
    for outcome in lost:
        del in_flight[outcome.index]
    if all(child.exitcode is not None for child in children):
        done = set(outcomes) | {outcome.index for outcome in lost}
        why = "a worker process died before reporting it" if dead else "no worker process left to run it"
        lost += [ItemOutcome(item["index"], item["theme"], "failed", error=why)
                 for item in items if item["index"] not in done]
    return lost


def serve_items(batch_dir: Path, context: Context, threads: int, tasks: Any, results: Any, parent: int) -> None:
    """A worker process: ``threads`` threads take items until each meets its stop marker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    threading.Thread(target=exit_with_parent, args=(parent,), daemon=True).start()

    def work(_: int) -> None:
        while (item := tasks.get()) is not None:
            results.put(("started", os.getpid(), item))
            results.put(("done", os.getpid(), run_item(batch_dir, item, context)))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(work, range(threads)))


def exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def summary_table(outcomes: list[ItemOutcome]) -> str:
    lines = [f"{'item':<5} {'status':<24} {'score':>6} {'secs':>7}  theme"]
    for outcome in outcomes:
        score = "-" if outcome.score is None else f"{outcome.score:.3f}"
        theme = outcome.theme[:50] or "(free theme)"
        lines.append(f"{outcome.index:04d}  {outcome.status:<24} {score:>6} {outcome.seconds:7.1f}  {theme}")
    failed = sum(outcome.status == "failed" for outcome in outcomes)
    lines.append(f"{len(outcomes)} items, {failed} failed")
    return "\n".join(lines)
