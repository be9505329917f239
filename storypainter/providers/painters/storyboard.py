"""The offline storyboard painter: draws a SceneLayout as a readable cartoon with Pillow only.

Backgrounds follow the place, indoor/outdoor, time of day and weather; people are simple
figures whose faces show their emotion and whose hats, clothes and name plates show their
role; animals, objects and signs are drawn in their boxes. Same layout + seed, same pixels.
"""

from __future__ import annotations

import io
import math
import pathlib
import random
import re
import time
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from storypainter.layout import CHILD_WORDS, GROUND_Y, animal_species
from storypainter.runs import atomic_write_bytes
from storypainter.schema import Box, DrawnItem, LayoutEntity, RenderedImage, SceneLayout, Story

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

Color = tuple[int, ...]
Rect = tuple[float, float, float, float]

TITLE_STRIP_HEIGHT = 0.075
PNG_COMPRESS_LEVEL = 3  # flat storyboard colours: level 6 gives ~8% smaller files for ~1.5x the time
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
SCENERY_WORDS: dict[str, str] = {
    "water": "beach sea lake river harbor harbour pier shore island dock coast port",
    "urban": "street city bus stop station town road alley square market sidewalk crossing parking shop highway bridge",
}
ROOM_FEATURES: dict[str, str] = {
    "blackboard": "classroom school lecture",
    "shelves": "library shop store supermarket bookstore pharmacy office",
    "counter": "kitchen bakery cafe restaurant canteen diner",
}
WALL_COLORS: tuple[Color, ...] = ((236, 222, 196), (214, 228, 220), (226, 214, 232), (240, 230, 206))

EXPRESSION_WORDS: dict[str, str] = {
    "happy": "happy joyful cheerful excited delighted glad proud amused content relieved hopeful playful grateful "
    "loving smiling laughing pleased thrilled elated",
    "sad": "sad unhappy upset crying lonely heartbroken disappointed gloomy miserable grieving tearful homesick "
    "sorrowful hurt",
    "angry": "angry furious mad annoyed irritated frustrated grumpy cross indignant outraged jealous",
    "surprised": "surprised shocked astonished amazed startled stunned curious",
    "afraid": "afraid scared frightened terrified fearful panicked alarmed horrified",
    "worried": "worried anxious nervous concerned uneasy tense impatient stressed embarrassed guilty ashamed confused",
    "sleepy": "sleepy tired exhausted bored weary drowsy sleeping",
    "calm": "calm neutral relaxed peaceful focused thoughtful daydreaming absorbed serene determined",
}
ROLE_CUES: dict[str, str] = {
    "police cap": "police policeman policewoman officer cop sheriff security guard",
    "peaked cap": "driver pilot conductor captain postman mail courier sailor porter",
    "nurse cap": "nurse",
    "white coat": "doctor scientist vet pharmacist dentist surgeon",
    "chef hat": "chef cook baker",
    "apron": "chef cook baker waiter waitress shopkeeper cashier barista vendor butcher seller clerk grocer",
    "hard hat": "builder construction engineer plumber electrician miner",
    "fire helmet": "firefighter fireman",
    "straw hat": "farmer gardener fisherman fisher",
    "crown": "king queen prince princess",
    "school uniform": "student pupil schoolgirl schoolboy school",
    "tie": "businessman businesswoman manager boss lawyer clerk teacher professor",
    "top hat": "magician gentleman",
    "grey hair": "old elderly grandfather grandmother grandpa grandma granny retired pensioner aged",
    "glasses": "teacher professor librarian scientist glasses spectacles",
}
HATS = ("police cap", "peaked cap", "nurse cap", "chef hat", "hard hat", "fire helmet", "straw hat", "crown", "top hat")
FEMALE_WORDS = (
    "girl woman mother mom mum grandmother grandma granny lady queen princess daughter sister aunt wife bride "
    "schoolgirl waitress policewoman businesswoman"
)
RAISED_ARM_WORDS = ("wav", "cheer", "rais", "hail", "celebrat", "signal")
FORWARD_ARM_WORDS = ("reach", "giv", "offer", "point", "grab", "steal", "pet", "feed", "hand", "pull", "push", "serv")
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

QUADRUPEDS: dict[str, dict] = {
    "dog": {"color": (156, 104, 60), "ears": "floppy", "tail": "up"},
    "puppy": {"color": (196, 150, 96), "ears": "floppy", "tail": "up"},
    "cat": {"color": (236, 150, 70), "ears": "pointy", "tail": "curl"},
    "kitten": {"color": (180, 180, 190), "ears": "pointy", "tail": "curl"},
    "fox": {"color": (222, 110, 40), "ears": "pointy", "tail": "bushy"},
    "horse": {"color": (132, 82, 46), "ears": "pointy", "tail": "down", "tall": True},
    "pony": {"color": (170, 120, 80), "ears": "pointy", "tail": "down", "tall": True},
    "donkey": {"color": (140, 134, 128), "ears": "long", "tail": "down", "tall": True},
    "cow": {"color": (246, 246, 246), "ears": "horns", "tail": "down", "spots": True},
    "calf": {"color": (246, 246, 246), "ears": "floppy", "tail": "down", "spots": True},
    "goat": {"color": (226, 220, 204), "ears": "horns", "tail": "up"},
    "sheep": {"color": (246, 246, 240), "ears": "floppy", "tail": "down", "wool": True},
    "lamb": {"color": (250, 250, 246), "ears": "floppy", "tail": "down", "wool": True},
    "pig": {"color": (246, 176, 186), "ears": "pointy", "tail": "curl", "snout": True},
    "piglet": {"color": (250, 190, 200), "ears": "pointy", "tail": "curl", "snout": True},
    "deer": {"color": (170, 110, 60), "ears": "antlers", "tail": "up", "tall": True},
    "rabbit": {"color": (220, 220, 226), "ears": "long", "tail": "puff"},
    "bunny": {"color": (240, 240, 244), "ears": "long", "tail": "puff"},
    "mouse": {"color": (150, 150, 160), "ears": "round", "tail": "down"},
    "squirrel": {"color": (180, 90, 40), "ears": "pointy", "tail": "bushy"},
}
BIRDS: dict[str, dict] = {
    "bird": {"color": (90, 150, 220), "beak": (240, 170, 40)},
    "parrot": {"color": (60, 180, 80), "beak": (250, 200, 40)},
    "pigeon": {"color": (150, 156, 170), "beak": (90, 80, 80)},
    "duck": {"color": (250, 220, 70), "beak": (240, 130, 30)},
    "goose": {"color": (244, 244, 240), "beak": (240, 130, 30)},
    "chicken": {"color": (250, 248, 240), "beak": (240, 170, 40), "comb": True},
    "hen": {"color": (200, 130, 70), "beak": (240, 170, 40), "comb": True},
    "rooster": {"color": (190, 70, 40), "beak": (240, 170, 40), "comb": True},
    "chick": {"color": (252, 226, 80), "beak": (240, 140, 30)},
}
ASCII_FALLBACKS = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "*"})


@dataclass
class _Canvas:
    """The image being painted, its drawing context, size and random source."""

    image: Image.Image
    draw: ImageDraw.ImageDraw
    width: int
    height: int
    rng: random.Random
    unit: float  # scale for strokes and fonts: 1.0 in a 512 pixel tall picture

    @classmethod
    def blank(cls, width: int, height: int, rng: random.Random, unit: float | None = None) -> _Canvas:
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (width, height), (255, 255, 255))
        return cls(image, ImageDraw.Draw(image, "RGBA"), width, height, rng, unit or height / 512)

    def text_size(self, points: float) -> int:
        """A font size for a 512 pixel tall picture, scaled to this one but never below legibility."""
        return max(MIN_FONT_SIZE, round(points * self.unit))

    def rect(self, box: Box) -> Rect:
        return (box.x * self.width, box.y * self.height, (box.x + box.w) * self.width, (box.y + box.h) * self.height)


@dataclass
class _Figure:
    """Where the parts of a standing person go, in pixels."""

    cx: float
    r: float
    head_y: float
    shoulder_y: float
    hip_y: float
    feet_y: float
    line: int


def render_storyboard(
    layout: SceneLayout, width: int = 768, height: int = 512, seed: int = 0
) -> tuple[Image.Image, list[DrawnItem]]:
    """Draw the layout as a storyboard picture and list what was drawn where."""
    canvas = _Canvas.blank(width, height, random.Random(seed))
    signs = [entity for entity in layout.entities if entity.kind == "sign"]
    items = [_paint_background(canvas, layout, [canvas.rect(sign.box) for sign in signs])]
    painters = {"sign": _paint_sign, "person": _paint_person, "animal": _paint_animal, "object": _paint_object}
    for entity in signs + [entity for entity in layout.entities if entity.kind != "sign"]:
        details = painters[entity.kind](canvas, entity, layout)
        if entity.emphasis:
            _highlight(canvas, canvas.rect(entity.box))
            details += "; emphasised"
        items.append(DrawnItem(label=entity.label, kind=entity.kind, box=entity.box, details=details))
    items.insert(1, _paint_title_strip(canvas, layout))
    return canvas.image, items


class StoryboardPainter:
    """Offline painter: a Pillow storyboard of the layout, saved as PNG."""

    name = "storyboard"

    def __init__(self, width: int = 768, height: int = 512):
        self.width = width
        self.height = height

    def paint(self, story: Story, layout: SceneLayout, seed: int, path: pathlib.Path) -> RenderedImage:
        """Render the layout and write it atomically to path."""
        started = time.perf_counter()
        image, manifest = render_storyboard(layout, self.width, self.height, seed)
        _save_png_atomically(image, pathlib.Path(path))
        return RenderedImage(
            path=str(path),
            backend=self.name,
            seed=seed,
            prompt=story.painter_prompt,
            width=self.width,
            height=self.height,
            manifest=manifest,
            seconds=round(time.perf_counter() - started, 4),
        )


def expression_for(emotion: str) -> str:
    """One of eight drawable expressions for an emotion word; calm when unknown."""
    words = re.findall(r"[a-z]+", emotion.lower())
    for expression, synonyms in EXPRESSION_WORDS.items():
        if any(word in synonyms.split() for word in words):
            return expression
    return "calm"


def _save_png_atomically(image: Image.Image, path: pathlib.Path) -> None:
    encoded = io.BytesIO()
    image.save(encoded, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    atomic_write_bytes(path, encoded.getvalue())


# ---------------------------------------------------------------- text


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=max(size, 6))


def _printable(text: str) -> str:
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


def _fit_text(
    draw: ImageDraw.ImageDraw, text: str, width: float, height: float, max_size: int, min_size: int = 8
) -> tuple[list[str], ImageFont.FreeTypeFont, float]:
    """The largest font size (and its wrapped lines and line height) at which text fits the area."""

    def layout(size: int) -> tuple[list[str], ImageFont.FreeTypeFont, float]:
        font = _font(size)
        return _wrap(draw, text, font, width), font, size * 1.15

    def fits(size: int) -> bool:
        lines, font, line_height = layout(size)
        return all(draw.textlength(line, font=font) <= width for line in lines) and len(lines) * line_height <= height

    return layout(_largest_fitting(min(min_size, max_size), max_size, fits))


def _text_block(
    canvas: _Canvas, text: str, area: Rect, max_size: int, fill: Color = INK, stroke: Color | None = None
) -> None:
    """Centre text in the area, wrapped and shrunk to fit."""
    x0, y0, x1, y1 = area
    lines, font, line_height = _fit_text(canvas.draw, _printable(text), x1 - x0, y1 - y0, max_size)
    top = (y0 + y1) / 2 - len(lines) * line_height / 2
    stroke_width = max(1, round(canvas.unit * 2)) if stroke else 0
    for index, line in enumerate(lines):
        position = ((x0 + x1) / 2, top + (index + 0.5) * line_height)
        canvas.draw.text(
            position, line, font=font, fill=fill, anchor="mm", stroke_width=stroke_width, stroke_fill=stroke
        )


def _plate(canvas: _Canvas, lines: list[tuple[str, int]], center_x: float, bottom: float, max_width: float) -> None:
    """A white name plate with one line per (text, size), bottom-aligned and centred; long lines are cut short."""
    fitted = [_one_line(canvas.draw, _printable(text), max_width - 8, size) for text, size in lines]
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
        min(MIN_FONT_SIZE, size), size, lambda points: draw.textlength(text, font=_font(points)) <= width
    )
    font = _font(points)
    if draw.textlength(text, font=font) <= width:
        return text, font
    kept = _largest_fitting(1, len(text) - 1, lambda count: draw.textlength(f"{text[:count]}...", font=font) <= width)
    return f"{text[:kept].rstrip()}...", font


# ---------------------------------------------------------------- colours and words


def _pick(options: tuple, key: str):
    """A stable choice from options for a key (crc32, not the salted built-in hash)."""
    return options[zlib.crc32(key.encode()) % len(options)]


def _shade(color: Color, factor: float) -> Color:
    return tuple(max(0, min(255, round(channel * factor))) for channel in color[:3])


def _mix(first: Color, second: Color, share: float) -> Color:
    return tuple(round(a + (b - a) * share) for a, b in zip(first[:3], second[:3], strict=False))


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _first_match(text: str, table: dict[str, str], default: str) -> str:
    """The first name in table whose space-separated keywords share a word with text."""
    words = _words(text)
    return next((name for name, keys in table.items() if words & set(keys.split())), default)


# ---------------------------------------------------------------- background


def _paint_background(canvas: _Canvas, layout: SceneLayout, sign_rects: list[Rect]) -> DrawnItem:
    if layout.indoor:
        _paint_room(canvas, layout, sign_rects)
        setting = f"indoor, window shows {layout.time_of_day}"
    else:
        scenery = _paint_outdoors(canvas, layout)
        horizon = HORIZON * canvas.height
        _paint_weather(canvas, layout.weather, (0, 0, canvas.width, canvas.height), ground_y=horizon)
        setting = f"outdoor, {scenery} scenery"
    details = f"background: {layout.background}, {layout.time_of_day}, {layout.weather}; {setting}"
    return DrawnItem(label=layout.background, kind="background", box=Box(x=0, y=0, w=1, h=1), details=details)


def _gradient(canvas: _Canvas, area: Rect, top: Color, bottom: Color) -> None:
    x0, y0, x1, y1 = (round(value) for value in area)
    for y in range(y0, y1):
        share = (y - y0) / max(1, y1 - y0 - 1)
        canvas.draw.line((x0, y, x1, y), fill=_mix(top, bottom, share))


def _sky_colors(time_of_day: str, weather: str) -> tuple[Color, Color]:
    top, bottom = SKY[time_of_day]
    if weather == "clear":
        return top, bottom
    grey = _shade((150, 154, 162), LIGHT_LEVEL[time_of_day])
    return _mix(top, grey, 0.55), _mix(bottom, grey, 0.55)


def _paint_sky(canvas: _Canvas, area: Rect, time_of_day: str, weather: str, horizon: float) -> None:
    """Sky gradient with sun, moon, stars or clouds, inside area."""
    x0, y0, x1, y1 = area
    _gradient(canvas, area, *_sky_colors(time_of_day, weather))
    size = min(x1 - x0, y1 - y0)
    if time_of_day == "night":
        moon_sky = _mix(*_sky_colors("night", weather), 0.3)
        _moon(canvas, x0 + (x1 - x0) * 0.82, y0 + (y1 - y0) * 0.32, size * 0.09, moon_sky)
        if weather == "clear":
            _stars(canvas, area)
    elif weather == "clear":
        low = time_of_day in ("dawn", "dusk")
        sun_x = x0 + (x1 - x0) * (0.15 if low else 0.82)
        sun_y = horizon - size * 0.15 if low else y0 + (y1 - y0) * 0.3
        _sun(canvas, sun_x, sun_y, size * (0.13 if low else 0.08), low)
    if weather != "clear":
        _clouds(canvas, area, _shade((170, 172, 180), LIGHT_LEVEL[time_of_day]))


def _sun(canvas: _Canvas, x: float, y: float, radius: float, low: bool) -> None:
    color = (255, 150, 70) if low else (255, 222, 70)
    canvas.draw.ellipse((x - radius * 1.5, y - radius * 1.5, x + radius * 1.5, y + radius * 1.5), fill=(*color, 70))
    canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)


def _moon(canvas: _Canvas, x: float, y: float, radius: float, sky: Color) -> None:
    canvas.draw.ellipse(
        (x - radius * 1.6, y - radius * 1.6, x + radius * 1.6, y + radius * 1.6), fill=(250, 240, 200, 40)
    )
    canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(250, 244, 210))
    shift = radius * 0.45
    canvas.draw.ellipse(
        (x - radius + shift, y - radius - shift * 0.4, x + radius + shift, y + radius - shift * 0.4), fill=sky
    )


def _stars(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    for _ in range(round((x1 - x0) * (y1 - y0) / 2500)):
        x, y = canvas.rng.uniform(x0, x1), canvas.rng.uniform(y0, y1 * 0.9)
        radius = canvas.rng.choice((0.8, 1.2, 1.8)) * canvas.unit
        canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 230))


def _clouds(canvas: _Canvas, area: Rect, color: Color) -> None:
    x0, y0, x1, y1 = area
    step = (x1 - x0) / 4
    for index in range(5):
        cx = x0 + step * index + canvas.rng.uniform(-step * 0.3, step * 0.3)
        cy = y0 + (y1 - y0) * canvas.rng.uniform(0.12, 0.35)
        for dx, dy, size in ((-0.5, 0.1, 0.45), (0.0, -0.1, 0.6), (0.5, 0.1, 0.45)):
            radius = step * size * 0.5
            x, y = cx + dx * step * 0.5, cy + dy * step * 0.5
            canvas.draw.ellipse((x - radius, y - radius * 0.7, x + radius, y + radius * 0.7), fill=(*color, 230))


def _paint_outdoors(canvas: _Canvas, layout: SceneLayout) -> str:
    """Sky, ground and scenery (city, nature or water) for an outdoor place; returns the scenery kind."""
    width, height = canvas.width, canvas.height
    horizon = HORIZON * height
    _paint_sky(canvas, (0, 0, width, horizon), layout.time_of_day, layout.weather, horizon)
    scenery = _first_match(layout.background, SCENERY_WORDS, "nature")
    light = LIGHT_LEVEL[layout.time_of_day]
    {"urban": _paint_city, "nature": _paint_nature, "water": _paint_water}[scenery](canvas, horizon, light, layout)
    return scenery


def _paint_city(canvas: _Canvas, horizon: float, light: float, layout: SceneLayout) -> None:
    """Buildings with windows on the horizon, a road and a sidewalk in front."""
    width, height = canvas.width, canvas.height
    lit = layout.time_of_day in ("dusk", "night")
    x = -canvas.rng.uniform(0, width * 0.05)
    while x < width:
        building_width = canvas.rng.uniform(0.08, 0.14) * width
        top = horizon - canvas.rng.uniform(0.12, 0.32) * height
        canvas.draw.rectangle((x, top, x + building_width - 2, horizon), fill=_shade((128, 136, 156), light))
        _windows(canvas, (x, top, x + building_width - 2, horizon), lit)
        x += building_width
    curb = horizon + (height - horizon) * 0.3
    canvas.draw.rectangle((0, horizon, width, curb), fill=_shade((86, 86, 94), light))
    for dash_x in range(0, width, round(width / 10)):
        middle = (horizon + curb) / 2
        canvas.draw.rectangle(
            (dash_x, middle - 2, dash_x + width / 22, middle + 2), fill=_shade((236, 236, 220), light)
        )
    canvas.draw.rectangle((0, curb, width, height), fill=_shade((176, 172, 166), light))
    canvas.draw.line((0, curb, width, curb), fill=_shade((110, 106, 100), light), width=max(2, round(4 * canvas.unit)))
    for line_x in range(0, width, round(width / 12)):
        canvas.draw.line((line_x, curb, line_x - width * 0.04, height), fill=_shade((150, 146, 140), light))
    if lit:
        _street_lamp(canvas, width * 0.035, curb, horizon)


def _windows(canvas: _Canvas, building: Rect, lit: bool) -> None:
    x0, y0, x1, y1 = building
    size = 7 * canvas.unit
    y = y0 + size
    while y + size * 2 < y1:
        x = x0 + size
        while x + size < x1:
            on = lit and canvas.rng.random() < 0.45
            canvas.draw.rectangle((x, y, x + size, y + size * 1.3), fill=(255, 214, 110) if on else (70, 78, 96))
            x += size * 2
        y += size * 2.4


def _street_lamp(canvas: _Canvas, x: float, base_y: float, horizon: float) -> None:
    top = horizon - 0.3 * canvas.height
    glow = 0.09 * canvas.height
    canvas.draw.ellipse((x - glow, top - glow * 0.6, x + glow * 1.6, top + glow * 1.4), fill=(255, 220, 140, 60))
    canvas.draw.rectangle((x - 3 * canvas.unit, top, x + 3 * canvas.unit, base_y), fill=(40, 40, 48))
    canvas.draw.rectangle((x - 2, top, x + 24 * canvas.unit, top + 5 * canvas.unit), fill=(40, 40, 48))
    canvas.draw.ellipse(
        (x + 14 * canvas.unit, top + 3 * canvas.unit, x + 28 * canvas.unit, top + 13 * canvas.unit),
        fill=(255, 230, 150),
    )


def _paint_nature(canvas: _Canvas, horizon: float, light: float, layout: SceneLayout) -> None:
    """Green hills, a row of trees and grass."""
    width, height = canvas.width, canvas.height
    canvas.draw.ellipse(
        (-width * 0.2, horizon - height * 0.12, width * 0.6, horizon + height * 0.2),
        fill=_shade((120, 170, 110), light),
    )
    canvas.draw.ellipse(
        (width * 0.4, horizon - height * 0.09, width * 1.3, horizon + height * 0.2), fill=_shade((110, 160, 100), light)
    )
    canvas.draw.rectangle((0, horizon, width, height), fill=_shade((118, 178, 92), light))
    for index in range(7):
        x = width * (index + 0.5) / 7 + canvas.rng.uniform(-width * 0.03, width * 0.03)
        _tree(canvas, x, horizon + 4 * canvas.unit, canvas.rng.uniform(0.13, 0.2) * height, light)


def _tree(canvas: _Canvas, x: float, base_y: float, tree_height: float, light: float) -> None:
    trunk = tree_height * 0.08
    canvas.draw.rectangle(
        (x - trunk, base_y - tree_height * 0.45, x + trunk, base_y), fill=_shade((110, 76, 48), light)
    )
    radius = tree_height * 0.32
    crown_y = base_y - tree_height * 0.65
    canvas.draw.ellipse((x - radius, crown_y - radius, x + radius, crown_y + radius), fill=_shade((58, 128, 60), light))


def _paint_water(canvas: _Canvas, horizon: float, light: float, layout: SceneLayout) -> None:
    """A band of sea or lake with waves, then sand or grass."""
    width, height = canvas.width, canvas.height
    shore = horizon + (height - horizon) * 0.3
    canvas.draw.rectangle((0, horizon, width, shore), fill=_shade((60, 130, 190), light))
    for y in range(round(horizon + 6), round(shore), max(6, round(10 * canvas.unit))):
        for x in range(round(canvas.rng.uniform(0, 30)), width, round(60 * canvas.unit)):
            canvas.draw.arc(
                (x, y, x + 20 * canvas.unit, y + 6 * canvas.unit),
                200,
                340,
                fill=_shade((200, 230, 250), light),
                width=2,
            )
    sandy = _words(layout.background) & {"beach", "shore", "island", "coast"}
    canvas.draw.rectangle((0, shore, width, height), fill=_shade((232, 210, 160) if sandy else (118, 178, 92), light))


def _paint_room(canvas: _Canvas, layout: SceneLayout, sign_rects: list[Rect]) -> None:
    """Wall, floor, a window showing the sky and weather, and a feature that names the room."""
    width, height = canvas.width, canvas.height
    floor_y = FLOOR_LINE * height
    light = 0.8 if layout.time_of_day == "night" else 1.0
    canvas.draw.rectangle((0, 0, width, floor_y), fill=_shade(_pick(WALL_COLORS, layout.background), light))
    canvas.draw.rectangle((0, floor_y, width, height), fill=_shade((176, 128, 84), light))
    for y in range(round(floor_y), height, max(8, round(22 * canvas.unit))):
        canvas.draw.line((0, y, width, y), fill=_shade((150, 106, 68), light), width=2)
    canvas.draw.rectangle((0, floor_y - 8 * canvas.unit, width, floor_y), fill=_shade((240, 236, 226), light))
    slots = _free_wall_slots(canvas, sign_rects)
    window = slots[0]
    _paint_window(canvas, window, layout)
    feature = _first_match(layout.background, ROOM_FEATURES, "")
    if feature == "counter":
        _kitchen_counter(canvas, window)
    elif feature:
        {"blackboard": _blackboard, "shelves": _shelves}[feature](canvas, slots[1])
    if layout.time_of_day in ("dusk", "night"):
        _ceiling_lamp(canvas, slots[-1])


def _free_wall_slots(canvas: _Canvas, sign_rects: list[Rect]) -> list[Rect]:
    """Wall areas for window and furniture, those least covered by signs first."""
    slots = [
        (canvas.width * x, canvas.height * 0.14, canvas.width * (x + 0.24), canvas.height * 0.5)
        for x in (0.05, 0.38, 0.71)
    ]
    return sorted(slots, key=lambda slot: sum(_overlap(slot, sign) for sign in sign_rects))


def _overlap(first: Rect, second: Rect) -> float:
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    return max(0.0, width) * max(0.0, height)


def _paint_window(canvas: _Canvas, window: Rect, layout: SceneLayout) -> None:
    x0, y0, x1, y1 = window
    frame = 6 * canvas.unit
    canvas.draw.rectangle(
        (x0 - frame, y0 - frame, x1 + frame, y1 + frame), fill=(250, 250, 246), outline=(150, 140, 130)
    )
    pane = _Canvas.blank(round(x1 - x0), round(y1 - y0), canvas.rng, canvas.unit)
    pane_area = (0, 0, pane.width, pane.height)
    _paint_sky(pane, pane_area, layout.time_of_day, layout.weather, pane.height)
    _paint_weather(pane, layout.weather, pane_area, ground_y=None)
    canvas.image.paste(pane.image, (round(x0), round(y0)))
    middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
    canvas.draw.line((middle_x, y0, middle_x, y1), fill=(250, 250, 246), width=round(frame))
    canvas.draw.line((x0, middle_y, x1, middle_y), fill=(250, 250, 246), width=round(frame))


def _blackboard(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    canvas.draw.rectangle((x0, y0, x1, y1), fill=(40, 70, 56), outline=(130, 96, 60), width=round(6 * canvas.unit))
    for row in range(3):
        y = y0 + (y1 - y0) * (0.3 + row * 0.2)
        canvas.draw.line((x0 + 14, y, x1 - 30 - row * 20, y), fill=(220, 230, 220), width=2)


def _shelves(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    canvas.draw.rectangle(area, fill=(150, 104, 64))
    shelf_height = (y1 - y0) / 3
    for row in range(3):
        top = y0 + row * shelf_height
        x = x0 + 4
        while x < x1 - 10:
            item_width = canvas.rng.uniform(6, 14) * canvas.unit
            color = canvas.rng.choice(SHIRT_COLORS)
            canvas.draw.rectangle(
                (x, top + shelf_height * canvas.rng.uniform(0.2, 0.35), x + item_width, top + shelf_height - 4),
                fill=color,
            )
            x += item_width + 2
        canvas.draw.rectangle((x0, top + shelf_height - 4, x1, top + shelf_height), fill=(110, 74, 44))


def _kitchen_counter(canvas: _Canvas, window: Rect) -> None:
    """A counter with cupboard doors and a sink under the window, standing on the floor line."""
    x0, x1 = window[0] - 0.08 * canvas.width, window[2] + 0.08 * canvas.width
    top, bottom = 0.53 * canvas.height, FLOOR_LINE * canvas.height
    slab = 0.025 * canvas.height
    canvas.draw.rectangle((x0, top + slab, x1, bottom), fill=(214, 226, 234), outline=(120, 130, 140), width=2)
    doors = 4
    for index in range(doors):
        left = x0 + (x1 - x0) * index / doors
        canvas.draw.rectangle(
            (left + 4, top + slab + 4, left + (x1 - x0) / doors - 4, bottom - 4), outline=(140, 150, 160)
        )
        canvas.draw.ellipse((left + 10, top + slab + 12, left + 16, top + slab + 18), fill=INK)
    canvas.draw.rectangle((x0 - 4, top, x1 + 4, top + slab), fill=(90, 84, 80))
    middle, basin = (window[0] + window[2]) / 2, 0.07 * canvas.width
    canvas.draw.rectangle((middle - basin, top, middle + basin, top + slab * 0.6), fill=(170, 180, 190))
    canvas.draw.arc(
        (middle - basin * 0.3, top - 0.05 * canvas.height, middle + basin * 0.3, top + 0.02 * canvas.height),
        180,
        360,
        fill=(150, 150, 160),
        width=max(2, round(4 * canvas.unit)),
    )


def _ceiling_lamp(canvas: _Canvas, area: Rect) -> None:
    x = (area[0] + area[2]) / 2
    y = canvas.height * (TITLE_STRIP_HEIGHT + 0.07)
    glow = canvas.height * 0.16
    canvas.draw.ellipse((x - glow * 1.4, y - glow * 0.5, x + glow * 1.4, y + glow * 1.5), fill=(255, 226, 150, 50))
    canvas.draw.line((x, canvas.height * TITLE_STRIP_HEIGHT, x, y), fill=INK, width=2)
    canvas.draw.pieslice(
        (x - 18 * canvas.unit, y - 6 * canvas.unit, x + 18 * canvas.unit, y + 22 * canvas.unit),
        180,
        360,
        fill=(90, 80, 70),
    )
    canvas.draw.ellipse((x - 6 * canvas.unit, y + 2, x + 6 * canvas.unit, y + 12 * canvas.unit), fill=(255, 236, 160))


def _paint_weather(canvas: _Canvas, weather: str, area: Rect, ground_y: float | None) -> None:
    """Rain streaks, snowflakes (and snowy ground) or fog over the area."""
    x0, y0, x1, y1 = area
    count = round((x1 - x0) * (y1 - y0) / 900)
    if weather == "rain":
        length = 0.04 * canvas.height
        for _ in range(count):
            x, y = canvas.rng.uniform(x0, x1), canvas.rng.uniform(y0, y1)
            end = (max(x0, x - length * 0.3), min(y1, y + length))
            canvas.draw.line((x, y, *end), fill=(200, 214, 240, 150), width=max(1, round(canvas.unit * 1.5)))
    elif weather == "snow":
        if ground_y is not None:
            canvas.draw.rectangle((x0, ground_y, x1, y1), fill=(250, 250, 255, 130))
        for _ in range(count // 2):
            x, y = canvas.rng.uniform(x0, x1), canvas.rng.uniform(y0, y1)
            radius = canvas.rng.uniform(1.2, 3.2) * canvas.unit
            canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, 220))
    elif weather == "fog":
        canvas.draw.rectangle(area, fill=(236, 238, 242, 110))
        for index in range(4):
            y = y0 + (y1 - y0) * (0.2 + index * 0.2)
            canvas.draw.rectangle((x0, y, x1, y + (y1 - y0) * 0.06), fill=(250, 250, 252, 60))


# ---------------------------------------------------------------- title strip and highlight


def _paint_title_strip(canvas: _Canvas, layout: SceneLayout) -> DrawnItem:
    strip_height = TITLE_STRIP_HEIGHT * canvas.height
    canvas.draw.rectangle((0, 0, canvas.width, strip_height), fill=(24, 24, 34, 230))
    middle = strip_height / 2
    title_font = _fit_text(
        canvas.draw, _printable(layout.title), canvas.width * 0.55, strip_height, canvas.text_size(22)
    )[1]
    canvas.draw.text(
        (10 * canvas.unit, middle),
        _printable(layout.title),
        font=title_font,
        fill=(255, 255, 255),
        anchor="lm",
        stroke_width=1,
        stroke_fill=(255, 255, 255),
    )
    subtitle = " | ".join(part for part in (layout.time_label, layout.background) if part)
    lines, font, _ = _fit_text(
        canvas.draw, _printable(subtitle), canvas.width * 0.4, strip_height * 0.5, canvas.text_size(15), min_size=10
    )
    canvas.draw.text(
        (canvas.width - 10 * canvas.unit, middle), " ".join(lines), font=font, fill=(226, 226, 236), anchor="rm"
    )
    details = f"title: {layout.title}; time: {layout.time_label}; place: {layout.background}"
    return DrawnItem(label=layout.title, kind="title", box=Box(x=0, y=0, w=1, h=TITLE_STRIP_HEIGHT), details=details)


def _highlight(canvas: _Canvas, rect: Rect) -> None:
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
    canvas.draw.text((badge_x, badge_y), "!", font=_font(canvas.text_size(14)), fill=INK, anchor="mm")


# ---------------------------------------------------------------- signs and objects


def _paint_sign(canvas: _Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
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
    _text_block(
        canvas, entity.text, (x0 + padding, y0 + padding, x1 - padding, board_bottom - padding), canvas.text_size(40)
    )
    _text_block(
        canvas, entity.label, (x0, board_bottom, x1, y1), canvas.text_size(12), fill=(255, 255, 255), stroke=INK
    )
    return f"text: {entity.text}; on: {entity.label}"


def _paint_object(canvas: _Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
    """A simple icon for known objects, else a labelled rounded box; the name under it."""
    x0, y0, x1, y1 = canvas.rect(entity.box)
    icon = next((name for name in OBJECT_ICONS if name in _words(entity.label)), None)
    if icon is None:
        fill = _pick(SHIRT_COLORS, entity.label)
        canvas.draw.rounded_rectangle(
            (x0 + 2, y0 + 2, x1 - 2, y1 - 2),
            radius=8 * canvas.unit,
            fill=_mix(fill, (255, 255, 255), 0.55),
            outline=_shade(fill, 0.6),
            width=max(2, round(3 * canvas.unit)),
        )
        _text_block(canvas, entity.label, (x0 + 6, y0 + 4, x1 - 6, y1 - 4), canvas.text_size(16))
        return f"object: {entity.label} (labelled box)"
    label_height = min(canvas.text_size(13) * 1.25, (y1 - y0) * 0.45)
    OBJECT_ICONS[icon](canvas, (x0 + 2, y0 + 2, x1 - 2, y1 - label_height))
    _text_block(
        canvas,
        entity.label,
        (x0 - 4, y1 - label_height, x1 + 4, y1),
        canvas.text_size(13),
        fill=(255, 255, 255),
        stroke=INK,
    )
    return f"object: {entity.label} (icon: {icon})"


def _icon_puddle(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    canvas.draw.ellipse((x0, y0, x1, y1), fill=(90, 130, 190, 220), outline=(50, 80, 130), width=2)
    canvas.draw.arc(
        (x0 + (x1 - x0) * 0.3, y0 + (y1 - y0) * 0.25, x0 + (x1 - x0) * 0.7, y0 + (y1 - y0) * 0.75),
        190,
        350,
        fill=(210, 230, 255),
        width=2,
    )


def _icon_umbrella(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    middle = (x0 + x1) / 2
    canvas.draw.pieslice((x0, y0, x1, y0 + (y1 - y0) * 0.8), 180, 360, fill=(40, 40, 60))
    canvas.draw.line((middle, y0 + (y1 - y0) * 0.4, middle, y1), fill=INK, width=3)
    canvas.draw.arc((middle - 8, y1 - 10, middle, y1), 0, 180, fill=INK, width=3)


def _icon_ball(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, y1 - size / 2
    canvas.draw.ellipse(
        (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), fill=(230, 70, 60), outline=INK, width=2
    )
    canvas.draw.line((cx - size / 2, cy, cx + size / 2, cy), fill=(255, 255, 255), width=3)


def _icon_bench(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    height = y1 - y0
    wood = (150, 100, 56)
    canvas.draw.rectangle((x0, y0 + height * 0.2, x1, y0 + height * 0.4), fill=wood, outline=INK)
    canvas.draw.rectangle((x0, y0 + height * 0.55, x1, y0 + height * 0.68), fill=wood, outline=INK)
    for leg_x in (x0 + (x1 - x0) * 0.1, x1 - (x1 - x0) * 0.1):
        canvas.draw.rectangle((leg_x - 3, y0 + height * 0.68, leg_x + 3, y1), fill=(60, 60, 66))


def _icon_tree(canvas: _Canvas, area: Rect) -> None:
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


def _icon_bag(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx = (x0 + x1) / 2
    canvas.draw.arc((cx - size * 0.22, y1 - size, cx + size * 0.22, y1 - size * 0.5), 180, 360, fill=INK, width=3)
    canvas.draw.rounded_rectangle(
        (cx - size * 0.42, y1 - size * 0.75, cx + size * 0.42, y1), radius=5, fill=(180, 60, 60), outline=INK, width=2
    )


def _icon_cup(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0) * 0.8
    cx = (x0 + x1) / 2
    canvas.draw.arc((cx + size * 0.15, y1 - size * 0.75, cx + size * 0.6, y1 - size * 0.3), 270, 90, fill=INK, width=3)
    canvas.draw.rectangle(
        (cx - size * 0.35, y1 - size * 0.85, cx + size * 0.35, y1), fill=(250, 250, 250), outline=INK, width=2
    )


def _icon_book(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx = (x0 + x1) / 2
    canvas.draw.rectangle(
        (cx - size * 0.45, y1 - size * 0.6, cx + size * 0.45, y1), fill=(60, 90, 170), outline=INK, width=2
    )
    canvas.draw.line((cx, y1 - size * 0.6, cx, y1), fill=(250, 250, 250), width=2)


def _icon_clock(canvas: _Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    size = min(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, y1 - size / 2
    canvas.draw.ellipse(
        (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), fill=(250, 250, 246), outline=INK, width=3
    )
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


# ---------------------------------------------------------------- animals


def _paint_animal(canvas: _Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
    """A simple four-legged animal or bird facing the middle of the picture, its name under it."""
    x0, y0, x1, y1 = canvas.rect(entity.box)
    label_height = canvas.text_size(13) * 1.25
    area = (x0 + 2, y0 + 2, x1 - 2, y1 - label_height)
    species = animal_species(entity.label) or "dog"
    facing = 1 if entity.box.x + entity.box.w / 2 < 0.5 else -1
    if species in BIRDS:
        _bird(canvas, area, BIRDS[species], facing)
    else:
        _quadruped(canvas, area, QUADRUPEDS.get(species, QUADRUPEDS["dog"]), facing)
    _text_block(
        canvas,
        entity.label,
        (x0 - 4, y1 - label_height, x1 + 4, y1),
        canvas.text_size(13),
        fill=(255, 255, 255),
        stroke=INK,
    )
    return f"animal: {species}"


def _quadruped(canvas: _Canvas, area: Rect, look: dict, facing: int) -> None:
    x0, y0, x1, y1 = area
    width, height = x1 - x0, y1 - y0
    color, outline, line = look["color"], _shade(look["color"], 0.55), max(2, round(2 * canvas.unit))
    leg_top = y0 + height * (0.55 if look.get("tall") else 0.62)
    body = (x0 + width * 0.15, y0 + height * 0.32, x1 - width * 0.2, leg_top + height * 0.08)
    front = body[2] if facing > 0 else body[0]
    back = body[0] if facing > 0 else body[2]
    _tail(canvas, back, body[1] + height * 0.1, -facing, height, look["tail"], color, outline)
    for leg_x in (body[0] + width * 0.07, body[0] + width * 0.2, body[2] - width * 0.2, body[2] - width * 0.07):
        canvas.draw.rectangle(
            (leg_x - width * 0.035, leg_top, leg_x + width * 0.035, y1), fill=_shade(color, 0.85), outline=outline
        )
    canvas.draw.ellipse(body, fill=color, outline=outline, width=line)
    if look.get("wool"):
        for index in range(6):
            wx = body[0] + (body[2] - body[0]) * (index + 0.5) / 6
            canvas.draw.ellipse(
                (wx - width * 0.08, body[1] - height * 0.05, wx + width * 0.08, body[1] + height * 0.12),
                fill=color,
                outline=outline,
            )
    if look.get("spots"):
        for dx, dy in ((0.3, 0.3), (0.6, 0.5), (0.45, 0.7)):
            sx, sy = body[0] + (body[2] - body[0]) * dx, body[1] + (body[3] - body[1]) * dy
            canvas.draw.ellipse(
                (sx - width * 0.06, sy - height * 0.06, sx + width * 0.06, sy + height * 0.06), fill=INK
            )
    head_y = body[1]
    if look.get("tall"):
        head_y -= height * 0.2
        neck = [
            (front - facing * width * 0.12, body[1] + height * 0.1),
            (front, head_y),
            (front + facing * width * 0.02, body[1] + height * 0.15),
        ]
        canvas.draw.polygon(neck, fill=color, outline=outline)
    _animal_head(canvas, front, head_y, facing, min(width, height) * 0.22, look, outline)


def _tail(
    canvas: _Canvas, x: float, y: float, direction: int, size: float, kind: str, color: Color, outline: Color
) -> None:
    line = max(3, round(3 * canvas.unit))
    if kind == "bushy":
        canvas.draw.ellipse(
            (
                x + direction * size * 0.5 - size * 0.25,
                y - size * 0.25,
                x + direction * size * 0.5 + size * 0.25,
                y + size * 0.1,
            ),
            fill=color,
            outline=outline,
        )
    elif kind == "puff":
        canvas.draw.ellipse((x - size * 0.1, y, x + size * 0.1, y + size * 0.2), fill=(255, 255, 255))
    elif kind == "curl":
        canvas.draw.arc(_ordered(x, y - size * 0.2, x + direction * size * 0.2, y), 0, 360, fill=outline, width=line)
    else:
        end_y = y - size * 0.35 if kind == "up" else y + size * 0.4
        canvas.draw.line((x, y + size * 0.1, x + direction * size * 0.3, end_y), fill=outline, width=line)


def _ordered(x0: float, y0: float, x1: float, y1: float) -> Rect:
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _animal_head(
    canvas: _Canvas, front: float, body_top: float, facing: int, radius: float, look: dict, outline: Color
) -> None:
    cx, cy = front, body_top
    color = look["color"]
    ears = look["ears"]
    if ears == "pointy":
        for dx in (-0.6, 0.3):
            ex = cx + dx * radius
            canvas.draw.polygon(
                [
                    (ex, cy - radius * 0.6),
                    (ex + radius * 0.3, cy - radius * 1.5),
                    (ex + radius * 0.6, cy - radius * 0.6),
                ],
                fill=color,
                outline=outline,
            )
    elif ears == "long":
        for dx in (-0.35, 0.2):
            canvas.draw.ellipse(
                (
                    cx + dx * radius - radius * 0.18,
                    cy - radius * 2.0,
                    cx + dx * radius + radius * 0.18,
                    cy - radius * 0.5,
                ),
                fill=color,
                outline=outline,
            )
    elif ears in ("horns", "antlers"):
        for dx in (-0.4, 0.4):
            hx = cx + dx * radius
            canvas.draw.line(
                (hx, cy - radius * 0.7, hx + dx * radius * 0.8, cy - radius * 1.6), fill=(120, 100, 80), width=3
            )
    elif ears == "round":
        for dx in (-0.7, 0.7):
            canvas.draw.ellipse(
                (
                    cx + dx * radius - radius * 0.35,
                    cy - radius * 1.2,
                    cx + dx * radius + radius * 0.35,
                    cy - radius * 0.5,
                ),
                fill=color,
                outline=outline,
            )
    canvas.draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=color, outline=outline, width=2)
    snout_x = cx + facing * radius * 0.75
    if look.get("snout"):
        canvas.draw.ellipse(
            (snout_x - radius * 0.35, cy, snout_x + radius * 0.35, cy + radius * 0.5),
            fill=_shade(color, 0.9),
            outline=outline,
        )
    else:
        canvas.draw.ellipse(
            (snout_x - radius * 0.15, cy + radius * 0.05, snout_x + radius * 0.15, cy + radius * 0.3), fill=INK
        )
    eye_x = cx + facing * radius * 0.3
    canvas.draw.ellipse((eye_x - radius * 0.13, cy - radius * 0.4, eye_x + radius * 0.13, cy - radius * 0.14), fill=INK)
    if ears == "floppy":
        ear_x = cx - facing * radius * 0.4
        canvas.draw.ellipse(
            (ear_x - radius * 0.3, cy - radius * 0.8, ear_x + radius * 0.3, cy + radius * 0.5),
            fill=_shade(color, 0.7),
            outline=outline,
        )


def _bird(canvas: _Canvas, area: Rect, look: dict, facing: int) -> None:
    x0, y0, x1, y1 = area
    width, height = x1 - x0, y1 - y0
    size = min(width, height)
    cx, cy = (x0 + x1) / 2, y1 - size * 0.55
    outline = _shade(look["color"], 0.55)
    for leg_dx in (-0.12, 0.12):
        canvas.draw.line((cx + leg_dx * size, cy + size * 0.3, cx + leg_dx * size, y1), fill=(230, 140, 40), width=2)
    canvas.draw.ellipse(
        (cx - size * 0.42, cy - size * 0.3, cx + size * 0.42, cy + size * 0.35),
        fill=look["color"],
        outline=outline,
        width=2,
    )
    head_x, head_y = cx + facing * size * 0.35, cy - size * 0.3
    radius = size * 0.2
    if look.get("comb"):
        canvas.draw.ellipse(
            (head_x - radius * 0.5, head_y - radius * 1.6, head_x + radius * 0.5, head_y - radius * 0.6),
            fill=(220, 40, 40),
        )
    canvas.draw.ellipse(
        (head_x - radius, head_y - radius, head_x + radius, head_y + radius),
        fill=look["color"],
        outline=outline,
        width=2,
    )
    tip = head_x + facing * radius * 1.8
    canvas.draw.polygon(
        [
            (head_x + facing * radius * 0.8, head_y - radius * 0.3),
            (tip, head_y),
            (head_x + facing * radius * 0.8, head_y + radius * 0.4),
        ],
        fill=look["beak"],
    )
    canvas.draw.ellipse(
        (
            head_x + facing * radius * 0.2 - 2,
            head_y - radius * 0.4,
            head_x + facing * radius * 0.2 + 2,
            head_y - radius * 0.4 + 4,
        ),
        fill=INK,
    )
    canvas.draw.arc(
        (cx - size * 0.3, cy - size * 0.15, cx + size * 0.2, cy + size * 0.25), 0, 180, fill=outline, width=2
    )


# ---------------------------------------------------------------- people


def _paint_person(canvas: _Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
    """A figure with an expressive face, role cues and props, over a name plate with name and role."""
    x0, y0, x1, y1 = canvas.rect(entity.box)
    words = _words(re.sub(r"years?[- ]old", "", f"{entity.label} {entity.role}"))
    female = bool(words & set(FEMALE_WORDS.split()))
    cues = _role_cues(words)
    expression = expression_for(entity.emotion)
    props = _props(entity)
    show_role = entity.role and entity.role.lower() != entity.label.lower()
    name_size, role_size = canvas.text_size(15), canvas.text_size(12)
    plate_height = (name_size + (role_size if show_role else 0)) * 1.2 + 6
    figure = _figure_geometry((x0, y0, x1, y1 - plate_height), bool(words & CHILD_WORDS), "umbrella" in props, canvas)
    position = [other.label for other in layout.entities if other.kind == "person"].index(entity.label)
    outfit = _outfit(entity, cues, position)
    _draw_body(canvas, figure, outfit, cues, props, entity.action, female)
    _draw_head(canvas, figure, outfit, cues, female)
    _draw_face(canvas, figure, expression)
    _draw_headwear(canvas, figure, cues)
    if "umbrella" in props:
        _held_umbrella(canvas, figure, x0, x1, y0)
    lines = [(entity.label, name_size)] + ([(entity.role, role_size)] if show_role else [])
    _plate(canvas, lines, (x0 + x1) / 2, y1 - 1, x1 - x0 + 8 * canvas.unit)
    cue_text = ", ".join(cues + props) or "none"
    return (
        f"emotion: {entity.emotion} (face: {expression}); role: {entity.role}; action: {entity.action}; "
        f"cues: {cue_text}"
    )


def _role_cues(words: set[str]) -> list[str]:
    """Visible cues for a role: at most one hat, plus clothes, hair and glasses."""
    cues = [cue for cue, keys in ROLE_CUES.items() if words & set(keys.split())]
    hats = [cue for cue in cues if cue in HATS]
    return [cue for cue in cues if cue not in HATS] + hats[:1]


def _props(entity: LayoutEntity) -> list[str]:
    """Things the person carries, read from the label and action ('X's umbrella' belongs to someone else)."""
    text = f"{entity.label} {entity.action}".lower()
    props = []
    for prop, keys in (
        ("umbrella", ("umbrella",)),
        ("cane", ("cane", "walking stick", "crutch")),
        ("watch", ("his watch", "her watch", "a watch", "wristwatch")),
        ("backpack", ("backpack", "schoolbag", "school bag", "rucksack")),
    ):
        for key in keys:
            if re.search(rf"\b{key}\b", text) and not re.search(rf"\w+'s\s+(\w+\s+)?{key}\b", text):
                props.append(prop)
                break
    return props


def _figure_geometry(area: Rect, child: bool, umbrella: bool, canvas: _Canvas) -> _Figure:
    """Proportions of a standing figure that fits the area (children have bigger heads, shorter limbs)."""
    x0, y0, x1, y1 = area
    above_head = 1.25 if umbrella else 0.5
    torso, legs = (1.5, 1.5) if child else (2.0, 2.2)
    r = min((y1 - y0) / (above_head + 2.1 + torso + legs), (x1 - x0) * 0.34)
    head_y = y1 - (legs + torso + 1.1) * r
    shoulder_y = head_y + 1.1 * r
    return _Figure(
        cx=(x0 + x1) / 2,
        r=r,
        head_y=head_y,
        shoulder_y=shoulder_y,
        hip_y=shoulder_y + torso * r,
        feet_y=y1,
        line=max(2, round(r / 9)),
    )


def _outfit(entity: LayoutEntity, cues: list[str], position: int) -> dict[str, Color]:
    """Skin, hair, shirt and trouser colours: uniforms for role cues, else colours that differ between people."""
    offset = zlib.crc32((entity.role or entity.label).encode()) + position
    shirt = SHIRT_COLORS[offset % len(SHIRT_COLORS)]
    trousers = TROUSER_COLORS[offset % len(TROUSER_COLORS)]
    if "police cap" in cues:
        shirt, trousers = (40, 60, 110), (30, 40, 70)
    elif "peaked cap" in cues:
        shirt, trousers = (50, 80, 140), (40, 50, 80)
    elif "nurse cap" in cues:
        shirt, trousers = (150, 200, 230), (150, 200, 230)
    elif "school uniform" in cues:
        shirt, trousers = (36, 52, 100), (60, 70, 110)
    elif "fire helmet" in cues:
        shirt, trousers = (60, 60, 60), (60, 60, 60)
    hair = (215, 215, 220) if "grey hair" in cues else _pick(HAIR_COLORS, entity.label)
    return {"skin": _pick(SKIN_TONES, entity.label), "hair": hair, "shirt": shirt, "trousers": trousers}


def _arm_pose(action: str) -> str:
    action = action.lower()
    if any(key in action for key in RAISED_ARM_WORDS):
        return "raised"
    if any(key in action for key in FORWARD_ARM_WORDS):
        return "forward"
    return "down"


def _draw_body(
    canvas: _Canvas,
    figure: _Figure,
    outfit: dict[str, Color],
    cues: list[str],
    props: list[str],
    action: str,
    skirt: bool,
) -> None:
    """Shadow, legs, torso with role clothing, arms and carried props."""
    draw, r, cx = canvas.draw, figure.r, figure.cx
    draw.ellipse((cx - 1.3 * r, figure.feet_y - 0.2 * r, cx + 1.3 * r, figure.feet_y + 0.2 * r), fill=(0, 0, 0, 60))
    for side in (-1, 1):
        leg_x = cx + side * 0.38 * r
        draw.rectangle(
            (leg_x - 0.24 * r, figure.hip_y - 0.2 * r, leg_x + 0.24 * r, figure.feet_y - 0.15 * r),
            fill=outfit["skin"] if skirt else outfit["trousers"],
        )
        draw.ellipse(
            (
                leg_x - 0.35 * r + side * 0.1 * r,
                figure.feet_y - 0.32 * r,
                leg_x + 0.35 * r + side * 0.1 * r,
                figure.feet_y,
            ),
            fill=INK,
        )
    if "backpack" in props or "school uniform" in cues:
        draw.rounded_rectangle(
            (cx - 1.2 * r, figure.shoulder_y + 0.1 * r, cx - 0.5 * r, figure.hip_y - 0.1 * r),
            radius=r * 0.2,
            fill=(200, 60, 60),
            outline=INK,
        )
    torso = (cx - 0.8 * r, figure.shoulder_y, cx + 0.8 * r, figure.hip_y)
    coat = (250, 250, 250) if "white coat" in cues else outfit["shirt"]
    draw.rounded_rectangle(torso, radius=0.35 * r, fill=coat, outline=_shade(coat, 0.6), width=2)
    if skirt:
        draw.polygon(
            [
                (cx - 0.8 * r, figure.hip_y - 0.3 * r),
                (cx + 0.8 * r, figure.hip_y - 0.3 * r),
                (cx + 1.05 * r, figure.hip_y + 0.8 * r),
                (cx - 1.05 * r, figure.hip_y + 0.8 * r),
            ],
            fill=outfit["trousers"],
        )
    _draw_clothing_cues(canvas, figure, cues)
    _draw_arms(canvas, figure, outfit, _arm_pose(action), props)


def _draw_clothing_cues(canvas: _Canvas, figure: _Figure, cues: list[str]) -> None:
    draw, r, cx, top = canvas.draw, figure.r, figure.cx, figure.shoulder_y
    if "apron" in cues:
        draw.rectangle(
            (cx - 0.6 * r, top + 0.5 * r, cx + 0.6 * r, figure.hip_y + 0.9 * r),
            fill=(250, 250, 250),
            outline=(160, 160, 160),
        )
    if "white coat" in cues:
        draw.line((cx, top, cx, figure.hip_y), fill=(170, 170, 170), width=2)
        draw.arc((cx - 0.5 * r, top - 0.2 * r, cx + 0.5 * r, top + 1.0 * r), 20, 160, fill=(80, 80, 90), width=3)
    if "school uniform" in cues or "tie" in cues:
        draw.polygon([(cx - 0.35 * r, top), (cx + 0.35 * r, top), (cx, top + 0.6 * r)], fill=(250, 250, 250))
        draw.polygon(
            [
                (cx - 0.1 * r, top + 0.1 * r),
                (cx + 0.1 * r, top + 0.1 * r),
                (cx + 0.14 * r, top + 1.1 * r),
                (cx, top + 1.3 * r),
                (cx - 0.14 * r, top + 1.1 * r),
            ],
            fill=(200, 40, 50),
        )
    if "police cap" in cues or "peaked cap" in cues or "nurse cap" in cues:
        _star(canvas, cx + 0.45 * r, top + 0.55 * r, 0.22 * r, (250, 210, 60))
    if "fire helmet" in cues:
        draw.rectangle((cx - 0.8 * r, top + 1.2 * r, cx + 0.8 * r, top + 1.4 * r), fill=(250, 230, 60))


def _star(canvas: _Canvas, x: float, y: float, radius: float, color: Color) -> None:
    points = []
    for index in range(10):
        distance = radius if index % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((x + distance * math.cos(angle), y + distance * math.sin(angle)))
    canvas.draw.polygon(points, fill=color, outline=INK)


def _draw_arms(canvas: _Canvas, figure: _Figure, outfit: dict[str, Color], pose: str, props: list[str]) -> None:
    """Two outlined arms; the right one follows the pose or holds the umbrella, the left one a watch or cane."""
    r, cx = figure.r, figure.cx
    width = max(3, round(0.3 * r))
    shoulder = figure.shoulder_y + 0.25 * r
    right_hand = {
        "raised": (cx + 1.3 * r, figure.head_y - 0.9 * r),
        "forward": (cx + 1.9 * r, shoulder + 0.4 * r),
        "down": (cx + 1.15 * r, figure.hip_y + 0.2 * r),
    }[pose]
    if "umbrella" in props:
        right_hand = (cx + 1.15 * r, figure.shoulder_y + 0.1 * r)
    left_hand = (
        (cx - 0.05 * r, figure.shoulder_y + 0.8 * r) if "watch" in props else (cx - 1.15 * r, figure.hip_y + 0.2 * r)
    )
    for shoulder_x, hand in ((cx + 0.7 * r, right_hand), (cx - 0.7 * r, left_hand)):
        canvas.draw.line((shoulder_x, shoulder, *hand), fill=_shade(outfit["shirt"], 0.6), width=width + 2)
        canvas.draw.line((shoulder_x, shoulder, *hand), fill=outfit["shirt"], width=width)
        canvas.draw.ellipse(
            (hand[0] - 0.2 * r, hand[1] - 0.2 * r, hand[0] + 0.2 * r, hand[1] + 0.2 * r), fill=outfit["skin"]
        )
    if "watch" in props:
        wrist_x, wrist_y = left_hand[0] - 0.3 * r, left_hand[1] - 0.08 * r
        canvas.draw.ellipse(
            (wrist_x - 0.16 * r, wrist_y - 0.16 * r, wrist_x + 0.16 * r, wrist_y + 0.16 * r),
            fill=(250, 226, 90),
            outline=INK,
            width=2,
        )
    elif "cane" in props:
        cane = (110, 70, 40)
        canvas.draw.line((*left_hand, left_hand[0] - 0.2 * r, figure.feet_y), fill=cane, width=max(3, width // 2))
        handle = (left_hand[0] - 0.2 * r, left_hand[1] - 0.25 * r, left_hand[0] + 0.3 * r, left_hand[1] + 0.15 * r)
        canvas.draw.arc(handle, 180, 360, fill=cane, width=max(3, width // 2))


def _draw_head(canvas: _Canvas, figure: _Figure, outfit: dict[str, Color], cues: list[str], long_hair: bool) -> None:
    draw, r, cx, cy = canvas.draw, figure.r, figure.cx, figure.head_y
    if long_hair:
        draw.rounded_rectangle(
            (cx - 1.1 * r, cy - 0.6 * r, cx + 1.1 * r, cy + 1.0 * r), radius=0.4 * r, fill=outfit["hair"]
        )
    draw.rectangle((cx - 0.2 * r, cy + 0.8 * r, cx + 0.2 * r, figure.shoulder_y + 0.1 * r), fill=outfit["skin"])
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=outfit["skin"], outline=_shade(outfit["skin"], 0.6), width=2)
    if "grey hair" in cues:
        for side in (-1, 1):
            draw.chord(
                _ordered(cx + side * 1.06 * r, cy - 0.5 * r, cx + side * 0.72 * r, cy + 0.2 * r),
                0,
                360,
                fill=outfit["hair"],
            )
    else:
        draw.chord((cx - r, cy - r, cx + r, cy + 0.1 * r), 180, 360, fill=outfit["hair"])


def _draw_face(canvas: _Canvas, figure: _Figure, expression: str) -> None:
    """Eyes, brows and mouth (plus tears, sweat, blush or Zs) for one of eight expressions."""
    draw, r, cx, cy, line = canvas.draw, figure.r, figure.cx, figure.head_y, figure.line
    eye_y, eye_dx = cy - 0.05 * r, 0.38 * r
    wide = expression in ("surprised", "afraid")
    for side in (-1, 1):
        ex = cx + side * eye_dx
        if expression == "sleepy":
            draw.line((ex - 0.17 * r, eye_y, ex + 0.17 * r, eye_y), fill=INK, width=line)
        elif wide:
            draw.ellipse(
                (ex - 0.19 * r, eye_y - 0.22 * r, ex + 0.19 * r, eye_y + 0.22 * r),
                fill=(255, 255, 255),
                outline=INK,
                width=max(1, line // 2),
            )
            draw.ellipse((ex - 0.07 * r, eye_y - 0.07 * r, ex + 0.07 * r, eye_y + 0.07 * r), fill=INK)
        else:
            draw.ellipse((ex - 0.1 * r, eye_y - 0.12 * r, ex + 0.1 * r, eye_y + 0.12 * r), fill=INK)
        _brow(canvas, ex, eye_y, side, r, expression, line)
    _mouth(canvas, cx, cy + 0.45 * r, r, expression, line)
    _face_extras(canvas, cx, eye_y, r, expression)


def _brow(canvas: _Canvas, ex: float, eye_y: float, side: int, r: float, expression: str, line: int) -> None:
    """Brow shapes: angry slopes down to the nose, sad/worried/afraid slope up to it, surprised arches high."""
    outer, inner = ex + side * 0.22 * r, ex - side * 0.18 * r
    base = eye_y - 0.32 * r
    if expression == "angry":
        canvas.draw.line((outer, base - 0.12 * r, inner, base + 0.1 * r), fill=INK, width=line + 1)
    elif expression in ("sad", "worried", "afraid"):
        canvas.draw.line((outer, base + 0.06 * r, inner, base - 0.14 * r), fill=INK, width=line)
    elif expression == "surprised":
        canvas.draw.arc(
            (ex - 0.22 * r, base - 0.25 * r, ex + 0.22 * r, base + 0.05 * r), 200, 340, fill=INK, width=line
        )
    elif expression != "sleepy":
        canvas.draw.line((outer, base, inner, base), fill=INK, width=max(1, line - 1))


def _mouth(canvas: _Canvas, cx: float, my: float, r: float, expression: str, line: int) -> None:
    draw = canvas.draw
    if expression == "happy":
        draw.chord(
            (cx - 0.48 * r, my - 0.3 * r, cx + 0.48 * r, my + 0.3 * r),
            0,
            180,
            fill=(170, 40, 50),
            outline=INK,
            width=line,
        )
    elif expression == "sad":
        draw.arc((cx - 0.38 * r, my + 0.02 * r, cx + 0.38 * r, my + 0.42 * r), 200, 340, fill=INK, width=line)
    elif expression == "angry":
        draw.rectangle((cx - 0.36 * r, my, cx + 0.36 * r, my + 0.24 * r), fill=(255, 255, 255), outline=INK, width=1)
        draw.line((cx - 0.36 * r, my + 0.09 * r, cx + 0.36 * r, my + 0.09 * r), fill=INK, width=1)
    elif expression == "surprised":
        draw.ellipse(
            (cx - 0.15 * r, my - 0.1 * r, cx + 0.15 * r, my + 0.3 * r), fill=(120, 30, 40), outline=INK, width=line
        )
    elif expression == "afraid":
        draw.ellipse(
            (cx - 0.32 * r, my - 0.04 * r, cx + 0.32 * r, my + 0.3 * r), fill=(120, 30, 40), outline=INK, width=line
        )
        draw.line((cx - 0.25 * r, my + 0.05 * r, cx + 0.25 * r, my + 0.05 * r), fill=(255, 255, 255), width=line)
    elif expression == "worried":
        points = [(cx + (index - 3) * 0.14 * r, my + (0.16 if index % 2 else 0.02) * r) for index in range(7)]
        draw.line(points, fill=INK, width=line, joint="curve")
    elif expression == "sleepy":
        draw.ellipse((cx - 0.1 * r, my, cx + 0.1 * r, my + 0.18 * r), fill=(120, 30, 40))
    else:
        draw.arc((cx - 0.3 * r, my - 0.15 * r, cx + 0.3 * r, my + 0.15 * r), 20, 160, fill=INK, width=line)


def _face_extras(canvas: _Canvas, cx: float, eye_y: float, r: float, expression: str) -> None:
    draw = canvas.draw
    if expression == "sad":
        for side in (-1, 1):
            tx = cx + side * 0.42 * r
            draw.polygon(
                [(tx, eye_y + 0.12 * r), (tx - 0.09 * r, eye_y + 0.38 * r), (tx + 0.09 * r, eye_y + 0.38 * r)],
                fill=(80, 150, 240),
            )
            draw.ellipse((tx - 0.1 * r, eye_y + 0.3 * r, tx + 0.1 * r, eye_y + 0.5 * r), fill=(80, 150, 240))
    elif expression in ("worried", "afraid"):
        sx, sy = cx + 0.72 * r, eye_y - 0.6 * r
        draw.polygon([(sx, sy), (sx - 0.12 * r, sy + 0.25 * r), (sx + 0.12 * r, sy + 0.25 * r)], fill=(120, 190, 250))
        draw.ellipse((sx - 0.13 * r, sy + 0.15 * r, sx + 0.13 * r, sy + 0.4 * r), fill=(120, 190, 250))
    elif expression == "happy":
        for side in (-1, 1):
            bx = cx + side * 0.62 * r
            draw.ellipse((bx - 0.15 * r, eye_y + 0.2 * r, bx + 0.15 * r, eye_y + 0.36 * r), fill=(240, 120, 120, 150))
    elif expression == "angry":
        vx, vy = cx + 0.6 * r, eye_y - 0.55 * r
        for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
            draw.line(
                (vx + dx * 0.05 * r, vy + dy * 0.05 * r, vx + dx * 0.16 * r, vy + dy * 0.16 * r),
                fill=(220, 30, 30),
                width=max(2, round(r / 12)),
            )
    elif expression == "sleepy":
        draw.text(
            (cx + 0.9 * r, eye_y - 0.9 * r),
            "z Z",
            font=_font(round(r * 0.6)),
            fill=(190, 215, 255),
            stroke_width=2,
            stroke_fill=(40, 60, 140),
        )


def _draw_headwear(canvas: _Canvas, figure: _Figure, cues: list[str]) -> None:
    """The hat that shows the role, if any, and glasses."""
    draw, r, cx, cy = canvas.draw, figure.r, figure.cx, figure.head_y
    top = cy - r
    if "glasses" in cues:
        for side in (-1, 1):
            ex = cx + side * 0.38 * r
            draw.ellipse((ex - 0.24 * r, cy - 0.28 * r, ex + 0.24 * r, cy + 0.18 * r), outline=INK, width=2)
        draw.line((cx - 0.14 * r, cy - 0.08 * r, cx + 0.14 * r, cy - 0.08 * r), fill=INK, width=2)
    hat = next((cue for cue in cues if cue in HATS), None)
    if hat in ("police cap", "peaked cap"):
        color = (30, 40, 80) if hat == "police cap" else (40, 60, 120)
        draw.rounded_rectangle(
            (cx - 1.05 * r, top - 0.35 * r, cx + 1.05 * r, top + 0.35 * r), radius=0.2 * r, fill=color
        )
        draw.chord((cx - 1.0 * r, top + 0.15 * r, cx + 1.2 * r, top + 0.6 * r), 0, 180, fill=INK)
        _star(canvas, cx, top, 0.2 * r, (250, 210, 60))
    elif hat == "nurse cap":
        draw.rectangle((cx - 0.6 * r, top - 0.35 * r, cx + 0.6 * r, top + 0.15 * r), fill=(255, 255, 255), outline=INK)
        draw.rectangle((cx - 0.06 * r, top - 0.28 * r, cx + 0.06 * r, top + 0.08 * r), fill=(220, 30, 40))
        draw.rectangle((cx - 0.18 * r, top - 0.16 * r, cx + 0.18 * r, top - 0.04 * r), fill=(220, 30, 40))
    elif hat == "chef hat":
        draw.rectangle((cx - 0.6 * r, top - 0.5 * r, cx + 0.6 * r, top + 0.2 * r), fill=(255, 255, 255), outline=INK)
        draw.ellipse((cx - 0.8 * r, top - 0.5 * r * 2, cx + 0.8 * r, top - 0.2 * r), fill=(255, 255, 255), outline=INK)
    elif hat in ("hard hat", "fire helmet"):
        color = (250, 200, 30) if hat == "hard hat" else (210, 30, 30)
        draw.chord((cx - 1.0 * r, top - 0.4 * r, cx + 1.0 * r, top + 1.0 * r), 180, 360, fill=color, outline=INK)
        draw.rectangle((cx - 1.2 * r, top + 0.25 * r, cx + 1.2 * r, top + 0.38 * r), fill=color, outline=INK)
    elif hat == "straw hat":
        draw.ellipse((cx - 1.5 * r, top + 0.1 * r, cx + 1.5 * r, top + 0.45 * r), fill=(230, 200, 120), outline=INK)
        draw.chord(
            (cx - 0.75 * r, top - 0.45 * r, cx + 0.75 * r, top + 0.6 * r), 180, 360, fill=(230, 200, 120), outline=INK
        )
    elif hat == "crown":
        points = [
            (cx - 0.7 * r, top + 0.15 * r),
            (cx - 0.7 * r, top - 0.45 * r),
            (cx - 0.35 * r, top - 0.1 * r),
            (cx, top - 0.5 * r),
            (cx + 0.35 * r, top - 0.1 * r),
            (cx + 0.7 * r, top - 0.45 * r),
            (cx + 0.7 * r, top + 0.15 * r),
        ]
        draw.polygon(points, fill=(250, 205, 40), outline=INK)
    elif hat == "top hat":
        draw.rectangle((cx - 0.55 * r, top - 0.5 * r, cx + 0.55 * r, top + 0.2 * r), fill=(20, 20, 24))
        draw.rectangle((cx - 0.95 * r, top + 0.1 * r, cx + 0.95 * r, top + 0.3 * r), fill=(20, 20, 24))


def _held_umbrella(canvas: _Canvas, figure: _Figure, left: float, right: float, top: float) -> None:
    """An open umbrella above the head, its shaft in the raised right hand."""
    r = figure.r
    shaft_x = figure.cx + 1.15 * r
    span = min(3.4 * r, right - left)
    center = min(max(figure.cx + 0.45 * r, left + span / 2), right - span / 2)
    canopy_top = max(top, figure.head_y - 2.2 * r)
    canopy = (center - span / 2, canopy_top, center + span / 2, canopy_top + span * 0.6)
    canvas.draw.line(
        (shaft_x, canopy_top + span * 0.1, shaft_x, figure.shoulder_y + 0.35 * r), fill=INK, width=max(2, figure.line)
    )
    canvas.draw.pieslice(canopy, 180, 360, fill=(36, 40, 60), outline=(10, 10, 20), width=2)
    for index in range(4):
        scallop_x = canopy[0] + span * index / 4
        canvas.draw.arc(
            (scallop_x, canopy_top + span * 0.24, scallop_x + span / 4, canopy_top + span * 0.36),
            180,
            360,
            fill=(90, 96, 120),
            width=2,
        )
    canvas.draw.line((center, canopy_top - 0.15 * r, center, canopy_top + 0.05 * r), fill=INK, width=2)
