"""Turn a Story into a SceneLayout: what goes where in the picture.

The composer is rule based and deterministic: keyword tables infer indoor/outdoor, time of
day and weather; people stand on a ground line, animals and objects sit between them, signs
hang high on a wall or post. A seed only jitters positions a little.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from storypainter.schema import Box, Character, LayoutEntity, SceneLayout, Story
from storypainter.text import STOP_WORDS, content_words, fold_plural, folded_words, has_phrase, tokens

MAX_ENTITIES = 16
MAX_EMPHASIS_PHRASES_PER_SENTENCE = 2

GROUND_Y = 0.9  # where feet touch the floor/ground
FRONT_ROW = (0.905, 0.99)  # top and bottom of the foreground strip for overflow objects
SIGN_BAND = (0.11, 0.33)  # top and bottom of the band where signs hang
ROW_MARGIN = 0.02
PEOPLE_GAP = 0.015
JITTER = 0.008


def _word_set(words: str) -> frozenset[str]:
    """A keyword table, folded like the words it is matched against (``storypainter.text.folded_words``)."""
    return frozenset(fold_plural(word) for word in words.split())


INDOOR_WORDS = _word_set(
    "kitchen room bedroom bathroom classroom office shop store library hospital ward clinic hall restaurant "
    "cafe bakery house home apartment flat museum gym studio lab laboratory church temple mosque theater "
    "theatre cinema corridor hallway attic basement garage supermarket bank salon factory workshop lobby "
    "elevator lift carriage cabin inside indoors interior bar pub canteen cafeteria pharmacy gallery barn"
)
OUTDOOR_WORDS = _word_set(
    "street park beach field garden road square forest woods mountain lake river yard playground farm market "
    "harbor harbour port pier bridge sidewalk pavement crossing platform campsite desert parking alley "
    "schoolyard backyard courtyard zoo village city town sea shore meadow outside outdoors rooftop balcony "
    "stop highway trail hill riverbank jungle island dock"
)

TIME_WORDS: dict[str, tuple[str, ...]] = {
    "night": ("night", "midnight", "nighttime", "moonlight", "moonlit", "starry", "late evening"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "sundown"),
    "dawn": ("dawn", "sunrise", "daybreak", "early morning", "first light"),
    "day": ("morning", "noon", "midday", "afternoon", "daytime", "lunchtime", "sunny", "day"),
}
WEATHER_WORDS: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "rainy", "raining", "rainfall", "drizzle", "drizzling", "downpour", "storm", "thunderstorm"),
    "snow": ("snow", "snowy", "snowing", "snowfall", "blizzard", "snowflakes", "sleet"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy"),
}

ANIMALS = _word_set(
    "dog puppy cat kitten bird parrot pigeon duck horse pony cow calf chicken hen rooster chick goat sheep "
    "lamb pig piglet rabbit bunny mouse goose donkey deer fox squirrel"
)
CHILD_WORDS = _word_set("girl boy child kid baby toddler son daughter schoolgirl schoolboy pupil")
LARGE_OBJECTS = _word_set(
    "bench table car bus tree bed sofa couch desk counter stove shelf cart door bicycle bike fridge "
    "refrigerator wardrobe cupboard piano truck van stall tent shelter lamppost"
)
FLAT_OBJECTS = _word_set("puddle rug mat carpet blanket towel shadow")

# Words that place a thing rather than name one ("at the front", "on top"): never drawn as objects.
POSITION_WORDS = _word_set("front top side next")
NOT_DRAWN_WORDS = STOP_WORDS | POSITION_WORDS
ABSTRACT_WORDS = _word_set(
    "happy sad angry afraid scared worried anxious nervous calm surprised shocked tired excited upset "
    "lonely proud jealous bored curious confused relieved frightened terrified furious annoyed hopeful "
    "embarrassed late early soon tonight today night evening morning afternoon dusk dawn day time moment "
    "reason fact way thing something someone everyone nobody feeling feelings mood left missed "
    "clearly obviously really quite rather"
)
SCENE_WORDS = _word_set("floor wall ground sky ceiling air scene picture background foreground image")
DETERMINERS = _word_set("the a an her his their its my our your this that these those some")
LINKING_VERBS = _word_set("is are was were be look seem feel become get stay remain")
COMMON_VERBS = _word_set(
    "look wait hold stand sit run walk watch stare carry give take try reach see show wear cry smile laugh "
    "shout point wave lean hide steal fall drop spill miss leave arrive come go get keep feel seem think "
    "know want need help hug kiss play read write eat drink cook clean open close hurry rush check pull "
    "push throw catch ride drive sleep dream listen talk call ask tell sell buy pay find lose search "
    "chase fix paint build break protect block cover tip grab"
)


@dataclass(eq=False)
class _Item:
    """A thing to place in the ground row: its entity fields and preferred size."""

    label: str
    kind: str
    width: float
    height: float
    role: str = ""
    emotion: str = ""
    action: str = ""
    emphasis: bool = False


def compose_layout(story: Story, emphasis: list[str] | None = None, seed: int = 0) -> SceneLayout:
    """Lay a story out as a scene: background, people, animals, objects and signs in boxes (0..1)."""
    rng = random.Random(seed)
    people = [_person_item(character) for character in story.characters]
    things = [_thing_item(name) for name in story.objects]
    signs = [(text.on or "sign", text.text) for text in story.visible_text]
    context = f"{story.time} {story.description} {story.location}"
    time_of_day = infer_time_of_day(story.time, context)
    weather = infer_weather(" ".join([context, *(emphasis or [])]))
    shown_by_background = " ".join(
        [story.location, story.time, *TIME_WORDS[time_of_day], *WEATHER_WORDS.get(weather, ())]
    )
    emphasized_labels, extra_things = _read_emphasis(emphasis or [], people, things, signs, shown_by_background)
    for item in people + things:
        item.emphasis = item.label in emphasized_labels
    things = _cap_things(things + extra_things, MAX_ENTITIES - len(people) - len(signs))
    entities = _place_ground_items(people, things, rng)
    entities += _place_signs(signs, emphasized_labels, rng)
    return SceneLayout(
        background=story.location,
        indoor=infer_indoor(story.location, story.description),
        time_of_day=time_of_day,
        weather=weather,
        time_label=story.time,
        title=story.title,
        entities=entities,
    )


def infer_indoor(location: str, description: str = "") -> bool:
    """True when the place is indoors; the last place word in the location decides, then the description."""
    for text in (location, description):
        last_indoor = _last_match(text, INDOOR_WORDS)
        last_outdoor = _last_match(text, OUTDOOR_WORDS)
        if last_indoor >= 0 or last_outdoor >= 0:
            return last_indoor > last_outdoor
    return False


def infer_time_of_day(time: str, context: str = "") -> str:
    """dawn, day, dusk or night from the time label (clock times count), else from the wider context."""
    for text in (time, context):
        found = _time_from_clock(text) or _first_keyword_class(text, TIME_WORDS)
        if found:
            return found
    return "day"


def infer_weather(text: str) -> str:
    """rain, snow, fog or clear from weather words in the text."""
    return _first_keyword_class(text, WEATHER_WORDS) or "clear"


def _last_match(text: str, words: frozenset[str]) -> int:
    """Word index of the last word (plurals folded) of the text that is one of words, or -1."""
    positions = [index for index, word in enumerate(folded_words(text, compounds=True)) if word in words]
    return max(positions, default=-1)


def _first_keyword_class(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The first class in table (in its order) with a keyword (a word or phrase) present in text."""
    for name, keywords in table.items():
        if any(has_phrase(text, keyword) for keyword in keywords):
            return name
    return None


def _time_from_clock(text: str) -> str | None:
    """Time of day from the first clock time such as '23:10', '7 am' or '8:30 pm'."""
    for match in re.finditer(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\W|$)", text.lower()):
        if match.group(2) or match.group(3):
            return _time_from_hour(int(match.group(1)), (match.group(3) or "").replace(".", ""))
    return None


def _time_from_hour(hour: int, suffix: str) -> str | None:
    if suffix == "pm" and hour < 12:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    if hour > 23:
        return None
    if 5 <= hour < 7:
        return "dawn"
    if 7 <= hour < 17:
        return "day"
    if 17 <= hour < 20:
        return "dusk"
    return "night"


def _head(text: str) -> str:
    """The last content word of a phrase, e.g. 'bus stop sign' -> 'sign'."""
    content = [word for word in folded_words(text, compounds=True) if word not in NOT_DRAWN_WORDS]
    return content[-1] if content else ""


def _person_item(character: Character) -> _Item:
    is_child = bool(CHILD_WORDS & set(folded_words(f"{character.name} {character.role}", compounds=True)))
    return _Item(
        label=character.name,
        kind="person",
        width=0.16,
        height=0.4 if is_child else 0.55,
        role=character.role,
        emotion=character.emotion,
        action=character.action,
    )


def animal_species(label: str) -> str | None:
    """The animal word in a label ('a wet dog' -> 'dog'), or None when it names no animal."""
    return next((word for word in folded_words(label, compounds=True) if word in ANIMALS), None)


def _thing_item(name: str, emphasis: bool = False) -> _Item:
    words = set(folded_words(name, compounds=True))
    if animal_species(name):
        return _Item(label=name, kind="animal", width=0.15, height=0.16, emphasis=emphasis)
    if words & LARGE_OBJECTS:
        return _Item(label=name, kind="object", width=0.2, height=0.22, emphasis=emphasis)
    if words & FLAT_OBJECTS:
        return _Item(label=name, kind="object", width=0.17, height=0.08, emphasis=emphasis)
    return _Item(label=name, kind="object", width=0.12, height=0.13, emphasis=emphasis)


def _read_emphasis(
    sentences: list[str],
    people: list[_Item],
    things: list[_Item],
    signs: list[tuple[str, str]],
    background_words: str,
) -> tuple[set[str], list[_Item]]:
    """Labels of existing entities the sentences mention, and new emphasised objects for what is missing."""
    keys = {item.label: {_head(item.label), _head(item.role)} - {""} for item in people}
    keys |= {item.label: {_head(item.label)} - {""} for item in things}
    keys |= {on: content_words(f"{on} {text}", compounds=True) for on, text in signs}
    drawn_text = " ".join([background_words, *(f"{item.label} {item.role}" for item in people + things)])
    drawn = set(folded_words(drawn_text, compounds=True)).union(*keys.values(), SCENE_WORDS)
    emphasized: set[str] = set()
    extras: list[_Item] = []
    for sentence in sentences:
        sentence_words = set(folded_words(sentence, compounds=True))
        emphasized |= {label for label, heads in keys.items() if heads & sentence_words}
        for phrase in _missing_phrases(sentence, drawn)[:MAX_EMPHASIS_PHRASES_PER_SENTENCE]:
            extras.append(_thing_item(phrase, emphasis=True))
            drawn |= set(folded_words(phrase, compounds=True))
    return emphasized, extras


def _missing_phrases(sentence: str, drawn: set[str]) -> list[str]:
    """Concrete noun phrases (up to two words) in the sentence that are not drawn yet.

    A lone word right after a linking verb ('the floor is wet') is taken as an adjective, and a word right
    before a determiner ('clutches her bag') as a verb; both are skipped.
    """
    marked = [*tokens(sentence), "."]
    phrases: list[str] = []
    run: list[str] = []
    before_run = ""
    for token, next_token in zip(marked, [*marked[1:], "."], strict=True):
        word = fold_plural(token)
        if _is_concrete(word) and word not in drawn and next_token not in DETERMINERS:
            run.append(token)
            continue
        if run and not (len(run) == 1 and before_run in LINKING_VERBS):
            phrases.append(" ".join(run[-2:]))
        run = []
        before_run = word
    return phrases


def _is_concrete(word: str) -> bool:
    """A rough test for a word that names something drawable (not a stopword, verb, adverb or feeling)."""
    if len(word) < 3 or word in NOT_DRAWN_WORDS or word in ABSTRACT_WORDS:
        return False
    if word.endswith(("ing", "ed", "ly")):
        return False
    return word not in COMMON_VERBS and word.removesuffix("e") not in COMMON_VERBS


def _cap_things(things: list[_Item], room: int) -> list[_Item]:
    """Keep at most room things, emphasised ones first, preserving story order otherwise."""
    kept = {id(item) for item in sorted(things, key=lambda item: not item.emphasis)[: max(room, 0)]}
    return [item for item in things if id(item) in kept]


def _place_ground_items(people: list[_Item], things: list[_Item], rng: random.Random) -> list[LayoutEntity]:
    """People side by side on the ground line with things at their flanks; overflow goes to a foreground strip."""
    row = things[1::2][::-1] + people + things[0::2]
    front: list[_Item] = []
    while _row_scale(row) < 0.75 and any(item.kind != "person" for item in row):
        overflow = _least_important_thing(row)
        row.remove(overflow)
        front.append(overflow)
    return _layout_row(row, rng) + _layout_front(front, rng)


def _least_important_thing(row: list[_Item]) -> _Item:
    """The outermost plain thing of the row, or the outermost emphasised one when none is plain."""
    things = [item for item in row if item.kind != "person"]
    plain = [item for item in things if not item.emphasis]
    return (plain or things)[-1]


def _row_scale(row: list[_Item]) -> float:
    """How much the row must shrink (<= 1) to fit the frame width with margins."""
    needed = sum(item.width for item in row) + ROW_MARGIN * (len(row) + 1)
    return min(1.0, 1.0 / needed) if needed else 1.0


def _layout_row(row: list[_Item], rng: random.Random) -> list[LayoutEntity]:
    """Place the row left to right on the ground line, each item jittered less than half its gaps."""
    scale = _row_scale(row)
    widths = [item.width * scale for item in row]
    gaps = _row_gaps(row, 1.0 - sum(widths))
    entities = []
    x = 0.0
    for item, width, gap_before, gap_after in zip(row, widths, gaps, gaps[1:], strict=False):
        x += gap_before
        height = item.height if item.kind == "person" else item.height * scale
        jitter_x = rng.uniform(-1, 1) * min(JITTER, gap_before / 2, gap_after / 2)
        bottom = GROUND_Y - rng.uniform(0, JITTER)
        entities.append(_entity(item, _box(x + jitter_x, bottom - height, width, height)))
        x += width
    return entities


def _row_gaps(row: list[_Item], free: float) -> list[float]:
    """The len(row) + 1 gaps around the items: people stand close together, the rest of the room is shared."""
    between_people = [0 < i < len(row) and row[i - 1].kind == row[i].kind == "person" for i in range(len(row) + 1)]
    tight = min(PEOPLE_GAP, free / (len(row) + 1))
    loose = (free - tight * sum(between_people)) / (len(between_people) - sum(between_people))
    return [tight if close else loose for close in between_people]


def _layout_front(front: list[_Item], rng: random.Random) -> list[LayoutEntity]:
    if not front:
        return []
    top, bottom = FRONT_ROW
    slot = 1.0 / len(front)
    width = min(0.18, slot - ROW_MARGIN)
    entities = []
    for index, item in enumerate(front):
        x = index * slot + (slot - width) / 2 + rng.uniform(-JITTER, JITTER) * 0.5
        entities.append(_entity(item, _box(x, top, width, bottom - top)))
    return entities


def _place_signs(signs: list[tuple[str, str]], emphasized: set[str], rng: random.Random) -> list[LayoutEntity]:
    """Signs spread across the high band, as on a wall or a post."""
    if not signs:
        return []
    top, bottom = SIGN_BAND
    slot = 1.0 / len(signs)
    width = min(0.34, slot - 2 * ROW_MARGIN)
    entities = []
    for index, (on, text) in enumerate(signs):
        x = index * slot + (slot - width) / 2 + rng.uniform(-JITTER, JITTER)
        y = top + rng.uniform(0, JITTER)
        box = _box(x, y, width, bottom - top)
        entities.append(LayoutEntity(label=on, kind="sign", box=box, text=text, emphasis=on in emphasized))
    return entities


def _entity(item: _Item, box: Box) -> LayoutEntity:
    return LayoutEntity(
        label=item.label,
        kind=item.kind,
        box=box,
        role=item.role,
        emotion=item.emotion,
        action=item.action,
        emphasis=item.emphasis,
    )


def _box(x: float, y: float, w: float, h: float) -> Box:
    """A box clamped inside the unit square, rounded to 4 decimals."""
    w, h = min(round(w, 4), 1.0), min(round(h, 4), 1.0)
    x = min(max(round(x, 4), 0.0), round(1.0 - w, 4))
    y = min(max(round(y, 4), 0.0), round(1.0 - h, 4))
    return Box(x=x, y=y, w=w, h=h)
