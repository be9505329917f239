"""Word tables that map what a story says to what the storyboard draws (scenery, rooms, faces, roles, poses).

Tables are sets of words folded by ``storypainter.text`` (the project's one tokeniser), and
``word_set`` folds a label the same way, so "school bags" finds the bag icon and "glasses" the glasses cue.
"""

from __future__ import annotations

from storypainter.text import folded_words


def keywords(text: str) -> frozenset[str]:
    """A table entry: the folded words of a space-separated keyword list."""
    return frozenset(folded_words(text))


def word_set(text: str) -> set[str]:
    """The folded words of a label, role or place."""
    return set(folded_words(text))


SCENERY_WORDS: dict[str, frozenset[str]] = {
    "water": keywords("beach sea lake river harbor harbour pier shore island dock coast port"),
    "urban": keywords(
        "street city bus stop station town road alley square market sidewalk crossing parking shop highway bridge"
    ),
}
ROOM_FEATURES: dict[str, frozenset[str]] = {
    "blackboard": keywords("classroom school lecture"),
    "shelves": keywords("library shop store supermarket bookstore pharmacy office"),
    "counter": keywords("kitchen bakery cafe restaurant canteen diner"),
}
EXPRESSION_WORDS: dict[str, frozenset[str]] = {
    "happy": keywords(
        "happy joyful cheerful excited delighted glad proud amused content relieved hopeful playful grateful "
        "loving smiling laughing pleased thrilled elated"
    ),
    "sad": keywords(
        "sad unhappy upset crying lonely heartbroken disappointed gloomy miserable grieving tearful homesick "
        "sorrowful hurt"
    ),
    "angry": keywords("angry furious mad annoyed irritated frustrated grumpy cross indignant outraged jealous"),
    "surprised": keywords("surprised shocked astonished amazed startled stunned curious"),
    "afraid": keywords("afraid scared frightened terrified fearful panicked alarmed horrified"),
    "worried": keywords(
        "worried anxious nervous concerned uneasy tense impatient stressed embarrassed guilty ashamed confused"
    ),
    "sleepy": keywords("sleepy tired exhausted bored weary drowsy sleeping"),
    "calm": keywords("calm neutral relaxed peaceful focused thoughtful daydreaming absorbed serene determined"),
}
ROLE_CUES: dict[str, frozenset[str]] = {
    "police cap": keywords("police policeman policewoman officer cop sheriff security guard"),
    "peaked cap": keywords("driver pilot conductor captain postman mail courier sailor porter"),
    "nurse cap": keywords("nurse"),
    "white coat": keywords("doctor scientist vet pharmacist dentist surgeon"),
    "chef hat": keywords("chef cook baker"),
    "apron": keywords("chef cook baker waiter waitress shopkeeper cashier barista vendor butcher seller clerk grocer"),
    "hard hat": keywords("builder construction engineer plumber electrician miner"),
    "fire helmet": keywords("firefighter fireman"),
    "straw hat": keywords("farmer gardener fisherman fisher"),
    "crown": keywords("king queen prince princess"),
    "school uniform": keywords("student pupil schoolgirl schoolboy school"),
    "tie": keywords("businessman businesswoman manager boss lawyer clerk teacher professor"),
    "top hat": keywords("magician gentleman"),
    "grey hair": keywords("old elderly grandfather grandmother grandpa grandma granny retired pensioner aged"),
    "glasses": keywords("teacher professor librarian scientist glasses spectacles"),
}
HATS = ("police cap", "peaked cap", "nurse cap", "chef hat", "hard hat", "fire helmet", "straw hat", "crown", "top hat")
FEMALE_WORDS = keywords(
    "girl woman mother mom mum grandmother grandma granny lady queen princess daughter sister aunt wife bride "
    "schoolgirl waitress policewoman businesswoman"
)
RAISED_ARM_WORDS = ("wav", "cheer", "rais", "hail", "celebrat", "signal")
FORWARD_ARM_WORDS = ("reach", "giv", "offer", "point", "grab", "steal", "pet", "feed", "hand", "pull", "push", "serv")


def expression_for(emotion: str) -> str:
    """One of eight drawable expressions for an emotion word; calm when unknown."""
    words = word_set(emotion)
    return next((expression for expression, synonyms in EXPRESSION_WORDS.items() if words & synonyms), "calm")


def arm_pose(action: str) -> str:
    """How a figure holds its arms for an action: raised (waving, cheering), forward (reaching, giving) or down."""
    action = action.lower()
    if any(key in action for key in RAISED_ARM_WORDS):
        return "raised"
    if any(key in action for key in FORWARD_ARM_WORDS):
        return "forward"
    return "down"


def first_match(text: str, table: dict[str, frozenset[str]], default: str) -> str:
    """The first name in table whose keywords share a word with text."""
    words = word_set(text)
    return next((name for name, keys in table.items() if words & keys), default)
