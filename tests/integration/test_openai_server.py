"""The whole graph against a real OpenAI-compatible server: llama-cpp-python's server on
127.0.0.1 serving the embedded SmolLM2 GGUF, reached through ``openai:`` with ``base_url``."""

from __future__ import annotations

import importlib
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from storypainter.agent.context import Context
from storypainter.agent.graph import build_graph, run_config
from storypainter.providers import registry
from storypainter.providers.llms.local import resolve_model_path
from storypainter.runner import start_run
from storypainter.schema import Story

pytestmark = pytest.mark.slow
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(process: subprocess.Popen, base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{process.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the server did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def server_url():
    importlib.import_module("llama_cpp.server")  # the server extra must be installed; a missing one fails loudly
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(resolve_model_path("smollm2")),
        "--model_alias",
        "smollm2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--verbose",
        "False",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(process, base_url)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def server_context(server_url: str, tmp_path: Path) -> Context:
    return Context(
        llm="openai:smollm2",
        llm_options={
            "base_url": server_url,
            "max_tokens": 600,
            "structured": "json_object_schema",  # how llama-cpp-python's server takes a schema
            "compact_schema": True,  # bounded strings and lists: the 135M model stays on track
            "timeout": 120,
        },
        painter="storyboard",
        judge="layout",
        embeddings="hash",
        examples_k=1,
        out_dir=str(tmp_path / "runs"),
        memory_dir=str(tmp_path / "memory"),
        max_rounds=1,
        critic_loop=False,
        width=384,
        height=256,
    )


def test_graph_runs_against_an_openai_compatible_server(server_url, tmp_path):
    registry.clear_cache()
    context = server_context(server_url, tmp_path)
    output = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    result = output["result"]
    run_dir = Path(result.run_dir)
    assert result.decision_path == ["accept"]
    assert Path(result.image_path).is_file()
    Story.model_validate_json(Path(result.story_path).read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["providers"]["llm"] == "openai:smollm2"
    assert manifest["tokens"]["total_tokens"] > 0
    registry.clear_cache()


def test_tokens_stream_from_an_openai_compatible_server(server_url, tmp_path):
    registry.clear_cache()
    context = server_context(server_url, tmp_path)
    out = io.StringIO()
    values = start_run("a harbour at dawn", context, out=out, tokens="text")
    story = Story.model_validate_json(Path(values["result"].story_path).read_text())
    lines = out.getvalue().splitlines()
    streamed = [line for line in lines if line.lstrip().startswith("storyteller") and "{" in line]
    assert streamed and story.title in streamed[-1], "the reply arrives as server-sent tokens, shown live"
    registry.clear_cache()
