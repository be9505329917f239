"""``openai:`` against OpenAI-compatible servers: how the schema and max_tokens go on the wire, and
the worked local-GPU config."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

pytest.importorskip("langchain_openai", reason="needs the openai extra (langchain-openai)")

from storypainter.agent.context import Context
from storypainter.config import CONFIG_DIR, load_context
from storypainter.errors import ConfigError
from storypainter.providers import registry
from storypainter.providers.llms.openai_chat import openai_chat_model
from storypainter.providers.llms.structured import schema_binding, wire_schema
from storypainter.schema import Story

SERVER = {"base_url": "http://127.0.0.1:9/v1", "max_tokens": 300}


def payload(options: dict) -> dict:
    model = openai_chat_model("served-model", options, temperature=0.2, timeout=30.0)
    binding = schema_binding(model, wire_schema(Story), "Story")
    return model._get_request_payload([HumanMessage(content="a story")], **binding)


def test_default_sends_openai_json_schema_and_plain_max_tokens_to_a_server():
    sent = payload(SERVER)
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"]["title"]["maxLength"] == 160
    assert sent["max_tokens"] == 300 and "max_completion_tokens" not in sent
    assert sent["temperature"] == 0.2


def test_json_object_schema_style_for_llama_cpp_python_server():
    sent = payload({**SERVER, "structured": "json_object_schema", "compact_schema": True})
    assert sent["response_format"]["type"] == "json_object"
    title = sent["response_format"]["schema"]["properties"]["title"]
    assert "pattern" in title and "maxLength" not in title, "compact_schema bounds strings for tiny models"


@pytest.mark.parametrize(("style", "expected"), [("json_object", {"type": "json_object"}), ("prompt", None)])
def test_weaker_styles(style, expected):
    assert payload({**SERVER, "structured": style}).get("response_format") == expected


def test_unknown_style_is_a_config_error():
    with pytest.raises(ConfigError, match=r"llm_options\.structured"):
        openai_chat_model("m", {"structured": "xml"}, temperature=0.2, timeout=30.0)


def test_a_local_server_never_gets_the_openai_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    model = openai_chat_model("m", SERVER, temperature=0.2, timeout=30.0)
    assert model.openai_api_key.get_secret_value() == "not-needed"


def test_registry_builds_it_from_the_provider_string():
    registry.clear_cache()
    model = registry.get_llm("openai:served-model", SERVER, Context(temperature=0.3))
    assert model.model_name == "served-model" and model.temperature == 0.3
    registry.clear_cache()


def test_local_gpu_config_is_valid(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "unused")  # the registry checks a vlm judge's key without its base_url
    context = load_context(CONFIG_DIR / "local-gpu.yaml")
    assert context.painter.startswith("diffusers:") and context.judge == f"vlm:{context.llm}"
    assert context.llm_options["base_url"].startswith("http://127.0.0.1")
