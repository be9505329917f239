"""Typed replies from any chat model: constrain where the backend can, validate always,
and ask again with the validation error (bounded) when a reply is malformed.

Replies are bounded before anything reads them: a reply over ``MAX_REPLY_CHARS`` is
malformed unread, and a text field over ``REPLY_SLACK`` times the length the schema asked
for (``maxLength``: 160 characters, a description 700, a painter prompt 500) is malformed
too, so a server that ignores the schema cannot hand the critic a 200,000-character
title. A reply kept (prompt.json, failed_reply.json) or sent back with a repair request is
cut to ``MAX_REPLY_CHARS``.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from storypainter.errors import StoryError
from storypainter.prompts import render
from storypainter.providers.protocols import structured_style

Model = TypeVar("Model", bound=BaseModel)
FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
DEFAULT_MAX_CHARS = 160
LONG_TEXT_FIELDS = {"description": 700, "painter_prompt": 500}
REPLY_SLACK = 2
MAX_REPLY_CHARS = 64_000


@dataclass
class StructuredReply:
    value: BaseModel
    replies: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)


@cache
def wire_schema(model_cls: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema sent to a model: every field required, strings bounded in length.

    Built once per class and shared: treat it as read-only (``compact_schema`` copies).
    """
    schema = copy.deepcopy(model_cls.model_json_schema())
    for node in [schema, *schema.get("$defs", {}).values()]:
        properties = node.get("properties", {})
        node["required"] = list(properties)
        node["additionalProperties"] = False
        for name, prop in properties.items():
            prop.pop("default", None)
            prop.pop("title", None)
            if prop.get("type") == "string" and "enum" not in prop:
                prop.setdefault("maxLength", LONG_TEXT_FIELDS.get(name, DEFAULT_MAX_CHARS))
    return schema


def schema_binding(model: Any, schema: dict[str, Any], name: str) -> dict[str, Any]:
    """Call arguments that make a backend constrain its output to the schema, where it can."""
    style = structured_style(model)
    if style == "grammar":
        return {"json_schema": schema}
    if style == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}}
    if style == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def extract_json(text: str) -> str:
    """The JSON object inside a reply (code fences and chatter around it removed)."""
    text = FENCE.sub("", text.strip())
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text


def kept(text: str) -> str:
    """A reply as it is kept and sent back: cut to ``MAX_REPLY_CHARS``, saying how long it was."""
    return text if len(text) <= MAX_REPLY_CHARS else f"{text[:MAX_REPLY_CHARS]}... [cut: {len(text):,} characters]"


def overlong(value: Any, where: str = "") -> str | None:
    """'field: N characters (the limit is M)' for the first text over its bound, or None."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        name = key if isinstance(key, str) else where.rsplit(".", 1)[-1]
        path = f"{where}.{key}" if where else str(key)
        limit = REPLY_SLACK * LONG_TEXT_FIELDS.get(name, DEFAULT_MAX_CHARS)
        if isinstance(item, str) and len(item) > limit:
            return f"{path}: {len(item):,} characters (the limit is {limit:,})"
        if isinstance(item, dict | list) and (problem := overlong(item, path)):
            return problem
    return None


def describe_error(error: ValidationError | json.JSONDecodeError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at character {error.pos})"
    problems = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "(root)"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def add_usage(total: dict[str, int], message: BaseMessage) -> None:
    for key, value in (getattr(message, "usage_metadata", None) or {}).items():
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value


def invoke_structured(
    model: Any,
    messages: list[BaseMessage],
    schema_cls: type[Model],
    max_repairs: int,
    **call_kwargs: Any,
) -> StructuredReply:
    """Ask until the reply validates as ``schema_cls``; 1 + max_repairs tries in all."""
    binding = schema_binding(model, wire_schema(schema_cls), schema_cls.__name__)
    conversation = list(messages)
    reply = StructuredReply(value=None)  # type: ignore[arg-type]
    problem = ""
    for _ in range(max_repairs + 1):
        message = model.invoke(conversation, **binding, **call_kwargs)
        text = str(message.content)
        reply.replies.append(kept(text))
        add_usage(reply.usage, message)
        if len(text) > MAX_REPLY_CHARS:
            problem = f"a reply of {len(text):,} characters (the limit is {MAX_REPLY_CHARS:,})"
        else:
            try:
                value = schema_cls.model_validate_json(extract_json(text))
            except (ValidationError, json.JSONDecodeError) as error:
                problem = describe_error(error)
            else:
                if not (problem := overlong(value) or ""):
                    reply.value = value
                    return reply
        conversation += [AIMessage(content=kept(text)), HumanMessage(content=render("repair_reply", problem=problem))]
    tries = max_repairs + 1
    raise StoryError(f"{schema_cls.__name__} reply still invalid after {tries} tries: {problem}", reply.replies)
