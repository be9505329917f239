"""Benchmark of the critic's picture checks (issue #16) on scripted stories: no storyteller model.

Takes N stories with visible text from the teacher corpus (storypainter/memory/data/teacher,
evenly spaced by id), renders each with the storyboard painter as the graph would, and runs:

- the visible-text check (OCR) on the true picture: recall (texts found), false "garbled"
  rate (a correctly drawn text reported garbled), and the seconds it adds to a critic call;
- the same check on the same picture with every sign's letters swapped ("LAST" -> "ALST"),
  and with the signs left out: how often the failure is caught (garbled or missing), and
  how many removed texts the storyboard still writes elsewhere (title strip, labels);
- the layout judge before this issue (its source from git, ``--before REV``, with the
  default MiniLM embeddings it used) and now, on the same key points and manifests:
  YES / NO / abstain shares, overall and per category.

    python benchmarks/visible_text_check.py [--stories 40] [--before 0bd5475] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storypainter.evaluation.alignment import key_points_from_story  # noqa: E402
from storypainter.layout import compose_layout  # noqa: E402
from storypainter.providers.judges.layout import LayoutJudge  # noqa: E402
from storypainter.providers.judges.ocr import OcrJudge, OcrReader, normalise  # noqa: E402
from storypainter.providers.painters.storyboard import StoryboardPainter  # noqa: E402
from storypainter.schema import CATEGORIES, Story  # noqa: E402

TEACHER = ROOT / "storypainter" / "memory" / "data" / "teacher"
DEFAULT_BEFORE = "0bd5475"  # the house commit this issue started from


def stories_with_text(count: int) -> list[tuple[str, Story]]:
    """``count`` teacher stories that have visible text, evenly spaced over the corpus sorted by id."""
    found = []
    for path in sorted(TEACHER.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                story = Story.model_validate(record["story"])
                if story.visible_text:
                    found.append((record["id"], story))
    found.sort(key=lambda item: item[0])
    step = max(1, len(found) // count)
    return found[::step][:count]


def swap_letters(text: str) -> str:
    return " ".join(word[1] + word[0] + word[2:] if len(word) > 2 else word[::-1] for word in text.split())


def old_layout_judge(rev: str):
    """The layout judge as it was at ``rev`` (loaded from git), with the embeddings it was built with."""
    source = subprocess.run(["git", "show", f"{rev}:storypainter/providers/judges/layout.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    module = types.ModuleType("old_layout_judge")
    exec(compile(source, f"{rev}:layout.py", "exec"), module.__dict__)
    from storypainter.providers.embeddings import get_embedder

    return module.LayoutJudge(get_embedder("minilm"))


def shares(answers: list[str]) -> dict[str, float]:
    counts = Counter(answers)
    return {answer: round(counts[answer] / len(answers), 3) for answer in ("yes", "no", "abstain")} if answers else {}


def written_elsewhere(text: str, layout) -> bool:
    """Whether the storyboard writes these words elsewhere too: title strip, name plates or labels."""
    parts = [layout.title, layout.time_label, layout.background]
    parts += [f"{entity.label} {entity.role}" for entity in layout.entities if entity.kind != "sign"]
    return normalise(text) in normalise(" ".join(parts))


def text_rates(checks: list, good: str) -> dict[str, float]:
    entries = [entry for check in checks for entry in check.entries]
    counts = Counter(entry.status for entry in entries)
    return {"texts": len(entries), **{status: counts[status] for status in ("found", "garbled", "missing")},
            "caught" if good == "failed" else "recall": round(
                (len(entries) - counts["found"] if good == "failed" else counts["found"]) / len(entries), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=40)
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="git revision of the old layout judge")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "visible_text_check.json")
    args = parser.parse_args()

    stories = stories_with_text(args.stories)
    started = time.perf_counter()
    ocr = OcrJudge(OcrReader())
    load_seconds = time.perf_counter() - started
    painter, new_judge, old_judge = StoryboardPainter(), LayoutJudge(), old_layout_judge(args.before)
    true_checks, swapped_checks, removed_checks, seconds = [], [], [], []
    elsewhere, swapped_only = Counter(), Counter()
    judged = {"before": defaultdict(list), "after": defaultdict(list)}
    examples = []
    with tempfile.TemporaryDirectory() as folder:
        for story_id, story in stories:
            layout = compose_layout(story, seed=1)
            image = painter.paint(story, layout, 1, Path(folder) / f"{story_id}.png")
            tick = time.perf_counter()
            check = ocr.check(story, image)
            seconds.append(time.perf_counter() - tick)
            true_checks.append(check)
            for entry in check.entries:
                if entry.status != "found":
                    examples.append({"story": story_id, "text": entry.text, "status": entry.status, "read": entry.read})
            swapped = layout.model_copy(update={"entities": [
                entity.model_copy(update={"text": swap_letters(entity.text)}) if entity.kind == "sign" else entity
                for entity in layout.entities]})
            swapped_image = painter.paint(story, swapped, 1, Path(folder) / f"{story_id}-swapped.png")
            swapped_check = ocr.check(story, swapped_image)
            swapped_checks.append(swapped_check)
            for entry in swapped_check.entries:
                if not written_elsewhere(entry.text, layout):
                    swapped_only["only on the sign"] += 1
                    swapped_only["only on the sign, caught"] += entry.status != "found"
            removed = layout.model_copy(update={"entities": [e for e in layout.entities if e.kind != "sign"]})
            removed_image = painter.paint(story, removed, 1, Path(folder) / f"{story_id}-removed.png")
            removed_check = ocr.check(story, removed_image)
            removed_checks.append(removed_check)
            for entry in removed_check.entries:
                written = written_elsewhere(entry.text, layout)
                elsewhere["written elsewhere"] += written
                elsewhere["written elsewhere, found"] += written and entry.status == "found"
                elsewhere["only on the sign, caught"] += not written and entry.status != "found"
                elsewhere["only on the sign"] += not written
            points = key_points_from_story(story)
            for name, judge in (("before", old_judge), ("after", new_judge)):
                for verdict in judge.judge(points, image=image, layout=layout, story=story):
                    judged[name][verdict.key_point.category].append(verdict.answer)
                    judged[name]["all"].append(verdict.answer)
    result = {
        "stories": len(stories),
        "story_ids": [story_id for story_id, _ in stories],
        "picture": "storyboard 768x512, compose_layout seed 1",
        "ocr_model_load_s": round(load_seconds, 2),
        "added_seconds_per_critic_call": {"median": round(statistics.median(seconds), 3),
                                          "p90": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))], 3),
                                          "max": round(max(seconds), 3)},
        "true_text": text_rates(true_checks, "found") | {
            "false_garbled_rate": round(sum(c.count("garbled") for c in true_checks)
                                        / max(1, sum(len(c.entries) for c in true_checks)), 3)},
        "letters_swapped": text_rates(swapped_checks, "failed") | dict(swapped_only),
        "signs_removed": text_rates(removed_checks, "failed") | dict(elsewhere),
        "not_found_on_true_pictures": examples,
        "layout_judge": {name: {category: shares(answers[category]) for category in ("all", *CATEGORIES)}
                         for name, answers in judged.items()},
        "key_points": len(judged["after"]["all"]),
        "before_revision": args.before,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({key: value for key, value in result.items() if key not in ("story_ids",)}, indent=2))


if __name__ == "__main__":
    main()
