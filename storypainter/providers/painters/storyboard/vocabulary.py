"""Word tables that map what a story says to what the storyboard draws (scenery, rooms, faces, roles, poses)."""

from __future__ import annotations

import re

SCENERY_WORDS: dict[str, str] = {
    "water": "beach sea lake river harbor harbour pier shore island dock coast port",
    "urban": "street city bus stop station town road alley square market sidewalk crossing parking shop highway bridge",
}
ROOM_FEATURES: dict[str, str] = {
    "blackboard": "classroom school lecture",
    "shelves": "library shop store supermarket bookstore pharmacy office",
    "counter": "kitchen bakery cafe restaurant canteen diner",
}
EXPRESSION_WORDS: dict[str, str] = {
    "happy": "happy joyful cheerful excited delighted glad proud amused content relieved hopeful playful grateful "
    "loving smiling laughing pleased thrilled elated",
    "sad": "sad unhappy upset crying lonely heartbroken disappointed gloomy miserable grieving tearful homesick "
    "sorrowful hurt",
    "angry": "angry furious mad annoyed irritated frustrated grumpy cross indignant outraged jealous",
    "surprised": "surprised shocked astonished amazed startled stunned curious",
    "afraid": "afraid scared frightened terrified fearful panicked alarmed horrified",
    "worried": "worried anxious nervous concerned uneasy tense impatient stressed embarrassed guilty ashamed confused",
    "sleepy": "sleepy tired exhausted bored weary drowsy sleeping",
    "calm": "calm neutral relaxed peaceful focused thoughtful daydreaming absorbed serene determined",
}
ROLE_CUES: dict[str, str] = {
    "police cap": "police policeman policewoman officer cop sheriff security guard",
    "peaked cap": "driver pilot conductor captain postman mail courier sailor porter",
    "nurse cap": "nurse",
    "white coat": "doctor scientist vet pharmacist dentist surgeon",
    "chef hat": "chef cook baker",
    "apron": "chef cook baker waiter waitress shopkeeper cashier barista vendor butcher seller clerk grocer",
    "hard hat": "builder construction engineer plumber electrician miner",
    "fire helmet": "firefighter fireman",
    "straw hat": "farmer gardener fisherman fisher",
    "crown": "king queen prince princess",
    "school uniform": "student pupil schoolgirl schoolboy school",
    "tie": "businessman businesswoman manager boss lawyer clerk teacher professor",
    "top hat": "magician gentleman",
    "grey hair": "old elderly grandfather grandmother grandpa grandma granny retired pensioner aged",
    "glasses": "teacher professor librarian scientist glasses spectacles",
}
HATS = ("police cap", "peaked cap", "nurse cap", "chef hat", "hard hat", "fire helmet", "straw hat", "crown", "top hat")
FEMALE_WORDS = (
    "girl woman mother mom mum grandmother grandma granny lady queen princess daughter sister aunt wife bride "
    "schoolgirl waitress policewoman businesswoman"
)
RAISED_ARM_WORDS = ("wav", "cheer", "rais", "hail", "celebrat", "signal")
FORWARD_ARM_WORDS = ("reach", "giv", "offer", "point", "grab", "steal", "pet", "feed", "hand", "pull", "push", "serv")


def expression_for(emotion: str) -> str:
    """One of eight drawable expressions for an emotion word; calm when unknown."""
    words = re.findall(r"[a-z]+", emotion.lower())
    for expression, synonyms in EXPRESSION_WORDS.items():
        if any(word in synonyms.split() for word in words):
            return expression
    return "calm"


def word_set(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def first_match(text: str, table: dict[str, str], default: str) -> str:
    """The first name in table whose space-separated keywords share a word with text."""
    words = word_set(text)
    return next((name for name, keys in table.items() if words & set(keys.split())), default)
