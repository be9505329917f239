"""The one tokeniser: words, compounds, marks, plural folding, stop words and content words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from storypainter.text import STOP_WORDS, content_words, fold_plural, folded_words, has_phrase, tokens, words


def test_words_are_lower_case_with_possessives_dropped_and_accents_folded():
    assert words("Maria's CAFÉ, the campers' tents") == ["maria", "cafe", "the", "campers", "tents"]
    assert words("don't stop at 7 o\u2019clock") == ["don't", "stop", "at", "7", "o'clock"]


def test_hyphens_split_words_unless_compounds_are_kept():
    assert words("a horse-drawn hearse") == ["a", "horse", "drawn", "hearse"]
    assert words("a horse-drawn hearse", compounds=True) == ["a", "horse-drawn", "hearse"]
    assert words("mother-in-law's hat") == ["mother", "in", "law", "hat"]


def test_tokens_keep_punctuation_marks_for_phrase_chunking():
    assert tokens('A dog, wet; "STOP"!') == ["a", "dog", ",", "wet", ";", '"', "stop", '"', "!"]


@pytest.mark.parametrize(
    ("word", "singular"),
    [("cookies", "cooky"), ("boxes", "box"), ("puppies", "puppy"), ("dogs", "dog"), ("benches", "bench"),
     ("bus", "bus"), ("glass", "glass"), ("iris", "iris"), ("was", "was"), ("classes", "class")],
)
def test_plural_folding(word, singular):
    assert fold_plural(word) == singular


def test_content_words_drop_stop_words_and_single_letters_and_fold_plurals():
    assert content_words("The two dogs are behind a bench, waiting for their owners") == {
        "dog", "bench", "waiting", "owner"
    }
    assert {"the", "and", "because", "behind", "while"} <= STOP_WORDS
    assert folded_words("Old benches") == ["old", "bench"]


def test_has_phrase_matches_whole_word_runs_only():
    assert has_phrase("Late evening at the stop", "late evening")
    assert not has_phrase("a rainbow", "rain")
    assert has_phrase("rain-soaked coats", "rain")
    assert not has_phrase("anything", "")


def test_no_other_module_splits_words_with_its_own_regex():
    """The evaluators, the layout composer, the storyboard and the judges all tokenise through storypainter.text."""
    root = Path(__file__).resolve().parents[2] / "storypainter"
    shared = ["layout.py", "evaluation/semantic.py", "evaluation/alignment.py", "providers/judges/layout.py",
              *(str(path.relative_to(root)) for path in (root / "providers/painters/storyboard").glob("*.py"))]
    for name in shared:
        source = (root / name).read_text(encoding="utf-8")
        patterns = [node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant)
                    and isinstance(node.value, str) and ("[a-z" in node.value or "[A-Za-z" in node.value)]
        assert not patterns, f"{name} tokenises with its own pattern: {patterns}"
    assert "import storypainter" not in (root / "text.py").read_text(encoding="utf-8").replace(
        "from storypainter.text", ""
    )
