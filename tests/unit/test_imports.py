"""The graph module and `storypainter --help` must stay light: no model SDK at import."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from storypainter.errors import EXTRAS_BY_MODULE, describe_fault

HEAVY = ["torch", "transformers", "diffusers", "chromadb", "openai", "llama_cpp", "sentence_transformers"]
PROBE = f"""
import json, sys
from storypainter import cli
try:
    cli.main(["--help"])
except SystemExit:
    pass
import storypainter.agent.graph
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""


def test_graph_import_and_help_load_no_heavy_sdk():
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    assert loaded == []
    assert "generate" in completed.stdout


def test_module_level_graph_is_compiled_for_studio():
    from storypainter.agent.graph import graph

    assert set(graph.get_graph().nodes) >= {"planner", "retriever", "storyteller", "painter", "critic", "finish"}


def test_a_missing_optional_module_is_one_line_naming_its_extra():
    def missing(name: str) -> str:
        return str(describe_fault(ModuleNotFoundError(f"No module named '{name}'", name=name)))

    assert missing("chromadb") == "chromadb is not installed: needs the local extra (pip install 'storypainter[local]')"
    assert "needs the durable extra" in missing("langgraph.checkpoint.sqlite")
    assert "needs the openai extra" in missing("langchain_openai.chat_models")
    assert "one of the local, gpu, distill extras" in missing("torch")
    assert missing("no_such_module").startswith("unexpected ModuleNotFoundError")


def test_the_extras_named_for_missing_modules_are_the_packages_extras():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    assert {extra for named in EXTRAS_BY_MODULE.values() for extra in named} <= set(extras)
