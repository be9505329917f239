"""The storyboard painter: size, determinism, backgrounds, faces, manifest and atomic PNG writes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image, ImageChops, ImageStat

from storypainter.providers.painters.storyboard import StoryboardPainter, expression_for, render_storyboard
from storypainter.schema import Box, LayoutEntity, SceneLayout, Story

WIDTH, HEIGHT = 384, 256


def person(label="old man", emotion="worried", role="bus driver", x=0.3, emphasis=False) -> LayoutEntity:
    return LayoutEntity(
        label=label,
        kind="person",
        box=Box(x=x, y=0.35, w=0.16, h=0.55),
        role=role,
        emotion=emotion,
        action="waiting",
        emphasis=emphasis,
    )


def scene(**changes) -> SceneLayout:
    fields = {
        "background": "bus stop on a city street",
        "indoor": False,
        "time_of_day": "night",
        "weather": "rain",
        "time_label": "late evening, 23:05",
        "title": "The Last Bus",
        "entities": [
            person(),
            LayoutEntity(label="dog", kind="animal", box=Box(x=0.1, y=0.74, w=0.15, h=0.16)),
            LayoutEntity(label="puddle", kind="object", box=Box(x=0.55, y=0.82, w=0.17, h=0.08)),
            LayoutEntity(
                label="bus stop sign", kind="sign", box=Box(x=0.33, y=0.11, w=0.34, h=0.22), text="LAST BUS 23:10"
            ),
        ],
    }
    return SceneLayout(**(fields | changes))


def story() -> Story:
    return Story(
        title="The Last Bus",
        description="An old man waits.",
        location="bus stop",
        time="night",
        painter_prompt="an old man at a bus stop at night",
    )


def brightness(image: Image.Image, box: tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = box
    crop = image.crop(
        (round(x0 * image.width), round(y0 * image.height), round(x1 * image.width), round(y1 * image.height))
    )
    return ImageStat.Stat(crop.convert("L")).mean[0]


def region_differs(first: Image.Image, second: Image.Image, box: Box) -> bool:
    area = (
        round(box.x * WIDTH),
        round(box.y * HEIGHT),
        round((box.x + box.w) * WIDTH),
        round((box.y + box.h) * HEIGHT),
    )
    return ImageChops.difference(first.crop(area), second.crop(area)).getbbox() is not None


def test_render_has_the_requested_size():
    image, _ = render_storyboard(scene(), width=WIDTH, height=HEIGHT)
    assert image.size == (WIDTH, HEIGHT)
    assert image.mode == "RGB"


def test_same_layout_and_seed_give_identical_pixels():
    first, first_items = render_storyboard(scene(), WIDTH, HEIGHT, seed=5)
    second, second_items = render_storyboard(scene(), WIDTH, HEIGHT, seed=5)
    assert first.tobytes() == second.tobytes()
    assert first_items == second_items
    other, _ = render_storyboard(scene(), WIDTH, HEIGHT, seed=6)
    assert other.tobytes() != first.tobytes()


def test_night_sky_is_darker_than_day_sky():
    empty = {"entities": [], "weather": "clear"}
    night, _ = render_storyboard(scene(time_of_day="night", **empty), WIDTH, HEIGHT)
    day, _ = render_storyboard(scene(time_of_day="day", **empty), WIDTH, HEIGHT)
    sky = (0.0, 0.1, 0.6, 0.45)
    assert brightness(night, sky) + 60 < brightness(day, sky)


def test_rain_and_snow_change_the_sky():
    empty = {"entities": [], "time_of_day": "day"}
    clear, _ = render_storyboard(scene(weather="clear", **empty), WIDTH, HEIGHT)
    rain, _ = render_storyboard(scene(weather="rain", **empty), WIDTH, HEIGHT)
    snow, _ = render_storyboard(scene(weather="snow", **empty), WIDTH, HEIGHT)
    sky = Box(x=0.0, y=0.1, w=1.0, h=0.4)
    assert region_differs(clear, rain, sky)
    assert region_differs(clear, snow, sky)
    assert region_differs(rain, snow, sky)


def test_indoor_and_outdoor_backgrounds_differ():
    outdoor, _ = render_storyboard(scene(entities=[]), WIDTH, HEIGHT)
    indoor, items = render_storyboard(scene(entities=[], indoor=True, background="kitchen"), WIDTH, HEIGHT)
    assert region_differs(outdoor, indoor, Box(x=0, y=0.1, w=1, h=0.9))
    assert "indoor" in items[0].details


def test_manifest_lists_background_title_and_every_entity():
    layout = scene()
    _, items = render_storyboard(layout, WIDTH, HEIGHT)
    kinds = [item.kind for item in items]
    assert kinds[:2] == ["background", "title"]
    assert items[0].details.startswith("background: bus stop on a city street, night, rain")
    assert "late evening, 23:05" in items[1].details
    drawn = {(item.label, item.kind, item.box) for item in items[2:]}
    assert drawn == {(entity.label, entity.kind, entity.box) for entity in layout.entities}


def test_manifest_details_carry_sign_text_emotion_role_and_species():
    details = {item.label: item.details for item in render_storyboard(scene(), WIDTH, HEIGHT)[1]}
    assert "text: LAST BUS 23:10" in details["bus stop sign"]
    assert "emotion: worried" in details["old man"]
    assert "role: bus driver" in details["old man"]
    assert "peaked cap" in details["old man"]
    assert "animal: dog" in details["dog"]
    assert "icon: puddle" in details["puddle"]


def test_sad_and_happy_faces_differ_in_the_face_region():
    sad, sad_items = render_storyboard(scene(entities=[person(emotion="heartbroken")]), WIDTH, HEIGHT)
    happy, happy_items = render_storyboard(scene(entities=[person(emotion="delighted")]), WIDTH, HEIGHT)
    face = Box(x=0.3, y=0.35, w=0.16, h=0.2)
    body = Box(x=0.3, y=0.62, w=0.16, h=0.15)
    assert region_differs(sad, happy, face)
    assert not region_differs(sad, happy, body)
    assert "face: sad" in sad_items[2].details
    assert "face: happy" in happy_items[2].details


@pytest.mark.parametrize(
    ("emotion", "expression"),
    [
        ("joyful", "happy"),
        ("heartbroken", "sad"),
        ("furious", "angry"),
        ("astonished", "surprised"),
        ("terrified", "afraid"),
        ("anxious", "worried"),
        ("exhausted", "sleepy"),
        ("peaceful", "calm"),
        ("unreadable mood", "calm"),
    ],
)
def test_emotion_synonyms_map_onto_expressions(emotion, expression):
    assert expression_for(emotion) == expression


def test_every_expression_draws_a_different_face():
    emotions = ["happy", "sad", "angry", "surprised", "afraid", "worried", "sleepy", "calm"]
    faces = [render_storyboard(scene(entities=[person(emotion=emotion)]), WIDTH, HEIGHT)[0] for emotion in emotions]
    face = Box(x=0.3, y=0.35, w=0.16, h=0.2)
    for index, first in enumerate(faces):
        for second in faces[index + 1 :]:
            assert region_differs(first, second, face)


def test_roles_get_different_visible_cues():
    driver, _ = render_storyboard(scene(entities=[person(role="bus driver")]), WIDTH, HEIGHT)
    nurse, _ = render_storyboard(scene(entities=[person(role="nurse")]), WIDTH, HEIGHT)
    assert region_differs(driver, nurse, Box(x=0.3, y=0.35, w=0.16, h=0.4))


def test_emphasis_draws_a_highlight_and_is_reported():
    plain, _ = render_storyboard(scene(entities=[person()]), WIDTH, HEIGHT)
    marked, items = render_storyboard(scene(entities=[person(emphasis=True)]), WIDTH, HEIGHT)
    border = Box(x=0.29, y=0.34, w=0.18, h=0.02)
    assert region_differs(plain, marked, border)
    assert items[2].details.endswith("emphasised")


def test_painter_writes_a_png_atomically_and_reports_it(tmp_path):
    painter = StoryboardPainter(width=WIDTH, height=HEIGHT)
    path = tmp_path / "attempts" / "01" / "image.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"the picture of an earlier paint")
    (tmp_path / "reader.png").hardlink_to(path)  # a reader holding the old file
    rendered = painter.paint(story(), scene(), seed=7, path=path)
    assert (tmp_path / "reader.png").read_bytes() == b"the picture of an earlier paint", "the old file is never torn"
    assert path.stat().st_ino != (tmp_path / "reader.png").stat().st_ino, "a new file was renamed over the old one"
    assert painter.name == "storyboard"
    assert (rendered.backend, rendered.seed, rendered.width, rendered.height) == ("storyboard", 7, WIDTH, HEIGHT)
    assert rendered.path == str(path)
    assert rendered.prompt == "an old man at a bus stop at night"
    assert rendered.seconds > 0
    assert [item.kind for item in rendered.manifest][:2] == ["background", "title"]
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (WIDTH, HEIGHT)
    assert [entry.name for entry in path.parent.iterdir()] == ["image.png"]
    assert path.stat().st_mode & 0o044 == 0o044


def test_painting_twice_writes_identical_bytes(tmp_path):
    painter = StoryboardPainter(width=WIDTH, height=HEIGHT)
    painter.paint(story(), scene(), seed=1, path=tmp_path / "a.png")
    painter.paint(story(), scene(), seed=1, path=tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_importing_the_painter_does_not_load_pillow():
    probe = "import sys, storypainter.providers.painters.storyboard; print('PIL' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


@pytest.mark.parametrize("x", [0.1, 0.3021, 0.4477, 0.6])
def test_a_bag_in_the_foreground_strip_of_a_small_picture_is_drawn(x):
    """Pillow refuses a rounded corner close to half a tiny box; the bag icon's corner shrinks in whole pixels."""
    bag = LayoutEntity(label="school bag", kind="object", box=Box(x=x, y=0.905, w=0.17, h=0.085))
    _, items = render_storyboard(scene(entities=[bag]), WIDTH, HEIGHT)
    assert "icon: bag" in items[-1].details


def test_plural_labels_and_roles_find_their_icons_and_cues():
    """The storyboard folds words like the whole project: 'coffee cups' get the cup icon, 'builders' a hard hat."""
    cups = LayoutEntity(label="coffee cups", kind="object", box=Box(x=0.7, y=0.7, w=0.12, h=0.13))
    crew = person(label="crew", role="builders")
    _, items = render_storyboard(scene(entities=[cups, crew]), WIDTH, HEIGHT)
    details = {item.label: item.details for item in items}
    assert "icon: cup" in details["coffee cups"]
    assert "hard hat" in details["crew"]
