"""An output directory as the page shows it: its runs and batches, every file read defensively.

A run directory is one with ``request.json``, a batch one with ``batch.json`` (items under
``items/NNNN``). Nothing here writes: a malformed or missing file becomes a one-line reason
on the run it belongs to. Paths handed to the page are relative to the output directory,
and ``within`` is the one check that a path asked for stays inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storypainter.runs import RunFileProblem, inside, read_run_object

REASON_CHARS = 300
MAX_ENTRIES = 1000
PICTURE = "image.png"
REVIEW_FILES = {"story": "review_story.json", "decision": "review_decision.json"}


def within(root: Path, relative: str) -> Path | None:
    """``root/relative`` resolved, when it lies strictly inside ``root`` ('..', absolute paths and links
    that lead out are refused); else None."""
    try:
        target = (root / relative).resolve()
    except (OSError, ValueError):  # a NUL byte, a loop of links
        return None
    return target if inside(target, root) else None


def read_object(root: Path, path: Path) -> tuple[dict[str, Any], str]:
    """A run file's JSON object and '', or {} and why not ('' when the file is simply not there yet).
    A file that a link leads out of ``root`` is not read."""
    if path.exists() and within(root, str(path)) is None:
        return {}, f"{path.name} leads out of the output directory; not read"
    try:
        return read_run_object(path), ""
    except RunFileProblem as problem:
        return {}, str(problem) if path.exists() else ""


def one_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= REASON_CHARS else line[: REASON_CHARS - 3] + "..."


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def attempt_folders(run_dir: Path) -> list[Path]:
    folder = run_dir / "attempts"
    if not folder.is_dir():
        return []
    return sorted(child for child in folder.iterdir() if child.is_dir() and child.name.isdigit())


def picture(root: Path, path: Any) -> str | None:
    """A picture's path relative to ``root`` when it is a file inside it."""
    if not isinstance(path, str) or not path:
        return None
    found = within(root, path)
    return relative(root, found) if found is not None and found.is_file() else None


def thumbnail(root: Path, run_dir: Path, result: dict[str, Any]) -> str | None:
    """The picked attempt's picture, else the latest attempt's."""
    chosen = picture(root, result.get("image_path"))
    if chosen:
        return chosen
    for folder in reversed(attempt_folders(run_dir)):
        if (folder / PICTURE).is_file():
            return relative(root, folder / PICTURE)
    return None


def run_summary(root: Path, run_dir: Path) -> dict[str, Any]:
    """A run's card: theme, status (running, failed, interrupted, finished) with a one-line reason, score."""
    request, request_problem = read_object(root, run_dir / "request.json")
    manifest, manifest_problem = read_object(root, run_dir / "manifest.json")
    result, result_problem = read_object(root, run_dir / "result.json")
    if result:
        status, reason = "finished", result.get("why")
    else:
        status = str(manifest.get("status") or "unknown")
        reason = manifest.get("error") or request_problem or manifest_problem or result_problem
    return {
        "kind": "run",
        "path": relative(root, run_dir),
        "theme": str(request.get("theme", "")),
        "status": status,
        "reason": one_line(reason),
        "score": number(result.get("score")),
        "attempts": len(attempt_folders(run_dir)),
        "started": str(manifest.get("started", "")),
        "thumbnail": thumbnail(root, run_dir, result),
    }


def chain_text(chain: dict[str, Any]) -> str:
    """'clue + clue -> conclusion', as ``ChainOfReasoning`` prints itself."""
    return " + ".join(str(clue) for clue in as_list(chain.get("clues"))) + " -> " + str(chain.get("conclusion", ""))


def chain_marks(critique: dict[str, Any], chains: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-chain marks when critique.json holds them: a list under ``chains``, ``chain_coherence`` or
    ``coherence``, at its top or in its report or check (the coherence judge writes ``check.chains``).
    Objects are matched to the story's chains by their ``chain`` text, else by position when there is
    one per chain; their numeric fields are the marks, a ``reason`` the note. Nothing found: no marks."""
    empty = [{"marks": {}, "note": ""} for _ in chains]
    for holder in (critique, critique.get("report"), critique.get("check")):
        if not isinstance(holder, dict):
            continue
        for key in ("chains", "chain_coherence", "coherence"):
            value = holder.get(key)
            if isinstance(value, dict):
                value = value.get("chains", value.get("scores"))
            if not isinstance(value, list) or not value:
                continue
            label = "coherence" if "coherence" in key else "mark"
            by_text = {str(item["chain"]): item for item in value if isinstance(item, dict) and item.get("chain")}
            if by_text:
                return [mark_view(by_text.get(chain_text(chain)), label) for chain in chains]
            if len(value) == len(chains):
                return [mark_view(item, label) for item in value]
    return empty


def mark_view(item: Any, label: str) -> dict[str, Any]:
    if isinstance(item, dict):
        marks = {str(key): value for key, raw in item.items() if (value := number(raw)) is not None}
        return {"marks": marks, "note": str(item.get("reason") or ""), "flag": item.get("coherent")}
    value = number(item)
    return {"marks": {} if value is None else {label: value}, "note": "", "flag": None}


def chain_views(story: dict[str, Any], critique: dict[str, Any]) -> list[dict[str, Any]]:
    """Each chain of reasoning with the critic's verdict on its key point and any per-chain marks."""
    chains = [chain for chain in as_list(story.get("cors")) if isinstance(chain, dict)]
    report = critique.get("report") if isinstance(critique.get("report"), dict) else {}
    verdicts = {}
    for verdict in as_list(report.get("verdicts")):
        point = verdict.get("key_point") if isinstance(verdict, dict) else None
        if isinstance(point, dict) and verdict.get("level") != "ocr":
            verdicts.setdefault(str(point.get("clue", "")), verdict)
    views = []
    for chain, marks in zip(chains, chain_marks(critique, chains), strict=True):
        clues = [str(clue) for clue in as_list(chain.get("clues"))]
        views.append({"dimension": str(chain.get("dimension", "")), "clues": clues,
                      "conclusion": str(chain.get("conclusion", "")),
                      "verdict": verdicts.get(" + ".join(clue.strip() for clue in clues if clue.strip())), **marks})
    return views


def attempt_view(root: Path, folder: Path) -> dict[str, Any]:
    """One attempt: story, picture, critique (verdicts, visible text read back, decision), chains, reviews."""
    story, story_problem = read_object(root, folder / "story.json")
    critique, critique_problem = read_object(root, folder / "critique.json")
    reviews = {stage: read_object(root, folder / name)[0] for stage, name in REVIEW_FILES.items()}
    return {
        "number": int(folder.name),
        "story": story,
        "picture": picture(root, str(folder / PICTURE)),
        "critique": critique,
        "chains": chain_views(story, critique),
        "reviews": {stage: review for stage, review in reviews.items() if review},
        "problems": [problem for problem in (story_problem, critique_problem) if problem],
    }


def run_detail(root: Path, run_dir: Path) -> dict[str, Any]:
    result = read_object(root, run_dir / "result.json")[0]
    return run_summary(root, run_dir) | {
        "best_attempt": result.get("best_attempt"),
        "decision_path": [str(step) for step in as_list(result.get("decision_path"))],
        "attempt_views": [attempt_view(root, folder) for folder in attempt_folders(run_dir)],
    }


def batch_detail(root: Path, batch_dir: Path) -> dict[str, Any]:
    """A batch's card with its items (each a run card, or 'not started') and its progress."""
    batch, problem = read_object(root, batch_dir / "batch.json")
    items = []
    for item in as_list(batch.get("items")):
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int):
            continue
        run_dir = batch_dir / "items" / f"{index:04d}"
        if (run_dir / "request.json").is_file():
            items.append(run_summary(root, run_dir))
        else:
            items.append({"kind": "run", "path": None, "theme": str(item.get("theme", "")), "status": "not started",
                          "reason": "", "score": None, "attempts": 0, "thumbnail": None})
    counts = {status: sum(item["status"] == status for item in items) for status in ("finished", "failed")}
    total = len(items)
    waiting = total - counts["finished"] - counts["failed"]
    status = "finished" if total and counts["finished"] == total else "failed" if problem or (
        counts["failed"] and not waiting) else "running"
    reason = problem or f"{counts['finished']}/{total} finished, {counts['failed']} failed"
    return {
        "kind": "batch",
        "path": relative(root, batch_dir),
        "theme": "; ".join(item["theme"] for item in items),
        "status": status,
        "reason": one_line(reason),
        "score": None,
        "progress": counts | {"total": total},
        "thumbnail": next((item["thumbnail"] for item in items if item["thumbnail"]), None),
        "items": items,
    }


def entry(root: Path, folder: Path) -> dict[str, Any] | None:
    """The card of a run or batch directory; None for anything else."""
    if (folder / "batch.json").is_file():
        return batch_detail(root, folder)
    if (folder / "request.json").is_file():
        return run_summary(root, folder)
    return None


def list_entries(root: Path) -> list[dict[str, Any]]:
    """Every run and batch directly in ``root`` (not through a link that leads out), newest first."""
    if not root.is_dir():
        return []
    folders = sorted((child for child in root.iterdir() if child.is_dir() and within(root, child.name)),
                     key=lambda child: child.stat().st_mtime, reverse=True)
    cards = (entry(root, folder) for folder in folders[:MAX_ENTRIES])
    return [card for card in cards if card is not None]


def detail(root: Path, path: str) -> dict[str, Any] | None:
    """A run (with its attempts) or a batch (with its items) at ``path`` inside ``root``; None otherwise."""
    folder = within(root, path)
    if folder is None or not folder.is_dir():
        return None
    if (folder / "batch.json").is_file():
        return batch_detail(root, folder)
    if (folder / "request.json").is_file():
        return run_detail(root, folder)
    return None
