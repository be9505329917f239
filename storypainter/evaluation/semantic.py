"""Semantic complexity stand-in: count a story's valid, distinct, visually grounded CoRs.

The paper's learned scorer is not public; this stand-in can be checked by hand.
A chain of reasoning (CoR) *counts* when it is

1. **valid**: every clue and the conclusion contain content words, and the conclusion is
   not a restatement of its clues: its content-word Jaccard similarity with each clue, and
   with all clues together, is below ``RESTATEMENT_SIMILARITY`` (so ``boy on stool -> the
   boy on the stool`` fails while ``SCHOOL ZONE sign -> near a school`` counts);
2. **visually grounded**: at least one clue shares a content word with something
   drawable: a character's name, role, appearance or action, an object, a visible text
   (its words or the surface it is on), or the description;
3. **distinct**: its conclusion is not a near-duplicate (content-word Jaccard similarity
   at least ``DUPLICATE_SIMILARITY``) of an already counted conclusion in the same
   dimension, so a repeated inference counts once;
4. **coherent**: when the chains' coherence marks are given (the critic and every
   evaluator give them: ``providers/judges/coherence``), its conclusion follows from its
   clues: coherence at least ``Context.coherence_threshold`` (0.5 by default). A
   well-formed chain like ``NINJA TIME -> this is a marathon day`` no longer counts.

At most ``CAP`` CoRs count per dimension::

    score = 100 * sum(min(count[d], CAP) for d in the 7 dimensions) / (7 * CAP)

so each counted CoR is worth 100 / 21 (about 4.76) points, and nothing else adds to it.
Content words are ``storypainter.text.content_words``: lower-cased words outside the shared
stop-word list, with a possessive ``'s`` dropped and plural endings folded (``puppies`` ->
``puppy``, ``boxes`` -> ``box``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from storypainter.schema import DIMENSIONS, ChainMark, ChainOfReasoning, Frozen, Story
from storypainter.text import content_words

CAP = 3
RESTATEMENT_SIMILARITY = 0.6
DUPLICATE_SIMILARITY = 0.6


class SemanticScore(Frozen):
    """The semantic complexity of one story and the reasons behind it."""

    score: float = Field(ge=0, le=100)
    per_dimension: dict[str, int] = Field(description="dimension -> valid distinct CoRs (before the cap)")
    valid_cors: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list, description="'CoR: reason' for each CoR that does not count")


def drawable_words(story: Story) -> set[str]:
    """Content words of everything the painter is asked to draw."""
    phrases = [story.description, *story.objects]
    for character in story.characters:
        phrases += [character.name, character.role, character.appearance, character.action]
    for text in story.visible_text:
        phrases += [text.text, text.on]
    return set().union(*(content_words(phrase) for phrase in phrases))


def _jaccard(left: set[str], right: set[str]) -> float:
    return len(left & right) / len(left | right) if left | right else 0.0


def _rejection(
    cor: ChainOfReasoning, counted: list[ChainOfReasoning], drawable: set[str], mark: ChainMark | None
) -> str | None:
    """Why ``cor`` does not count, or None when it does."""
    if mark is not None and not mark.coherent:
        return f"the conclusion does not follow from its clues (coherence {mark.coherence:.2f})"
    clue_words = [content_words(clue) for clue in cor.clues]
    conclusion = content_words(cor.conclusion)
    if not all(clue_words):
        return "a clue is empty"
    if not conclusion:
        return "the conclusion is empty"
    restated = max(_jaccard(conclusion, clue) for clue in [*clue_words, set().union(*clue_words)])
    if restated >= RESTATEMENT_SIMILARITY:
        return f"the conclusion restates its clues (word similarity {restated:.2f})"
    if not any(clue & drawable for clue in clue_words):
        return "no clue names anything drawn in the picture"
    for other in counted:
        if _jaccard(conclusion, content_words(other.conclusion)) >= DUPLICATE_SIMILARITY:
            return f"repeats '{other}'"
    return None


def _counted_and_rejected(
    story: Story, marks: Sequence[ChainMark] | None
) -> tuple[list[ChainOfReasoning], list[str]]:
    """The CoRs that count, in story order, and 'CoR: reason' for the rest."""
    if marks is not None and len(marks) != len(story.cors):
        raise ValueError(f"{len(marks)} coherence marks for {len(story.cors)} chains")
    drawable = drawable_words(story)
    counted: list[ChainOfReasoning] = []
    rejected: list[str] = []
    for index, cor in enumerate(story.cors):
        same_dimension = [other for other in counted if other.dimension == cor.dimension]
        reason = _rejection(cor, same_dimension, drawable, None if marks is None else marks[index])
        if reason is None:
            counted.append(cor)
        else:
            rejected.append(f"{cor}: {reason}")
    return counted, rejected


def _by_dimension(cors: list[ChainOfReasoning]) -> dict[str, list[str]]:
    return {dimension: [str(cor) for cor in cors if cor.dimension == dimension] for dimension in DIMENSIONS}


def coherent_share(marks: Sequence[ChainMark]) -> float | None:
    """The share of chains the coherence judge found coherent (None when none were judged)."""
    return sum(mark.coherent for mark in marks) / len(marks) if marks else None


def cors_per_dimension(story: Story, marks: Sequence[ChainMark] | None = None) -> dict[str, list[str]]:
    """The CoRs that count (valid, grounded, distinct, coherent) as strings per dimension: all 7 keys, uncapped."""
    counted, _ = _counted_and_rejected(story, marks)
    return _by_dimension(counted)


def semantic_score(story: Story, marks: Sequence[ChainMark] | None = None) -> SemanticScore:
    """Score ``story`` as the module docstring documents; ``marks``: one coherence mark per chain."""
    counted, rejected = _counted_and_rejected(story, marks)
    per_dimension = {dimension: len(cors) for dimension, cors in _by_dimension(counted).items()}
    capped_total = sum(min(count, CAP) for count in per_dimension.values())
    return SemanticScore(
        score=100.0 * capped_total / (len(DIMENSIONS) * CAP),
        per_dimension=per_dimension,
        valid_cors=[str(cor) for cor in counted],
        rejected=rejected,
    )
