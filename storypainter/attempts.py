"""An attempt's story files and its one seed scheme.

An attempt is opened by the storyteller (a new story) or by the painter (a rerender of
the same story with emphasis), and a reviewer's edit replaces its story; all three go
through ``open_attempt``, so the folder layout and the seed of a layout and its picture
are decided here alone. Other nodes only add their own product to the folder
(prompt.json, image.png, critique.json).
"""

from __future__ import annotations

from storypainter.agent.context import SEED_STRIDE
from storypainter.layout import compose_layout
from storypainter.runs import attempt_dir, write_json
from storypainter.schema import SceneLayout, Story


def attempt_seed(run_seed: int, number: int) -> int:
    """The seed of attempt ``number``'s layout and picture."""
    return run_seed * SEED_STRIDE + number


def open_attempt(run_dir: str, number: int, story: Story, run_seed: int, emphasis: list[str] | None = None
                 ) -> SceneLayout:
    """Compose the attempt's layout and write story.json and layout.json; returns the layout."""
    layout = compose_layout(story, emphasis=emphasis or [], seed=attempt_seed(run_seed, number))
    folder = attempt_dir(run_dir, number)
    write_json(folder / "story.json", story)
    write_json(folder / "layout.json", layout)
    return layout
