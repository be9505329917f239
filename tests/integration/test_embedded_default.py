"""The embedded storyteller, for real: SmolLM2 via llama.cpp, its grammars and a broken model file (the whole
graph from the command line: test_cli_generate.py)."""

from __future__ import annotations

import json

import pytest

from storypainter.errors import BackendError
from storypainter.providers.llms.local import compact_schema, local_chat_model, resolve_model_path
from storypainter.providers.llms.structured import invoke_structured, wire_schema
from storypainter.schema import Story

pytestmark = pytest.mark.slow


def test_constrained_decoding_gives_schema_valid_stories():
    model = local_chat_model("smollm2", {"max_tokens": 700}, temperature=0.7, seed=3)
    from langchain_core.messages import HumanMessage

    reply = invoke_structured(model, [HumanMessage(content="Write a storytelling image story about a market.")],
                              Story, max_repairs=0, seed=3)
    assert isinstance(reply.value, Story)
    assert len(reply.replies) == 1, "constrained decoding must succeed on the first try"


def test_compact_schema_compiles_to_a_llama_grammar():
    import llama_cpp
    from llama_cpp import LlamaGrammar

    vocab = llama_cpp.Llama(model_path=str(resolve_model_path("smollm2")), vocab_only=True, verbose=False)._model.vocab

    def compiles(gbnf: str) -> bool:
        """Whether llama.cpp's own parser builds a sampler from the grammar (LlamaGrammar itself parses nothing)."""
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
        if sampler:
            llama_cpp.llama_sampler_free(sampler)
        return bool(sampler)

    grammar = LlamaGrammar.from_json_schema(json.dumps(compact_schema(wire_schema(Story))), verbose=False)
    assert compiles(grammar._grammar)
    assert not compiles(grammar._grammar.replace("::=", "==", 1)), "a broken grammar is told apart"


def test_truncated_gguf_gives_one_line_error(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(resolve_model_path("smollm2").read_bytes()[:4096])
    model = local_chat_model(str(broken), {}, temperature=0.7, seed=0)
    with pytest.raises(BackendError, match="cannot load GGUF model") as caught:
        model.invoke("hello")
    assert "\n" not in str(caught.value)
