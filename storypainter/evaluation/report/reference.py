"""The human reference: annotated scenes scored by the same evaluators as the systems.

A corpus in CogBench format (the project's seed corpus by default, or a user's CogBench
copy) is loaded by ``memory.corpus``; each record becomes a Story
(``story_from_example``: its chains of reasoning, its entities as the drawn objects, its
description) and gets the same ``semantic_score`` as a generated story. Diversity embeds
the descriptions with the same embedder. Because a story's diversity is its distance to
its k nearest neighbours, a large set looks less diverse than a small one of the same
kind; ``match_size`` therefore scores random subsets of the systems' set size
(``SUBSET_DRAWS`` of them, seeded) and keeps each subset's diversity. A record has no
picture, so there is no alignment, rule check or time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import Field

from storypainter.errors import ConfigError
from storypainter.evaluation.diversity import DiversityResult, diversity_scores
from storypainter.evaluation.report.loading import embed_texts
from storypainter.evaluation.semantic import SemanticScore, coherent_share, semantic_score
from storypainter.memory.corpus import load_corpus, story_from_example
from storypainter.schema import ChainMark, Frozen, Story
from storypainter.text import words

SUBSET_DRAWS = 200


class ReferenceItem(Frozen):
    """One annotated scene as a story, with its scores."""

    id: str
    story: Story
    semantic: SemanticScore
    words: int
    chains: list[ChainMark] = Field(default_factory=list, description="coherence per chain, when judged")

    @property
    def coherent_share(self) -> float | None:
        return coherent_share(self.chains)


class Reference(Frozen):
    """A human reference set: its stories, the set's diversity and, when matched, subset diversities."""

    source: str
    label: str = Field(description="how tables name it, e.g. 'human: seed'")
    items: list[ReferenceItem]
    diversity: DiversityResult = Field(description="over the whole set; per-item values align with items")
    embedder: str
    subset_size: int = Field(default=0, description="the systems' set size the diversity is matched to (0: none)")
    subset_diversities: list[float] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


def reference_label(source: str) -> str:
    return f"human: {source if source == 'seed' else Path(source).stem}"


def subset_diversities(vectors: np.ndarray, size: int, k: int, draws: int = SUBSET_DRAWS, seed: int = 0) -> list[float]:
    """The diversity of ``draws`` random subsets of ``size`` rows (seeded, without replacement)."""
    rng = np.random.default_rng(seed)
    return [diversity_scores(vectors[rng.choice(len(vectors), size, replace=False)], k=k).mean for _ in range(draws)]


def load_reference(source: str = "seed", embedder: str = "minilm", k: int = 5, match_size: int = 0,
                   mark_chains: Callable[[Story], list[ChainMark]] | None = None) -> Reference:
    """Score a CogBench-format corpus (``seed`` or a path) as the human reference (coherent chains only
    when ``mark_chains``, the coherence judge, is given)."""
    corpus = load_corpus(source)
    if not corpus.examples:
        raise ConfigError(f"reference {source}: no usable records ({len(corpus.problems)} malformed)")
    stories = [story_from_example(example) for example in corpus.examples]
    marks = [mark_chains(story) if mark_chains else None for story in stories]
    items = [
        ReferenceItem(id=example.id, story=story, semantic=semantic_score(story, chains),
                      words=len(words(story.description)), chains=chains or [])
        for example, story, chains in zip(corpus.examples, stories, marks, strict=True)
    ]
    vectors = np.asarray(embed_texts([story.description for story in stories], embedder), dtype=np.float32)
    matched = 2 <= match_size < len(items)
    return Reference(
        source=source,
        label=reference_label(source),
        items=items,
        diversity=diversity_scores(vectors, k=k),
        embedder=embedder,
        subset_size=match_size if matched else 0,
        subset_diversities=subset_diversities(vectors, match_size, k) if matched else [],
        problems=corpus.problems,
    )
