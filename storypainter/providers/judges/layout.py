"""The ``layout`` judge: a verdict per key point from what the painter reports drawing.

A layout-level check, not a pixel-level one: it reads the painter's manifest (the storyboard
lists every item with its name plate, face, pose, role cues and props) and answers

- **yes** when the key point's *subject* is drawn and its *predicate* is shown: a feeling
  that describes the subject is on its face, or the predicate's last content word (its head:
  "the girl's *brother*", "holds an *umbrella*") is shown and at least as many of its words
  are shown as are not (on the subject's plate, cues, props, face or pose, or by another drawn
  item; for time and location, by the scene: place, time label, light, weather; there the
  head need not be shown), and nothing it names is missing or contradicted;
- **no** when the subject (a character or thing of the story) is not drawn, when the
  predicate names a thing of the story that is not drawn, or when it names a feeling the
  subject's face does not show (a "worried" key point over a happy face);
- **abstain** when the layout cannot show the key point: a pixel painter reported no
  manifest, the subject is nothing the layout draws ("the crowd"), or most of the predicate
  is beyond what a storyboard draws (thoughts, plans, causes, feelings its faces lack).

Time and location key points are about the scene. An event's verb counts as shown when the
subject's drawn pose is the one the storyboard uses for that verb (reaching, pointing ->
arm forward; waving, cheering -> arm raised), its objects when they are drawn. A causal key
point ("Because A, B.") is judged clause by clause: yes when both are shown (the link is read
from their being drawn together), no when either is not, else abstain. Words come from
``storypainter.text``, the tokeniser the layout composer used. Every verdict says ``level: layout``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storypainter.layout import TIME_WORDS, WEATHER_WORDS
from storypainter.providers.painters.storyboard.vocabulary import EXPRESSION_WORDS, arm_pose, expression_for
from storypainter.schema import Answer, DrawnItem, KeyPoint, LayoutEntity, RenderedImage, SceneLayout, Story, Verdict
from storypainter.text import content_words, folded_words

SCENE_CATEGORIES = frozenset({"time", "location"})
SCENE_SUBJECT_WORDS = frozenset({"time", "place", "scene", "setting", "moment", "picture", "image", "day"})
SCENE_OPENERS = ("it", "this", "there")
BE_VERBS = frozenset({"is", "are", "was", "were", "be", "being"})
LINKING_VERBS = frozenset({"feel", "look", "seem", "appear", "become", "get", "remain", "stay"})
SUBJECT_KINDS = ("person", "animal", "object", "sign")
SUBJECT_WINDOW = 4  # the subject must be named among the sentence's first words
PRONOUNS = frozenset({"he", "she", "they", "it", "his", "her", "their", "its"})
BECAUSE_FIRST = re.compile(r"^\s*because\s+(?P<cause>[^,]+),\s*(?P<effect>.+)$", re.IGNORECASE)
BECAUSE_AFTER = re.compile(r"^(?P<effect>.+?),?\s+because\s+(?P<cause>.+)$", re.IGNORECASE)
AMBIGUOUS_FEELINGS = frozenset({"content", "cross"})  # "the content of", "cross the road"
FEELINGS = {
    word: expression
    for expression, synonyms in EXPRESSION_WORDS.items()
    for word in synonyms
    if word not in AMBIGUOUS_FEELINGS
}


@dataclass
class Drawn:
    """One drawn thing: the words that name it (written or shown) and what its drawing shows."""

    label: str
    kind: str
    names: set[str]
    shows: set[str] = field(default_factory=set)
    face: str = ""
    pose: str = ""
    heads: tuple[str, ...] = ()  # the last word of its label, then of its role: what a sentence calls it


def _head(phrase: str) -> str:
    found = [word for word in folded_words(phrase) if word in content_words(phrase)]
    return found[-1] if found else ""


@dataclass
class Scene:
    """Everything a layout shows: the drawn items and the scene's own words (place, time, light, weather)."""

    items: list[Drawn]
    scene_words: set[str]

    def everything(self) -> set[str]:
        """Every word the picture shows: the scene's and all its items'."""
        return self.scene_words | self.things()

    def things(self) -> set[str]:
        """The words the drawn people, animals, objects and signs show (not the title strip or the sky)."""
        return set().union(*(item.names | item.shows for item in self.items if item.kind in SUBJECT_KINDS))


def _details(text: str) -> dict[str, str]:
    """'emotion: sad (face: sad); role: nurse' -> {'emotion': 'sad (face: sad)', 'role': 'nurse'}."""
    pairs = (part.partition(": ") for part in text.split("; "))
    return {key.strip(): value.strip() for key, _, value in pairs if value}


def _from_manifest(item: DrawnItem) -> Drawn | None:
    details = _details(item.details)
    names = content_words(item.label)
    if item.kind == "person":
        face = re.search(r"\(face: (\w+)\)", details.get("emotion", ""))
        cues = details.get("cues", "none")
        return Drawn(
            label=item.label,
            kind="person",
            names=names | content_words(details.get("role", "")),
            shows=set() if cues == "none" else content_words(cues),
            face=face.group(1) if face else "",
            pose=details.get("pose", ""),
            heads=(_head(item.label), _head(details.get("role", ""))),
        )
    if item.kind == "sign":
        names |= content_words(details.get("on", ""))
        return Drawn(item.label, "sign", names, content_words(details.get("text", "")), heads=(_head(item.label),))
    if item.kind == "animal":
        species = details.get("animal", "")
        return Drawn(item.label, "animal", names | content_words(species), heads=(_head(item.label), species))
    if item.kind in ("object", "title", "background"):
        return Drawn(item.label, item.kind, names, heads=(_head(item.label),))
    return None


def _scene_from_manifest(manifest: list[DrawnItem]) -> Scene:
    items = [drawn for drawn in (_from_manifest(item) for item in manifest) if drawn is not None]
    scene_words: set[str] = set()
    for item in manifest:
        details = _details(item.details)
        if item.kind == "background":
            place, _, rest = details.get("background", "").partition(", ")
            scene_words |= content_words(f"{item.label} {place}")
            for value in rest.split(", ")[:2]:
                scene_words |= _light_and_weather_words(value.strip())
            scene_words |= content_words(item.details.rpartition("; ")[2])
        elif item.kind == "title":
            scene_words |= content_words(f"{details.get('time', '')} {details.get('place', '')}")
    return Scene(items=items, scene_words=scene_words)


def _light_and_weather_words(name: str) -> set[str]:
    """The words a drawn sky shows: 'dusk' -> dusk, sunset, evening, ...; 'rain' -> rain, rainy, ..."""
    table = TIME_WORDS.get(name) or WEATHER_WORDS.get(name) or ()
    return content_words(" ".join([name, *table])) if name else set()


def _scene_from_layout(layout: SceneLayout) -> Scene:
    """The layout as the storyboard would draw it (when judging a layout with no picture)."""
    items = [_from_entity(entity) for entity in layout.entities]
    scene_words = content_words(f"{layout.background} {layout.time_label}")
    scene_words |= _light_and_weather_words(layout.time_of_day) | _light_and_weather_words(layout.weather)
    scene_words |= {"indoor", "inside"} if layout.indoor else {"outdoor", "outside"}
    return Scene(items=items, scene_words=scene_words)


def _from_entity(entity: LayoutEntity) -> Drawn:
    names = content_words(f"{entity.label} {entity.role}")
    heads = (_head(entity.label), _head(entity.role))
    if entity.kind == "person":
        face, pose = expression_for(entity.emotion), arm_pose(entity.action)
        return Drawn(entity.label, "person", names, face=face, pose=pose, heads=heads)
    return Drawn(entity.label, entity.kind, names, content_words(entity.text), heads=heads)


def _story_things(story: Story | None) -> set[str]:
    """Content words of the characters and objects the story asks the painter to draw."""
    if story is None:
        return set()
    phrases = [*story.objects, *(f"{c.name} {c.role}" for c in story.characters)]
    return set().union(*(content_words(phrase) for phrase in phrases))


@dataclass
class Finding:
    answer: Answer
    evidence: str


def _subject(
    sentence_words: list[str], content: list[str], scene: Scene, story_things: set[str]
) -> tuple[Drawn | None, set[str], str]:
    """The drawn item the sentence is about, the words that name it, and why when none is found.

    The subject is named among the first words: an item called by its head word ('the old *man*',
    'the *nurse*') wins over one that only shares a word ('*old* woman').
    """
    opening = [word for word in sentence_words[:SUBJECT_WINDOW] if word in content]
    candidates = [item for item in scene.items if item.kind in SUBJECT_KINDS and item.names & set(opening)]
    if candidates:
        best = max(candidates, key=lambda item: _naming_rank(item, set(opening)))
        return best, best.names & set(opening), ""
    missing = [word for word in opening if word in story_things and word not in scene.everything()]
    if missing:
        return None, set(missing), f"subject '{missing[0]}' is not drawn"
    if not opening:
        return None, set(), "the sentence names no subject the layout could draw"
    return None, set(), f"the layout cannot tell who or what '{opening[0]}' is"


def _naming_rank(item: Drawn, opening: set[str]) -> tuple[bool, bool, int]:
    return bool(set(item.heads[:1]) & opening), bool(set(item.heads) & opening), len(item.names & opening)


def _judge_clause(
    text: str, category: str, scene: Scene, story_things: set[str], previous: Drawn | None = None
) -> tuple[Finding, Drawn | None]:
    sentence = [word for word in folded_words(text) if word]
    content = [word for word in sentence if word in content_words(text) and word not in LINKING_VERBS]
    opener = sentence[0] if sentence else ""
    scene_level = category in SCENE_CATEGORIES or opener in SCENE_OPENERS
    if previous is not None and opener in PRONOUNS:
        subject, subject_words, why = previous, {opener}, ""
    elif scene_level:
        subject, subject_words, why = None, set(SCENE_SUBJECT_WORDS), ""
    else:
        subject, subject_words, why = _subject(sentence, content, scene, story_things)
        if subject is None:
            answer: Answer = "no" if why.endswith("is not drawn") else "abstain"
            return Finding(answer, why), None
    predicate = [word for word in dict.fromkeys(content) if word not in subject_words]
    feelings = {word for word in _after_linking_verb(sentence) if word in FEELINGS}
    if category == "mental_state" and subject is not None and not feelings:
        why = f"'{subject.label}' drawn, but no drawn face shows {', '.join(predicate) or 'that'}"
        return Finding("abstain", why), subject
    return _judge_predicate(predicate, subject, scene, story_things, feelings), subject


def _after_linking_verb(sentence: list[str]) -> set[str]:
    """Words that describe the subject directly: 'is worried', 'looks tired and cold' (for event key points)."""
    described: set[str] = set()
    for index, word in enumerate(sentence[:-1]):
        if word in LINKING_VERBS or word in BE_VERBS:
            described |= set(sentence[index + 1 : index + 4])
    return described


def _judge_predicate(
    predicate: list[str], subject: Drawn | None, scene: Scene, story_things: set[str], feelings: set[str]
) -> Finding:
    who = f"'{subject.label}'" if subject else "the scene"
    if not predicate:
        return Finding("yes", f"{who} is drawn")
    everything = scene.everything() if subject is None else scene.things()
    shown, missing, contradicted, unknown = [], [], [], []
    for word in predicate:
        feeling = FEELINGS.get(word) if word in feelings else None
        if subject is not None and subject.face and feeling:
            (shown if feeling == subject.face else contradicted).append(word)
        elif word in everything or (subject is not None and _pose_shows(word, subject)):
            shown.append(word)
        elif word in story_things:
            missing.append(word)
        else:
            unknown.append(word)
    if contradicted and not any(FEELINGS.get(word) == subject.face for word in shown):
        return Finding("no", f"the face of {who} shows {subject.face}, not {', '.join(contradicted)}")
    if missing:
        return Finding("no", f"{who} drawn, but not {', '.join(missing)}")
    felt = [word for word in shown if word in feelings]
    head_shown = subject is None or predicate[-1] in shown
    if felt or (head_shown and shown and len(shown) >= len(unknown)):
        extra = f"; not drawable: {', '.join(unknown)}" if unknown else ""
        return Finding("yes", f"{who} drawn with {', '.join(shown)}{extra}")
    return Finding("abstain", f"{who} drawn, but the layout cannot show {', '.join(unknown) or predicate[-1]}")


def _pose_shows(word: str, subject: Drawn) -> bool:
    """Whether the verb is one the storyboard draws with a pose, and the subject holds that pose."""
    pose = arm_pose(word)
    return pose != "down" and pose == subject.pose


def _causal_parts(text: str) -> list[str] | None:
    """[cause, effect] of 'Because A, B.' or 'B because A.', else None."""
    sentence = text.strip().rstrip(".")
    match = BECAUSE_FIRST.match(sentence) or BECAUSE_AFTER.match(sentence)
    return [match.group("cause"), match.group("effect")] if match else None


def judge_key_point(point: KeyPoint, scene: Scene, story_things: set[str]) -> Finding:
    """The layout's answer for one key point, with the evidence in words."""
    parts = _causal_parts(point.text) if point.category == "event_causal" else None
    if not parts:
        return _judge_clause(point.text, point.category, scene, story_things)[0]
    findings, subject = [], None
    for part in parts:
        finding, subject = _judge_clause(part, "event", scene, story_things, previous=subject)
        findings.append(finding)
    answers = {finding.answer for finding in findings}
    evidence = f"cause: {findings[0].evidence} | effect: {findings[1].evidence}"
    if "no" in answers:
        return Finding("no", evidence)
    return Finding("yes" if answers == {"yes"} else "abstain", evidence)


class LayoutJudge:
    """Judges key points against the painter's manifest (or a bare layout): subject and predicate must be drawn."""

    name = "layout"
    level = "layout"

    def judge(
        self, key_points: list[KeyPoint], image: RenderedImage | None, layout: SceneLayout, story: Story | None = None
    ) -> list[Verdict]:
        if image is not None and not image.manifest:
            why = f"painter '{image.backend}' reports no manifest: a layout judge cannot see its pixels"
            return [self._verdict(point, Finding("abstain", why)) for point in key_points]
        scene = _scene_from_manifest(image.manifest) if image is not None else _scene_from_layout(layout)
        things = _story_things(story)
        return [self._verdict(point, judge_key_point(point, scene, things)) for point in key_points]

    def _verdict(self, point: KeyPoint, finding: Finding) -> Verdict:
        return Verdict(
            key_point=point, answer=finding.answer, judge=self.name, level="layout", evidence=finding.evidence
        )

