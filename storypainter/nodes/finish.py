"""Finish: picks the best attempt by score (not the last one) among those the content rule did
not flag, remembers an accepted story in self-memory, then commits: the manifest, and
result.json last. When every attempt was flagged the run fails in one line (no result)."""

from __future__ import annotations

import time
from dataclasses import asdict

from langgraph.runtime import Runtime

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.errors import StorypainterError
from storypainter.evaluation.content import is_flagged
from storypainter.ledger import run_ledger
from storypainter.memory.self_memory import remember
from storypainter.providers.registry import split_provider
from storypainter.runs import package_versions, read_json, sync_files, write_json
from storypainter.schema import Attempt, Decision, Result


class ContentRefused(StorypainterError):
    """Every attempt has offensive or hateful language: the run has no result."""


def best_attempt(attempts: list[Attempt]) -> Attempt:
    """Highest score among the attempts the content rule did not flag; among equals, the earliest."""
    clean = [attempt for attempt in attempts if not is_flagged(attempt.check)]
    if not clean:
        raise ContentRefused(f"all {len(attempts)} attempt(s) have offensive or hateful language (content rule); "
                             "no result is kept: try another theme")
    return max(clean, key=lambda attempt: (attempt.score, -attempt.number))


def explain(best: Attempt, attempts: list[Attempt], final: Decision) -> str:
    ending = {"accept": "accepted", "stop": "round budget spent"}.get(final.action, final.action)
    reasons = "; ".join(final.reasons)
    best_part = f"attempt {best.number:02d} has the best score {best.score:.3f}"
    return f"{ending} after {len(attempts)} attempt(s); {best_part}: {reasons}"


GPU_PAINTERS = frozenset({"diffusers"})  # painters that may run on this machine's GPU


def painter_device(context: Context) -> str:
    """Where the painter ran: a device for an in-process GPU painter, else 'cpu' or 'remote'."""
    prefix, _ = split_provider(context.painter)
    if prefix in GPU_PAINTERS:
        from storypainter.providers.painters.diffusers_painter import pick_device

        return pick_device(str(context.painter_options.get("device", "auto")))
    return "cpu" if prefix == "storyboard" else "remote"


def ledger(state: State, context: Context) -> dict:
    """Tokens per node and model, image calls, GPU seconds and dollars (see storypainter/ledger.py)."""
    attempts = state["attempts"]
    on_gpu = painter_device(context) not in ("cpu", "remote")
    gpu_seconds = sum(attempt.image.seconds for attempt in attempts if attempt.image) if on_gpu else 0.0
    return run_ledger(state.get("usage", []), context.painter, len(attempts), gpu_seconds, context.prices)


def manifest(state: State, context: Context, result: Result) -> dict:
    started = read_json(f"{state['run_dir']}/manifest.json").get("started", "")
    return {
        "status": "complete",
        "started": started,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": package_versions(),
        "providers": {
            "llm": context.llm,
            "painter": context.painter,
            "judge": context.judge,
            "embeddings": context.embeddings,
            "key_points": context.key_points,
        },
        "seeds": {"run": context.seed, "images": [a.image.seed for a in state["attempts"] if a.image]},
        "config_hash": context.fingerprint(),
        "context": asdict(context),
        "node_seconds": {name: round(seconds, 3) for name, seconds in state.get("node_seconds", {}).items()},
        "tokens": state.get("tokens", {}),
        "ledger": ledger(state, context),
        "decision_path": result.decision_path,
    }


def finish(state: State, runtime: Runtime[Context]) -> dict:
    context, attempts, run_dir = runtime.context, state["attempts"], state["run_dir"]
    best, final = best_attempt(attempts), state["decision"]
    path = [attempt.decision.action for attempt in attempts[:-1] if attempt.decision] + [final.action]
    result = Result(
        best_attempt=best.number,
        score=best.score,
        decision_path=path,
        why=explain(best, attempts, final),
        image_path=best.image.path if best.image else "",
        story_path=f"{best.directory}/story.json",
        run_dir=run_dir,
    )
    if final.action == "accept":  # before the commit: a fault here leaves the run unfinished, never half-done
        remember(context, best.story, best.score, run_dir)
    write_json(f"{run_dir}/manifest.json", manifest(state, context, result))
    sync_files([path for path in (result.image_path, result.story_path, f"{run_dir}/manifest.json") if path])
    write_json(f"{run_dir}/result.json", result, durable=True)  # last: its presence marks the run complete
    return {"result": result, "story": best.story, "image": best.image, "report": best.report}
