"""Theme fidelity: does a story keep the place and the time its theme asks for?

A theme's *time cues* are words of a part of the day (dawn, noon, night, ...) or a season
(winter, summer, ...); its *place words* are its other content words. A story keeps its
theme when

- **place**: the theme's place words appear in the story (title, description, location,
  time, objects, characters, visible texts; a shared stem of five letters counts, so
  ``flooded`` matches ``flood``): all of them for a theme of one or two place words, all but
  one for a longer theme;
- **time**: when the theme names a part of the day or a season, the story's time and
  description name no other one of the same kind without it (``at dawn`` vs ``midday sun``).

The planner reads the same cues: it adds a moment to a setting only when the theme names
none, so it never contradicts the theme's own time (``storypainter/nodes/planner.py``).
"""

from __future__ import annotations

from storypainter.schema import Story
from storypainter.text import content_words

DAYPARTS = {
    "dawn": "dawn", "sunrise": "dawn", "daybreak": "dawn",
    "morning": "morning", "breakfast": "morning",
    "noon": "noon", "midday": "noon", "lunchtime": "noon",
    "afternoon": "afternoon",
    "evening": "evening", "dusk": "evening", "sunset": "evening", "twilight": "evening",
    "night": "night", "midnight": "night", "nighttime": "night",
}
SEASONS = {
    "winter": "winter", "snow": "winter", "snowy": "winter", "snowed": "winter", "snowed-in": "winter",
    "icy": "winter", "frost": "winter", "christmas": "winter",
    "summer": "summer", "heatwave": "summer",
    "spring": "spring", "autumn": "autumn", "fall": "autumn",
}
TIME_CUES = {"daypart": DAYPARTS, "season": SEASONS}
STEM = 5


def time_cues(text: str) -> dict[str, set[str]]:
    """{"daypart": {...}, "season": {...}}: the parts of the day and seasons ``text`` names."""
    found = content_words(text, compounds=True) | content_words(text)
    return {kind: {table[word] for word in found if word in table} for kind, table in TIME_CUES.items()}


def names_a_time(theme: str) -> bool:
    return any(time_cues(theme).values())


def place_words(theme: str) -> set[str]:
    cues = {word for table in TIME_CUES.values() for word in table}
    return {word for word in content_words(theme) if word not in cues}


def _present(word: str, story_words: set[str]) -> bool:
    return word in story_words or any(
        len(word) >= STEM and len(other) >= STEM and other[:STEM] == word[:STEM] for other in story_words
    )


def story_text(story: Story) -> str:
    parts = [story.title, story.description, story.location, story.time, *story.objects]
    for character in story.characters:
        parts += [character.name, character.role, character.appearance, character.action]
    parts += [text.text + " " + text.on for text in story.visible_text]
    return " ".join(parts)


def theme_problems(theme: str, story: Story) -> list[str]:
    """Why ``story`` leaves ``theme`` (place words missing, a conflicting time), or [] when it keeps it."""
    if not theme.strip():
        return []
    problems = []
    wanted = place_words(theme)
    words = content_words(story_text(story))
    missing = sorted(word for word in wanted if not _present(word, words))
    if missing and len(missing) > (0 if len(wanted) <= 2 else 1):
        problems.append(f"the theme's place is lost: the story never shows {', '.join(repr(w) for w in missing)}")
    asked, told = time_cues(theme), time_cues(f"{story.time} {story.description}")
    for kind, wanted_times in asked.items():
        if wanted_times and told[kind] and not wanted_times & told[kind]:
            problems.append(f"the theme's time is {'/'.join(sorted(wanted_times))} but the story shows "
                            f"{'/'.join(sorted(told[kind]))}")
    return problems
