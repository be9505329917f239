"""Scripted stand-ins for models, in the style of LangGraph's own tests: they replay
replies written in the test and record what they were asked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from storypainter.schema import ChainMark, ChainOfReasoning, KeyPoint, Verdict


class ScriptedChatModel(BaseChatModel):
    """Replies with the scripted texts in order and records every prompt it receives."""

    replies: list[str]
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    call_kwargs: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        if len(self.prompts) >= len(self.replies):
            raise AssertionError(f"script exhausted after {len(self.replies)} replies")
        text = self.replies[len(self.prompts)]
        self.prompts.append(list(messages))
        self.call_kwargs.append(kwargs)
        usage = {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, usage_metadata=usage))])

    def _stream(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any
                ) -> Iterator[ChatGenerationChunk]:
        """The same reply, a word (with its trailing space) at a time, as a streaming API sends it."""
        text = self._generate(messages, stop, **kwargs).generations[0].text
        for word in re.findall(r"\S+\s*", text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word))
            if run_manager:
                run_manager.on_llm_new_token(word, chunk=chunk)
            yield chunk


class ScriptedJudge:
    """Answers key points from a script: one function per call, key point -> answer."""

    name = "scripted"
    level = "pixel"

    def __init__(self, script: list[Callable[[KeyPoint], str]]):
        self.script = script
        self.calls: list[dict[str, Any]] = []

    def judge(self, key_points: list[KeyPoint], image, layout, story=None) -> list[Verdict]:
        answer_for = self.script[min(len(self.calls), len(self.script) - 1)]
        self.calls.append({"key_points": key_points, "image": image, "layout": layout})
        return [Verdict(key_point=point, answer=answer_for(point), judge=self.name) for point in key_points]


class ScriptedCoherence:
    """Marks each chain with ``coherence_of(chain)`` (0.9 for every chain by default) and records the calls."""

    name = "scripted"

    def __init__(self, coherence_of: Callable[[ChainOfReasoning], float] = lambda chain: 0.9, threshold: float = 0.5):
        self.coherence_of, self.threshold = coherence_of, threshold
        self.calls: list[list[str]] = []

    def score(self, chains: list[ChainOfReasoning], context: str = "") -> list[ChainMark]:
        self.calls.append([str(chain) for chain in chains])
        marks = [(chain, self.coherence_of(chain)) for chain in chains]
        return [ChainMark(chain=str(chain), dimension=chain.dimension, coherence=value,
                          coherent=value >= self.threshold,
                          reason="" if value >= self.threshold else "scripted: does not follow")
                for chain, value in marks]


def story_json(**changes: Any) -> str:
    """A valid, rule-abiding story as the LLM would reply, with fields overridden."""
    story = {
        "title": "Last Bus in the Rain",
        "description": (
            "At a rainy bus stop at night, an old man in a wet raincoat holds a broken umbrella over a "
            "schoolgirl while the bus timetable sign glows above them. A small dog shivers beside a "
            "deep puddle, and the girl clutches a trophy."
        ),
        "location": "a bus stop in the city",
        "time": "a rainy night",
        "characters": [
            {"name": "old man", "role": "grandfather", "appearance": "wet raincoat, broken umbrella",
             "emotion": "worried", "action": "holding the umbrella over the girl"},
            {"name": "girl", "role": "student", "appearance": "school uniform, trophy",
             "emotion": "proud", "action": "clutching a trophy"},
        ],
        "objects": ["broken umbrella", "puddle", "trophy", "small dog"],
        "visible_text": [{"text": "LAST BUS 23:10", "on": "bus stop sign"}],
        "cors": [
            {"dimension": "time", "clues": ["LAST BUS 23:10 sign", "dark sky"], "conclusion": "it is late at night"},
            {"dimension": "character_relationship", "clues": ["old man", "umbrella over the girl"],
             "conclusion": "the old man is the girl's grandfather"},
            {"dimension": "event", "clues": ["trophy", "school uniform"],
             "conclusion": "the girl won a school competition today"},
            {"dimension": "mental_state", "clues": ["old man", "broken umbrella"],
             "conclusion": "the grandfather is worried they missed the last bus"},
        ],
        "painter_prompt": "A rainy bus stop at night, an old man shields a schoolgirl with a broken umbrella.",
    }
    story.update(changes)
    return json.dumps(story)
