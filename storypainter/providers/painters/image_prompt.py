"""The text prompt an image model gets: the story's painter prompt, led by what must be emphasised.

On a rerender the layout marks the entities the last picture missed (``emphasis=True``);
they go first, so that a text encoder with a short window (CLIP: 77 tokens) keeps them.
"""

from __future__ import annotations

from storypainter.prompts import render
from storypainter.schema import LayoutEntity, SceneLayout, Story


def describe_entity(entity: LayoutEntity) -> str:
    """'old man, worried, holding the umbrella' or 'bus stop sign reading "LAST BUS"'."""
    parts = [entity.label, entity.emotion, entity.action]
    if entity.text:
        parts.append(f'reading "{entity.text}"')
    return ", ".join(part.strip() for part in parts if part.strip())


def image_prompt(story: Story, layout: SceneLayout) -> str:
    emphasised = [describe_entity(entity) for entity in layout.entities if entity.emphasis]
    if not emphasised:
        return story.painter_prompt
    return render("image_emphasis", emphasis="; ".join(emphasised), prompt=story.painter_prompt)
