"""Run one request through the graph with live progress and a closing summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from storypainter.agent.context import Context
from storypainter.errors import StorypainterError
from storypainter.runs import new_run_dir, read_json, write_json
from storypainter.schema import CATEGORY_LABELS


def describe_update(node: str, update: dict[str, Any]) -> str:
    """One progress line for a node's state update."""
    seconds = sum((update.get("node_seconds") or {}).values())
    detail = ""
    if node == "planner" and update.get("plan"):
        plan = update["plan"]
        detail = f"mode={plan.mode} dimensions={','.join(plan.dimensions) or '-'} setting={plan.setting!r}"
    elif node == "retriever":
        detail = "examples: " + (", ".join(example.id for example in update.get("examples", [])) or "none")
    elif node == "storyteller" and update.get("story"):
        story = update["story"]
        detail = f"attempt {update['attempt']:02d}: {story.title!r}, {len(story.cors)} CoRs"
    elif node == "painter":
        image = update.get("image")
        detail = f"image {image.path}" if image else f"refused: {update.get('painter_error')}"
    elif node == "critic" and update.get("decision"):
        decision, report = update["decision"], update["report"]
        alignment = "n/a" if report.overall is None else f"{report.overall:.2f}"
        detail = f"alignment {alignment} -> {decision.action} ({'; '.join(decision.reasons)[:120]})"
    elif node == "finish" and update.get("result"):
        detail = f"best attempt {update['result'].best_attempt:02d}"
    return f"  {node:<11} {seconds:6.2f}s  {detail}"


def summary(values: dict[str, Any], elapsed: float) -> str:
    result, report = values["result"], values.get("report")
    lines = [
        f"run      {result.run_dir}",
        f"path     {' -> '.join(result.decision_path)}",
        f"pick     attempt {result.best_attempt:02d}, score {result.score:.3f}: {result.why}",
        f"image    {result.image_path}",
        f"story    {result.story_path}",
    ]
    if report is not None and report.per_category:
        scores = ", ".join(
            f"{CATEGORY_LABELS[name]} {'-' if value is None else f'{value:.2f}'}"
            for name, value in report.per_category.items()
        )
        overall = "n/a" if report.overall is None else f"{report.overall:.2f}"
        lines.append(f"align    {overall} overall ({report.level}-level, judge {report.judge}); {scores}")
    seconds = read_json(Path(result.run_dir) / "manifest.json").get("node_seconds", {})
    lines.append("time     " + ", ".join(f"{node} {value:.2f}s" for node, value in seconds.items())
                 + f"; total {elapsed:.1f}s")
    return "\n".join(lines)


def mark_failed(run_dir: Path, status: str, error: str) -> None:
    manifest_path = run_dir / "manifest.json"
    manifest = read_json(manifest_path) if manifest_path.is_file() else {}
    write_json(manifest_path, manifest | {"status": status, "error": error})


def stream_run(theme: str, context: Context, run_dir: Path, out: TextIO | None) -> dict[str, Any]:
    from storypainter.agent.graph import build_graph, run_config

    graph = build_graph()
    values: dict[str, Any] = {}
    modes = ["updates", "custom", "values"]
    stream = graph.stream({"theme": theme, "run_dir": str(run_dir)}, config=run_config(context), context=context,
                          stream_mode=modes)
    for mode, chunk in stream:
        if mode == "values":
            values = chunk
        elif out is not None and mode == "updates":
            for node, update in chunk.items():
                print(describe_update(node, update or {}), file=out, flush=True)
    return values


def run_with_progress(theme: str, context: Context, quiet: bool = False) -> int:
    """Generate one storytelling image; print progress and a summary; exit code."""
    started = time.perf_counter()
    run_dir = new_run_dir(context.out_dir, theme)
    out = None if quiet else sys.stderr
    if out:
        print(f"storypainter: {theme or '(free theme)'!r} -> {run_dir}", file=out, flush=True)
    try:
        values = stream_run(theme, context, run_dir, out)
    except StorypainterError as error:
        mark_failed(run_dir, "failed", str(error))
        raise
    except KeyboardInterrupt:
        mark_failed(run_dir, "interrupted", "interrupted by the user")
        raise
    print(summary(values, time.perf_counter() - started))
    return 0
