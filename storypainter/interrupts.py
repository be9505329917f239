"""SIGINT (Ctrl-C) and SIGTERM end a run or a batch within seconds, whatever it waits on.

``handled()`` (the command line's) turns either signal into ``Interrupted``, raised in the
main thread: the runner marks its run ``interrupted``, a batch marks every item it had in
flight, and the command exits 130 (SIGINT) or 143 (SIGTERM) without waiting for threads
still blocked in a network read (``leave``). Should the way out itself block (a library
joining a thread stuck in a read, as LangGraph's executor does on its way out), a watchdog
marks the runs this process holds (``holding``) and ends the process after ``GRACE_SECONDS``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from storypainter.runs import mark_unfinished

GRACE_SECONDS = 2.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_held: dict[Path, None] = {}
_state = {"signal": 0, "reported": False, "handled": False}
_lock = threading.Lock()


class Interrupted(KeyboardInterrupt):
    """A signal ended the work; ``exit_code`` is 128 + its number, ``reason`` the line a manifest keeps."""

    def __init__(self, signum: int = signal.SIGINT, hint: str = ""):
        self.signum, self.hint = signum, hint
        self.exit_code = 128 + signum
        super().__init__(signum, hint)

    @property
    def reason(self) -> str:
        return f"interrupted by {signal.Signals(self.signum).name}"

    def __str__(self) -> str:
        return self.reason + (f"; {self.hint}" if self.hint else "")


def interrupted(error: KeyboardInterrupt, hint: str = "") -> Interrupted:
    """``error`` as an ``Interrupted`` naming the signal handled (Ray re-raises a bare KeyboardInterrupt
    for it), with ``hint`` unless it has one."""
    if not isinstance(error, Interrupted):
        error = Interrupted(_state["signal"] or signal.SIGINT)
    error.hint = error.hint or hint
    return error


def hold(run_dir: Path) -> None:
    """This process answers for ``run_dir`` (its own run, or a batch item it handed out) until ``release``."""
    with _lock:
        _held[Path(run_dir)] = None


def release(run_dir: Path) -> None:
    with _lock:
        _held.pop(Path(run_dir), None)


@contextmanager
def holding(run_dir: Path) -> Iterator[None]:
    """``hold`` for the block: the watchdog marks the run if the way out blocks."""
    hold(run_dir)
    try:
        yield
    finally:
        release(run_dir)


@contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Interrupted`` in the main thread for the block (elsewhere: no change;
    a signal this process was started to ignore stays ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = [signum for signum in SIGNALS if signal.getsignal(signum) is not signal.SIG_IGN]  # nohup, `cmd &`
    before = {signum: signal.signal(signum, _interrupt) for signum in taken}
    _state["handled"] = True
    try:
        yield
    finally:
        _state["handled"] = False
        for signum, handler in before.items():
            signal.signal(signum, handler)


def reclaim() -> None:
    """Take SIGINT and SIGTERM back inside ``handled()`` after a library set its own (``ray.init``
    makes SIGTERM a bare ``sys.exit``)."""
    if _state["handled"] and threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    with _lock:
        if _state["signal"]:
            return  # already on the way out: a second signal must not break the marking
        _state["signal"] = signum
    threading.Thread(target=_watchdog, args=(signum,), daemon=True, name="storypainter-watchdog").start()
    raise Interrupted(signum)


def _watchdog(signum: int) -> None:
    time.sleep(GRACE_SECONDS)
    with _lock:
        held = list(_held)
    stop = Interrupted(signum, f"continue with: storypainter resume {held[0]}" if len(held) == 1 else "")
    for run_dir in held:
        mark_unfinished(run_dir, stop.reason)
    report(str(stop))
    _exit(128 + signum)


def report(line: str) -> None:
    """Print the interruption's one line (once per process)."""
    with _lock:
        if _state["signal"] and _state["reported"]:
            return  # the watchdog and the way out race to say it
        _state["reported"] = True
    print(f"storypainter: {line}", file=sys.stderr, flush=True)


def leave(code: int) -> None:
    """After a handled signal, end the process now: threads blocked in network reads are not waited for."""
    if _state["signal"]:
        _exit(code)


def _exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
