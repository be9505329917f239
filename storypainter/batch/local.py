"""The local engine: a batch's items in flight on this machine, in threads of this process or
in forked worker processes.

The K items in flight run in forked worker processes, one per item up to
``PROCESSES_PER_CORE`` per core (then several threads each), because each story also
spends tens of milliseconds of GIL-bound Python (graph steps, checkpoints, drawing) around
its model calls. ``auto`` uses threads in this process instead whenever a model runs inside
the process (``local:``, ``hf:``, ``diffusers:``) or retrieval goes through the embedded
Chroma store, so weights load once and one process owns the store; see ``choose_workers``.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storypainter.agent.context import Context
from storypainter.batch.items import ItemOutcome, run_item
from storypainter.errors import ConfigError
from storypainter.providers import registry

WORKER_KINDS = ("auto", "threads", "processes")
IN_PROCESS_LLMS = frozenset({"local", "hf"})  # providers that load weights into this process
IN_PROCESS_PAINTERS = frozenset({"diffusers"})
CHROMA_RETRIEVAL = frozenset({"similar", "mmr"})
PARENT_POLL_SECONDS = 0.2
WAIT_SECONDS = 0.5
STOP_SECONDS = 5.0  # how long idle workers get to take their stop marker before they are terminated
MAX_CONCURRENCY = 256
PROCESSES_PER_CORE = 4  # one process per item in flight (no GIL shared) up to this many per core


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
    if context.retrieval in CHROMA_RETRIEVAL and not context.chroma_url:
        parts.append(f"retrieval {context.retrieval} (embedded Chroma store)")
    return parts


def check_concurrency(concurrency: int) -> None:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ConfigError(f"concurrency must lie in 1..{MAX_CONCURRENCY}, got {concurrency}")


def choose_workers(context: Context, concurrency: int, kind: str = "auto") -> Workers:
    """Threads spread over up to one process per core, unless a model or store lives in-process."""
    check_concurrency(concurrency)
    if kind not in WORKER_KINDS:
        raise ConfigError(f"workers: '{kind}' is not one of {', '.join(WORKER_KINDS)}")
    cores = os.cpu_count() or 1
    held = in_process_parts(context)
    if kind == "processes" and context.retrieval in CHROMA_RETRIEVAL and not context.chroma_url:
        raise ConfigError(f"workers: processes cannot share the Chroma example store (retrieval {context.retrieval}, "
                          "embedded); use --workers threads, a Chroma server (--chroma-url) or retrieval random")
    if kind == "threads" or (kind == "auto" and held):
        why = "asked for threads" if kind == "threads" else f"{', '.join(held)} stays in one process"
        return Workers(1, concurrency, why)
    processes = min(concurrency, PROCESSES_PER_CORE * cores)
    if processes == 1:
        return Workers(1, concurrency, "one core" if cores == 1 else "one item at a time")
    return Workers(processes, math.ceil(concurrency / processes), f"{cores} cores")


class ThreadEngine:
    """Items in threads of this process."""

    def __init__(self, batch_dir: Path, context: Context, plan: Workers):
        self.batch_dir, self.context, self.plan = batch_dir, context, plan
        self.pool = ThreadPoolExecutor(max_workers=plan.threads)
        self.futures: set[Future] = set()

    def describe(self) -> str:
        return self.plan.describe()

    def submit(self, item: dict) -> None:
        self.futures.add(self.pool.submit(run_item, self.batch_dir, item, self.context))

    def wait(self) -> list[ItemOutcome]:
        done: set[Future] = set()
        while not done:  # in short waits, so a signal is handled at once
            done, self.futures = wait_futures(self.futures, timeout=WAIT_SECONDS, return_when=FIRST_COMPLETED)
        return [future.result() for future in done]

    def close(self, graceful: bool = True) -> None:
        """Wait for the items in flight, unless cut short: threads stuck in a network read are left behind."""
        self.pool.shutdown(wait=graceful, cancel_futures=True)


class ProcessEngine:
    """Items go out through one queue to forked worker processes; outcomes come back through another.

    A worker that dies (a native crash, the OOM killer) fails only the items it had in
    flight; the others keep taking items. Workers exit when this process does, even by SIGKILL.
    """

    def __init__(self, batch_dir: Path, context: Context, plan: Workers):
        self.plan = plan
        start_method = "fork" if sys.platform == "linux" else "spawn"  # fork: no re-import per worker
        mp = multiprocessing.get_context(start_method)
        self.tasks, self.results = mp.Queue(), mp.Queue()
        self.submitted: dict[int, dict] = {}
        self.started: dict[int, int] = {}  # item index -> pid of the worker running it
        args = (batch_dir, context, plan.threads, self.tasks, self.results, os.getpid())
        self.children = [mp.Process(target=serve_items, args=args, daemon=True) for _ in range(plan.processes)]
        gc.freeze()  # a forked worker's collections then skip (and so never copy) the parent's objects
        try:
            for child in self.children:
                child.start()
        finally:
            gc.unfreeze()

    def describe(self) -> str:
        return self.plan.describe()

    def submit(self, item: dict) -> None:
        self.submitted[item["index"]] = item
        self.tasks.put(item)

    def wait(self) -> list[ItemOutcome]:
        while True:
            try:
                kind, pid, payload = self.results.get(timeout=0.5)
            except queue.Empty:
                if lost := self.lost_items():
                    return lost
                continue
            if kind == "started":
                self.started[payload["index"]] = pid
                continue
            self.submitted.pop(payload.index, None)
            self.started.pop(payload.index, None)
            return [payload]

    def lost_items(self) -> list[ItemOutcome]:
        """Failed outcomes for the items of workers that died; all the rest when none is left."""
        dead = {child.pid: child.exitcode for child in self.children if child.exitcode not in (None, 0)}
        lost = [
            ItemOutcome(index, self.submitted[index]["theme"], "failed",
                        error=f"worker process died (exit code {dead[pid]})")
            for index, pid in self.started.items()
            if pid in dead
        ]
        if all(child.exitcode is not None for child in self.children):
            why = "a worker process died before reporting it" if dead else "no worker process left to run it"
            taken = {outcome.index for outcome in lost}
            lost += [ItemOutcome(index, item["theme"], "failed", error=why)
                     for index, item in self.submitted.items() if index not in taken]
        for outcome in lost:
            self.submitted.pop(outcome.index, None)
            self.started.pop(outcome.index, None)
        return lost

    def close(self, graceful: bool = True) -> None:
        """Stop the workers: idle ones take a stop marker (``graceful``), the rest are terminated."""
        try:
            if graceful:
                for _ in range(self.plan.processes * self.plan.threads):
                    self.tasks.put(None)
                deadline = time.monotonic() + STOP_SECONDS
                for child in self.children:
                    child.join(max(0.0, deadline - time.monotonic()))
        finally:
            for child in self.children:
                if child.is_alive():
                    child.terminate()
                child.join()
            for channel in (self.tasks, self.results):  # never wait at exit on a feeder thread whose readers are gone
                channel.cancel_join_thread()
                channel.close()


def serve_items(batch_dir: Path, context: Context, threads: int, tasks: Any, results: Any, parent: int) -> None:
    """A worker process: ``threads`` threads take items until each meets its stop marker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's terminate() ends a worker at once; it marks the items
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


def local_engine(batch_dir: Path, context: Context, concurrency: int, workers: str) -> ThreadEngine | ProcessEngine:
    plan = choose_workers(context, concurrency, workers)
    return ProcessEngine(batch_dir, context, plan) if plan.processes > 1 else ThreadEngine(batch_dir, context, plan)
