"""Faces and headwear: eyes, brows and mouth for eight expressions, hats and glasses."""

from __future__ import annotations

from storypainter.providers.painters.storyboard.canvas import INK, Canvas, Figure, load_font, star
from storypainter.providers.painters.storyboard.vocabulary import HATS


def draw_face(canvas: Canvas, figure: Figure, expression: str) -> None:
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


def _brow(canvas: Canvas, ex: float, eye_y: float, side: int, r: float, expression: str, line: int) -> None:
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


def _mouth(canvas: Canvas, cx: float, my: float, r: float, expression: str, line: int) -> None:
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


def _face_extras(canvas: Canvas, cx: float, eye_y: float, r: float, expression: str) -> None:
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
            font=load_font(round(r * 0.6)),
            fill=(190, 215, 255),
            stroke_width=2,
            stroke_fill=(40, 60, 140),
        )


def draw_headwear(canvas: Canvas, figure: Figure, cues: list[str]) -> None:
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
        star(canvas, cx, top, 0.2 * r, (250, 210, 60))
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
