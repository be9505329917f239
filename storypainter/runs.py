"""Run directories: one run = one directory, every file written atomically.

Every write goes to a temp file renamed over the target, so a killed process never leaves
a torn file. Only commit points are also fsynced (``durable=True``): a run's result.json,
after the files it names (``sync_files``), and a batch's item list. An fsync costs about as
much CPU as the rest of a short story's bookkeeping, and a power loss then costs at most
the unfinished runs, which resume from their checkpoints.

Layout::

    <out_dir>/<timestamp>-<slug>-<hash>/
        request.json          theme and settings as asked
        attempts/01/          story.json, layout.json, image.png, critique.json
        result.json           the pick and why
        manifest.json         versions, provider strings, seeds, config hash, timings, tokens
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import uuid
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from storypainter.errors import ConfigError

SLUG_CHARS = re.compile(r"[^a-z0-9]+")
TRACKED_PACKAGES = (
    "storypainter", "langgraph", "langchain-core", "pydantic", "pillow", "llama-cpp-python",
    "chromadb", "sentence-transformers", "torch", "diffusers", "openai", "langchain-openai",
)


FILE_MODE = 0o666


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = current_umask()  # read once: os.umask is process-wide, so never toggle it while threads write


def atomic_write_bytes(path: Path, data: bytes, durable: bool = False) -> None:
    """Write to a temp file in the same directory, then rename over the target (fsynced first if ``durable``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            if durable:
                temp.flush()
                os.fsync(temp.fileno())
        os.chmod(temp_name, FILE_MODE & ~UMASK)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


def write_json(path: str | Path, value: Any, durable: bool = False) -> Path:
    path = Path(path)
    text = json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, default=str)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"), durable)
    return path


def sync_files(paths: list[str | Path]) -> None:
    """fsync files already written, before a commit point that names them."""
    for path in paths:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class RunFileProblem(Exception):
    """A run directory's file is missing, unreadable or malformed; ``str`` is the one-line reason."""


def read_run_object(path: Path, shown: str | None = None) -> dict[str, Any]:
    """A run file's JSON object (``shown`` names the file in the 'missing' message)."""
    if not path.is_file():
        raise RunFileProblem(f"missing {shown or path.name}")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise RunFileProblem(f"unreadable {path.name}: nested too deeply") from None
    except (OSError, ValueError) as error:  # JSONDecodeError, UnicodeDecodeError, a number too long to convert
        raise RunFileProblem(f"unreadable {path.name}: {str(error).split(';')[0]}") from None
    if not isinstance(value, dict):
        raise RunFileProblem(f"malformed {path.name}: expected a JSON object, got {type(value).__name__}")
    return value


def slugify(theme: str, limit: int = 40) -> str:
    return SLUG_CHARS.sub("-", theme.lower()).strip("-")[:limit].strip("-") or "free"


def new_run_dir(out_dir: str | Path, theme: str) -> Path:
    """Create a fresh run directory strictly inside ``out_dir`` (the theme never becomes a path)."""
    root = Path(out_dir).expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"out: cannot create output directory {root}: {error.strerror}") from None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    digest = hashlib.sha256(f"{theme}{time.time_ns()}{os.getpid()}".encode()).hexdigest()[:6]
    run_dir = (root / f"{stamp}-{slugify(theme)}-{digest}").resolve()
    if run_dir.parent != root:
        raise ConfigError(f"run directory would escape {root}")
    run_dir.mkdir()
    return run_dir


def create_run(out_dir: str | Path, theme: str, context: dict[str, Any], run_dir: Path | None = None) -> Path:
    """The one place a run directory is opened: the directory (new inside ``out_dir`` unless given),
    request.json (theme, settings, the checkpoint thread id) and a ``running`` manifest."""
    run_dir = Path(run_dir) if run_dir else new_run_dir(out_dir, theme)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "request.json", {"theme": theme, "context": context, "thread_id": uuid.uuid4().hex})
    write_json(
        run_dir / "manifest.json",
        {"status": "running", "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": package_versions()},
    )
    return run_dir


def inside(path: str | Path, root: str | Path) -> bool:
    """Whether ``path`` lies strictly inside ``root`` (after resolving links and '..')."""
    resolved, base = Path(path).expanduser().resolve(), Path(root).expanduser().resolve()
    return resolved != base and resolved.is_relative_to(base)


def check_links(run_dir: Path, root: str | Path | None = None) -> None:
    """Before the first write: refuse a run directory that lies outside ``root`` (through a link)
    or holds a link that leaves it, since nothing is ever opened for writing through one."""
    run_dir = Path(run_dir)
    if root is not None and not inside(run_dir, root):
        raise ConfigError(f"{run_dir} leads outside {Path(root).resolve()} (a symbolic link?); nothing written")
    for folder, folders, files in os.walk(run_dir):
        for name in folders + files:
            entry = Path(folder) / name
            if entry.is_symlink() and not inside(entry, run_dir):
                raise ConfigError(f"{entry} is a symbolic link that leaves the run directory; nothing written")


def mark_unfinished(run_dir: Path, error: str) -> bool:
    """Mark a run that was cut short (no result.json, manifest still ``running``) ``interrupted``."""
    run_dir = Path(run_dir)
    try:
        if (run_dir / "result.json").is_file() or read_json(run_dir / "manifest.json").get("status") != "running":
            return False
    except (OSError, ValueError, AttributeError):
        return False
    mark_status(run_dir, "interrupted", error)
    return True


def mark_status(run_dir: Path, status: str, error: str) -> None:
    """Record how a run ended badly (``failed`` or ``interrupted``) and why, keeping the rest of its manifest.
    A run with its result.json is complete (its commit point passed): a fault after it changes nothing."""
    if (Path(run_dir) / "result.json").is_file():
        return
    manifest_path = Path(run_dir) / "manifest.json"
    try:
        manifest = read_json(manifest_path) if manifest_path.is_file() else {}
    except (OSError, ValueError):
        manifest = {}
    marked = (manifest if isinstance(manifest, dict) else {}) | {"status": status, "error": error}
    try:
        write_json(manifest_path, marked)
    except OSError:  # a full disk has no room for a temp file: rewrite the small manifest in place
        with manifest_path.open("r+b" if manifest_path.is_file() else "wb") as handle:
            handle.write(json.dumps(to_jsonable(marked), indent=2, ensure_ascii=False).encode("utf-8"))
            handle.truncate()


def attempt_dir(run_dir: str | Path, number: int) -> Path:
    return Path(run_dir) / "attempts" / f"{number:02d}"


@cache
def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
