"""Story-image alignment: the key-point protocol's arithmetic and a deterministic extractor.

``score_alignment`` turns a judge's verdicts into shares of "yes" among answered key
points, per category and overall; abstentions are counted but never in a denominator.
``key_points_from_story`` derives key points from a story's own CoRs when no LLM
extractor is configured. ``parse_verdict`` reads a judge's free-text YES/NO answer and
abstains on anything ambiguous.
"""

from __future__ import annotations

import re
from collections import Counter

from storypainter.schema import (
    CATEGORIES,
    DIMENSION_TO_CATEGORY,
    AlignmentReport,
    Answer,
    ChainOfReasoning,
    KeyPoint,
    Story,
    Verdict,
)
from storypainter.text import content_words, words

PERSON_PRONOUNS = frozenset({"he", "she", "they", "his", "her", "their"})
SUBJECT_PRONOUNS = frozenset({"he", "she", "they", "it"})
POSSESSIVE_PRONOUNS = frozenset({"his", "her", "their", "its"})
_LINKING_VERBS_TEXT = "is are was were am be been being has have had feels feel seems seem looks look"
LINKING_VERBS = frozenset(_LINKING_VERBS_TEXT.split())
SINGULAR_VERB = {"are": "is", "were": "was", "have": "has", "look": "looks", "seem": "seems", "feel": "feels"}
_SKY_WORDS_TEXT = (
    "dawn sunrise morning noon afternoon sunset dusk evening night midnight "
    "rain rainy snow snowy fog foggy storm stormy sunny"
)
SKY_WORDS = frozenset(_SKY_WORDS_TEXT.split())
ARTICLES = ("the ", "a ", "an ")
_HEDGE = re.compile(
    r"\b(maybe|perhaps|possibly|probably|partially|partly|somewhat|unclear|unsure|uncertain|not (sure|certain)"
    r"|hard to (tell|say)|(cannot|can't|can not|unable to|impossible to) (tell|say|determine|judge|decide|answer))\b"
)


def _share(yes: int, no: int) -> float | None:
    return yes / (yes + no) if yes + no else None


def score_alignment(verdicts: list[Verdict], judge: str, level: str) -> AlignmentReport:
    """Share of "yes" among answered key points per category (all 7 keys) and overall."""
    yes = Counter(verdict.key_point.category for verdict in verdicts if verdict.answer == "yes")
    no = Counter(verdict.key_point.category for verdict in verdicts if verdict.answer == "no")
    return AlignmentReport(
        verdicts=list(verdicts),
        per_category={category: _share(yes[category], no[category]) for category in CATEGORIES},
        overall=_share(sum(yes.values()), sum(no.values())),
        abstentions=sum(verdict.answer == "abstain" for verdict in verdicts),
        judge=judge,
        level=level,
    )


def parse_verdict(text: str) -> Answer:
    """Answer "yes" or "no" when the text says exactly one of them without hedging, else "abstain"."""
    plain = re.sub(r"[*_`#>]", " ", text.lower().replace("\u2019", "'"))
    if _HEDGE.search(plain):
        return "abstain"
    tokens = set(words(plain))
    says_yes, says_no = "yes" in tokens, "no" in tokens
    if says_yes == says_no:
        return "abstain"
    return "yes" if says_yes else "no"


def _definite(name: str) -> str:
    """'old man' -> 'the old man', 'a dog' -> 'the dog'; proper names ('Maria') stay as they are."""
    name = name.strip()
    lowered = name.lower()
    for article in ARTICLES:
        if lowered.startswith(article):
            return "the " + name[len(article) :]
    return name if name[:1].isupper() else "the " + name


def _indefinite(phrase: str) -> str:
    """'bus driver' -> 'a bus driver', 'officer' -> 'an officer'; a phrase with an article stays."""
    phrase = phrase.strip()
    if phrase.lower().startswith(ARTICLES) or phrase[:1].isupper():
        return phrase
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".!?;, ")
    return text[:1].upper() + text[1:] + "."


def _clue_words(clues: list[str]) -> set[str]:
    return set().union(*(content_words(clue) for clue in clues))


def _named_in_clues(clues: list[str], candidates: list[str]) -> list[str]:
    """The candidates whose content words appear in the clues, in candidate order."""
    clue_words = _clue_words(clues)
    return [candidate for candidate in candidates if content_words(candidate) & clue_words]


def _characters_in_clues(clues: list[str], story: Story) -> list[str]:
    """Names of the characters the clues name, else of those whose appearance or action they mention."""
    by_name = _named_in_clues(clues, [character.name for character in story.characters])
    if by_name:
        return by_name
    clue_words = _clue_words(clues)
    return [
        character.name
        for character in story.characters
        if content_words(f"{character.appearance} {character.action}") & clue_words
    ]


def _referents(pronoun: str, cor: ChainOfReasoning, story: Story) -> list[str]:
    """Who a leading pronoun most likely means: the only character, else who or what the clues name."""
    if pronoun in PERSON_PRONOUNS:
        people = [character.name for character in story.characters]
        named = people if len(people) == 1 else _characters_in_clues(cor.clues, story)
    else:
        named = _named_in_clues(cor.clues, story.objects) or _characters_in_clues(cor.clues, story)
    return named if pronoun in ("they", "their") else named[:1]


def _subject_phrase(referents: list[str], pronoun: str, cor: ChainOfReasoning) -> str:
    if referents:
        return " and ".join(_definite(name) for name in referents)
    return "one character" if pronoun in PERSON_PRONOUNS else _definite(cor.clues[0])


def _replace_leading_pronoun(conclusion: str, cor: ChainOfReasoning, story: Story) -> str:
    head, _, rest = conclusion.partition(" ")
    pronoun = head.lower()
    referents = _referents(pronoun, cor, story)
    subject = _subject_phrase(referents, pronoun, cor)
    if pronoun in POSSESSIVE_PRONOUNS:
        return f"{subject}'s {rest}"
    verb, _, tail = rest.partition(" ")
    if pronoun == "they" and len(referents) < 2 and verb.lower() in SINGULAR_VERB:
        rest = f"{SINGULAR_VERB[verb.lower()]} {tail}"
    return f"{subject} {rest}"


def _sentence_subject(cor: ChainOfReasoning, story: Story) -> str:
    people = [character.name for character in story.characters]
    named = people if len(people) == 1 else _characters_in_clues(cor.clues, story)
    return _definite(named[0]) if named else "one character"


def _complete_phrase(conclusion: str, cor: ChainOfReasoning, story: Story) -> str:
    """Give a verbless conclusion ('Christmas morning', 'police officer', 'fear') a subject and a verb."""
    category = DIMENSION_TO_CATEGORY[cor.dimension]
    tokens = words(conclusion)
    if LINKING_VERBS & set(tokens):
        return conclusion
    if category == "time":
        return f"the time is {conclusion}"
    if category == "location":
        return f"the place is {conclusion}"
    if category == "character" and len(tokens) <= 3:
        return f"{_sentence_subject(cor, story)} is {_indefinite(conclusion)}"
    if category == "mental_state" and len(tokens) <= 3:
        return f"{_sentence_subject(cor, story)} feels {conclusion}"
    return conclusion


def key_point_text(cor: ChainOfReasoning, story: Story) -> str:
    """The CoR's conclusion as one complete sentence that names its subject (no leading pronoun)."""
    conclusion = cor.conclusion.strip().rstrip(".!?;, ")
    lead = conclusion.partition(" ")[0].lower()
    expletive_it = lead == "it" and cor.dimension in ("time", "location")
    if lead in SUBJECT_PRONOUNS | POSSESSIVE_PRONOUNS and not expletive_it:
        return _sentence(_replace_leading_pronoun(conclusion, cor, story))
    if lead in SUBJECT_PRONOUNS:
        return _sentence(conclusion)
    return _sentence(_complete_phrase(conclusion, cor, story))


def _cor_key_points(story: Story) -> list[KeyPoint]:
    points = []
    for cor in story.cors:
        clue = " + ".join(clue.strip() for clue in cor.clues if clue.strip())
        if clue and cor.conclusion.strip():
            points.append(
                KeyPoint(category=DIMENSION_TO_CATEGORY[cor.dimension], text=key_point_text(cor, story), clue=clue)
            )
    return points


def _character_key_points(story: Story, covered: list[KeyPoint]) -> list[KeyPoint]:
    """'The <name> is a <role>.' for each character whose role no character key point mentions yet."""
    covered_words = set().union(*(content_words(point.text) for point in covered if point.category == "character"))
    points = []
    for character in story.characters:
        role_words = content_words(character.role)
        if role_words and character.appearance.strip() and not role_words & covered_words:
            text = _sentence(f"{_definite(character.name)} is {_indefinite(character.role)}")
            points.append(KeyPoint(category="character", text=text, clue=character.appearance.strip()))
    return points


def _drawn_items_mentioning(phrase: str, story: Story) -> list[str]:
    """Objects and visible texts that share a content word with ``phrase``."""
    texts = [f'"{text.text}" on {text.on}'.strip() for text in story.visible_text]
    return _named_in_clues([phrase], [*story.objects, *texts])


def _setting_key_points(story: Story, covered: list[KeyPoint]) -> list[KeyPoint]:
    """Location and time key points from the story's fields when no CoR covers them and a clue shows them."""
    categories = {point.category for point in covered}
    location, time = story.location.strip(), story.time.strip()
    points = []
    if location and "location" not in categories:
        clue = " + ".join(_drawn_items_mentioning(location, story)) or f"background: {location}"
        points.append(KeyPoint(category="location", text=_sentence(f"the place is {location}"), clue=clue))
    time_clue = " + ".join(_drawn_items_mentioning(time, story))
    if not time_clue and SKY_WORDS & set(words(time)):
        time_clue = "the light and the sky"
    if time and time_clue and "time" not in categories:
        points.append(KeyPoint(category="time", text=_sentence(f"the time is {time}"), clue=time_clue))
    return points


def key_points_from_story(story: Story) -> list[KeyPoint]:
    """Key points from the story's CoRs, plus character, location and time points they lack.

    Only key points with a visible clue are kept: a CoR's clues, a character's appearance,
    drawn objects or visible texts naming the setting, the background for the location, and
    light and sky for a time of day or weather.
    """
    points = _cor_key_points(story)
    points += _character_key_points(story, points)
    return points + _setting_key_points(story, points)
