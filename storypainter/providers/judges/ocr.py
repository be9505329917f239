"""The ``ocr`` judge: reads the words in the picture and checks the story's visible texts against them.

Any painter's picture is read (pixels, not the manifest): RapidOCR (``rapidocr-onnxruntime``,
the ``ocr`` extra, which ships its ONNX models) finds and reads the text lines. When the
painter's manifest says where it drew its signs (the storyboard does), those boxes are read
first, which takes a fraction of the time; a text not found there is looked for in the whole
picture, so a sign drawn elsewhere still counts and nothing is taken on the painter's word.

Matching, per ``story.visible_text`` entry:

- both sides are normalised: lower case, accents folded, only letters and digits kept (OCR
  often drops spaces: "GOD'STIMEIS BEST" matches "GOD'S TIME IS BEST");
- the read text is every run of consecutive words of one block (lines that sit under each
  other), so a sign wrapped over lines is read whole and its words inside a longer line
  ("SLOW: SCHOOL ZONE AHEAD") are found alone;
- similarity is ``1 - edits / len(expected)`` with the fewest Levenshtein edits (insert,
  delete or change one character) between the expected text and the closest run of words:
  an OCR "O" for "0" is one edit, two swapped letters are two;
- ``found`` at ``FOUND_SIMILARITY`` (0.8) or more, ``garbled`` (with what was read) from
  ``GARBLED_SIMILARITY`` (0.5), ``missing`` below that or when nothing was read. For the
  11 letters and digits of "LAST BUS 23:10": up to 2 edits found, 3 to 5 garbled, 6 or more
  missing; "LADIES" read as "ALDIES" (2 of 6) is garbled;
- a text this check cannot read back is ``missing``, never passed: one with letters outside
  the Latin alphabet (Arabic, Hebrew, Chinese...), non-ASCII digits or emoji and other
  pictographs (the storyboard's font draws them as boxes, and matching keeps only Latin
  letters and digits), or one with no letters or digits at all ("!!!"). Its note says why.

A missing or garbled text becomes a ``no`` verdict (``level: ocr``) on a key point
'The <on> reads "<text>".', a found one ``yes``, so the critic can rerender with the text
emphasised. A very short text (one or two letters) can be matched by chance in other words;
the check says so in the entry's ``note``.
"""

from __future__ import annotations

import importlib.util
import threading
import time
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from storypainter.schema import Box, Category, KeyPoint, RenderedImage, SceneLayout, Story, Verdict
from storypainter.text import content_words

if TYPE_CHECKING:
    from PIL import Image

FOUND_SIMILARITY = 0.8
GARBLED_SIMILARITY = 0.5
SHORT_TEXT = 3  # normalised characters: below this a match may be chance
CROP_PADDING = 0.03  # of the picture's width and height, around a sign's box
OCR_PACKAGE = "rapidocr_onnxruntime"
NOT_INSTALLED = "OCR is not installed (pip install 'storypainter[ocr]'): visible texts are not checked"
DEFAULT_CATEGORY: Category = "location"

Status = Literal["found", "garbled", "missing"]


class TextEntry(BaseModel):
    """One of the story's visible texts and what the picture shows of it."""

    text: str = Field(description="the words the story asks for")
    on: str = Field(description="where they should appear")
    status: Status
    read: str = Field(default="", description="the closest text read in the picture")
    similarity: float = Field(default=0.0, description="0..1: 1 - edits / length of the normalised text")
    note: str = ""


class VisibleTextCheck(BaseModel):
    """What the critic's visible-text check found; written to critique.json as ``visible_text``."""

    checked: bool = Field(description="false when the check was skipped (see skipped)")
    skipped: str = ""
    engine: str = ""
    found_similarity: float = FOUND_SIMILARITY
    garbled_similarity: float = GARBLED_SIMILARITY
    regions: str = Field(default="", description="'sign boxes' (the manifest's boxes sufficed) or 'whole picture'")
    seconds: float = 0.0
    lines_read: list[str] = Field(default_factory=list, description="every line the OCR read, in reading order")
    entries: list[TextEntry] = Field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(entry.status == status for entry in self.entries)

    def summary(self) -> str:
        """'text 1/2 legible (1 garbled)' or the reason it was skipped."""
        if not self.checked:
            return self.skipped
        problems = [f"{self.count(status)} {status}" for status in ("garbled", "missing") if self.count(status)]
        listed = f" ({', '.join(problems)})" if problems else ""
        return f"text {self.count('found')}/{len(self.entries)} legible{listed}"


def ocr_installed() -> bool:
    return importlib.util.find_spec(OCR_PACKAGE) is not None


def skipped_check(reason: str = NOT_INSTALLED) -> VisibleTextCheck:
    return VisibleTextCheck(checked=False, skipped=reason)


def normalise(text: str) -> str:
    """Lower case, accents folded, letters and digits only: 'Café: OPEN 24/7' -> 'cafeopen247'."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("\u0131", "i"))
    return "".join(char for char in folded if char.isascii() and char.isalnum())


def _unreadable(char: str) -> bool:
    category = unicodedata.category(char)
    if category.startswith("L"):
        return not unicodedata.name(char, "").startswith("LATIN")
    return (category.startswith("N") and not char.isascii()) or category == "So"


def unreadable_characters(text: str) -> str:
    """The characters of ``text`` this check cannot read back (nor the storyboard's font draw): letters
    outside the Latin alphabet, non-ASCII digits, emoji and other pictographs; each once."""
    return "".join(dict.fromkeys(char for char in text if _unreadable(char)))


def similarity(expected: str, read: str) -> float:
    """``1 - edits / len(expected)`` (floored at 0) for two normalised texts; edits are Levenshtein's."""
    if not expected or not read:
        return 0.0
    previous = list(range(len(read) + 1))
    for row, wanted in enumerate(expected, start=1):
        current = [row]
        for column, char in enumerate(read, start=1):
            current.append(min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + (wanted != char)))
        previous = current
    return max(0.0, 1.0 - previous[-1] / len(expected))


def stretches(blocks: list[list[str]], longest: int) -> list[str]:
    """Every run of consecutive words inside each block (across its lines), up to ``longest`` normalised characters."""
    found = []
    for lines in blocks:
        words = [word for line in lines for word in line.split()]
        for start in range(len(words)):
            for end in range(start + 1, len(words) + 1):
                stretch = " ".join(words[start:end])
                if len(normalise(stretch)) > longest:
                    break
                found.append(stretch)
    return found


def match_entry(text: str, on: str, blocks: list[list[str]]) -> TextEntry:
    """Compare one expected text with the blocks of lines read."""
    expected = normalise(text)
    if foreign := unreadable_characters(text):
        note = f"{foreign[:10]!r} cannot be drawn legibly or read back (only Latin letters and digits are)"
        return TextEntry(text=text, on=on, status="missing", note=note)
    if not expected:
        return TextEntry(text=text, on=on, status="missing", note="no letters or digits to draw or read")
    candidates = stretches(blocks, longest=2 * len(expected) + 4)
    scored = [(similarity(expected, normalise(stretch)), -len(stretch), stretch) for stretch in candidates]
    score, _, read = max(scored, default=(0.0, 0, ""))  # the best match, and the shortest stretch reading it
    status: Status = "found" if score >= FOUND_SIMILARITY else "garbled" if score >= GARBLED_SIMILARITY else "missing"
    note = "a text this short may be matched by chance" if len(expected) < SHORT_TEXT and status == "found" else ""
    read = read if score > 0 else ""
    return TextEntry(text=text, on=on, status=status, read=read, similarity=round(score, 3), note=note)


def blocks_from(result: list[Any] | None) -> list[list[str]]:
    """Group RapidOCR's lines ([box, text, score]) into blocks of lines that sit under each other, top to bottom."""
    lines = []
    for box, text, _score in result or []:
        xs, ys = [point[0] for point in box], [point[1] for point in box]
        lines.append((min(xs), min(ys), max(xs), max(ys), text))
    lines.sort(key=lambda line: (line[1], line[0]))
    blocks: list[list[tuple]] = []
    for line in lines:
        height = line[3] - line[1]
        home = next(
            (
                block
                for block in blocks
                if min(block[-1][2], line[2]) > max(block[-1][0], line[0])  # they overlap side to side
                and line[1] - block[-1][3] < 1.5 * max(height, 1.0)  # and the gap is under 1.5 lines
            ),
            None,
        )
        if home is None:
            blocks.append([line])
        else:
            home.append(line)
    return [[line[4] for line in block] for block in blocks]


@lru_cache(maxsize=1)
def _engine() -> Any:
    """One RapidOCR per process: detection at the picture's own size (no upscaling), no rotation classifier."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(det_limit_side_len=960, det_limit_type="max", use_cls=False)


class OcrReader:
    """Reads text lines from a picture (or a crop of it) with RapidOCR; one read at a time per process."""

    _lock = threading.Lock()

    def __init__(self) -> None:
        from importlib.metadata import version

        self.engine_name = f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"
        _engine()

    def read(self, image: Image.Image) -> list[list[str]]:
        with self._lock:
            result, _ = _engine()(image.convert("RGB"), use_cls=False)
        return blocks_from(result)


def _crop(image: Image.Image, box: Box) -> Image.Image:
    width, height = image.size
    x0 = max(0.0, box.x - CROP_PADDING) * width
    y0 = max(0.0, box.y - CROP_PADDING) * height
    x1 = min(1.0, box.x + box.w + CROP_PADDING) * width
    y1 = min(1.0, box.y + box.h + CROP_PADDING) * height
    return image.crop((round(x0), round(y0), round(x1), round(y1)))


def _flatten(blocks: list[list[str]]) -> list[str]:
    return [line for block in blocks for line in block]


class OcrJudge:
    """The visible-text check as a judge: a verdict per visible text, read from the picture's pixels."""

    name = "ocr"
    level = "ocr"

    def __init__(self, reader: OcrReader):
        self.reader = reader

    def check(self, story: Story, image: RenderedImage) -> VisibleTextCheck:
        """Read the picture and match every visible text of the story (sign boxes first, then the whole picture)."""
        from PIL import Image

        started = time.perf_counter()
        with Image.open(Path(image.path)) as opened:
            picture = opened.convert("RGB")
        sign_boxes = [item.box for item in image.manifest if item.kind == "sign"]
        blocks = [block for box in sign_boxes for block in self.reader.read(_crop(picture, box))]
        entries = [match_entry(text.text, text.on, blocks) for text in story.visible_text]
        regions = "sign boxes"
        if not sign_boxes or any(entry.status in ("garbled", "missing") for entry in entries):
            whole = self.reader.read(picture)
            again = [match_entry(text.text, text.on, whole) for text in story.visible_text]
            entries = [max(pair, key=lambda entry: entry.similarity) for pair in zip(entries, again, strict=True)]
            blocks, regions = whole, "whole picture"
        return VisibleTextCheck(
            checked=True,
            engine=self.reader.engine_name,
            regions=regions,
            seconds=round(time.perf_counter() - started, 3),
            lines_read=_flatten(blocks),
            entries=entries,
        )

    def judge(
        self, key_points: list[KeyPoint], image: RenderedImage | None, layout: SceneLayout, story: Story
    ) -> list[Verdict]:
        if image is None or not story.visible_text:
            return []
        return text_verdicts(self.check(story, image), key_points)


def text_key_point(entry: TextEntry, key_points: list[KeyPoint]) -> KeyPoint:
    """'The bus stop sign reads "LAST BUS".' in the category of the first key point whose clue or text uses it."""
    words = content_words(entry.text)
    category = next(
        (point.category for point in key_points if words and words <= content_words(f"{point.clue} {point.text}")),
        DEFAULT_CATEGORY,
    )
    surface = entry.on.strip() or "sign"
    lead = "" if surface.lower().startswith(("the ", "a ", "an ")) else "the "
    sentence = f'{lead}{surface} reads "{entry.text}".'
    return KeyPoint(category=category, text=sentence[:1].upper() + sentence[1:], clue=f'"{entry.text}" on {surface}')


def text_verdicts(check: VisibleTextCheck, key_points: list[KeyPoint]) -> list[Verdict]:
    """A verdict per checked visible text: yes when found, no when garbled or missing (with what was read)."""
    verdicts = []
    for entry in check.entries:
        if entry.status == "found":
            evidence = f'read "{entry.read}" (similarity {entry.similarity:.2f})'
        elif entry.status == "garbled":
            evidence = f'garbled: read "{entry.read}" (similarity {entry.similarity:.2f})'
        else:
            evidence = f"missing: {entry.note or 'not read anywhere in the picture'}"
        verdicts.append(
            Verdict(
                key_point=text_key_point(entry, key_points),
                answer="yes" if entry.status == "found" else "no",
                judge="ocr",
                level="ocr",
                evidence=evidence,
            )
        )
    return verdicts
