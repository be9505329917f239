"""Storyteller: an LLM writes a typed Story (validated, repaired when malformed) and its layout."""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from storypainter.agent.context import Context
from storypainter.agent.state import State
from storypainter.attempts import open_attempt
from storypainter.errors import StoryError
from storypainter.ledger import usage_entry
from storypainter.prompts import render
from storypainter.providers.llms.structured import invoke_structured
from storypainter.providers.protocols import PromptStyle, prompt_style, takes_seed
from storypainter.providers.registry import get_llm
from storypainter.runs import attempt_dir, write_json
from storypainter.schema import DIMENSION_LABELS, Decision, Example, Plan, Story

MAX_EXAMPLE_CHARS = 360
MAX_EXAMPLE_CORS = 4


def format_example(number: int, example: Example) -> str:
    chains = [chain for values in example.cors.values() for chain in values]
    lines = [f"Example {number}: {example.description[:MAX_EXAMPLE_CHARS]}"]
    lines += [f"  CoR: {chain}" for chain in chains[:MAX_EXAMPLE_CORS]]
    return "\n".join(lines)


def request_message(plan: Plan, examples: list[Example], style: PromptStyle = "full") -> str:
    theme = plan.theme or "(free: imagine any storytelling moment)"
    if style == "compact":
        dimensions = ", ".join(plan.dimensions) or "any"
        return render("request_compact", theme=theme, setting=plan.setting or theme, dimensions=dimensions)
    if plan.mode == "naive":
        request = render("request_naive", theme=theme)
    else:
        dimensions = ", ".join(DIMENSION_LABELS[dimension] for dimension in plan.dimensions)
        avoid = f"Avoid these recently used settings: {'; '.join(plan.avoid)}." if plan.avoid else ""
        request = render("request_cor", theme=theme, setting=plan.setting, dimensions=dimensions, avoid=avoid)
    if not examples:
        return request
    block = render("examples_block", examples="\n".join(format_example(i, e) for i, e in enumerate(examples, 1)))
    return f"{block}\n\n{request}"


def build_messages(plan: Plan, examples: list[Example], previous: Story | None, decision: Decision | None,
                   style: PromptStyle = "full") -> list[BaseMessage]:
    """The storyteller's conversation; ``compact`` is the short prompt a distilled student was trained on."""
    if style == "compact":
        system = render("storyteller_compact")
    else:
        system = render(f"storyteller_{plan.mode}", story_format=render("story_format"))
    request = request_message(plan, examples, style)
    messages: list[BaseMessage] = [SystemMessage(content=system), HumanMessage(content=request)]
    if previous is not None and decision is not None and decision.action == "revise_story":
        messages.append(HumanMessage(content=render("revise_story", title=previous.title, feedback=decision.feedback)))
    return messages


def storyteller(state: State, runtime: Runtime[Context]) -> dict:
    context = runtime.context
    number = state.get("attempt", 0) + 1
    folder = attempt_dir(state["run_dir"], number)
    model = get_llm(context.llm, context.llm_options, context)
    messages = build_messages(state["plan"], state.get("examples", []), state.get("story"), state.get("decision"),
                              prompt_style(model))
    extra = {"seed": context.seed + number} if takes_seed(model) else {}
    try:
        reply = invoke_structured(model, messages, Story, context.max_repairs, **extra)
    except StoryError as error:
        write_json(folder / "failed_reply.json", {"error": str(error), "replies": error.replies})
        raise
    story: Story = reply.value  # type: ignore[assignment]
    layout = open_attempt(state["run_dir"], number, story, context.seed)
    write_json(folder / "prompt.json", {"messages": [m.model_dump() for m in messages], "replies": reply.replies})
    usage = [usage_entry("storyteller", context.llm, reply.usage, calls=len(reply.replies))]
    return {"story": story, "layout": layout, "attempt": number, "painter_error": "", "tokens": reply.usage,
            "usage": usage}
