"""The embedded offline default, for real: SmolLM2 via llama.cpp, storyboard, layout judge, MiniLM."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image

from storypainter.agent.context import Context
from storypainter.errors import BackendError
from storypainter.providers.llms.local import compact_schema, local_chat_model, resolve_model_path
from storypainter.providers.llms.structured import invoke_structured, wire_schema
from storypainter.schema import Story

pytestmark = pytest.mark.slow(seconds=170)


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


def test_cli_generate_on_a_fresh_output_directory(tmp_path):
    """The whole graph on the embedded default (the shipped student, storyboard, layout judge with the
    visible-text check, MiniLM), run as a newcomer runs it."""
    out_dir = tmp_path / "runs"
    completed = subprocess.run(
        [sys.executable, "-m", "storypainter.cli", "generate", "a rainy bus stop", "--out", str(out_dir),
         "--max-rounds", "1", "--tokens"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,  # a hang guard: a busy 2-core machine takes minutes
    )
    assert completed.returncode == 0, completed.stderr
    assert "storyteller" in completed.stderr and "critic" in completed.stderr, "live progress goes to stderr"
    assert "image" in completed.stdout and "align" in completed.stdout
    run_dir = next(out_dir.iterdir())
    attempt = run_dir / "attempts" / "01"
    with Image.open(attempt / "image.png") as image:
        assert image.size == (Context().width, Context().height)
    story = json.loads((attempt / "story.json").read_text())
    assert Story.model_validate(story).cors and story["characters"]
    verdicts = json.loads((attempt / "critique.json").read_text())["report"]["verdicts"]
    levels = {verdict["level"] for verdict in verdicts}
    assert "layout" in levels and levels <= {"layout", "ocr"}  # ocr: the visible-text check of the story's signs
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["tokens"]["output_tokens"] > 50
    assert manifest["versions"]["llama-cpp-python"]
    lines = completed.stderr.splitlines()
    streamed = [line for line in lines if line.lstrip().startswith("storyteller") and "{" in line]
    assert streamed and story["title"] in streamed[0], "--tokens echoes llama.cpp's reply as it is decoded"
