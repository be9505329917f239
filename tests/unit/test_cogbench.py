"""CogBench files as they really are: load every record, index and retrieve; rich stories fit the schema.

The records below are original scenes written for this test in the exact format of
CogBench's description files (no CogBench data is shipped): ``Image Name`` is a string,
every other field a list of strings, ``["None"]`` when empty; chains have 5 premises,
images list 15+ entities, and a field CogBench does not define rides along.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storypainter.evaluation.alignment import key_points_from_story
from storypainter.evaluation.semantic import semantic_score
from storypainter.layout import compose_layout
from storypainter.memory.corpus import (
    MAX_COR_CHARS,
    MAX_RECORD_BYTES,
    LoadedCorpus,
    load_cogbench,
    load_corpus,
    load_story_jsonl,
    parse_cogbench,
    story_from_example,
)
from storypainter.memory.store import ExampleStore
from storypainter.providers.embeddings import HashingEmbedder
from storypainter.providers.llms.local import compact_schema
from storypainter.providers.llms.structured import wire_schema
from storypainter.schema import MAX_CLUES, MAX_CORS, MAX_OBJECTS, Story
from tests import extras
from tests.fakes import story_json

POST_OFFICE = {
    "Image Name": "post_office_snow.jpg",
    "Entities": [
        "old postmaster", "round spectacles", "brass scale", "parcel", "string", "young woman", "red scarf",
        "snow on her boots", "letter", "airmail envelope", "stamp sheet", "wall clock", "wood stove",
        "sign", "queue of villagers", "sleeping cat", "mail sacks",
    ],
    "Special Time Reasoning": [
        "snow on her boots + frosted window + wood stove burning + wall clock at nine + "
        "villagers in heavy coats -> it is a winter morning",
    ],
    "Location Reasoning": [
        "brass scale + stamp sheet + mail sacks + sign \"VILLAGE POST OFFICE\" + counter with a grille "
        "-> the scene is inside a small village post office",
    ],
    "Character Reasoning": [
        "round spectacles + cap with a post horn badge + stamp sheet at hand + standing behind the grille + "
        "weighing a parcel -> the old man is the postmaster",
    ],
    "Character Relationship Reasoning": [
        "None",
    ],
    "Event Reasoning": [
        "airmail envelope held tight + young woman at the front of the queue + postmaster reading the address "
        "+ foreign stamps + her red eyes -> she is collecting a long-awaited letter from abroad",
    ],
    "Event Relationship Reasoning": [
        "snow on every coat + long queue + one clerk -> because the post was late after the snowstorm, "
        "the whole village is waiting at once",
    ],
    "Next Moment Event Reasoning": [
        "her thumb under the flap + postmaster smiling -> she is about to open the letter on the spot",
    ],
    "Mental State Reasoning": [
        "trembling hands + red eyes + small smile + letter pressed to her chest + leaning on the counter "
        "-> she is moved and relieved",
        "sleeping cat by the stove -> the cat is content",
    ],
    "Description": [
        "On a snowy winter morning in a village post office, an old postmaster in round spectacles hands an "
        "airmail envelope across the counter to a young woman in a red scarf. Her hands tremble and her eyes "
        "are red. Behind her a queue of villagers in snowy coats waits beside the mail sacks, and a cat "
        "sleeps by the wood stove under a sign reading \"VILLAGE POST OFFICE\".",
    ],
    "Annotator Notes": ["written for the test suite"],
}

HARBOUR = {
    "Image Name": "harbour_storm.png",
    "Entities": [
        "fisherman", "yellow oilskin", "lifebuoy", "rope", "boy", "lantern", "harbour wall", "waves",
        "fishing boat", "gulls", "storm clouds", "net", "crates", "dog", "woman", "shawl",
    ],
    "Special Time Reasoning": ["None"],
    "Location Reasoning": [
        "harbour wall + fishing boat + crates of fish + net + gulls -> the scene is at a fishing harbour",
    ],
    "Character Reasoning": [
        "yellow oilskin + rope coiled on his shoulder + weathered face + boots + net -> the man is a fisherman",
    ],
    "Character Relationship Reasoning": [
        "boy holding the fisherman's hand + same red hair + woman's arm around the boy -> they are a family",
    ],
    "Event Reasoning": [
        "fisherman throwing a lifebuoy + boat tilting in the waves + lantern raised + woman pointing + "
        "dog barking at the sea -> someone has fallen overboard and the family is rescuing him",
    ],
    "Event Relationship Reasoning": ["None"],
    "Next Moment Event Reasoning": ["None"],
    "Mental State Reasoning": [
        "woman's hand over her mouth + wide eyes -> the woman is terrified",
    ],
    "Description": [
        "At a fishing harbour under storm clouds, a fisherman in a yellow oilskin throws a lifebuoy towards a "
        "tilting boat while his red-haired boy raises a lantern and a woman in a shawl points at the waves.",
    ],
    "Source": "field CogBench does not have",
}

BAKERY = {
    "Image Name": "bakery.jpg",
    "Entities": ["baker", "flour", "birthday cake", "candles", "girl", "window", "oven"],
    "Special Time Reasoning": [
        "birthday cake with seven candles + banner \"HAPPY BIRTHDAY MIA\" -> it is a girl's seventh birthday",
    ],
    "Location Reasoning": ["oven + trays of bread + flour on the counter -> the scene is in a bakery"],
    "Character Reasoning": ["None"],
    "Character Relationship Reasoning": ["None"],
    "Event Reasoning": ["girl pressing her nose to the window + baker lifting the cake -> the girl watches "
                        "her cake being finished"],
    "Event Relationship Reasoning": ["None"],
    "Next Moment Event Reasoning": ["None"],
    "Mental State Reasoning": ["girl's wide smile + hands clasped -> she is delighted"],
    "Description": ["A baker lifts a birthday cake with seven candles while a girl presses her nose to the "
                    "bakery window, smiling."],
}

REAL_FORMAT = {"0001": POST_OFFICE, "0002": HARBOUR, "0003": BAKERY}


def copy(value: dict) -> dict:
    return json.loads(json.dumps(value))


def load_cogbench_from(data) -> LoadedCorpus:
    return parse_cogbench(copy(data), source="test")


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def real_file(tmp_path) -> Path:
    return write(tmp_path / "cogbench_description.json", REAL_FORMAT)


def test_the_real_format_is_what_these_records_hold():
    assert all(isinstance(record["Image Name"], str) for record in REAL_FORMAT.values())
    for record in REAL_FORMAT.values():
        assert all(isinstance(value, list) for name, value in record.items() if name not in ("Image Name", "Source"))
    assert len(POST_OFFICE["Entities"]) >= 15 and len(HARBOUR["Entities"]) >= 15
    assert POST_OFFICE["Event Reasoning"][0].split("->")[0].count(" + ") == 4  # five premises


def test_a_real_format_file_loads_every_record(real_file):
    corpus = load_cogbench(real_file)
    assert corpus.problems == []
    assert [example.id for example in corpus.examples] == ["0001", "0002", "0003"]
    post = corpus.examples[0]
    assert len(post.entities) == 17 and post.source == "cogbench_description"
    assert "character_relationship" not in post.cors, "the 'None' placeholder is dropped"
    assert post.cor_count() == 7 and post.next_moment[0].startswith("her thumb")
    assert post.description.startswith("On a snowy winter morning")


@extras.chroma
def test_a_real_format_file_is_indexed_and_retrieved(real_file, tmp_path):
    post = load_cogbench(real_file).examples[0]
    store = ExampleStore(tmp_path / "memory", HashingEmbedder(), source=str(real_file))
    report = store.build()
    assert report["count"] == 3 and report["problems"] == [] and report["rebuilt"] is True
    hits = store.query("an old postmaster hands a letter across the counter on a snowy morning", 2)
    assert hits[0].example == post
    assert store.search("a fisherman throws a lifebuoy in a storm at the harbour", 1)[0].id == "0002"
    assert store.search("a birthday cake in a bakery window", 3, "mmr")[0].id == "0003"


def test_a_real_record_becomes_a_rich_story_that_keeps_every_clue():
    example = load_cogbench_from(REAL_FORMAT).examples[0]
    story = story_from_example(example)
    event = next(chain for chain in story.cors if chain.dimension == "event")
    assert len(event.clues) == 5 and event.clues[0] == "airmail envelope held tight"
    assert len(story.objects) == 17
    score = semantic_score(story)
    assert str(event) in score.valid_cors and score.score > 0


def test_tolerated_variants_load(tmp_path):
    as_strings = {name: value[0] if isinstance(value, list) and len(value) == 1 else value
                  for name, value in copy(BAKERY).items()}
    no_optional = {key: value for key, value in copy(HARBOUR).items()
                   if key not in ("Image Name", "Entities", "Next Moment Event Reasoning")}
    cors_only = {"Event Reasoning": ["a + b + c + d + e -> they play"], "Description": ["None", " "]}
    renamed = {"description": ["A quiet bakery."], "event_reasoning": "flour + oven \u2192 bread is baking",
               "LOCATION REASONING": [None, "oven + flour -> a bakery"]}
    corpus = load_cogbench_from({"s": as_strings, "o": no_optional, "c": cors_only, "r": renamed})
    assert corpus.problems == []
    by_id = {example.id: example for example in corpus.examples}
    assert by_id["s"].cors["event"] == [BAKERY["Event Reasoning"][0]]
    assert by_id["o"].entities == [] and by_id["o"].next_moment == []
    assert by_id["c"].description == "They play."
    assert by_id["r"].cors == {"location": ["oven + flour -> a bakery"], "event": ["flour + oven -> bread is baking"]}


def test_a_list_of_records_is_read_with_ids_from_the_records():
    listed = [copy(POST_OFFICE) | {"id": "p-1"}, copy(HARBOUR), {"Description": "A kite in the sky."}, copy(HARBOUR)]
    corpus = load_cogbench_from(listed)
    assert [example.id for example in corpus.examples] == ["p-1", "harbour_storm", "#3"]
    assert corpus.problems == ["harbour_storm: duplicate id (an earlier record has it)"]


MALFORMED = {
    "number": ({"Event Reasoning": 7}, "bad: field 'Event Reasoning' must be a string or a list of strings, got int"),
    "mixed": ({"Entities": ["cat", 3]},
              "bad: field 'Entities' must be a string or a list of strings, got a list holding non-strings"),
    "object": ({"Description": {"text": "x"}},
               "bad: field 'Description' must be a string or a list of strings, got dict"),
    "no arrow": ({"Mental State Reasoning": ["she is happy"]},
                 "bad: field 'Mental State Reasoning': CoR without '->': 'she is happy'"),
    "no conclusion": ({"Location Reasoning": ["oven + flour -> "]},
                      "bad: field 'Location Reasoning': CoR without a conclusion: 'oven + flour ->'"),
    "no clue": ({"Event Reasoning": [" -> something happens"]},
                "bad: field 'Event Reasoning': CoR without a clue: '-> something happens'"),
    "long chain": ({"Event Reasoning": ["clue + " * 300 + "clue -> x"]},
                   f"bad: field 'Event Reasoning': CoR of 2,109 characters (the limit is {MAX_COR_CHARS:,})"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_record_is_named_by_id_and_field_and_the_rest_load(case):
    change, expected = MALFORMED[case]
    corpus = load_cogbench_from({"0001": POST_OFFICE, "bad": copy(BAKERY) | change, "0002": HARBOUR})
    assert [example.id for example in corpus.examples] == ["0001", "0002"]
    assert corpus.problems == [expected]


def test_records_that_are_too_large_empty_or_not_objects_are_reported():
    huge = copy(BAKERY) | {"Description": ["word " * (MAX_RECORD_BYTES // 5)]}
    empty = {name: ["None"] for name in BAKERY} | {"Image Name": "x.jpg"}
    corpus = load_cogbench_from({"huge": huge, "empty": empty, "text": "just a string", "ok": BAKERY})
    assert [example.id for example in corpus.examples] == ["ok"]
    assert corpus.problems[0].startswith("huge: record of 100,")
    assert corpus.problems[0].endswith(f"bytes (the limit is {MAX_RECORD_BYTES:,})")
    assert corpus.problems[1:] == [
        "empty: field 'Description' is empty and no chain of reasoning is given",
        "text: expected an object, got str",
    ]


def test_story_jsonl_is_as_tolerant_and_names_the_field(tmp_path):
    good = json.loads(story_json())
    lines = [
        json.dumps({"story": good | {"mood": "extra field"}, "score": 0.9}),
        "",
        json.dumps(good | {"cors": [{"dimension": "event", "clues": [], "conclusion": "x"}]}),
        json.dumps([1]),
        json.dumps(good | {"objects": [f"thing {n}" for n in range(MAX_OBJECTS + 1)]}),
    ]
    path = tmp_path / "stories.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    corpus = load_story_jsonl(path)
    assert [example.id for example in corpus.examples] == ["stories:1"]
    assert corpus.problems == [
        "stories:3: field 'cors.0.clues': List should have at least 1 item after validation, not 0",
        "stories:4: expected an object, got list",
        "stories:5: field 'objects': List should have at most 20 items after validation, not 21",
    ]
    assert load_corpus(str(path)).examples == corpus.examples


def rich_story() -> Story:
    """A story as rich as a human storytelling picture: a 5-clue chain, 15 objects, 9 chains."""
    base = json.loads(story_json())
    objects = ["broken umbrella", "puddle", "trophy", "small dog", "bus timetable", "street lamp", "taxi",
               "school bag", "raincoat", "newspaper", "bench", "bicycle", "shop awning", "flower stall", "clock"]
    extra_cors = [
        {"dimension": "event", "clues": ["school bag", "trophy", "raincoat", "newspaper over the bench", "taxi"],
         "conclusion": "the grandfather came straight from work to fetch the girl after her prize day"},
        {"dimension": "location", "clues": ["bus timetable", "bench", "street lamp"],
         "conclusion": "they wait at a city bus stop"},
        {"dimension": "event_causal", "clues": ["clock at 23:15", "empty road"],
         "conclusion": "because the prize-giving ran late, they have missed the last bus"},
        {"dimension": "character_role", "clues": ["school uniform", "school bag"], "conclusion": "the girl is a pupil"},
        {"dimension": "mental_state", "clues": ["small dog", "puddle"], "conclusion": "the dog is cold and miserable"},
    ]
    return Story.model_validate(base | {"objects": objects, "cors": base["cors"] + extra_cors})


def test_a_story_with_a_five_clue_chain_and_fifteen_objects_validates_and_scores():
    story = Story.model_validate_json(rich_story().model_dump_json())
    assert len(story.objects) == 15 and len(story.cors[4].clues) == 5 and len(story.cors) == 9
    score = semantic_score(story)
    assert str(story.cors[4]) in score.valid_cors
    assert score.score == pytest.approx(100 * 8 / 21)
    points = key_points_from_story(story)
    assert any(point.clue.count(" + ") == 4 for point in points)
    layout = compose_layout(story)
    assert {"trophy", "puddle"} <= {entity.label for entity in layout.entities}


def test_the_schema_holds_what_human_pictures_hold():
    limits = Story.model_json_schema()["properties"]
    chain = Story.model_json_schema()["$defs"]["ChainOfReasoning"]["properties"]
    assert (limits["objects"]["maxItems"], limits["characters"]["maxItems"], limits["cors"]["maxItems"]) == (
        MAX_OBJECTS, 10, MAX_CORS) == (20, 10, 24)
    assert chain["clues"]["maxItems"] == MAX_CLUES == 8


def test_the_tiny_models_grammar_keeps_its_tight_bounds():
    compact = compact_schema(wire_schema(Story))
    bounds = {name: (prop["minItems"], prop["maxItems"]) for name, prop in compact["properties"].items()
              if prop.get("type") == "array"}
    chain = compact["$defs"]["ChainOfReasoning"]["properties"]["clues"]
    assert bounds == {"characters": (1, 2), "objects": (2, 3), "visible_text": (1, 1), "cors": (3, 5)}
    assert (chain["minItems"], chain["maxItems"]) == (1, 2)
