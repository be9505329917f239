"""People: standing figures with role clothing, hats, arms posed by the action and carried props."""

from __future__ import annotations

import re
import zlib

from storypainter.layout import CHILD_WORDS
from storypainter.providers.painters.storyboard.canvas import (
    HAIR_COLORS,
    INK,
    SHIRT_COLORS,
    SKIN_TONES,
    TROUSER_COLORS,
    Canvas,
    Color,
    Figure,
    Rect,
    ordered,
    pick,
    plate,
    shade,
    star,
)
from storypainter.providers.painters.storyboard.faces import draw_face, draw_headwear
from storypainter.providers.painters.storyboard.vocabulary import (
    FEMALE_WORDS,
    HATS,
    ROLE_CUES,
    arm_pose,
    expression_for,
    word_set,
)
from storypainter.schema import LayoutEntity, SceneLayout


def paint_person(canvas: Canvas, entity: LayoutEntity, layout: SceneLayout) -> str:
    """A figure with an expressive face, role cues and props, over a name plate with name and role."""
    x0, y0, x1, y1 = canvas.rect(entity.box)
    words = word_set(re.sub(r"years?[- ]old", "", f"{entity.label} {entity.role}"))
    female = bool(words & FEMALE_WORDS)
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
    draw_face(canvas, figure, expression)
    draw_headwear(canvas, figure, cues)
    if "umbrella" in props:
        _held_umbrella(canvas, figure, x0, x1, y0)
    lines = [(entity.label, name_size)] + ([(entity.role, role_size)] if show_role else [])
    plate(canvas, lines, (x0 + x1) / 2, y1 - 1, x1 - x0 + 8 * canvas.unit)
    cue_text = ", ".join(cues + props) or "none"
    return (
        f"emotion: {entity.emotion} (face: {expression}); role: {entity.role}; action: {entity.action}; "
        f"cues: {cue_text}; pose: {arm_pose(entity.action)}"
    )


def _role_cues(words: set[str]) -> list[str]:
    """Visible cues for a role: at most one hat, plus clothes, hair and glasses."""
    cues = [cue for cue, keys in ROLE_CUES.items() if words & keys]
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


def _figure_geometry(area: Rect, child: bool, umbrella: bool, canvas: Canvas) -> Figure:
    """Proportions of a standing figure that fits the area (children have bigger heads, shorter limbs)."""
    x0, y0, x1, y1 = area
    above_head = 1.25 if umbrella else 0.5
    torso, legs = (1.5, 1.5) if child else (2.0, 2.2)
    r = min((y1 - y0) / (above_head + 2.1 + torso + legs), (x1 - x0) * 0.34)
    head_y = y1 - (legs + torso + 1.1) * r
    shoulder_y = head_y + 1.1 * r
    return Figure(
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
    hair = (215, 215, 220) if "grey hair" in cues else pick(HAIR_COLORS, entity.label)
    return {"skin": pick(SKIN_TONES, entity.label), "hair": hair, "shirt": shirt, "trousers": trousers}


def _draw_body(
    canvas: Canvas,
    figure: Figure,
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
    draw.rounded_rectangle(torso, radius=0.35 * r, fill=coat, outline=shade(coat, 0.6), width=2)
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
    _draw_arms(canvas, figure, outfit, arm_pose(action), props)


def _draw_clothing_cues(canvas: Canvas, figure: Figure, cues: list[str]) -> None:
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
        star(canvas, cx + 0.45 * r, top + 0.55 * r, 0.22 * r, (250, 210, 60))
    if "fire helmet" in cues:
        draw.rectangle((cx - 0.8 * r, top + 1.2 * r, cx + 0.8 * r, top + 1.4 * r), fill=(250, 230, 60))


def _draw_arms(canvas: Canvas, figure: Figure, outfit: dict[str, Color], pose: str, props: list[str]) -> None:
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
        canvas.draw.line((shoulder_x, shoulder, *hand), fill=shade(outfit["shirt"], 0.6), width=width + 2)
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


def _draw_head(canvas: Canvas, figure: Figure, outfit: dict[str, Color], cues: list[str], long_hair: bool) -> None:
    draw, r, cx, cy = canvas.draw, figure.r, figure.cx, figure.head_y
    if long_hair:
        draw.rounded_rectangle(
            (cx - 1.1 * r, cy - 0.6 * r, cx + 1.1 * r, cy + 1.0 * r), radius=0.4 * r, fill=outfit["hair"]
        )
    draw.rectangle((cx - 0.2 * r, cy + 0.8 * r, cx + 0.2 * r, figure.shoulder_y + 0.1 * r), fill=outfit["skin"])
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=outfit["skin"], outline=shade(outfit["skin"], 0.6), width=2)
    if "grey hair" in cues:
        for side in (-1, 1):
            draw.chord(
                ordered(cx + side * 1.06 * r, cy - 0.5 * r, cx + side * 0.72 * r, cy + 0.2 * r),
                0,
                360,
                fill=outfit["hair"],
            )
    else:
        draw.chord((cx - r, cy - r, cx + r, cy + 0.1 * r), 180, 360, fill=outfit["hair"])


def _held_umbrella(canvas: Canvas, figure: Figure, left: float, right: float, top: float) -> None:
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
