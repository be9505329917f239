"""Runtime settings of a run: a dataclass, so LangGraph Studio shows it as a form.

A YAML config file holds the same keys (see configs/default.yaml); unknown keys are
rejected so that a typo is never silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict


@dataclass(kw_only=True)
class Context:
    """Everything a run needs besides its theme."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    mode: Literal["naive", "cor"] = field(default="cor", metadata={"description": "prompt mode"})
    llm: str = field(default="local:smollm2", metadata={"description": "storyteller provider string"})
    llm_options: dict[str, Any] = field(default_factory=dict)
    painter: str = field(default="storyboard", metadata={"description": "painter provider string"})
    painter_options: dict[str, Any] = field(default_factory=dict)
    judge: str = field(default="layout", metadata={"description": "'layout' or 'vlm:<provider string>'"})
    key_points: Literal["story", "llm"] = field(default="story", metadata={"description": "key-point extractor"})
    embeddings: str = field(default="minilm", metadata={"description": "'minilm', 'hash' or a model directory"})
    retrieval: Literal["none", "random", "similar", "mmr"] = "random"
    examples_k: int = 3
    examples_source: str = field(default="seed", metadata={"description": "'seed' or a CogBench JSON path"})
    critic_loop: bool = field(default=True, metadata={"description": "false: the paper's single pass"})
    max_rounds: int = 3
    alignment_threshold: float = 0.75
    min_cors: int = 3
    copy_threshold: float = 0.35
    max_repairs: int = 2
    temperature: float = 0.7
    seed: int = 0
    width: int = 768
    height: int = 512
    out_dir: str = "runs"
    memory_dir: str = ".storypainter"
    remember_threshold: float = 0.6
    review: bool = field(default=False, metadata={"description": "pause for a person after storyteller and critic"})

    def fingerprint(self) -> str:
        """A short hash of every setting, for the run manifest."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
