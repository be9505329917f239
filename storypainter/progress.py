"""What a person sees of a run: progress lines, the token view, review questions, the summary.

Live progress comes from the graph's stream: a line per node update, custom events (the
painter's render events) and, when ``tokens`` is set, the storyteller's reply token by
token (LangGraph's ``messages`` mode): ``"text"`` echoes the tokens, ``"count"`` keeps one
line with the count and rate up to date (for a terminal).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from storypainter.agent.context import Context
from storypainter.runs import read_json
from storypainter.schema import CATEGORY_LABELS
from storypainter.text import terminal_safe


def describe_update(node: str, update: dict[str, Any]) -> str | None:
    """One progress line for a node's state update (None for silent pass-through nodes)."""
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
        reasons = "; ".join(decision.reasons)[:120]
        chains = coherent_chains(update.get("check"))
        detail = f"alignment {alignment}{legible_text(report)}{chains} -> {decision.action} ({reasons})"
    elif node == "finish" and update.get("result"):
        detail = f"best attempt {update['result'].best_attempt:02d}"
    elif node.startswith("review") and (update.get("story_review") or update.get("decision")):
        review = update.get("story_review")
        detail = f"reviewer: {review.action}" if review else f"reviewer: {update['decision'].action}"
    else:
        return None
    return f"  {node:<11} {seconds:6.2f}s  {detail}"


def legible_text(report: Any) -> str:
    """', text 1/2 legible' from the report's visible-text (ocr) verdicts, or '' when there are none."""
    texts = [verdict for verdict in report.verdicts if verdict.level == "ocr"]
    return f", text {sum(verdict.answer == 'yes' for verdict in texts)}/{len(texts)} legible" if texts else ""


def coherent_chains(check: Any) -> str:
    """', chains 3/5 coherent' from a story check's coherence marks, or '' when it has none."""
    marks = check.chains if check is not None else []
    return f", chains {sum(mark.coherent for mark in marks)}/{len(marks)} coherent" if marks else ""


def chain_lines(check: Any) -> list[str]:
    """The summary's chain lines: each chain with its coherence, weakest first."""
    if check is None or not check.chains:
        return []
    lines = [f"chains   {coherent_chains(check).removeprefix(', chains ')} (judge {check.coherence_judge})"]
    for mark in sorted(check.chains, key=lambda mark: mark.coherence):
        lines.append(f"         {mark.coherence:.2f} {'ok ' if mark.coherent else 'NO '} {mark.chain}")
    return lines


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
        texts = [verdict for verdict in report.verdicts if verdict.level == "ocr"]
        if texts:
            read = "; ".join(f"{verdict.key_point.clue}: {verdict.evidence}" for verdict in texts)
            lines.append(f"text     {legible_text(report).removeprefix(', text ')} ({read})")
    best = [attempt for attempt in values.get("attempts", []) if attempt.number == result.best_attempt]
    lines += chain_lines(best[0].check if best else None)
    seconds = read_json(Path(result.run_dir) / "manifest.json").get("node_seconds", {})
    timings = ", ".join(f"{node} {value:.2f}s" for node, value in seconds.items())
    lines.append(f"time     {timings}; total {elapsed:.1f}s")
    return "\n".join(lines)


TOKEN_MODES = ("text", "count")
STREAMED_NODES = ("storyteller",)


class TokenView:
    """The storyteller's reply as it is written: echoed (``text``) or counted on one line (``count``)."""

    def __init__(self, out: TextIO, mode: str):
        if mode not in TOKEN_MODES:
            raise ValueError(f"tokens: '{mode}' is not one of {', '.join(TOKEN_MODES)}")
        self.out, self.mode, self.count, self.started, self.reply = out, mode, 0, 0.0, None

    def token(self, text: str, reply: str | None = None) -> None:
        """One streamed piece of a reply; a new ``reply`` id (a repair request's answer) starts a new line."""
        if reply != self.reply:
            self.end()
            self.reply = reply
        if not text:
            return
        if self.count == 0:
            self.started = time.perf_counter()
            self.out.write(f"  {'storyteller':<11} {'':>7}  " if self.mode == "text" else "")
        self.count += 1
        if self.mode == "text":
            self.out.write(text)
        else:
            rate = self.count / max(time.perf_counter() - self.started, 1e-3)
            self.out.write(f"\r  {'storyteller':<11} {'':>7}  writing: {self.count} tokens, {rate:.0f}/s")
        self.out.flush()

    def end(self) -> None:
        """Close the token line before the next progress line."""
        if self.count:
            self.out.write("\n" if self.mode == "text" else "\r\033[K")
            self.out.flush()
        self.count = 0


def stream_run(graph, payload: Any, config: dict, context: Context, out: TextIO | None,
               tokens: str | None = None) -> tuple[dict, list]:
    """Stream until the run ends or pauses; returns the last state values and any pause requests."""
    values: dict[str, Any] = {}
    interrupts: list[Any] = []
    view = TokenView(out, tokens) if out is not None and tokens else None
    # Without a reader, no custom/messages modes: LangGraph then runs each step inline rather
    # than in a helper thread beside the stream (less CPU per batch item: benchmarks/batch_item_cpu.py).
    modes = ["values", "updates"] + (["custom"] if out is not None else []) + (["messages"] if view else [])
    for mode, chunk in graph.stream(payload, config=config, context=context, stream_mode=modes, durability="sync"):
        if mode == "values":
            values = chunk
        elif mode == "messages":
            message, metadata = chunk
            if metadata.get("langgraph_node") in STREAMED_NODES and isinstance(message.content, str):
                view.token(message.content, message.id)
        elif mode == "updates" and "__interrupt__" in chunk:
            interrupts.extend(chunk["__interrupt__"])
        elif out is not None:
            if view:
                view.end()
            show_progress(mode, chunk, out)
    return values, interrupts


def describe_event(event: Any) -> str:
    """A custom stream event as one line: ``render: attempt 1, painter storyboard``."""
    if not isinstance(event, dict):
        return str(event)
    details = ", ".join(f"{key} {value}" for key, value in event.items() if key != "event")
    return f"{event.get('event', 'event')}: {details}"


def show_progress(mode: str, chunk: Any, out: TextIO) -> None:
    if mode == "custom":
        print(f"  {'':<11} {'':>7}  {describe_event(chunk)}", file=out, flush=True)
        return
    for node, update in chunk.items():
        line = describe_update(node, update or {}) if isinstance(update, dict) else None
        if line:
            print(line, file=out, flush=True)


def read_line(prompt: str) -> str:
    """``input()``; a closed or missing standard input reads as its end (EOFError), never a RuntimeError."""
    if sys.stdin is None or sys.stdin.closed:
        raise EOFError("no standard input")
    return input(prompt)


def ask(prompt: str, choices: dict[str, str]) -> str:
    while True:
        answer = read_line(prompt).strip().lower()[:1]
        if answer in choices:
            return choices[answer]


def edit_in_editor(story: dict[str, Any]) -> dict[str, Any]:
    """The story as JSON in $EDITOR, a command with its arguments (or, without one, from a JSON file the
    person names); the temp file is removed whatever happens."""
    import json
    import os
    import shlex
    import subprocess
    import tempfile

    from storypainter.errors import ConfigError

    editor = os.environ.get("EDITOR", "").strip()
    if not editor:
        return read_json(Path(read_line("path of the edited story JSON: ").strip()))
    try:
        command = shlex.split(editor)
    except ValueError as error:
        raise ConfigError(f"EDITOR is not a valid command line ({error})") from None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(story, handle, indent=2)
    try:
        subprocess.run([*command, handle.name], check=False)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise ConfigError(f"EDITOR {command[0]!r} could not be started ({error.strerror})") from None
    try:
        return read_json(Path(handle.name))
    finally:
        Path(handle.name).unlink(missing_ok=True)


def terminal_reviewer(payload: dict[str, Any]) -> dict[str, Any]:
    """Answer a review pause at the terminal."""
    if payload.get("error"):
        print(f"\n--- not taken: {payload['error']}", file=sys.stderr)
    if payload["stage"] == "story":
        story = payload["story"]
        heading = f"--- review attempt {payload['attempt']:02d}: {terminal_safe(story['title'])}"
        print(f"\n{heading}\n{terminal_safe(story['description'], newlines=True)}", file=sys.stderr)
        action = ask("[a]pprove, [e]dit, [r]eject? ", {"a": "approve", "e": "edit", "r": "reject"})
        if action == "edit":
            return {"action": "edit", "story": edit_in_editor(story)}
        return {"action": action, "feedback": read_line("why? ") if action == "reject" else ""}
    decision = payload["decision"]
    print(f"\n--- critic says {decision['action']}: {'; '.join(decision['reasons'])}", file=sys.stderr)
    choices = {"k": "keep", "a": "accept", "v": "revise_story", "r": "rerender", "s": "stop"}
    return {"action": ask("[k]eep, [a]ccept, re[v]ise story, [r]erender, [s]top? ", choices)}


def token_mode(echo: bool, out: TextIO | None = None) -> str | None:
    """``text`` when asked to echo tokens, a live count on a terminal (``out``: sys.stderr as it is
    at the call, not at import), else none."""
    return "text" if echo else ("count" if (out or sys.stderr).isatty() else None)
