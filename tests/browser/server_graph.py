"""The graph the browser tests' LangGraph server runs: storypainter's own graph, with scripted
storytellers registered as providers: ``scripted:story`` (a valid story), ``scripted:xss`` (a story
titled with a script tag) and ``scripted:broken`` (never a story, so the run fails)."""

from __future__ import annotations

from storypainter.agent.graph import graph
from storypainter.providers import registry
from tests.fakes import ScriptedChatModel, story_json

XSS_TITLE = "<script>window.__xss = 1</script>"
REPLIES = {"story": story_json(), "xss": story_json(title=XSS_TITLE), "broken": "this is not a story"}
REPLIES_PER_MODEL = 2000  # the registry keeps one model per provider string for the server's life


def scripted(name, options, context):
    return ScriptedChatModel(replies=[REPLIES[name]] * REPLIES_PER_MODEL)


registry.register_llm("scripted", scripted)
__all__ = ["graph"]
