"""The content rule: no offensive or hateful language anywhere a viewer or a reader meets it.

Every text the painter draws or the story shows is read (``story_texts``): title,
description, location, time, each character, each object, each visible text and the
surface it is written on, each chain of reasoning and the painter prompt. Each text is
first unmasked (``unmasked``): accents folded, leetspeak read as letters ("Sh1t" -> "shit",
"@$$" -> "ass"), letters repeated three times or more read once ("shiiit"), and a masked
word ("F***", "sh*t") read as the listed word its visible letters fit. Then three checks,
all offline:

- ``SWEARING`` and ``SLURS``: short documented lists of strong swear words (with their usual
  endings) and slurs, matched word by word; mild words ("damn", "hell") and words with harmless
  senses ("cock", "dick", "ass") are left to the classifier;
- ``HATEFUL``: violent or dehumanising phrasing aimed at a group of people
  ("kill all the immigrants", "death to ...", "... are vermin", "no ... allowed"), for
  the groups in ``GROUPS``: hateful text needs no swear word;
- alt-profanity-check's classifier (a linear model trained on labelled offensive text,
  shipped inside the package: the ``safety`` extra) on the unmasked text, flagging at
  ``OFFENSIVE_PROBABILITY`` or more. Without the extra only the classifier is skipped, said
  once on stderr; the list and the patterns always apply.

False flags: over the 1,190 harmless stories of the seed and teacher corpora, the rule flags
3 (0.25%; the test in tests/faults/test_content_rule.py holds it under 0.5%). A flagged
story goes back to the storyteller; a flagged attempt is never a run's result.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from functools import cache

from storypainter.schema import Story, StoryCheck

# "Under a Fucked Up Bed" scores 0.997 and "Damn the rain" 0.65. The classifier is noisy on
# short harmless texts ("hoe", "eyes shut", "pig"): over the 1,190 corpus stories 0.8 flagged
# 40 and 0.95 flags 3. Short texts (an object, a surface, a name) are therefore scored
# together with their neighbours (``story_texts``), never one noun alone.
OFFENSIVE_PROBABILITY = 0.95
SWEARING = frozenset({
    "fuck", "fucker", "motherfuck", "motherfucker", "fck", "fuk", "shit", "bullshit", "shite", "cunt", "bitch",
    "asshole", "arsehole", "bastard", "whore", "slut", "twat", "wanker", "dickhead",
})
SWEARING_ENDINGS = ("", "s", "es", "ed", "er", "ers", "ing", "in", "ting", "ter", "y", "ty", "tier", "face", "head",
                    "heads", "hole", "holes")
SWEARING_STEMS = ("fuck", "shit", "cunt")  # no harmless word starts with these
SLURS = frozenset({
    "nigger", "nigga", "faggot", "kike", "wetback", "raghead", "towelhead", "gook", "tranny", "trannie", "retard",
})
LEET = str.maketrans({"0": "o", "1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t",
                      "8": "b"})
MASKS = "*#%"
WORD = re.compile(r"[\w@$*#%]+(?:!+[\w@$*#%]+)*")  # a '!' counts as a letter only inside a word
GROUPS = (
    r"immigrants?|migrants?|refugees?|foreigners?|asylum seekers?|jews?|muslims?|moslems?|christians|hindus"
    r"|sikhs|arabs|blacks|whites|asians|africans|mexicans|gypsies|roma|gays|lesbians|homosexuals|queers"
    r"|trans(?:gender)? (?:people|folks?|women|men)|disabled people|cripples"
    r"|(?:" + "|".join(sorted(SLURS)) + r")s?"
)
TARGETS = GROUPS + "|women|girls"  # of violence; a treehouse's "NO GIRLS ALLOWED" sign is not hate
NOT_THE_GROUP = r"(?!['\u2019]s\b)"  # "hang the women's coats" is about coats
HATEFUL = re.compile(
    rf"\b(?:kill|murder|slaughter|massacre|exterminate|eradicate|wipe out|gas|lynch|hang|shoot|burn|purge"
    rf"|get rid of|deport|expel|beat up)s?\s+(?:(?:all|every|each|the|those|these|them|of)\s+)*(?:[a-z-]+\s+)?"
    rf"(?:{TARGETS})\b{NOT_THE_GROUP}"
    rf"|\bdeath to (?:all |the )*(?:[a-z-]+ )?(?:{TARGETS})\b"
    rf"|\b(?:{TARGETS}) (?:are|is|r) (?:all )?(?:vermin|rats|animals|parasites|cockroaches|subhuman|scum|filth"
    rf"|a disease|a plague|not human|a virus)\b"
    rf"|\b(?:{TARGETS}) (?:must|should|will|deserve to) (?:all )?(?:die|burn|hang|be killed|be gassed"
    rf"|be exterminated|be wiped out)\b"
    rf"|\bno (?:{GROUPS}) allowed\b|\b(?:{GROUPS}) (?:go home|get out|not welcome)\b"
)
Flag = tuple[str, str, str]  # (where, text, why)


def story_texts(story: Story) -> dict[str, str]:
    """Where each text appears -> the text; every text the painter draws or the story shows."""
    texts = {
        "title": story.title,
        "description": story.description,
        "setting": f"{story.location}, {story.time}",
        "painter_prompt": story.painter_prompt,
        "objects": ", ".join(story.objects),
    }
    for index, character in enumerate(story.characters):
        texts[f"characters.{index}"] = " ".join(
            [character.name, character.role, character.appearance, character.emotion, character.action]
        )
    for index, item in enumerate(story.visible_text):
        texts[f"visible_text.{index}"] = item.text
        texts[f"visible_text.{index}.on"] = item.on
    texts |= {f"cors.{index}": str(chain) for index, chain in enumerate(story.cors)}
    return {where: text for where, text in texts.items() if text.strip()}


def _pattern(masked: str) -> re.Pattern[str]:
    """'f***' -> ^f[a-z]{3}$: each mask character stands for one letter."""
    return re.compile("".join("[a-z]" if char in MASKS else re.escape(char) for char in masked) + "$")


@cache
def _listed_forms() -> tuple[str, ...]:
    """Every listed word with its endings, bare words first (so 'f***' reads 'fuck', not 'fcks')."""
    swearing = [word + ending for ending in SWEARING_ENDINGS for word in sorted(SWEARING)]
    return tuple(dict.fromkeys([*swearing, *sorted(SLURS), *(slur + "s" for slur in sorted(SLURS))]))


def _unmask_word(word: str) -> str:
    if not any(char.isalpha() for char in word):
        return word
    word = re.sub(r"([a-z])\1{2,}", r"\1", word.translate(LEET))
    if any(char in MASKS for char in word):
        pattern = _pattern(word)
        return next((form for form in _listed_forms() if pattern.match(form)), word)
    return word


def unmasked(text: str) -> str:
    """``text`` in lower case with obfuscation undone: 'F*** this bus' -> 'fuck this bus', 'Sh1t' -> 'shit'."""
    folded = "".join(char for char in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(char))
    folded = re.sub(r"\b(?:[a-z][.\-_]){2,}[a-z]\b", lambda match: re.sub(r"[.\-_]", "", match.group()), folded)
    return WORD.sub(lambda match: _unmask_word(match.group()), folded)


def listed_word(text: str) -> str:
    """The first listed swear word or slur in the (unmasked) text, or ''; a word that starts with one of
    ``SWEARING_STEMS`` counts too ("fuckwit"), as does any word holding "fuck" ("clusterfuck")."""
    forms = set(_listed_forms())
    return next((word for word in re.findall(r"[a-z]+", text)
                 if word in forms or word.startswith(SWEARING_STEMS) or "fuck" in word), "")


@cache
def classifier() -> Callable[[list[str]], list[float]] | None:
    try:
        from profanity_check import predict_prob
    except ImportError:
        print("storypainter: content rule: the offensive-language classifier is not installed "
              "(pip install 'storypainter[safety]'); only its word list and patterns apply", file=sys.stderr)
        return None
    return lambda texts: [float(value) for value in predict_prob(texts)]


def offensive_texts(story: Story) -> list[Flag]:
    """(where, text, why) of each flagged text of the story."""
    texts = story_texts(story)
    plain = {where: unmasked(text) for where, text in texts.items()}
    predict = classifier()
    scores = predict(list(plain.values())) if predict else [0.0] * len(plain)
    flagged = []
    for (where, text), score in zip(texts.items(), scores, strict=True):
        if word := listed_word(plain[where]):
            flagged.append((where, text, f"listed word {word!r}"))
        elif hateful := HATEFUL.search(plain[where]):
            flagged.append((where, text, f"hateful phrasing {hateful.group()!r}"))
        elif score >= OFFENSIVE_PROBABILITY:
            flagged.append((where, text, f"classifier {score:.2f}"))
    return flagged


def is_flagged(check: StoryCheck | None) -> bool:
    """Whether an attempt's story check found offensive or hateful language."""
    return check is not None and any(violation.rule == "offensive" for violation in check.violations)
