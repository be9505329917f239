"""Objects: a simple icon for known things, else a labelled box; the name under each."""

from __future__ import annotations

import math

from storypainter.providers.painters.storyboard.canvas import (
    INK,
    SHIRT_COLORS,
    Canvas,
    Color,
    Rect,
    caption_under,
    mix,
    pick,
    shade,
    text_block,
)
from storypainter.providers.painters.storyboard.vocabulary import word_set
from storypainter.schema import LayoutEntity, SceneLayout


def paint_object(canvas: Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
    """A simple icon for known objects, else a labelled rounded box; the name under it."""
    x0, y0, x1, y1 = canvas.rect(entity.box)
    icon = next((name for name in OBJECT_ICONS if name in word_set(entity.label)), None)
    if icon is None:
        fill = pick(SHIRT_COLORS, entity.label)
        canvas.draw.rounded_rectangle(
            (x0 + 2, y0 + 2, x1 - 2, y1 - 2),
            radius=8 * canvas.unit,
            fill=mix(fill, (255, 255, 255), 0.55),
            outline=shade(fill, 0.6),
            width=max(2, round(3 * canvas.unit)),
        )
        text_block(canvas, entity.label, (x0 + 6, y0 + 4, x1 - 6, y1 - 4), canvas.text_size(16))
        return f"object: {entity.label} (labelled box)"
    label_height = min(canvas.text_size(13) * 1.25, (y1 - y0) * 0.45)
    OBJECT_ICONS[icon](canvas, (x0 + 2, y0 + 2, x1 - 2, y1 - label_height))
    caption_under(canvas, entity.label, (x0, y0, x1, y1), label_height)
    return f"object: {entity.label} (icon: {icon})"


def _icon_puddle(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    canvas.draw.ellipse((x0, y0, x1, y1), fill=(90, 130, 190, 220), outline=(50, 80, 130), width=2)
    canvas.draw.arc(
        (x0 + (x1 - x0) * 0.3, y0 + (y1 - y0) * 0.25, x0 + (x1 - x0) * 0.7, y0 + (y1 - y0) * 0.75),
        190,
        350,
        fill=(210, 230, 255),
        width=2,
    )


def _icon_umbrella(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    middle = (x0 + x1) / 2
    canvas.draw.pieslice((x0, y0, x1, y0 + (y1 - y0) * 0.8), 180, 360, fill=(40, 40, 60))
    canvas.draw.line((middle, y0 + (y1 - y0) * 0.4, middle, y1), fill=INK, width=3)
    canvas.draw.arc((middle - 8, y1 - 10, middle, y1), 0, 180, fill=INK, width=3)


def _disc(canvas: Canvas, area: Rect, fill: Color, outline_width: int) -> tuple[float, float, float]:
    """A filled circle as big as fits, standing on the bottom of the area; returns its centre and size."""
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, y1 - size / 2
    canvas.draw.ellipse(
        (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), fill=fill, outline=INK, width=outline_width
    )
    return cx, cy, size


def _icon_ball(canvas: Canvas, area: Rect) -> None:
    cx, cy, size = _disc(canvas, area, (230, 70, 60), 2)
    canvas.draw.line((cx - size / 2, cy, cx + size / 2, cy), fill=(255, 255, 255), width=3)


def _icon_bench(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    height = y1 - y0
    wood = (150, 100, 56)
    canvas.draw.rectangle((x0, y0 + height * 0.2, x1, y0 + height * 0.4), fill=wood, outline=INK)
    canvas.draw.rectangle((x0, y0 + height * 0.55, x1, y0 + height * 0.68), fill=wood, outline=INK)
    for leg_x in (x0 + (x1 - x0) * 0.1, x1 - (x1 - x0) * 0.1):
        canvas.draw.rectangle((leg_x - 3, y0 + height * 0.68, leg_x + 3, y1), fill=(60, 60, 66))


def _icon_tree(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    middle = (x0 + x1) / 2
    canvas.draw.rectangle(
        (middle - (x1 - x0) * 0.08, y0 + (y1 - y0) * 0.55, middle + (x1 - x0) * 0.08, y1), fill=(110, 76, 48)
    )
    canvas.draw.ellipse(
        (x0 + (x1 - x0) * 0.1, y0, x1 - (x1 - x0) * 0.1, y0 + (y1 - y0) * 0.65),
        fill=(60, 140, 64),
        outline=(30, 80, 40),
        width=2,
    )


def _icon_bag(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx = (x0 + x1) / 2
    canvas.draw.arc((cx - size * 0.22, y1 - size, cx + size * 0.22, y1 - size * 0.5), 180, 360, fill=INK, width=3)
    corner = min(5, max(0, math.floor(size * 0.375) - 1))  # whole pixels: Pillow refuses a corner near half the bag
    bag = (cx - size * 0.42, y1 - size * 0.75, cx + size * 0.42, y1)
    canvas.draw.rounded_rectangle(bag, radius=corner, fill=(180, 60, 60), outline=INK, width=2)


def _icon_cup(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0) * 0.8
    cx = (x0 + x1) / 2
    canvas.draw.arc((cx + size * 0.15, y1 - size * 0.75, cx + size * 0.6, y1 - size * 0.3), 270, 90, fill=INK, width=3)
    canvas.draw.rectangle(
        (cx - size * 0.35, y1 - size * 0.85, cx + size * 0.35, y1), fill=(250, 250, 250), outline=INK, width=2
    )


def _icon_book(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx = (x0 + x1) / 2
    canvas.draw.rectangle(
        (cx - size * 0.45, y1 - size * 0.6, cx + size * 0.45, y1), fill=(60, 90, 170), outline=INK, width=2
    )
    canvas.draw.line((cx, y1 - size * 0.6, cx, y1), fill=(250, 250, 250), width=2)


def _icon_clock(canvas: Canvas, area: Rect) -> None:
    cx, cy, size = _disc(canvas, area, (250, 250, 246), 3)
    canvas.draw.line((cx, cy, cx, cy - size * 0.35), fill=INK, width=3)
    canvas.draw.line((cx, cy, cx + size * 0.25, cy), fill=INK, width=3)


OBJECT_ICONS = {
    "puddle": _icon_puddle,
    "umbrella": _icon_umbrella,
    "ball": _icon_ball,
    "bench": _icon_bench,
    "tree": _icon_tree,
    "plant": _icon_tree,
    "bag": _icon_bag,
    "backpack": _icon_bag,
    "suitcase": _icon_bag,
    "cup": _icon_cup,
    "mug": _icon_cup,
    "book": _icon_book,
    "clock": _icon_clock,
}
