"""Hand-made cases for the evaluation functions shared by the critic and the offline evaluators."""

from __future__ import annotations

import numpy as np
import pytest

from storypainter.evaluation import diversity
from storypainter.evaluation.alignment import key_points_from_story, parse_verdict, score_alignment
from storypainter.evaluation.diversity import diversity_scores
from storypainter.evaluation.rules import check_story, ngram_overlap
from storypainter.evaluation.semantic import cors_per_dimension, semantic_score
from storypainter.schema import (
    CATEGORIES,
    DIMENSIONS,
    ChainOfReasoning,
    Character,
    Example,
    KeyPoint,
    Story,
    Verdict,
    VisibleText,
)

KITCHEN = (
    "In a sunny kitchen a mother dries a plate while the sink overflows onto the floor, and behind her back "
    "a boy on a tipping stool hands cookies from the jar to his giggling sister."
)
MOTHER = Character(name="mother", role="housewife", appearance="apron", emotion="calm", action="drying a plate")
BOY = Character(name="boy", role="son", appearance="striped shirt", emotion="afraid", action="grabbing cookies")
GIRL = Character(name="girl", role="daughter", appearance="pink dress", emotion="happy", action="giggling")


def cor(dimension: str, clues: list[str], conclusion: str) -> ChainOfReasoning:
    return ChainOfReasoning(dimension=dimension, clues=clues, conclusion=conclusion)


def make_story(**fields) -> Story:
    values = dict(
        title="Cookie theft",
        description=KITCHEN,
        location="a family kitchen",
        time="a summer afternoon",
        characters=[MOTHER, BOY, GIRL],
        objects=["sink", "cookie jar", "stool", "plate"],
        visible_text=[],
        cors=[],
        painter_prompt="a kitchen scene",
    )
    return Story(**(values | fields))


# --- semantic complexity -------------------------------------------------------------------


def test_semantic_score_counts_valid_cors_as_documented():
    story = make_story(
        cors=[
            cor("event", ["boy grabbing cookies", "mother facing away"], "the children are stealing cookies"),
            cor("mental_state", ["boy on tipping stool"], "the boy is afraid of falling"),
            cor("mental_state", ["giggling girl"], "the girl enjoys the mischief"),
            cor("event_causal", ["water overflowing the sink"], "the mother is lost in thought"),
            cor("character_role", ["apron"], "the mother is a housewife"),
        ]
    )
    result = semantic_score(story)
    # 5 counted CoRs over 4 dimensions, none above the cap of 3: 100 * 5 / (7 * 3).
    assert result.score == pytest.approx(100 * 5 / 21)
    assert result.per_dimension == {
        "time": 0,
        "location": 0,
        "character_role": 1,
        "character_relationship": 0,
        "event": 1,
        "event_causal": 1,
        "mental_state": 2,
    }
    assert result.valid_cors == story.cor_strings()
    assert result.rejected == []


def test_semantic_score_caps_each_dimension():
    feelings = ["afraid", "guilty", "excited", "nervous", "proud"]
    story = make_story(cors=[cor("mental_state", ["boy on tipping stool"], f"the child feels {f}") for f in feelings])
    result = semantic_score(story)
    assert result.per_dimension["mental_state"] == 5
    assert result.score == pytest.approx(100 * 3 / 21)


def test_near_duplicate_cors_count_once():
    story = make_story(
        cors=[
            cor("mental_state", ["boy on tipping stool"], "the boy is afraid"),
            cor("mental_state", ["boy clutching the cookie jar"], "the boy is very afraid"),
            cor("mental_state", ["giggling girl"], "the girl is delighted"),
        ]
    )
    result = semantic_score(story)
    assert result.per_dimension["mental_state"] == 2
    assert result.score == pytest.approx(100 * 2 / 21)
    assert len(result.rejected) == 1 and "repeats" in result.rejected[0]


def test_ungrounded_and_restating_cors_are_rejected():
    story = make_story(
        cors=[
            cor("location", ["unicorn grazing"], "a magic land"),
            cor("mental_state", ["boy on stool"], "the boy on the stool"),
            cor("event", ["", "cookie jar"], "a theft"),
        ]
    )
    result = semantic_score(story)
    assert result.score == 0.0
    assert result.valid_cors == []
    reasons = " | ".join(result.rejected)
    assert "no clue names anything drawn" in result.rejected[0]
    assert "restates its clues" in result.rejected[1]
    assert "a clue is empty" in reasons


def test_grounding_accepts_visible_text_and_objects():
    story = make_story(
        objects=["sink", "cookie jar", "stool", "plate", "wall calendar"],  # only the objects name the calendar
        visible_text=[VisibleText(text="SLOW: SCHOOL ZONE", on="yellow road sign")],
        cors=[
            cor("location", ["SCHOOL ZONE sign"], "near a school"),
            cor("time", ["wall calendar"], "it is the first day of the month"),
            cor("event", ["wrapped presents"], "it is Christmas morning"),
        ],
    )
    result = semantic_score(story)
    assert result.per_dimension["location"] == 1, "a visible text is drawn"
    assert result.per_dimension["time"] == 1, "an object is drawn"
    assert result.per_dimension["event"] == 0, "nothing drawn names the presents"
    assert result.rejected == ["wrapped presents -> it is Christmas morning: no clue names anything drawn "
                               "in the picture"]


def test_cors_per_dimension_lists_counted_cors_under_all_dimensions():
    story = make_story(
        cors=[
            cor("event", ["boy grabbing cookies"], "the children are stealing cookies"),
            cor("location", ["unicorn grazing"], "a magic land"),
        ]
    )
    grouped = cors_per_dimension(story)
    assert set(grouped) == set(DIMENSIONS)
    assert grouped["event"] == ["boy grabbing cookies -> the children are stealing cookies"]
    assert grouped["location"] == []


# --- diversity -------------------------------------------------------------------------------


def brute_force_diversity(embeddings: np.ndarray, k: int) -> np.ndarray:
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.where(norms == 0, 1, norms)
    similarities = unit @ unit.T
    np.fill_diagonal(similarities, -np.inf)
    nearest = -np.sort(-similarities, axis=1)[:, :k]
    return (1 - nearest).mean(axis=1)


def test_near_duplicates_score_lower_than_a_varied_set():
    rng = np.random.default_rng(7)
    base = rng.standard_normal(64)
    near_duplicates = base + 0.01 * rng.standard_normal((40, 64))
    varied = rng.standard_normal((40, 64))
    low, high = diversity_scores(near_duplicates).mean, diversity_scores(varied).mean
    assert low < 0.01
    assert high > 0.5
    assert low < high


def test_blocked_implementation_equals_brute_force(monkeypatch):
    monkeypatch.setattr(diversity, "BLOCK_ROWS", 64)
    embeddings = np.random.default_rng(3).standard_normal((300, 32)).astype(np.float32)
    result = diversity_scores(embeddings, k=7)
    expected = brute_force_diversity(embeddings.astype(np.float64), 7)
    assert result.k == 7
    np.testing.assert_allclose(result.per_item, expected, atol=1e-5)
    assert result.mean == pytest.approx(expected.mean(), abs=1e-6)


def test_known_distances_and_k_clipping():
    orthogonal = np.eye(3)
    result = diversity_scores(orthogonal, k=5)
    assert result.k == 2
    assert result.per_item == pytest.approx([1.0, 1.0, 1.0])
    assert diversity_scores(np.ones((4, 3))).mean == pytest.approx(0.0, abs=1e-6)


def test_zero_vectors_do_not_produce_nan():
    result = diversity_scores(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]), k=1)
    assert result.per_item == pytest.approx([1.0, 1.0, 1.0])
    assert np.isfinite(result.mean)


def test_fewer_than_two_items_score_zero():
    assert diversity_scores(np.ones((1, 8))).model_dump() == {"per_item": [0.0], "mean": 0.0, "k": 0}
    assert diversity_scores(np.zeros((0, 8))).mean == 0.0


def test_diversity_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        diversity_scores(np.ones(8))
    with pytest.raises(ValueError, match="k must be"):
        diversity_scores(np.ones((3, 2)), k=0)
    with pytest.raises(ValueError, match="NaN"):
        diversity_scores(np.array([[np.nan, 1.0], [1.0, 0.0]]))


# --- alignment -------------------------------------------------------------------------------


def verdict(category: str, answer: str) -> Verdict:
    point = KeyPoint(category=category, text=f"A {category} key point.", clue="a clue")
    return Verdict(key_point=point, answer=answer, judge="fake-vlm")


def test_alignment_shares_per_category_exclude_abstentions():
    verdicts = [
        verdict("character", "yes"),
        verdict("character", "yes"),
        verdict("character", "no"),
        verdict("event", "no"),
        verdict("event", "abstain"),
        verdict("mental_state", "abstain"),
        verdict("time", "yes"),
    ]
    report = score_alignment(verdicts, judge="fake-vlm", level="layout")
    assert set(report.per_category) == set(CATEGORIES)
    assert report.per_category["character"] == pytest.approx(2 / 3)
    assert report.per_category["event"] == 0.0
    assert report.per_category["time"] == 1.0
    assert report.per_category["mental_state"] is None
    assert report.per_category["location"] is None
    assert report.overall == pytest.approx(3 / 5)
    assert report.abstentions == 2
    assert (report.judge, report.level, len(report.verdicts)) == ("fake-vlm", "layout", 7)


def test_alignment_without_answers_is_none():
    report = score_alignment([verdict("event", "abstain")], judge="j", level="pixel")
    assert report.overall is None
    assert all(share is None for share in report.per_category.values())
    assert score_alignment([], judge="j", level="pixel").overall is None


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes.", "yes"),
        ("YES - the sign is visible", "yes"),
        ("**Yes**", "yes"),
        ("Answer: yes", "yes"),
        ("no", "no"),
        ("**No**", "no"),
        ("No, there is no dog in the picture.", "no"),
        ("I cannot tell", "abstain"),
        ("I can't tell from this image.", "abstain"),
        ("yes and no", "abstain"),
        ("Yes, but there is no sign", "abstain"),
        ("Maybe yes", "abstain"),
        ("Probably yes.", "abstain"),
        ("Partially yes", "abstain"),
        ("", "abstain"),
        ("   ", "abstain"),
        ("The image shows a kitchen.", "abstain"),
        ("Yesterday it rained", "abstain"),
    ],
)
def test_parse_verdict(text, answer):
    assert parse_verdict(text) == answer


def test_key_points_replace_pronouns_with_the_only_character():
    widow = Character(name="old woman", role="widow", appearance="black shawl", emotion="sad", action="waiting")
    story = make_story(
        characters=[widow],
        cors=[
            cor("mental_state", ["old woman clutching a photo", "tear on her cheek"], "she is worried about her son"),
            cor("character_relationship", ["framed photo of a young sailor"], "her son is away at sea"),
            cor("mental_state", ["drooping shoulders"], "they look exhausted"),
        ],
    )
    points = key_points_from_story(story)
    assert points[0] == KeyPoint(
        category="mental_state",
        text="The old woman is worried about her son.",
        clue="old woman clutching a photo + tear on her cheek",
    )
    assert points[1].text == "The old woman's son is away at sea."
    assert points[1].category == "character_relationship"
    assert points[2].text == "The old woman looks exhausted."


def test_key_points_name_the_subject_from_the_clue_when_several_characters():
    story = make_story(
        cors=[
            cor("mental_state", ["boy on tipping stool"], "he is afraid of falling"),
            cor("character_role", ["apron"], "housewife"),
            cor("time", ["decorated tree"], "Christmas morning"),
            cor("event", ["boy and girl at the cookie jar"], "they are stealing cookies"),
        ]
    )
    texts = [point.text for point in key_points_from_story(story)]
    assert texts[:4] == [
        "The boy is afraid of falling.",
        "The mother is a housewife.",
        "The time is Christmas morning.",
        "The boy and the girl are stealing cookies.",
    ]


def test_key_points_add_characters_location_and_time_only_when_missing():
    story = make_story(
        objects=["sink", "cookie jar", "stool", "wall calendar showing summer"],
        cors=[cor("character_role", ["apron"], "the mother is a housewife")],
    )
    points = key_points_from_story(story)
    by_category = {category: [p for p in points if p.category == category] for category in CATEGORIES}
    assert [p.text for p in by_category["character"]] == [
        "The mother is a housewife.",
        "The boy is a son.",
        "The girl is a daughter.",
    ]
    assert by_category["character"][1].clue == "striped shirt"
    assert [p.text for p in by_category["location"]] == ["The place is a family kitchen."]
    assert by_category["time"] == [
        KeyPoint(category="time", text="The time is a summer afternoon.", clue="wall calendar showing summer")
    ]


def test_key_points_skip_time_without_a_visible_clue():
    story = make_story(time="the anniversary of their wedding", cors=[])
    assert not [point for point in key_points_from_story(story) if point.category == "time"]
    nameless = make_story(characters=[BOY.model_copy(update={"appearance": ""})])
    assert not [point for point in key_points_from_story(nameless) if point.category == "character"]


def test_key_points_are_sentences_without_leading_pronouns():
    story = make_story(
        cors=[
            cor("mental_state", ["girl giggling"], "she is amused"),
            cor("event_causal", ["water spilling from the sink"], "her mind is elsewhere"),
            cor("event", ["stool tipping"], "it is about to fall"),
        ]
    )
    for point in key_points_from_story(story):
        first = point.text.split()[0].lower()
        assert first not in {"he", "she", "they", "it", "his", "her", "their"}
        assert point.text[0].isupper() and point.text.endswith(".")


# --- story rules -----------------------------------------------------------------------------


def rules_of(check) -> list[str]:
    return [violation.rule for violation in check.violations]


GOOD_CORS = [
    cor("event", ["boy grabbing cookies", "mother facing away"], "the children are stealing cookies"),
    cor("mental_state", ["boy on tipping stool"], "the boy is afraid of falling"),
    cor("event_causal", ["water overflowing the sink"], "the mother is lost in thought"),
]


def test_a_good_story_passes_every_rule():
    check = check_story(make_story(cors=GOOD_CORS), examples=[])
    assert check.passed
    assert check.semantic_score == pytest.approx(100 * 3 / 21)
    assert check.copy_overlap == 0.0


@pytest.mark.parametrize(
    ("description", "snippet"),
    [
        ("A boy grabs a cookie, then he runs to the door.", "then he runs"),
        ("First the dog barks and then the cat hisses.", "then the cat"),
        ("The cake falls. After that, everyone laughs.", "After that, everyone"),
        ("The girl waves. Later she cries at the gate.", "Later she cries"),
        ("The bus arrives. Next, the driver opens the door.", "Next, the driver"),
        ("The runners stumble and finally cross the line.", "finally cross the"),
        ("The kettle boils and eventually whistles.", "eventually whistles"),
    ],
)
def test_single_moment_catches_sequences(description, snippet):
    check = check_story(make_story(description=description, cors=GOOD_CORS), examples=[])
    assert rules_of(check) == ["single_moment"]
    assert f'"{snippet}"' in check.violations[0].detail
    assert "describe one frozen moment" in check.violations[0].detail


@pytest.mark.parametrize(
    "description",
    [
        "A crowd waits at the stop as the next bus pulls in.",
        "Next to the stove a cat sleeps while the soup boils over.",
        'A note on the fridge reads "SEE YOU LATER" while the boy grabs a cookie.',
        "A chalk board by the door reads SEE YOU LATER above a sleeping dog.",
        "By then the stool is already tipping under the boy.",
        "A lighthouse blinks now and then over the harbour while a boy waves from the pier.",
    ],
)
def test_single_moment_ignores_false_positives(description):
    story = make_story(
        description=description,
        visible_text=[VisibleText(text="SEE YOU LATER", on="note on the fridge")],
        cors=GOOD_CORS,
    )
    assert "single_moment" not in rules_of(check_story(story, examples=[]))


@pytest.mark.parametrize(
    "description",
    [
        'The bus is leaving. "Hurry!" she shouts to her brother.',
        'The teacher says, "Sit down, everyone."',
        '"Where is my hat?" asks the old man at the door.',
        "Mother: Stop eating those cookies!",
        'Clown: "Smile for the camera."',
    ],
)
def test_no_dialogue_catches_speech(description):
    check = check_story(make_story(description=description, cors=GOOD_CORS), examples=[])
    assert "no_dialogue" in rules_of(check)
    detail = next(v.detail for v in check.violations if v.rule == "no_dialogue")
    assert "contains dialogue" in detail


def test_no_dialogue_accepts_visible_text_and_plain_quotes():
    sign = VisibleText(text="SLOW: SCHOOL ZONE", on="yellow road sign")
    signed = make_story(
        description='A yellow sign says "SLOW: SCHOOL ZONE" while a boy chases his ball into the road.',
        visible_text=[sign],
        cors=GOOD_CORS,
    )
    banner = make_story(description='A banner reading "HAPPY BIRTHDAY" hangs over the table.', cors=GOOD_CORS)
    labelled = make_story(description="Kitchen: a mother dries a plate while her son climbs a stool.", cors=GOOD_CORS)
    for story in (signed, banner, labelled):
        assert "no_dialogue" not in rules_of(check_story(story, examples=[]))
    unlisted = signed.model_copy(update={"visible_text": []})
    assert "no_dialogue" in rules_of(check_story(unlisted, examples=[]))


def test_enough_cors_names_the_shortfall_and_the_rejections():
    story = make_story(cors=[*GOOD_CORS[:2], cor("location", ["unicorn grazing"], "a magic land")])
    check = check_story(story, examples=[], min_cors=3)
    assert rules_of(check) == ["enough_cors"]
    detail = check.violations[0].detail
    assert detail.startswith("only 2 valid chains of reasoning (need 3)")
    assert "unicorn grazing -> a magic land: no clue names anything drawn" in detail


def test_ngram_overlap_by_hand():
    assert ngram_overlap("a b c d e", "a b c d x", n=4) == 0.5
    assert ngram_overlap("a b c", "a b c", n=4) == 0.0
    assert ngram_overlap("The Cat sat.", "the cat sat", n=3) == 1.0


def test_copy_guard_catches_a_verbatim_copy_and_passes_an_original():
    copied_from = Example(id="seed-017", description=KITCHEN)
    unrelated = Example(id="seed-002", description="A fisherman mends his net on a foggy pier at dawn.")
    copy = check_story(make_story(cors=GOOD_CORS), examples=[unrelated, copied_from])
    assert rules_of(copy) == ["not_copied"]
    assert '"seed-017" (100%' in copy.violations[0].detail
    assert copy.copy_overlap == 1.0
    original = make_story(
        description="At a rainy bus stop a girl holds her coat over a shivering puppy while a bus splashes past.",
        cors=GOOD_CORS,
    )
    check = check_story(original, examples=[unrelated, copied_from])
    assert "not_copied" not in rules_of(check)
    assert check.copy_overlap < 0.35


# --- the layout judge: subject and predicate, abstain when the layout cannot show it ---------------


def judged(texts: dict[str, str], story: Story | None = None, tmp_path=None, layout=None, image="storyboard"):
    """Verdicts of the layout judge for {text: category} against the storyboard's real manifest of the story."""
    from storypainter.layout import compose_layout
    from storypainter.providers.judges.layout import LayoutJudge
    from storypainter.providers.painters.storyboard import StoryboardPainter
    from storypainter.schema import RenderedImage

    story = story or make_story(visible_text=[VisibleText(text="COOKIES 1 EURO", on="jar label")])
    layout = layout or compose_layout(story, seed=1)
    if image == "storyboard":
        rendered = StoryboardPainter(384, 256).paint(story, layout, 1, tmp_path / "image.png")
    elif image == "pixels":
        rendered = RenderedImage(path="x.png", backend="diffusers", seed=1, prompt="p", width=8, height=8)
    else:
        rendered = None
    points = [KeyPoint(category=category, text=text) for text, category in texts.items()]
    verdicts = LayoutJudge().judge(points, image=rendered, layout=layout, story=story)
    assert all(verdict.level == "layout" and verdict.judge == "layout" for verdict in verdicts)
    return {verdict.key_point.text: (verdict.answer, verdict.evidence) for verdict in verdicts}


def test_layout_judge_needs_the_subject_and_its_predicate_drawn(tmp_path):
    found = judged(
        {
            "The mother is a housewife.": "character",
            "The boy is the girl's brother.": "character_relationship",
            "The girl is a famous astronaut.": "character",
            "The dog is reading a newspaper.": "event",
        },
        tmp_path=tmp_path,
    )
    assert found["The mother is a housewife."][0] == "yes"
    assert found["The boy is the girl's brother."][0] == "abstain"  # 'girl' drawn, 'brother' is not drawable
    assert found["The girl is a famous astronaut."][0] == "abstain"  # one shared word ('girl') is not enough
    assert found["The dog is reading a newspaper."][0] == "abstain"  # no dog in the story or the picture


def test_layout_judge_says_no_for_an_undrawn_subject_or_thing_and_a_contradicting_face(tmp_path):
    story = make_story(objects=["sink", "cookie jar", "stool", "plate", "cat"])
    layout = compose_layout_without(story, "cat")
    events = dict.fromkeys(["The cat is asleep on the stool.", "The boy is reaching for the cat."], "event")
    feelings = ["The boy is afraid of falling.", "The girl is afraid of falling.", "The mother is lost in thought."]
    found = judged(events | dict.fromkeys(feelings, "mental_state"), story=story, layout=layout, tmp_path=tmp_path)
    assert found["The cat is asleep on the stool."] == ("no", "subject 'cat' is not drawn")
    assert found["The boy is reaching for the cat."][0] == "no"  # the story's cat is not drawn
    assert found["The boy is afraid of falling."][0] == "yes"  # his drawn face is afraid
    assert found["The girl is afraid of falling."] == ("no", "the face of 'girl' shows happy, not afraid")
    assert found["The mother is lost in thought."][0] == "abstain"  # no drawn face shows a thought


def compose_layout_without(story: Story, label: str):
    from storypainter.layout import compose_layout

    layout = compose_layout(story, seed=1)
    return layout.model_copy(update={"entities": [entity for entity in layout.entities if entity.label != label]})


def test_layout_judge_reads_events_from_poses_and_props_and_causes_clause_by_clause(tmp_path):
    old_man = Character(name="old man", role="grandfather", appearance="coat", emotion="calm",
                        action="waving with an umbrella")
    story = make_story(characters=[old_man], objects=["bus"], location="a bus stop", time="a rainy evening")
    found = judged(
        {
            "The old man is waving at the bus.": "event",
            "The old man is reading a newspaper.": "event",
            "Because it is raining, the old man holds an umbrella.": "event_causal",
            "Because the bus is late, the old man will miss his train.": "event_causal",
            "It is a rainy evening.": "time",
        },
        story=story,
        tmp_path=tmp_path,
    )
    assert found["The old man is waving at the bus."][0] == "yes"  # raised arm + the bus
    assert found["The old man is reading a newspaper."][0] == "abstain"  # a storyboard draws neither
    assert found["Because it is raining, the old man holds an umbrella."][0] == "yes"
    assert found["Because the bus is late, the old man will miss his train."][0] == "abstain"
    assert found["It is a rainy evening."][0] == "yes"


def test_layout_judge_abstains_on_a_picture_without_a_manifest_and_reads_a_bare_layout(tmp_path):
    texts = {"The mother is a housewife.": "character", "The boy is afraid.": "mental_state"}
    pixels = judged(texts, tmp_path=tmp_path, image="pixels")
    assert {answer for answer, _ in pixels.values()} == {"abstain"}
    assert "no manifest" in pixels["The boy is afraid."][1]
    bare = judged(texts, tmp_path=tmp_path, image=None)
    assert {answer for answer, _ in bare.values()} == {"yes"}
