"""Judge ``vlm:<provider string>``: a vision chat model looks at the picture and answers
YES or NO for each numbered key point.

Any LangChain chat model that takes images works (``vlm:openai:gpt-4.1-mini``,
``vlm:ollama:qwen2.5vl``, ...). The picture travels as a base64 data URI in an
``image_url`` content block. Answers may come one per line ("2. NO") or as JSON
(``["yes", "no"]`` or ``{"1": "yes"}``); a key point without a clear answer abstains.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from storypainter.errors import BackendError
from storypainter.evaluation.alignment import parse_verdict
from storypainter.prompts import render
from storypainter.schema import KeyPoint, RenderedImage, SceneLayout, Story, Verdict

NUMBERED_LINE = re.compile(r"^\W*(?:statement\s*)?(\d+)\s*[.):\-]\s*(.*)$", re.IGNORECASE | re.MULTILINE)
FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def data_uri(path: Path) -> str:
    mime = MIME_TYPES.get(path.suffix.lower(), "image/png")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def question(key_points: list[KeyPoint], image_path: Path) -> HumanMessage:
    statements = "\n".join(f"{number}. {point.text}" for number, point in enumerate(key_points, start=1))
    return HumanMessage(
        content=[
            {"type": "text", "text": render("vlm_judge", statements=statements)},
            {"type": "image_url", "image_url": {"url": data_uri(image_path)}},
        ]
    )


def as_answer_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def answers_from_json(text: str) -> dict[int, str]:
    """Numbered answers from ``["yes", "no"]``, ``{"1": "yes"}`` or ``{"answers": [...]}``; {} if not JSON."""
    try:
        data = json.loads(FENCE.sub("", text.strip()))
    except ValueError:
        return {}
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
        data = next(iter(data.values()))
    if isinstance(data, list):
        return {number: as_answer_text(value) for number, value in enumerate(data, start=1)}
    if isinstance(data, dict):
        return {int(key): as_answer_text(value) for key, value in data.items() if str(key).strip().isdigit()}
    return {}


def answers_from_lines(text: str, count: int) -> dict[int, str]:
    """Numbered lines ("2. NO"), else plain lines when there is exactly one per key point."""
    numbered = {int(number): rest for number, rest in NUMBERED_LINE.findall(text)}
    if numbered:
        return numbered
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return dict(enumerate(lines, start=1)) if len(lines) == count else {}


def parse_answers(text: str, count: int) -> dict[int, str]:
    return answers_from_json(text) or answers_from_lines(text, count)


class VlmJudge:
    """Asks a vision chat model about the rendered picture, one YES/NO per key point.

    ``load_model`` is called on first use, not while the registry builds this judge.
    """

    level = "vlm"

    def __init__(self, provider: str, load_model: Callable[[], Any]) -> None:
        self.name = f"vlm:{provider}"
        self.load_model = load_model

    @cached_property
    def model(self) -> Any:
        return self.load_model()

    def judge(
        self, key_points: list[KeyPoint], image: RenderedImage | None, layout: SceneLayout, story: Story | None = None
    ) -> list[Verdict]:
        if not key_points:
            return []
        if image is None:
            return [self._verdict(point, "") for point in key_points]
        path = Path(image.path)
        if not path.is_file():
            raise BackendError(f"judge '{self.name}': picture not found: {path}")
        reply = self.model.invoke([question(key_points, path)])
        answers = parse_answers(reply.text, len(key_points))
        return [self._verdict(point, answers.get(number, "")) for number, point in enumerate(key_points, start=1)]

    def _verdict(self, point: KeyPoint, said: str) -> Verdict:
        answer = parse_verdict(said) if said.strip() else "abstain"
        return Verdict(key_point=point, answer=answer, judge=self.name, level="vlm", evidence=said.strip()[:200])
