"""One source of settings (issue #12): Context holds every default; Studio, graph.invoke,
the CLI (`make demo`) and a wheel install all run on the same values."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import pytest

from storypainter.agent.context import Context
from storypainter.agent.graph import graph, with_defaults
from storypainter.config import CONFIG_DIR, load_context, shipped_configs
from storypainter.errors import ConfigError
from tests import extras

REPO = Path(__file__).resolve().parents[2]


@extras.default_llm
def test_the_cli_without_config_and_the_default_config_are_contexts_defaults():
    assert load_context(None) == Context()
    assert load_context("default") == Context()
    demo = re.search(r"^demo:.*\n\t(.+)$", (REPO / "Makefile").read_text(), re.MULTILINE).group(1)
    assert "storypainter generate" in demo and "--config" not in demo, "make demo runs on the defaults"


def test_studio_shows_contexts_fields_with_descriptions():
    assert graph.builder.context_schema is Context
    schema = graph.get_context_jsonschema()
    assert schema["properties"]["llm"]["default"] == Context().llm
    assert schema["properties"]["examples_k"]["default"] == Context().examples_k
    assert all(field.get("description") for name, field in schema["properties"].items()), "Studio shows help"


def test_graph_invoke_without_context_runs_on_the_defaults():
    class BareRuntime:
        context = None

        def override(self, **changes):
            updated = BareRuntime()
            updated.context = changes["context"]
            return updated

    assert with_defaults(BareRuntime()).context == Context()


@extras.default_llm
def test_shipped_configs_load_by_name_and_state_only_differences():
    assert {"default", "openai", "local-gpu", "paper-cor", "paper-naive"} <= set(shipped_configs())
    paper = load_context("paper-naive")
    assert (paper.mode, paper.llm, paper.critic_loop) == ("naive", "local:smollm2", False)
    assert (CONFIG_DIR / "default.yaml").read_text().count(":") <= 3, "default.yaml sets nothing"


def test_a_missing_config_is_an_error_never_empty_settings(tmp_path):
    with pytest.raises(ConfigError, match="config not found: nosuch"):
        load_context("nosuch")
    with pytest.raises(ConfigError, match="config not found"):
        load_context(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_rounds": "3x"}, "max_rounds"),
        ({"max_rounds": 983}, "less than or equal to 20"),
        ({"width": 0}, "width"),
        ({"seed": 99999999999999999999999}, "seed"),
        ({"out_dir": ""}, "out_dir"),
        ({"llm_options": {"api_key": "sk-123"}}, "looks like a credential"),
        ({"llm_options": {"base_url": "http://user:pass@127.0.0.1:8000/v1"}}, "carries user info"),
        ({"embeddings": "/no/such/model"}, "neither minilm nor hash"),
    ],
)
def test_context_validates_in_python_as_in_yaml(changes, message):
    with pytest.raises(ValueError, match=message):
        Context(**changes)
    with pytest.raises(ConfigError, match=message):
        load_context(None, **changes)


def test_context_coerces_like_the_cli_and_fingerprints_every_setting():
    assert Context(max_rounds="4").max_rounds == 4
    assert Context().fingerprint() != Context(seed=1).fingerprint()
    assert set(asdict(Context())) == {field for field in Context.__dataclass_fields__}
