"""``openai:<model>``: ChatOpenAI for the OpenAI API and for any OpenAI-compatible server
(vLLM, llama.cpp, llama-cpp-python, Ollama, LM Studio) reached through ``base_url``.

Servers differ in how they take a JSON schema; ``llm_options.structured`` says which way:

- ``json_schema`` (default): OpenAI's ``response_format`` of type ``json_schema`` (OpenAI, vLLM,
  llama.cpp's llama-server, Ollama);
- ``json_object_schema``: ``{"type": "json_object", "schema": ...}`` (llama-cpp-python's server);
- ``json_object``: JSON mode without a schema; ``prompt``: no constraint (validate and repair only).

``compact_schema: true`` bounds strings and lists the way the embedded tiny model needs.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal

from langchain_openai import ChatOpenAI

from storypainter.errors import ConfigError
from storypainter.providers.llms.local import compact_schema

STRUCTURED_STYLES = ("json_schema", "json_object_schema", "json_object", "prompt")
OWN_OPTIONS = ("api_key_env", "structured", "compact_schema")


class CompatibleChatOpenAI(ChatOpenAI):
    """ChatOpenAI that sends the schema the way the server takes it, and plain ``max_tokens`` to servers."""

    structured_style: Literal["json_schema", "json_object", "prompt"] = "json_schema"  # read by structured.py
    schema_in_json_object: bool = False
    compact: bool = False
    accepts_seed: ClassVar[bool] = True

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if self.openai_api_base and "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        requested = payload.get("response_format") or {}
        schema = requested.get("json_schema", {}).get("schema")
        if schema is not None:
            schema = compact_schema(schema) if self.compact else schema
            payload["response_format"] = (
                {"type": "json_object", "schema": schema}
                if self.schema_in_json_object
                else {"type": "json_schema", "json_schema": {**requested["json_schema"], "schema": schema}}
            )
        return payload


def unknown_options(options: dict[str, Any]) -> list[str]:
    """The options neither ChatOpenAI (by field name or alias) nor this module knows."""
    known = set(OWN_OPTIONS)
    for name, info in CompatibleChatOpenAI.model_fields.items():
        known |= {name, info.alias} - {None}
    return sorted(set(options) - known - {"model", "model_name"})


def openai_chat_model(name: str, options: dict[str, Any], temperature: float, timeout: float
                      ) -> CompatibleChatOpenAI:
    """The chat model for ``openai:<name>``; the key comes from the environment only. ``timeout``
    (``Context.timeout``, or ``llm_options.timeout``) bounds each try, so a hung server cannot hold a run."""
    structured = options.get("structured", "json_schema")
    if structured not in STRUCTURED_STYLES:
        raise ConfigError(f"llm_options.structured: '{structured}' is not one of {', '.join(STRUCTURED_STYLES)}")
    settings = {key: value for key, value in options.items() if key not in OWN_OPTIONS}
    settings.setdefault("temperature", temperature)
    settings.setdefault("stream_usage", True)
    settings.setdefault("timeout", timeout)
    settings.setdefault("max_retries", 2)  # token counts also when --tokens streams the reply
    if options.get("api_key_env"):
        settings["api_key"] = os.environ.get(options["api_key_env"], "")
    elif options.get("base_url"):
        settings.setdefault("api_key", "not-needed")  # a local server: never send the OpenAI key elsewhere
    return CompatibleChatOpenAI(
        model=name,
        structured_style="json_schema" if structured == "json_object_schema" else structured,
        schema_in_json_object=structured == "json_object_schema",
        compact=bool(options.get("compact_schema", False)),
        **settings,
    )
