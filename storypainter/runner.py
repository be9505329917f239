"""One owner of a run: opening its directory, starting, resuming, locking and failing it.

``generate``, batch items and bench runs all go through ``start_run`` / ``resume_run``:

- the directory and request.json are opened by ``runs.create_run`` (the planner opens one
  only for callers that bypass the runner, such as ``graph.invoke`` or Studio);
- a file lock (``.lock`` in the run directory) admits one process per run; a second
  refuses in one line, or waits with ``wait=True``;
- a finished run (result.json present) is final: resuming reports it and changes nothing;
- any failure marks the manifest ``failed`` (Ctrl-C, SIGTERM: ``interrupted``) with a one-line
  reason and re-raises it as a ``StorypainterError`` carrying that line;
- every refusal comes before the first write: a run directory reached through a link that
  leaves ``out_dir``, a link inside it, missing checkpoints beside attempts, a moved run;
- without the ``durable`` extra (the SQLite checkpointer) a run is refused in one line
  before anything is written, so no run is left failed for a missing package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from storypainter.agent.context import Context
from storypainter.errors import ConfigError, StorypainterError, describe_fault
from storypainter.interrupts import holding, interrupted
from storypainter.limits import MAX_CONFIG_BYTES, check_file_size
from storypainter.progress import stream_run
from storypainter.runs import RunFileProblem, check_links, create_run, mark_status, read_run_object

Reviewer = Callable[[dict[str, Any]], Any]
LOCK_FILE = ".lock"


class PausedForReview(StorypainterError):
    """The run waits at a review pause and no reviewer is attached."""


class RunBusy(StorypainterError):
    """Another process holds the run's lock."""


class RunFinished(StorypainterError):
    """The run already has its result; it is final."""

    exit_code = 0


@contextmanager
def locked(directory: Path, wait: bool = False) -> Iterator[None]:
    """Hold ``directory``'s lock for the block; refuse at once unless ``wait``."""
    from filelock import FileLock, Timeout

    if (directory / LOCK_FILE).is_symlink():
        raise ConfigError(f"{directory / LOCK_FILE} is a symbolic link; nothing is opened through one")
    lock = FileLock(str(directory / LOCK_FILE))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise RunBusy(f"{directory} is in use by another storypainter process (wait with --wait)") from None
    try:
        yield
    finally:
        lock.release()


def drive(run_dir: Path, thread_id: str, context: Context, payload: dict, out: TextIO | None,
          reviewer: Reviewer | None, tokens: str | None = None, resume: bool = False) -> dict:
    """Stream the run to its end, answering review pauses; returns the final state.

    On ``resume`` a run with checkpoints continues from the last one; a run killed before
    its first checkpoint starts from ``payload``.
    """
    from langgraph.types import Command

    from storypainter.agent.checkpoints import open_checkpointer, thread_config
    from storypainter.agent.graph import graph as compiled_graph
    from storypainter.agent.graph import run_config

    config = run_config(context) | thread_config(thread_id)
    with open_checkpointer(run_dir) as checkpointer:
        graph = compiled_graph.copy(update={"checkpointer": checkpointer})
        if resume and graph.get_state(config).values:
            payload = None  # continue; `next` may look empty while a killed step's writes are pending
        while True:
            values, interrupts = stream_run(graph, payload, config, context, out, tokens)
            if not interrupts:
                return values or graph.get_state(config).values
            if reviewer is None:
                raise PausedForReview(f"paused for review; continue with: storypainter resume {run_dir}")
            payload = Command(resume=reviewer(interrupts[0].value))


def check_resumable(run_dir: Path, thread_id: str) -> None:
    """Before anything is written: the checkpoints exist (or nothing was attempted yet) and name this place.
    Unreadable checkpoints are left for the run to report (its manifest is then marked failed)."""
    import sqlite3

    from storypainter.agent.checkpoints import CHECKPOINT_FILE, open_checkpointer, thread_config
    from storypainter.agent.graph import graph as compiled_graph

    if not (run_dir / CHECKPOINT_FILE).is_file():
        if any((run_dir / "attempts").glob("*")):
            raise ConfigError(f"{run_dir}: its checkpoints are missing, and starting again would overwrite its "
                              "attempts; start a new run with generate")
        return
    try:
        with open_checkpointer(run_dir) as checkpointer:
            graph = compiled_graph.copy(update={"checkpointer": checkpointer})
            stored = graph.get_state(thread_config(thread_id)).values
    except sqlite3.DatabaseError:
        return
    if stored.get("run_dir") and Path(stored["run_dir"]).resolve() != run_dir.resolve():
        raise ConfigError(f"{run_dir} was moved or copied from {stored['run_dir']}; resume it there "
                          "(its files name that place)")


def guarded(run_dir: Path, action: Callable[[], dict]) -> dict:
    """Run ``action``; on any failure mark the manifest and raise the one-line error."""
    try:
        with holding(run_dir):
            return action()
    except PausedForReview:
        raise
    except KeyboardInterrupt as error:
        stop = interrupted(error, f"continue with: storypainter resume {run_dir}")
        mark_status(run_dir, "interrupted", stop.reason)
        raise stop from None
    except Exception as error:
        fault = describe_fault(error)
        mark_status(run_dir, "failed", str(fault))
        raise fault from error


def start_run(theme: str, context: Context, out: TextIO | None, reviewer: Reviewer | None = None,
              run_dir: Path | None = None, tokens: str | None = None) -> dict:
    """A new durable run (in ``run_dir`` when given); returns the final state."""
    from storypainter.agent.checkpoints import require_durable

    require_durable()
    if run_dir is not None:
        check_links(run_dir, context.out_dir)
    run_dir = create_run(context.out_dir, theme, asdict(context), run_dir)
    thread_id = read_run_object(run_dir / "request.json")["thread_id"]
    payload = {"theme": theme, "run_dir": str(run_dir)}
    with locked(run_dir):
        if out:
            print(f"storypainter: {theme or '(free theme)'!r} -> {run_dir}", file=out, flush=True)
        return guarded(run_dir, lambda: drive(run_dir, thread_id, context, payload, out, reviewer, tokens))


def read_request(run_dir: Path) -> tuple[dict, Context]:
    from storypainter.config import build_context

    check_file_size(run_dir / "request.json", MAX_CONFIG_BYTES, "request file")
    try:
        request = read_run_object(run_dir / "request.json", shown=f"request.json in {run_dir}")
    except RunFileProblem as problem:
        raise ConfigError(f"not a resumable run directory: {problem}") from None
    if not isinstance(request.get("thread_id"), str) or not isinstance(request.get("context"), dict):
        raise ConfigError(f"{run_dir}/request.json: no thread_id or settings (not written by this version?)")
    return request, build_context(request["context"], source=str(run_dir / "request.json"))


def resume_run(run_dir: Path, out: TextIO | None, reviewer: Reviewer | None = None,
               tokens: str | None = None, wait: bool = False) -> dict:
    """Continue an interrupted, failed or paused run from its last checkpoint."""
    from storypainter.agent.checkpoints import require_durable

    request, context = read_request(run_dir)
    if (run_dir / "result.json").is_file():
        raise RunFinished(f"{run_dir} is finished (result.json); nothing to resume")
    check_links(run_dir)
    require_durable()
    check_resumable(run_dir, request["thread_id"])
    with locked(run_dir, wait):
        if (run_dir / "result.json").is_file():  # finished while this process waited for the lock
            raise RunFinished(f"{run_dir} is finished (result.json); nothing to resume")
        if out:
            print(f"storypainter: resuming {run_dir}", file=out, flush=True)
        payload = {"theme": request.get("theme", ""), "run_dir": str(run_dir)}
        return guarded(
            run_dir, lambda: drive(run_dir, request["thread_id"], context, payload, out, reviewer, tokens, resume=True)
        )
