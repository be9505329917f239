"""Words: the one tokeniser, plural folding and stop-word list that the whole project shares.

The layout composer, the storyboard painter, the evaluators (semantic complexity, key
points, story rules) and the layout judge all split text here, so the judge reads a layout
with the same words the composer wrote it with.

- ``words``: lower-cased words in order. A word is a run of letters and digits with an
  optional apostrophe part (``don't``, ``o'clock``); a possessive ``'s`` (or the ``'`` of
  ``campers'``) is dropped; accents are folded (``café`` -> ``cafe``); slashes and other
  marks split words, and so do hyphens (``rain-streaked`` -> ``rain``, ``streaked``) unless
  ``compounds=True`` keeps a hyphenated compound whole (the layout composer's noun phrases).
- ``tokens``: words (compounds whole) plus each punctuation mark as its own token, for code
  that needs to see where a phrase ends.
- ``fold_plural``: a naive singular, the same on both sides of every comparison, not a
  dictionary's (``dogs`` -> ``dog``, ``boxes`` -> ``box``, ``puppies`` -> ``puppy``, but
  also ``cookies`` -> ``cooky``; ``bus``, ``glass``, ``iris`` stay).
- ``STOP_WORDS``: function words (articles, pronouns, auxiliaries, conjunctions,
  prepositions, particles, small numbers) that name nothing drawable.
- ``content_words``: the folded words of a text that are not stop words or single letters.
- ``terminal_safe``: a text for a terminal, its control characters shown as escapes.

This module is at the bottom floor: it imports nothing from the project.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = r"[a-z0-9]+(?:'[a-z]+)?"
_TOKEN = re.compile(rf"{_WORD}(?:-{_WORD})*|[^\sa-z0-9]")  # a word or hyphenated compound, or one mark
_PLURAL_POSSESSIVE = re.compile(r"(?<=s)'(?![a-z])")  # the apostrophe of "the campers' tents"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

_STOP_WORDS_TEXT = """
    a an the and or but nor so yet if of in on at to for from by with without into onto upon
    over under near about as than then too very just also still some any all each every both
    one two three is are was were be been being am has have had do does did will would can
    could may might must shall should i me my we us our you your he him his she her hers it
    its they them their theirs this that these those there here who whom whose which what
    when where why how not no yes isn't aren't wasn't weren't don't doesn't didn't can't won't
    because while already only again up down out off away around across along through toward
    towards against inside outside within above below beneath underneath behind beside
    between
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def _plain(text: str) -> str:
    """Lower case, typographic apostrophes as ASCII, accents folded, a plural possessive's apostrophe dropped."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_APOSTROPHES))
    return _PLURAL_POSSESSIVE.sub("", "".join(char for char in folded if not unicodedata.combining(char)))


def tokens(text: str) -> list[str]:
    """Words (hyphenated compounds kept whole) and single punctuation marks, in order."""
    return [token.removesuffix("'s") for token in _TOKEN.findall(_plain(text))]


def _is_word(token: str) -> bool:
    return token[0].isascii() and token[0].isalnum()


def words(text: str, compounds: bool = False) -> list[str]:
    """Lower-cased words of ``text`` in order, a possessive ``'s`` removed; with ``compounds``,
    a hyphenated compound (``horse-drawn``) is one word, else its parts are."""
    found = [token for token in tokens(text) if _is_word(token)]
    return found if compounds else [part for token in found for part in token.split("-")]


def fold_plural(word: str) -> str:
    """A naive singular of one lower-case word."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def folded_words(text: str, compounds: bool = False) -> list[str]:
    """``words`` with plurals folded, in order."""
    return [fold_plural(word) for word in words(text, compounds)]


def content_words(text: str, compounds: bool = False) -> set[str]:
    """The folded content words of ``text`` (stop words and single letters dropped)."""
    return {fold_plural(word) for word in words(text, compounds) if word not in STOP_WORDS and len(word) > 1}


def has_phrase(text: str, phrase: str) -> bool:
    """Whether the words of ``phrase`` occur in ``text`` as a run of whole words."""
    wanted = words(phrase)
    found = words(text)
    return bool(wanted) and any(found[start : start + len(wanted)] == wanted for start in range(len(found)))


def terminal_safe(text: str, newlines: bool = False) -> str:
    """``text`` with control and format characters (terminal escapes, bidi overrides) shown as ``\\x1b``-style
    escapes, so printing a story never drives the terminal; ``newlines`` keeps line breaks."""
    return "".join(
        char if (newlines and char == "\n") or unicodedata.category(char)[0] != "C"
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
