"""Processes a test starts: Ctrl-C as in a terminal, and watching for them by a marker in their command line."""

from __future__ import annotations

import signal
import time
from pathlib import Path


def ctrl_c_as_in_a_terminal() -> None:
    """``preexec_fn``: default SIGINT handling in the child even when the tests run in the background
    (``make test &``), where the shell ignores SIGINT and the command line rightly leaves it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def processes_mentioning(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line holds ``marker`` (forked workers keep their parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            mentions = entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode(errors="replace")
            if mentions and (entry / "stat").read_text().split()[2] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def wait_until_gone(marker: str, seconds: float) -> list[int]:
    """The processes still mentioning ``marker`` after waiting up to ``seconds`` for them to exit."""
    deadline = time.time() + seconds
    while (left := processes_mentioning(marker)) and time.time() < deadline:
        time.sleep(0.05)
    return left
