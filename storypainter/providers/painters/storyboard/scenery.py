"""Backgrounds: sky, sun, moon and weather; city, nature or water outdoors; a room with a window and a feature."""

from __future__ import annotations

from storypainter.providers.painters.storyboard.canvas import (
    FLOOR_LINE,
    HORIZON,
    INK,
    LIGHT_LEVEL,
    SHIRT_COLORS,
    SKY,
    TITLE_STRIP_HEIGHT,
    WALL_COLORS,
    Canvas,
    Color,
    Rect,
    mix,
    pick,
    shade,
)
from storypainter.providers.painters.storyboard.vocabulary import ROOM_FEATURES, SCENERY_WORDS, first_match, word_set
from storypainter.schema import Box, DrawnItem, SceneLayout


def paint_background(canvas: Canvas, layout: SceneLayout, sign_rects: list[Rect]) -> DrawnItem:
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


def _gradient(canvas: Canvas, area: Rect, top: Color, bottom: Color) -> None:
    x0, y0, x1, y1 = (round(value) for value in area)
    for y in range(y0, y1):
        share = (y - y0) / max(1, y1 - y0 - 1)
        canvas.draw.line((x0, y, x1, y), fill=mix(top, bottom, share))


def _sky_colors(time_of_day: str, weather: str) -> tuple[Color, Color]:
    top, bottom = SKY[time_of_day]
    if weather == "clear":
        return top, bottom
    grey = shade((150, 154, 162), LIGHT_LEVEL[time_of_day])
    return mix(top, grey, 0.55), mix(bottom, grey, 0.55)


def _paint_sky(canvas: Canvas, area: Rect, time_of_day: str, weather: str, horizon: float) -> None:
    """Sky gradient with sun, moon, stars or clouds, inside area."""
    x0, y0, x1, y1 = area
    _gradient(canvas, area, *_sky_colors(time_of_day, weather))
    size = min(x1 - x0, y1 - y0)
    if time_of_day == "night":
        moon_sky = mix(*_sky_colors("night", weather), 0.3)
        _moon(canvas, x0 + (x1 - x0) * 0.82, y0 + (y1 - y0) * 0.32, size * 0.09, moon_sky)
        if weather == "clear":
            _stars(canvas, area)
    elif weather == "clear":
        low = time_of_day in ("dawn", "dusk")
        sun_x = x0 + (x1 - x0) * (0.15 if low else 0.82)
        sun_y = horizon - size * 0.15 if low else y0 + (y1 - y0) * 0.3
        _sun(canvas, sun_x, sun_y, size * (0.13 if low else 0.08), low)
    if weather != "clear":
        _clouds(canvas, area, shade((170, 172, 180), LIGHT_LEVEL[time_of_day]))


def _sun(canvas: Canvas, x: float, y: float, radius: float, low: bool) -> None:
    color = (255, 150, 70) if low else (255, 222, 70)
    canvas.draw.ellipse((x - radius * 1.5, y - radius * 1.5, x + radius * 1.5, y + radius * 1.5), fill=(*color, 70))
    canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)


def _moon(canvas: Canvas, x: float, y: float, radius: float, sky: Color) -> None:
    canvas.draw.ellipse(
        (x - radius * 1.6, y - radius * 1.6, x + radius * 1.6, y + radius * 1.6), fill=(250, 240, 200, 40)
    )
    canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(250, 244, 210))
    shift = radius * 0.45
    canvas.draw.ellipse(
        (x - radius + shift, y - radius - shift * 0.4, x + radius + shift, y + radius - shift * 0.4), fill=sky
    )


def _stars(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    for _ in range(round((x1 - x0) * (y1 - y0) / 2500)):
        x, y = canvas.rng.uniform(x0, x1), canvas.rng.uniform(y0, y1 * 0.9)
        radius = canvas.rng.choice((0.8, 1.2, 1.8)) * canvas.unit
        canvas.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 230))


def _clouds(canvas: Canvas, area: Rect, color: Color) -> None:
    x0, y0, x1, y1 = area
    step = (x1 - x0) / 4
    for index in range(5):
        cx = x0 + step * index + canvas.rng.uniform(-step * 0.3, step * 0.3)
        cy = y0 + (y1 - y0) * canvas.rng.uniform(0.12, 0.35)
        for dx, dy, size in ((-0.5, 0.1, 0.45), (0.0, -0.1, 0.6), (0.5, 0.1, 0.45)):
            radius = step * size * 0.5
            x, y = cx + dx * step * 0.5, cy + dy * step * 0.5
            canvas.draw.ellipse((x - radius, y - radius * 0.7, x + radius, y + radius * 0.7), fill=(*color, 230))


def _paint_outdoors(canvas: Canvas, layout: SceneLayout) -> str:
    """Sky, ground and scenery (city, nature or water) for an outdoor place; returns the scenery kind."""
    width, height = canvas.width, canvas.height
    horizon = HORIZON * height
    _paint_sky(canvas, (0, 0, width, horizon), layout.time_of_day, layout.weather, horizon)
    scenery = first_match(layout.background, SCENERY_WORDS, "nature")
    light = LIGHT_LEVEL[layout.time_of_day]
    {"urban": _paint_city, "nature": _paint_nature, "water": _paint_water}[scenery](canvas, horizon, light, layout)
    return scenery


def _paint_city(canvas: Canvas, horizon: float, light: float, layout: SceneLayout) -> None:
    """Buildings with windows on the horizon, a road and a sidewalk in front."""
    width, height = canvas.width, canvas.height
    lit = layout.time_of_day in ("dusk", "night")
    x = -canvas.rng.uniform(0, width * 0.05)
    while x < width:
        building_width = canvas.rng.uniform(0.08, 0.14) * width
        top = horizon - canvas.rng.uniform(0.12, 0.32) * height
        canvas.draw.rectangle((x, top, x + building_width - 2, horizon), fill=shade((128, 136, 156), light))
        _windows(canvas, (x, top, x + building_width - 2, horizon), lit)
        x += building_width
    curb = horizon + (height - horizon) * 0.3
    canvas.draw.rectangle((0, horizon, width, curb), fill=shade((86, 86, 94), light))
    for dash_x in range(0, width, round(width / 10)):
        middle = (horizon + curb) / 2
        canvas.draw.rectangle(
            (dash_x, middle - 2, dash_x + width / 22, middle + 2), fill=shade((236, 236, 220), light)
        )
    canvas.draw.rectangle((0, curb, width, height), fill=shade((176, 172, 166), light))
    canvas.draw.line((0, curb, width, curb), fill=shade((110, 106, 100), light), width=max(2, round(4 * canvas.unit)))
    for line_x in range(0, width, round(width / 12)):
        canvas.draw.line((line_x, curb, line_x - width * 0.04, height), fill=shade((150, 146, 140), light))
    if lit:
        _street_lamp(canvas, width * 0.035, curb, horizon)


def _windows(canvas: Canvas, building: Rect, lit: bool) -> None:
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


def _street_lamp(canvas: Canvas, x: float, base_y: float, horizon: float) -> None:
    top = horizon - 0.3 * canvas.height
    glow = 0.09 * canvas.height
    canvas.draw.ellipse((x - glow, top - glow * 0.6, x + glow * 1.6, top + glow * 1.4), fill=(255, 220, 140, 60))
    canvas.draw.rectangle((x - 3 * canvas.unit, top, x + 3 * canvas.unit, base_y), fill=(40, 40, 48))
    canvas.draw.rectangle((x - 2, top, x + 24 * canvas.unit, top + 5 * canvas.unit), fill=(40, 40, 48))
    canvas.draw.ellipse(
        (x + 14 * canvas.unit, top + 3 * canvas.unit, x + 28 * canvas.unit, top + 13 * canvas.unit),
        fill=(255, 230, 150),
    )


def _paint_nature(canvas: Canvas, horizon: float, light: float, layout: SceneLayout) -> None:
    """Green hills, a row of trees and grass."""
    width, height = canvas.width, canvas.height
    canvas.draw.ellipse(
        (-width * 0.2, horizon - height * 0.12, width * 0.6, horizon + height * 0.2),
        fill=shade((120, 170, 110), light),
    )
    canvas.draw.ellipse(
        (width * 0.4, horizon - height * 0.09, width * 1.3, horizon + height * 0.2), fill=shade((110, 160, 100), light)
    )
    canvas.draw.rectangle((0, horizon, width, height), fill=shade((118, 178, 92), light))
    for index in range(7):
        x = width * (index + 0.5) / 7 + canvas.rng.uniform(-width * 0.03, width * 0.03)
        _tree(canvas, x, horizon + 4 * canvas.unit, canvas.rng.uniform(0.13, 0.2) * height, light)


def _tree(canvas: Canvas, x: float, base_y: float, tree_height: float, light: float) -> None:
    trunk = tree_height * 0.08
    canvas.draw.rectangle(
        (x - trunk, base_y - tree_height * 0.45, x + trunk, base_y), fill=shade((110, 76, 48), light)
    )
    radius = tree_height * 0.32
    crown_y = base_y - tree_height * 0.65
    canvas.draw.ellipse((x - radius, crown_y - radius, x + radius, crown_y + radius), fill=shade((58, 128, 60), light))


def _paint_water(canvas: Canvas, horizon: float, light: float, layout: SceneLayout) -> None:
    """A band of sea or lake with waves, then sand or grass."""
    width, height = canvas.width, canvas.height
    shore = horizon + (height - horizon) * 0.3
    canvas.draw.rectangle((0, horizon, width, shore), fill=shade((60, 130, 190), light))
    for y in range(round(horizon + 6), round(shore), max(6, round(10 * canvas.unit))):
        for x in range(round(canvas.rng.uniform(0, 30)), width, round(60 * canvas.unit)):
            canvas.draw.arc(
                (x, y, x + 20 * canvas.unit, y + 6 * canvas.unit),
                200,
                340,
                fill=shade((200, 230, 250), light),
                width=2,
            )
    sandy = word_set(layout.background) & {"beach", "shore", "island", "coast"}
    canvas.draw.rectangle((0, shore, width, height), fill=shade((232, 210, 160) if sandy else (118, 178, 92), light))


def _paint_room(canvas: Canvas, layout: SceneLayout, sign_rects: list[Rect]) -> None:
    """Wall, floor, a window showing the sky and weather, and a feature that names the room."""
    width, height = canvas.width, canvas.height
    floor_y = FLOOR_LINE * height
    light = 0.8 if layout.time_of_day == "night" else 1.0
    canvas.draw.rectangle((0, 0, width, floor_y), fill=shade(pick(WALL_COLORS, layout.background), light))
    canvas.draw.rectangle((0, floor_y, width, height), fill=shade((176, 128, 84), light))
    for y in range(round(floor_y), height, max(8, round(22 * canvas.unit))):
        canvas.draw.line((0, y, width, y), fill=shade((150, 106, 68), light), width=2)
    canvas.draw.rectangle((0, floor_y - 8 * canvas.unit, width, floor_y), fill=shade((240, 236, 226), light))
    slots = _free_wall_slots(canvas, sign_rects)
    window = slots[0]
    _paint_window(canvas, window, layout)
    feature = first_match(layout.background, ROOM_FEATURES, "")
    if feature == "counter":
        _kitchen_counter(canvas, window)
    elif feature:
        {"blackboard": _blackboard, "shelves": _shelves}[feature](canvas, slots[1])
    if layout.time_of_day in ("dusk", "night"):
        _ceiling_lamp(canvas, slots[-1])


def _free_wall_slots(canvas: Canvas, sign_rects: list[Rect]) -> list[Rect]:
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


def _paint_window(canvas: Canvas, window: Rect, layout: SceneLayout) -> None:
    x0, y0, x1, y1 = window
    frame = 6 * canvas.unit
    canvas.draw.rectangle(
        (x0 - frame, y0 - frame, x1 + frame, y1 + frame), fill=(250, 250, 246), outline=(150, 140, 130)
    )
    pane = Canvas.blank(round(x1 - x0), round(y1 - y0), canvas.rng, canvas.unit)
    pane_area = (0, 0, pane.width, pane.height)
    _paint_sky(pane, pane_area, layout.time_of_day, layout.weather, pane.height)
    _paint_weather(pane, layout.weather, pane_area, ground_y=None)
    canvas.image.paste(pane.image, (round(x0), round(y0)))
    middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
    canvas.draw.line((middle_x, y0, middle_x, y1), fill=(250, 250, 246), width=round(frame))
    canvas.draw.line((x0, middle_y, x1, middle_y), fill=(250, 250, 246), width=round(frame))


def _blackboard(canvas: Canvas, area: Rect) -> None:
    x0, y0, x1, y1 = area
    canvas.draw.rectangle((x0, y0, x1, y1), fill=(40, 70, 56), outline=(130, 96, 60), width=round(6 * canvas.unit))
    for row in range(3):
        y = y0 + (y1 - y0) * (0.3 + row * 0.2)
        canvas.draw.line((x0 + 14, y, x1 - 30 - row * 20, y), fill=(220, 230, 220), width=2)


def _shelves(canvas: Canvas, area: Rect) -> None:
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


def _kitchen_counter(canvas: Canvas, window: Rect) -> None:
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


def _ceiling_lamp(canvas: Canvas, area: Rect) -> None:
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


def _paint_weather(canvas: Canvas, weather: str, area: Rect, ground_y: float | None) -> None:
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
