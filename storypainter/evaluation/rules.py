"""The story rules the critic checks; each violation's detail is fed back to the storyteller verbatim.

- ``single_moment``: the description must not narrate a sequence ("then", "after that",
  "afterwards", "later", "next,", "finally", "eventually"). Quoted words and the story's
  visible texts are ignored, so a sign reading "SEE YOU LATER" or "the next bus" pass.
- ``no_dialogue``: no quoted speech next to a speech verb (``"Hurry!" she shouts``) and no
  line starting with a speaker and a colon. A quotation that is one of the story's visible
  texts is a sign, not dialogue.
- ``enough_cors``: at least ``min_cors`` CoRs that count for ``evaluation.semantic``.
- ``incoherent_chain``: every chain's conclusion follows from its clues (the coherence
  judge's marks, when given); the detail names each chain that does not, and why.
- ``off_theme``: with the run's theme given, the story keeps its place and time
  (``evaluation.theme``).
- ``not_copied``: the share of the description's word n-grams found in an example's
  description must not exceed ``copy_threshold``.
- ``offensive``: no text the story shows or the painter draws has offensive or hateful
  language (``evaluation.content``: a word list, hateful-phrase patterns and, with the
  ``safety`` extra, a classifier).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from storypainter.evaluation.content import offensive_texts
from storypainter.evaluation.semantic import semantic_score
from storypainter.evaluation.theme import theme_problems
from storypainter.schema import ChainMark, Example, RuleViolation, Story, StoryCheck
from storypainter.text import words

SEQUENCE_MARKER = re.compile(
    r"\b(?:then|after (?:that|this|which)|afterwards?|later|finally|eventually)\b"
    r"|\bnext\s*,|(?<![a-z,]\s)(?<![a-z,])\bnext\b(?!\s+to\b)",
    re.IGNORECASE,
)
NOT_A_SEQUENCE_BEFORE_THEN = frozenset({"by", "since", "until", "till", "back", "from"})
SPEECH_VERB = (
    r"(?:say|says|said|saying|ask|asks|asked|asking|shout|shouts|shouted|shouting|yell|yells|yelled|yelling"
    r"|whisper|whispers|whispered|whispering|reply|replies|replied|replying|exclaim|exclaims|exclaimed"
    r"|scream|screams|screamed|screaming|mutter|mutters|muttered|murmur|murmurs|murmured|tell|tells|told"
    r"|answer|answers|answered|calls out|called out|cries out|cried out)"
)
SPEECH_AFTER_QUOTE = re.compile(rf"^[\s,]*(?:[\w'-]+\s+){{0,3}}?{SPEECH_VERB}\b", re.IGNORECASE)
SPEECH_BEFORE_QUOTE = re.compile(rf"\b{SPEECH_VERB}(?:\s+[\w'-]+){{0,3}}?\s*[,:]?\s*$", re.IGNORECASE)
QUOTATION = re.compile(r"[\"\u201c]([^\"\u201c\u201d\n]+)[\"\u201d]")
SPEAKER_LINE = re.compile(r"^\s*([A-Za-z][\w .'-]{0,40}?)\s*:\s*(\S.*)$")
WINDOW = 40


def ngram_overlap(text: str, reference: str, n: int = 4) -> float:
    """Share of ``text``'s distinct word n-grams that also occur in ``reference`` (0.0 if it has none)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    grams = _ngrams(text, n)
    return len(grams & _ngrams(reference, n)) / len(grams) if grams else 0.0


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[start : start + n]) for start in range(len(tokens) - n + 1)}


def _phrase(text: str) -> str:
    return " " + " ".join(words(text)) + " "


def _is_visible_text(quoted: str, story: Story) -> bool:
    """Whether the quoted words are (part of) one of the story's visible texts, or contain one."""
    quoted_phrase = _phrase(quoted)
    signs = [_phrase(item.text) for item in story.visible_text if words(item.text)]
    return any(quoted_phrase in sign or sign in quoted_phrase for sign in signs)


def _without_quotes_and_signs(story: Story) -> str:
    """The description with quotations and visible texts blanked out."""
    text = QUOTATION.sub(" ", story.description)
    for item in story.visible_text:
        text = re.sub(re.escape(item.text), " ", text, flags=re.IGNORECASE)
    return text


def _first_words(text: str, count: int) -> str:
    return " ".join(text.split()[:count]).strip(".,;:!?")


def _last_words(text: str, count: int) -> str:
    return " ".join(text.split()[-count:])


def _is_sequence_marker(text: str, match: re.Match[str]) -> bool:
    if match.group().lower() != "then":
        return True
    before = text[: match.start()].lower().split()
    return not (before and before[-1] in NOT_A_SEQUENCE_BEFORE_THEN) and before[-2:] != ["now", "and"]


def _sequence_snippets(story: Story) -> list[str]:
    text = _without_quotes_and_signs(story)
    return [
        _first_words(text[match.start() :], 3)
        for match in SEQUENCE_MARKER.finditer(text)
        if _is_sequence_marker(text, match)
    ]


def _quoted_speech(story: Story) -> list[str]:
    """Quotations next to a speech verb, with the verb, e.g. '"Hurry!" she shouts'."""
    text = story.description
    found = []
    for match in QUOTATION.finditer(text):
        if _is_visible_text(match.group(1), story):
            continue
        after, before = text[match.end() : match.end() + WINDOW], text[max(0, match.start() - WINDOW) : match.start()]
        if speech := SPEECH_AFTER_QUOTE.search(after):
            found.append(f"{match.group()} {speech.group().strip(' ,')}")
        elif SPEECH_BEFORE_QUOTE.search(before):
            found.append(f"{_last_words(before, 3)} {match.group()}")
    return found


def _speaker_lines(story: Story) -> list[str]:
    names = {" ".join(words(character.name)).removeprefix("the ") for character in story.characters}
    found = []
    for line in story.description.splitlines():
        match = SPEAKER_LINE.match(line)
        if not match:
            continue
        speaker = " ".join(words(match.group(1))).removeprefix("the ")
        if speaker in names or QUOTATION.match(match.group(2)):
            found.append(line.strip()[:60])
    return found


def _single_moment(story: Story) -> list[RuleViolation]:
    snippets = _sequence_snippets(story)
    if not snippets:
        return []
    quoted = ", ".join(f'"{snippet}"' for snippet in snippets[:3])
    return [
        RuleViolation(
            rule="single_moment",
            detail=f"the description narrates a sequence ({quoted}): describe one frozen moment, "
            "with everything happening at the same instant",
        )
    ]


def _no_dialogue(story: Story) -> list[RuleViolation]:
    speech = _quoted_speech(story) + _speaker_lines(story)
    if not speech:
        return []
    quoted = ", ".join(f"({item})" for item in speech[:3])
    return [
        RuleViolation(
            rule="no_dialogue",
            detail=f"the description contains dialogue {quoted}: show it through posture, expression or "
            "a written sign instead, and list any words written in the picture in visible_text",
        )
    ]


def _enough_cors(valid: int, rejected: list[str], min_cors: int) -> list[RuleViolation]:
    if valid >= min_cors:
        return []
    detail = (
        f"only {valid} valid chains of reasoning (need {min_cors}): add 'clue + clue -> conclusion' chains "
        "whose clues are drawn in the picture and whose conclusions infer something not already visible"
    )
    if rejected:
        detail += "; rejected: " + "; ".join(rejected[:3])
    return [RuleViolation(rule="enough_cors", detail=detail)]


def _not_copied(overlaps: dict[str, float], threshold: float, n: int) -> list[RuleViolation]:
    return [
        RuleViolation(
            rule="not_copied",
            detail=f'the description copies example "{example_id}" ({overlap:.0%} of its {n}-word phrases '
            "appear there): write an original scene with its own place, characters and event",
        )
        for example_id, overlap in sorted(overlaps.items(), key=lambda item: -item[1])
        if overlap > threshold
    ]


def _not_offensive(story: Story) -> list[RuleViolation]:
    return [
        RuleViolation(
            rule="offensive",
            detail=f"offensive language in {where} ({text[:60]!r}, {why}): write it in words fit for any viewer",
        )
        for where, text, why in offensive_texts(story)[:3]
    ]


def _coherent_chains(marks: Sequence[ChainMark]) -> list[RuleViolation]:
    incoherent = [mark for mark in marks if not mark.coherent]
    if not incoherent:
        return []
    listed = "; ".join(
        f"'{mark.chain}' (coherence {mark.coherence:.2f}: {mark.reason or 'these clues do not lead a viewer there'})"
        for mark in incoherent
    )
    detail = (f"{len(incoherent)} chain(s) of reasoning do not follow from their clues: {listed}. Rewrite each so "
              "that its conclusion is what a viewer would infer from those visible clues, or give it clues that "
              "show it")
    return [RuleViolation(rule="incoherent_chain", detail=detail)]


def _on_theme(theme: str, story: Story) -> list[RuleViolation]:
    problems = theme_problems(theme, story)
    if not problems:
        return []
    detail = f"the story leaves its theme {theme!r}: {'; '.join(problems)}. Keep the theme's place and time"
    return [RuleViolation(rule="off_theme", detail=detail)]


def check_story(
    story: Story,
    examples: list[Example],
    min_cors: int = 3,
    copy_threshold: float = 0.35,
    ngram: int = 4,
    marks: Sequence[ChainMark] | None = None,
    theme: str = "",
) -> StoryCheck:
    """Check ``story`` against the rules; the result carries its semantic score, worst copy overlap and,
    when ``marks`` (one coherence mark per chain) are given, the chains that do not follow; with a
    ``theme``, whether the story keeps it."""
    semantic = semantic_score(story, marks)
    overlaps = {example.id: ngram_overlap(story.description, example.description, ngram) for example in examples}
    violations = [
        *_single_moment(story),
        *_no_dialogue(story),
        *_enough_cors(sum(semantic.per_dimension.values()), semantic.rejected, min_cors),
        *_coherent_chains(marks or []),
        *_on_theme(theme, story),
        *_not_copied(overlaps, copy_threshold, ngram),
        *_not_offensive(story),
    ]
    return StoryCheck(
        violations=violations, semantic_score=semantic.score, copy_overlap=max(overlaps.values(), default=0.0),
        chains=list(marks or []),
    )
