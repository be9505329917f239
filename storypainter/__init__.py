"""StorytellingPainter: single images that tell a rich, logically coherent story.

``from storypainter import build_graph, Context``; heavy models load only when used.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Context", "build_graph", "run_config"]


def __getattr__(name: str) -> Any:
    if name == "build_graph":
        from storypainter.agent.graph import build_graph

        return build_graph
    if name == "Context":
        from storypainter.agent.context import Context

        return Context
    if name == "run_config":
        from storypainter.agent.graph import run_config

        return run_config
    raise AttributeError(name)
