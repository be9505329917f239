"""The canvas being painted: sizes, palettes, colour helpers, text fitting and drawing, the emphasis highlight."""

from __future__ import annotations

import math
import random
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from storypainter.schema import Box

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont


Color = tuple[int, ...]
Rect = tuple[float, float, float, float]
TITLE_STRIP_HEIGHT = 0.075
HORIZON = 0.62
FLOOR_LINE = 0.66
INK = (35, 32, 40)
MIN_FONT_SIZE = 9
HIGHLIGHT = (255, 196, 0)
SKY: dict[str, tuple[Color, Color]] = {
    "dawn": ((92, 100, 168), (250, 188, 150)),
    "day": ((84, 154, 228), (196, 226, 250)),
    "dusk": ((50, 46, 108), (244, 138, 88)),
    "night": ((6, 10, 32), (32, 42, 82)),
}
LIGHT_LEVEL = {"dawn": 0.85, "day": 1.0, "dusk": 0.72, "night": 0.45}
WALL_COLORS: tuple[Color, ...] = ((236, 222, 196), (214, 228, 220), (226, 214, 232), (240, 230, 206))
SKIN_TONES: tuple[Color, ...] = ((250, 214, 180), (232, 184, 140), (198, 140, 96), (141, 94, 62))
HAIR_COLORS: tuple[Color, ...] = ((60, 40, 28), (28, 24, 24), (140, 92, 40), (196, 150, 80))
SHIRT_COLORS: tuple[Color, ...] = (
    (200, 70, 70),
    (70, 120, 200),
    (80, 160, 100),
    (220, 150, 60),
    (150, 90, 170),
    (60, 160, 170),
    (200, 110, 150),
    (120, 120, 130),
)
TROUSER_COLORS: tuple[Color, ...] = ((50, 60, 90), (80, 70, 60), (60, 60, 64), (90, 80, 110))
ASCII_FALLBACKS = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "*"})


@dataclass
class Canvas:
    """The image being painted, its drawing context, size and random source."""

    image: Image.Image
    draw: ImageDraw.ImageDraw
    width: int
    height: int
    rng: random.Random
    unit: float  # scale for strokes and fonts: 1.0 in a 512 pixel tall picture

    @classmethod
    def blank(cls, width: int, height: int, rng: random.Random, unit: float | None = None) -> Canvas:
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (width, height), (255, 255, 255))
        return cls(image, ImageDraw.Draw(image, "RGBA"), width, height, rng, unit or height / 512)

    def text_size(self, points: float) -> int:
        """A font size for a 512 pixel tall picture, scaled to this one but never below legibility."""
        return max(MIN_FONT_SIZE, round(points * self.unit))

    def rect(self, box: Box) -> Rect:
        return (box.x * self.width, box.y * self.height, (box.x + box.w) * self.width, (box.y + box.h) * self.height)


@dataclass
class Figure:
    """Where the parts of a standing person go, in pixels."""

    cx: float
    r: float
    head_y: float
    shoulder_y: float
    hip_y: float
    feet_y: float
    line: int


@lru_cache(maxsize=64)
def load_font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=max(size, 6))


def printable(text: str) -> str:
    """Text the default font can show: typographic punctuation and accents folded to ASCII."""
    text = text.translate(ASCII_FALLBACKS)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(char for char in folded if not unicodedata.combining(char))


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def _largest_fitting(low: int, high: int, fits: Callable[[int], bool]) -> int:
    """The largest n in [low, high] with fits(n), or low when none fits (fits must not grow back with n)."""
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def fit_text(
    draw: ImageDraw.ImageDraw, text: str, width: float, height: float, max_size: int, min_size: int = 8
) -> tuple[list[str], ImageFont.FreeTypeFont, float]:
    """The largest font size (and its wrapped lines and line height) at which text fits the area."""

    def layout(size: int) -> tuple[list[str], ImageFont.FreeTypeFont, float]:
        font = load_font(size)
        return _wrap(draw, text, font, width), font, size * 1.15

    def fits(size: int) -> bool:
        lines, font, line_height = layout(size)
        return all(draw.textlength(line, font=font) <= width for line in lines) and len(lines) * line_height <= height

    return layout(_largest_fitting(min(min_size, max_size), max_size, fits))


def text_block(
    canvas: Canvas, text: str, area: Rect, max_size: int, fill: Color = INK, stroke: Color | None = None
) -> None:
    """Centre text in the area, wrapped and shrunk to fit."""
    x0, y0, x1, y1 = area
    lines, font, line_height = fit_text(canvas.draw, printable(text), x1 - x0, y1 - y0, max_size)
    top = (y0 + y1) / 2 - len(lines) * line_height / 2
    stroke_width = max(1, round(canvas.unit * 2)) if stroke else 0
    for index, line in enumerate(lines):
        position = ((x0 + x1) / 2, top + (index + 0.5) * line_height)
        canvas.draw.text(
            position, line, font=font, fill=fill, anchor="mm", stroke_width=stroke_width, stroke_fill=stroke
        )


def plate(canvas: Canvas, lines: list[tuple[str, int]], center_x: float, bottom: float, max_width: float) -> None:
    """A white name plate with one line per (text, size), bottom-aligned and centred; long lines are cut short."""
    fitted = [_one_line(canvas.draw, printable(text), max_width - 8, size) for text, size in lines]
    text_width = max(canvas.draw.textlength(text, font=font) for text, font in fitted)
    half = (text_width + 8) / 2
    top = bottom - sum(font.size * 1.2 for _, font in fitted) - 4
    canvas.draw.rounded_rectangle(
        (center_x - half, top, center_x + half, bottom), radius=4, fill=(255, 255, 255, 225), outline=(90, 90, 100)
    )
    y = top + 2
    for text, font in fitted:
        canvas.draw.text((center_x, y + font.size * 0.6), text, font=font, fill=INK, anchor="mm")
        y += font.size * 1.2


def _one_line(draw: ImageDraw.ImageDraw, text: str, width: float, size: int) -> tuple[str, ImageFont.FreeTypeFont]:
    """Text on one line within width: the font shrinks to the legibility floor, then the text is cut with '...'."""
    points = _largest_fitting(
        min(MIN_FONT_SIZE, size), size, lambda points: draw.textlength(text, font=load_font(points)) <= width
    )
    font = load_font(points)
    if draw.textlength(text, font=font) <= width:
        return text, font
    kept = _largest_fitting(1, len(text) - 1, lambda count: draw.textlength(f"{text[:count]}...", font=font) <= width)
    return f"{text[:kept].rstrip()}...", font


def pick(options: tuple, key: str):
    """A stable choice from options for a key (crc32, not the salted built-in hash)."""
    return options[zlib.crc32(key.encode()) % len(options)]


def shade(color: Color, factor: float) -> Color:
    return tuple(max(0, min(255, round(channel * factor))) for channel in color[:3])


def mix(first: Color, second: Color, share: float) -> Color:
    return tuple(round(a + (b - a) * share) for a, b in zip(first[:3], second[:3], strict=False))


def highlight(canvas: Canvas, rect: Rect) -> None:
    """A bright outline and a '!' badge that mark an emphasised entity."""
    x0, y0, x1, y1 = rect
    width = max(2, round(4 * canvas.unit))
    canvas.draw.rounded_rectangle(
        (x0 - width, y0 - width, x1 + width, y1 + width), radius=8 * canvas.unit, outline=INK, width=1
    )
    canvas.draw.rounded_rectangle(
        (x0 - width + 1, y0 - width + 1, x1 + width - 1, y1 + width - 1),
        radius=8 * canvas.unit,
        outline=HIGHLIGHT,
        width=width,
    )
    radius = 9 * canvas.unit
    badge_x, badge_y = min(x1, canvas.width - radius), max(y0, radius)
    canvas.draw.ellipse(
        (badge_x - radius, badge_y - radius, badge_x + radius, badge_y + radius), fill=HIGHLIGHT, outline=INK
    )
    canvas.draw.text((badge_x, badge_y), "!", font=load_font(canvas.text_size(14)), fill=INK, anchor="mm")


def ordered(x0: float, y0: float, x1: float, y1: float) -> Rect:
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def star(canvas: Canvas, x: float, y: float, radius: float, color: Color) -> None:
    points = []
    for index in range(10):
        distance = radius if index % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((x + distance * math.cos(angle), y + distance * math.sin(angle)))
    canvas.draw.polygon(points, fill=color, outline=INK)


def caption_under(canvas: Canvas, label: str, rect: Rect, label_height: float) -> None:
    """The name of an icon or animal in white outlined letters along the bottom of its box."""
    x0, _, x1, y1 = rect
    area = (x0 - 4, y1 - label_height, x1 + 4, y1)
    text_block(canvas, label, area, canvas.text_size(13), fill=(255, 255, 255), stroke=INK)
