"""The graph module and `storypainter --help` must stay light: no model SDK at import."""

from __future__ import annotations

import json
import subprocess
import sys

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
