"""Student vs base, side by side on the same storyteller prompts and seeds.

The N prompts are the storyteller's own CoR prompts for the empty theme: the planner's
plan for seeds S..S+N-1 and ``examples_k`` seed-corpus examples drawn as the ``random``
retriever draws them. Each model answers through ``invoke_structured`` (``repairs``
repair rounds). Per model, over all prompts: the schema-valid rate and, for the first
reply, the share holding a JSON object and the share of the Story's field names it uses
as keys (even in broken JSON). Over the valid stories: words per description,
single-moment compliance (``evaluation.rules``), semantic score (``evaluation.semantic``),
copy overlap with the shown examples, and set diversity (``evaluation.diversity`` over
the descriptions' embeddings).
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from storypainter.schema import Example, Story

DIVERSITY_K = 5


@dataclass(frozen=True)
class Prompt:
    seed: int
    examples: list[Example]
    messages: list[Any]


@dataclass
class Outcome:
    story: Story | None
    replies: list[str]
    seconds: float


@dataclass
class ModelResult:
    name: str
    spec: str
    outcomes: list[Outcome] = field(default_factory=list)


def build_prompts(n: int, seed: int, examples_k: int) -> list[Prompt]:
    """The storyteller's CoR prompts for the empty theme, seeds ``seed..seed+n-1``."""
    from storypainter.agent.context import Context
    from storypainter.memory.retrieval import corpus_examples, pick_random
    from storypainter.nodes.planner import make_plan
    from storypainter.nodes.storyteller import build_messages

    pool = list(corpus_examples("seed"))
    prompts = []
    for prompt_seed in range(seed, seed + n):
        plan = make_plan("", Context(seed=prompt_seed), [])
        examples = pick_random(pool, examples_k, f"{prompt_seed}||{plan.setting}")
        prompts.append(Prompt(prompt_seed, examples, build_messages(plan, examples, None, None)))
    return prompts


def answer(model: Any, prompt: Prompt, repairs: int) -> Outcome:
    from storypainter.errors import StoryError
    from storypainter.providers.llms.structured import invoke_structured

    started = time.perf_counter()
    try:
        reply = invoke_structured(model, prompt.messages, Story, repairs, seed=prompt.seed)
    except StoryError as error:
        return Outcome(None, error.replies, time.perf_counter() - started)
    return Outcome(reply.value, reply.replies, time.perf_counter() - started)  # type: ignore[arg-type]


def run_model(name: str, spec: str, prompts: list[Prompt], settings: dict[str, Any]) -> ModelResult:
    """Every prompt through one model, with a progress line per story."""
    from storypainter.providers.llms.hf import hf_chat_model

    model = hf_chat_model(spec, settings, temperature=settings["temperature"], seed=0)
    result = ModelResult(name, spec)
    for number, prompt in enumerate(prompts, start=1):
        outcome = answer(model, prompt, settings["repairs"])
        result.outcomes.append(outcome)
        state = repr(outcome.story.title) if outcome.story else "invalid"
        print(f"[{number}/{len(prompts)}] {name} seed {prompt.seed}: {state} ({outcome.seconds:.0f}s)",
              file=sys.stderr, flush=True)
    return result


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def parsed_object(reply: str) -> dict[str, Any] | None:
    """The reply's JSON object, or None when it holds none."""
    from storypainter.providers.llms.structured import extract_json

    try:
        value = json.loads(extract_json(reply))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def story_keys_share(reply: str) -> float:
    """Share of the Story's field names that the reply uses as JSON keys (``"name":``), parsable or not."""
    return sum(bool(re.search(rf'"{name}"\s*:', reply)) for name in Story.model_fields) / len(Story.model_fields)


def metrics(result: ModelResult, prompts: list[Prompt], embedder: Any) -> dict[str, Any]:
    """The table's numbers for one model."""
    from storypainter.evaluation.diversity import diversity_scores
    from storypainter.evaluation.rules import check_story
    from storypainter.evaluation.semantic import semantic_score
    from storypainter.text import words

    valid = [(outcome.story, prompt) for outcome, prompt in zip(result.outcomes, prompts, strict=True) if outcome.story]
    checks = [check_story(story, prompt.examples) for story, prompt in valid]
    descriptions = [story.description for story, _ in valid]
    diversity = diversity_scores(embedder.encode(descriptions), k=DIVERSITY_K).mean if len(valid) > 1 else None
    first_replies = [outcome.replies[0] if outcome.replies else "" for outcome in result.outcomes]
    return {
        "valid": len(valid),
        "total": len(prompts),
        "json_object_rate": mean([float(parsed_object(reply) is not None) for reply in first_replies]),
        "story_keys": mean([story_keys_share(reply) for reply in first_replies]),
        "schema_valid_rate": len(valid) / len(prompts),
        "words": mean([len(words(text)) for text in descriptions]),
        "single_moment_rate": mean([float(all(v.rule != "single_moment" for v in c.violations)) for c in checks]),
        "semantic": mean([semantic_score(story).score for story, _ in valid]),
        "copy_overlap": mean([check.copy_overlap for check in checks]),
        "diversity": diversity,
        "seconds_per_story": mean([outcome.seconds for outcome in result.outcomes]),
    }


COLUMNS = (
    ("schema-valid", "schema_valid_rate", "{:.0%}"),
    ("JSON object", "json_object_rate", "{:.0%}"),
    ("Story keys", "story_keys", "{:.0%}"),
    ("words/story", "words", "{:.0f}"),
    ("single-moment", "single_moment_rate", "{:.0%}"),
    ("semantic", "semantic", "{:.1f}"),
    ("diversity", "diversity", "{:.3f}"),
    ("copy overlap", "copy_overlap", "{:.2f}"),
    ("s/story", "seconds_per_story", "{:.0f}"),
)


def markdown_table(rows: dict[str, dict[str, Any]]) -> str:
    """One row per model; '-' where a value needs more valid stories."""
    header = "| model | " + " | ".join(title for title, _, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, values in rows.items():
        cells = ["-" if values[key] is None else pattern.format(values[key]) for _, key, pattern in COLUMNS]
        cells[0] += f" ({values['valid']}/{values['total']})"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare(models: dict[str, str], n: int, settings: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(markdown table, JSON-ready details) for the named models on the same prompts and seeds."""
    from storypainter.providers.embeddings import get_embedder

    prompts = build_prompts(n, settings["seed"], settings["examples_k"])
    results = [run_model(name, spec, prompts, settings) for name, spec in models.items()]
    embedder = get_embedder(settings["embeddings"])
    rows = {result.name: metrics(result, prompts, embedder) for result in results}
    details = {
        "settings": settings,
        "models": models,
        "metrics": rows,
        "stories": {
            result.name: [
                {"seed": prompt.seed, "story": outcome.story, "replies": outcome.replies}
                for prompt, outcome in zip(prompts, result.outcomes, strict=True)
            ]
            for result in results
        },
    }
    return markdown_table(rows), details
