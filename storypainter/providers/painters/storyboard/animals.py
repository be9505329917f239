"""Animals: four-legged animals and birds facing the middle of the picture."""

from __future__ import annotations

from storypainter.layout import animal_species
from storypainter.providers.painters.storyboard.canvas import (
    INK,
    Canvas,
    Color,
    Rect,
    caption_under,
    ordered,
    shade,
)
from storypainter.schema import LayoutEntity, SceneLayout

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


def paint_animal(canvas: Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
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
    caption_under(canvas, entity.label, (x0, y0, x1, y1), label_height)
    return f"animal: {species}"


def _quadruped(canvas: Canvas, area: Rect, look: dict, facing: int) -> None:
    x0, y0, x1, y1 = area
    width, height = x1 - x0, y1 - y0
    color, outline, line = look["color"], shade(look["color"], 0.55), max(2, round(2 * canvas.unit))
    leg_top = y0 + height * (0.55 if look.get("tall") else 0.62)
    body = (x0 + width * 0.15, y0 + height * 0.32, x1 - width * 0.2, leg_top + height * 0.08)
    front = body[2] if facing > 0 else body[0]
    back = body[0] if facing > 0 else body[2]
    _tail(canvas, back, body[1] + height * 0.1, -facing, height, look["tail"], color, outline)
    for leg_x in (body[0] + width * 0.07, body[0] + width * 0.2, body[2] - width * 0.2, body[2] - width * 0.07):
        canvas.draw.rectangle(
            (leg_x - width * 0.035, leg_top, leg_x + width * 0.035, y1), fill=shade(color, 0.85), outline=outline
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
    canvas: Canvas, x: float, y: float, direction: int, size: float, kind: str, color: Color, outline: Color
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
        canvas.draw.arc(ordered(x, y - size * 0.2, x + direction * size * 0.2, y), 0, 360, fill=outline, width=line)
    else:
        end_y = y - size * 0.35 if kind == "up" else y + size * 0.4
        canvas.draw.line((x, y + size * 0.1, x + direction * size * 0.3, end_y), fill=outline, width=line)


def _animal_head(
    canvas: Canvas, front: float, body_top: float, facing: int, radius: float, look: dict, outline: Color
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
        _ear_pair(canvas, (cx, cy, radius), (-0.35, 0.2), (0.18, 2.0, 0.5), color, outline)
    elif ears in ("horns", "antlers"):
        for dx in (-0.4, 0.4):
            hx = cx + dx * radius
            canvas.draw.line(
                (hx, cy - radius * 0.7, hx + dx * radius * 0.8, cy - radius * 1.6), fill=(120, 100, 80), width=3
            )
    elif ears == "round":
        _ear_pair(canvas, (cx, cy, radius), (-0.7, 0.7), (0.35, 1.2, 0.5), color, outline)
    canvas.draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=color, outline=outline, width=2)
    snout_x = cx + facing * radius * 0.75
    if look.get("snout"):
        canvas.draw.ellipse(
            (snout_x - radius * 0.35, cy, snout_x + radius * 0.35, cy + radius * 0.5),
            fill=shade(color, 0.9),
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
            fill=shade(color, 0.7),
            outline=outline,
        )


def _ear_pair(
    canvas: Canvas,
    head: tuple[float, float, float],
    offsets: tuple[float, float],
    shape: tuple[float, float, float],
    color: Color,
    outline: Color,
) -> None:
    """Two oval ears at the head's x offsets; shape is (half width, top, bottom) in head radii above its centre."""
    cx, cy, radius = head
    half_width, top, bottom = shape
    for dx in offsets:
        canvas.draw.ellipse(
            (cx + dx * radius - radius * half_width, cy - radius * top, cx + dx * radius + radius * half_width,
             cy - radius * bottom),
            fill=color,
            outline=outline,
        )


def _bird(canvas: Canvas, area: Rect, look: dict, facing: int) -> None:
    x0, y0, x1, y1 = area
    width, height = x1 - x0, y1 - y0
    size = min(width, height)
    cx, cy = (x0 + x1) / 2, y1 - size * 0.55
    outline = shade(look["color"], 0.55)
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
