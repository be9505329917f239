"""compose_layout: every story element gets a sensible box; inference and emphasis work."""

from __future__ import annotations

import itertools

import pytest

from storypainter.layout import compose_layout, infer_indoor, infer_time_of_day, infer_weather
from storypainter.schema import Box, Character, Story, VisibleText


def make_story(**changes) -> Story:
    fields = {
        "title": "The Last Bus",
        "description": "On a rainy night an old man with an umbrella waits at the bus stop beside a schoolgirl.",
        "location": "bus stop on a city street",
        "time": "late evening, 23:05",
        "characters": [
            Character(
                name="old man",
                role="grandfather",
                appearance="grey coat",
                emotion="worried",
                action="checking his watch under an umbrella",
            ),
            Character(
                name="girl", role="student", appearance="school uniform", emotion="calm", action="standing beside him"
            ),
        ],
        "objects": ["puddle", "dog"],
        "visible_text": [VisibleText(text="NO. 42 - LAST BUS 23:10", on="bus stop sign")],
        "painter_prompt": "a rainy bus stop at night",
    }
    return Story(**(fields | changes))


def by_label(layout):
    return {entity.label: entity for entity in layout.entities}


def inside_frame(box: Box) -> bool:
    return box.x >= 0 and box.y >= 0 and box.x + box.w <= 1 and box.y + box.h <= 1


def overlaps(first: Box, second: Box) -> bool:
    return (
        first.x < second.x + second.w
        and second.x < first.x + first.w
        and first.y < second.y + second.h
        and second.y < first.y + first.h
    )


def test_every_character_object_and_sign_lands_in_the_frame():
    layout = compose_layout(make_story())
    entities = by_label(layout)
    assert entities["old man"].kind == "person"
    assert entities["old man"].role == "grandfather"
    assert entities["old man"].emotion == "worried"
    assert entities["old man"].action == "checking his watch under an umbrella"
    assert entities["girl"].kind == "person"
    assert entities["puddle"].kind == "object"
    assert entities["dog"].kind == "animal"
    assert entities["bus stop sign"].kind == "sign"
    assert entities["bus stop sign"].text == "NO. 42 - LAST BUS 23:10"
    assert all(inside_frame(entity.box) for entity in layout.entities)


def test_scene_fields_come_from_the_story():
    layout = compose_layout(make_story())
    assert layout.background == "bus stop on a city street"
    assert layout.title == "The Last Bus"
    assert layout.time_label == "late evening, 23:05"
    assert (layout.indoor, layout.time_of_day, layout.weather) == (False, "night", "rain")


def test_boxes_do_not_overlap_and_signs_hang_above_people():
    layout = compose_layout(make_story(objects=["puddle", "dog", "bench", "lamp", "cat", "newspaper"]))
    for first, second in itertools.combinations(layout.entities, 2):
        assert not overlaps(first.box, second.box), (first.label, second.label)
    sign_bottom = max(e.box.y + e.box.h for e in layout.entities if e.kind == "sign")
    assert all(sign_bottom <= e.box.y for e in layout.entities if e.kind == "person")


def test_children_are_drawn_smaller_than_adults():
    entities = by_label(compose_layout(make_story()))
    assert entities["girl"].box.h < entities["old man"].box.h


@pytest.mark.parametrize(
    ("location", "indoor"),
    [
        ("kitchen", True),
        ("a busy hospital ward", True),
        ("school classroom", True),
        ("corner shop", True),
        ("bus stop on a city street", False),
        ("city park", False),
        ("sandy beach", False),
        ("wheat field", False),
    ],
)
def test_indoor_is_inferred_from_location_words(location, indoor):
    assert infer_indoor(location) is indoor


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("late evening, 23:05", "night"),
        ("midnight", "night"),
        ("sunset on a summer day", "dusk"),
        ("early morning", "dawn"),
        ("Christmas morning", "day"),
        ("3:30 pm", "day"),
        ("6 am", "dawn"),
    ],
)
def test_time_of_day_is_inferred_from_the_time_label(time, expected):
    assert infer_time_of_day(time) == expected


def test_time_of_day_falls_back_to_the_description():
    assert infer_time_of_day("the last day of school", "") == "day"
    assert infer_time_of_day("autumn", "a moonlit garden") == "night"


@pytest.mark.parametrize(
    ("text", "weather"),
    [("a rainy afternoon", "rain"), ("heavy snowfall", "snow"), ("a foggy pier", "fog"), ("a sunny park", "clear")],
)
def test_weather_is_inferred_from_words(text, weather):
    assert infer_weather(text) == weather


def test_indoor_kitchen_story():
    story = make_story(location="farmhouse kitchen", time="Sunday afternoon", description="Mother washes dishes.")
    layout = compose_layout(story)
    assert (layout.indoor, layout.time_of_day, layout.weather) == (True, "day", "clear")


def test_emphasis_adds_a_missing_object_and_flags_mentioned_entities():
    plain = by_label(compose_layout(make_story()))
    layout = compose_layout(make_story(), emphasis=["The girl clutches her school bag tightly."])
    entities = by_label(layout)
    assert set(entities) - set(plain) == {"school bag"}
    assert entities["school bag"].kind == "object"
    assert entities["school bag"].emphasis is True
    assert entities["girl"].emphasis is True
    assert entities["old man"].emphasis is False
    assert all(inside_frame(entity.box) for entity in layout.entities)


def test_emphasis_on_drawn_things_adds_nothing_new():
    plain = compose_layout(make_story())
    layout = compose_layout(make_story(), emphasis=["The old man is worried because the last bus has already left."])
    assert [entity.label for entity in layout.entities] == [entity.label for entity in plain.entities]
    entities = by_label(layout)
    assert entities["old man"].emphasis is True
    assert entities["bus stop sign"].emphasis is True
    assert entities["girl"].emphasis is False


def test_emphasis_skips_adjectives_verbs_and_background_words():
    plain = compose_layout(make_story())
    layout = compose_layout(make_story(), emphasis=["The dog looks hungry.", "It is raining at night."])
    assert len(layout.entities) == len(plain.entities)
    assert by_label(layout)["dog"].emphasis is True


def test_emphasis_can_set_the_weather():
    story = make_story(description="An old man waits at the bus stop.", time="noon")
    assert compose_layout(story).weather == "clear"
    assert compose_layout(story, emphasis=["It is snowing at the bus stop."]).weather == "snow"


def test_entities_are_capped_and_emphasis_survives_the_cap():
    characters = [
        Character(name=f"person {index}", role="passenger", appearance="coat", emotion="calm", action="waiting")
        for index in range(6)
    ]
    signs = [VisibleText(text=f"SIGN {index}", on=f"sign {index}") for index in range(4)]
    objects = [f"box {index}" for index in range(10)]
    story = make_story(characters=characters, visible_text=signs, objects=objects)
    layout = compose_layout(story, emphasis=["A red kite is stuck in the tree."])
    kinds = [entity.kind for entity in layout.entities]
    assert len(layout.entities) <= 16
    assert kinds.count("person") == 6
    assert kinds.count("sign") == 4
    assert by_label(layout)["kite"].emphasis is True
    assert all(inside_frame(entity.box) for entity in layout.entities)
    for first, second in itertools.combinations(layout.entities, 2):
        assert not overlaps(first.box, second.box), (first.label, second.label)


def test_same_seed_gives_the_same_layout_and_another_seed_jitters_it():
    story = make_story()
    assert compose_layout(story, seed=3) == compose_layout(story, seed=3)
    moved = compose_layout(story, seed=4)
    assert moved != compose_layout(story, seed=3)
    for first, second in zip(moved.entities, compose_layout(story, seed=3).entities, strict=True):
        assert first.label == second.label
        assert abs(first.box.x - second.box.x) < 0.03
        assert abs(first.box.y - second.box.y) < 0.03


def test_story_without_characters_still_places_objects():
    layout = compose_layout(make_story(characters=[], objects=["cookie jar", "stool"]))
    assert {entity.label for entity in layout.entities} == {"cookie jar", "stool", "bus stop sign"}
    assert all(inside_frame(entity.box) for entity in layout.entities)


def test_the_composer_reads_words_with_the_shared_tokeniser():
    """Plurals fold ('puppies' is an animal, 'indoors' names 'an indoor pool'); emphasis labels drop possessives."""
    layout = compose_layout(make_story(objects=["newborn puppies"]))
    assert by_label(layout)["newborn puppies"].kind == "animal"
    assert infer_indoor("an indoor municipal swimming pool")
    assert not infer_indoor("a horse-drawn cart on a village road")
    emphasised = compose_layout(make_story(), emphasis=["The campers' tents stand near the driver's van."])
    assert {"campers tents", "driver van"} <= set(by_label(emphasised))
