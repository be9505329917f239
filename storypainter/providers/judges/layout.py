"""The ``layout`` judge: a verdict per key point against what the painter reports drawing.

This is a layout-level check, not a pixel-level one: it reads the painter's manifest
(or the scene layout) and asks whether each of the key point's visible clues is there,
by shared content words or embedding similarity. Every verdict says ``level: layout``.
"""

from __future__ import annotations

import numpy as np

from storypainter.schema import KeyPoint, RenderedImage, SceneLayout, Story, Verdict
from storypainter.text import content_words

SIMILARITY_THRESHOLD = 0.55
MATCHED_SHARE = 0.5


def drawn_facts(image: RenderedImage | None, layout: SceneLayout) -> list[str]:
    """What the picture shows, as short phrases: the painter's manifest, else the layout."""
    if image is not None and image.manifest:
        return [f"{item.label} {item.details}".strip() for item in image.manifest]
    facts = [f"{layout.background} {layout.time_label} {layout.time_of_day} {layout.weather}"]
    for entity in layout.entities:
        facts.append(
            " ".join(part for part in (entity.label, entity.role, entity.emotion, entity.action, entity.text) if part)
        )
    return facts


def split_clues(point: KeyPoint) -> list[str]:
    clues = [clue.strip() for clue in point.clue.split("+") if clue.strip()]
    return clues or [point.text]


class LayoutJudge:
    """Judges key points against the drawn layout with words plus embedding similarity."""

    name = "layout"
    level = "layout"

    def __init__(self, embedder):
        self.embedder = embedder

    def judge(
        self, key_points: list[KeyPoint], image: RenderedImage | None, layout: SceneLayout, story: Story | None = None
    ) -> list[Verdict]:
        facts = drawn_facts(image, layout)
        clue_lists = [split_clues(point) for point in key_points]
        all_clues = [clue for clues in clue_lists for clue in clues]
        similarity = self._similarity(all_clues, facts)
        verdicts, row = [], 0
        for point, clues in zip(key_points, clue_lists, strict=True):
            found = [self._match(clue, facts, similarity[row + index]) for index, clue in enumerate(clues)]
            row += len(clues)
            verdicts.append(self._verdict(point, clues, found))
        return verdicts

    def _similarity(self, clues: list[str], facts: list[str]) -> np.ndarray:
        if not clues or not facts:
            return np.zeros((len(clues), len(facts)), dtype=np.float32)
        vectors = self.embedder.encode(clues + facts)
        return vectors[: len(clues)] @ vectors[len(clues) :].T

    @staticmethod
    def _match(clue: str, facts: list[str], similarities: np.ndarray) -> str | None:
        words = content_words(clue)
        for fact in facts:
            if words & content_words(fact):
                return f"'{clue}' ~ drawn '{fact}' (shared words)"
        if len(similarities) and float(similarities.max()) >= SIMILARITY_THRESHOLD:
            best = int(similarities.argmax())
            return f"'{clue}' ~ drawn '{facts[best]}' (similarity {float(similarities[best]):.2f})"
        return None

    def _verdict(self, point: KeyPoint, clues: list[str], found: list[str | None]) -> Verdict:
        matched = [evidence for evidence in found if evidence]
        answer = "yes" if len(matched) / len(clues) >= MATCHED_SHARE else "no"
        missing = [clue for clue, evidence in zip(clues, found, strict=True) if not evidence]
        evidence = "; ".join(matched + [f"'{clue}' not drawn" for clue in missing])
        return Verdict(key_point=point, answer=answer, judge=self.name, level="layout", evidence=evidence)
