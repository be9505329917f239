"""The content rule: no offensive language anywhere a viewer or a reader meets it.

The classifier is alt-profanity-check's (a linear model trained on labelled offensive text,
shipped inside the package: the ``safety`` extra). Each text a story shows or says (title,
description, characters, visible texts, chains of reasoning, painter prompt) is
scored on its own; one at or above ``OFFENSIVE_PROBABILITY`` flags the story, and the critic
sends it back to the storyteller. Without the extra the rule is skipped, said once on stderr,
never faked.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

from storypainter.schema import Story

# "Under a Fucked Up Bed" scores 0.997 and "Damn the rain" 0.65. The classifier is noisy on
# short harmless texts ("hoe", "eyes shut", "pig"): over the 1,190 stories of the teacher and
# seed corpora, 0.8 flagged 40 and 0.95 flags 3 (objects, single nouns, are left out: they
# appear in the description with their context).
OFFENSIVE_PROBABILITY = 0.95


def story_texts(story: Story) -> dict[str, str]:
    """Where each text appears -> the text."""
    texts = {"title": story.title, "description": story.description, "painter_prompt": story.painter_prompt}
    for index, character in enumerate(story.characters):
        texts[f"characters.{index}"] = " ".join(
            [character.name, character.role, character.appearance, character.action]
        )
    texts |= {f"visible_text.{index}": item.text for index, item in enumerate(story.visible_text)}
    texts |= {f"cors.{index}": str(chain) for index, chain in enumerate(story.cors)}
    return texts


@cache
def classifier() -> Callable[[list[str]], list[float]] | None:
    try:
        from profanity_check import predict_prob
    except ImportError:
        print("storypainter: content rule skipped: the offensive-language classifier is not installed "
              "(pip install 'storypainter[safety]')", file=sys.stderr)
        return None
    return lambda texts: [float(value) for value in predict_prob(texts)]


def offensive_texts(story: Story) -> list[tuple[str, str, float]] | None:
    """(where, text, probability) of each flagged text; None when the classifier is not installed."""
    predict = classifier()
    if predict is None:
        return None
    texts = story_texts(story)
    scores = predict(list(texts.values()))
    return [(where, text, score) for (where, text), score in zip(texts.items(), scores, strict=True)
            if score >= OFFENSIVE_PROBABILITY]
