"""Written words in the picture: the title strip and sign boards with large, wrapped text."""

from __future__ import annotations

from storypainter.layout import GROUND_Y
from storypainter.providers.painters.storyboard.canvas import (
    INK,
    TITLE_STRIP_HEIGHT,
    Canvas,
    fit_text,
    printable,
    text_block,
)
from storypainter.schema import Box, DrawnItem, LayoutEntity, SceneLayout


def paint_title_strip(canvas: Canvas, layout: SceneLayout) -> DrawnItem:
    strip_height = TITLE_STRIP_HEIGHT * canvas.height
    canvas.draw.rectangle((0, 0, canvas.width, strip_height), fill=(24, 24, 34, 230))
    middle = strip_height / 2
    title_font = fit_text(
        canvas.draw, printable(layout.title), canvas.width * 0.55, strip_height, canvas.text_size(22)
    )[1]
    canvas.draw.text(
        (10 * canvas.unit, middle),
        printable(layout.title),
        font=title_font,
        fill=(255, 255, 255),
        anchor="lm",
        stroke_width=1,
        stroke_fill=(255, 255, 255),
    )
    subtitle = " | ".join(part for part in (layout.time_label, layout.background) if part)
    lines, font, _ = fit_text(
        canvas.draw, printable(subtitle), canvas.width * 0.4, strip_height * 0.5, canvas.text_size(15), min_size=10
    )
    canvas.draw.text(
        (canvas.width - 10 * canvas.unit, middle), " ".join(lines), font=font, fill=(226, 226, 236), anchor="rm"
    )
    details = f"title: {layout.title}; time: {layout.time_label}; place: {layout.background}"
    return DrawnItem(label=layout.title, kind="title", box=Box(x=0, y=0, w=1, h=TITLE_STRIP_HEIGHT), details=details)


def paint_sign(canvas: Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
    """A board with large, wrapped text: on a post outdoors, on the wall indoors; its name under it."""
    x0, y0, x1, y1 = canvas.rect(entity.box)
    caption_height = canvas.text_size(12) * 1.25
    board_bottom = y1 - caption_height
    if not layout.indoor:
        post = 4 * canvas.unit
        middle = (x0 + x1) / 2
        canvas.draw.rectangle((middle - post, board_bottom, middle + post, GROUND_Y * canvas.height), fill=(70, 74, 84))
    shadow = 4 * canvas.unit
    canvas.draw.rounded_rectangle(
        (x0 + shadow, y0 + shadow, x1 + shadow, board_bottom + shadow), radius=6 * canvas.unit, fill=(0, 0, 0, 70)
    )
    canvas.draw.rounded_rectangle(
        (x0, y0, x1, board_bottom),
        radius=6 * canvas.unit,
        fill=(252, 250, 240),
        outline=(30, 70, 140),
        width=max(2, round(4 * canvas.unit)),
    )
    padding = 9 * canvas.unit
    text_block(
        canvas, entity.text, (x0 + padding, y0 + padding, x1 - padding, board_bottom - padding), canvas.text_size(40)
    )
    text_block(
        canvas, entity.label, (x0, board_bottom, x1, y1), canvas.text_size(12), fill=(255, 255, 255), stroke=INK
    )
    return f"text: {entity.text}; on: {entity.label}"
