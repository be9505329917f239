"""The offline storyboard painter: draws a SceneLayout as a readable cartoon with Pillow only.

Backgrounds follow the place, indoor/outdoor, time of day and weather; people are simple
figures whose faces show their emotion and whose hats, clothes and name plates show their
role; animals, objects and signs are drawn in their boxes. Same layout + seed, same pixels.

One module per thing drawn: ``scenery`` (sky, weather, city, nature, water, rooms),
``signs`` (title strip, sign boards), ``objects`` (icons and labelled boxes), ``animals``,
``figures`` (people) and ``faces`` (expressions, hats), on top of ``canvas`` (sizes,
palettes, text fitting) and ``vocabulary`` (the word tables); ``painter`` puts them together.
"""

from storypainter.providers.painters.storyboard.painter import StoryboardPainter, render_storyboard
from storypainter.providers.painters.storyboard.vocabulary import expression_for

__all__ = ["StoryboardPainter", "expression_for", "render_storyboard"]
