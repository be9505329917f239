"""The whole graph on the embedded offline default from the command line, as a newcomer runs it.

Its own file so that `make test` starts it on one worker while the embedded model's other tests
(``test_embedded_default.py``) run on another."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PIL import Image

from storypainter.agent.context import Context
from storypainter.schema import Story

pytestmark = pytest.mark.slow


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
