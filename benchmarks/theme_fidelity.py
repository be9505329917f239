"""Theme fidelity on the held-out themes: the share of stories that keep their theme's place and time.

``evaluation/theme.py`` judges each story. *Before*: the stories of a committed bench report
(``docs/student_bench/student/report.html``, Mini-Storyteller v1 under the old planner; the
report keeps each story's title, description, location and time, which is what is judged).
*After*: the first attempts (single pass) and picks (critic loop) of run directories.

    python benchmarks/theme_fidelity.py [--report docs/student_bench/student/report.html] [RUNS_DIR ...]
"""

from __future__ import annotations

import argparse
import html
import json
import re
from pathlib import Path

from storypainter.evaluation.theme import theme_problems
from storypainter.schema import Story

ROOT = Path(__file__).resolve().parents[1]
CARD = re.compile(r'<h3>(?P<title>.*?)</h3><div class="meta">(?P<meta>.*?)</div>\s*<p>(?P<description>.*?)</p>\s*'
                  r'<p class="meta">(?P<setting>.*?)</p>', re.S)
THEME = re.compile(r"theme (.*?) · ")


def report_stories(report: Path) -> list[tuple[str, Story]]:
    stories = []
    for card in CARD.finditer(report.read_text(encoding="utf-8")):
        fields = {key: html.unescape(value) for key, value in card.groupdict().items()}
        theme = THEME.search(fields["meta"])
        location, _, time = fields["setting"].partition(" · ")
        story = Story(title=fields["title"], description=fields["description"], location=location, time=time,
                      painter_prompt="-")
        stories.append((theme.group(1) if theme else "", story))
    return stories


def run_stories(root: Path) -> dict[str, list[tuple[str, Story]]]:
    arms: dict[str, list[tuple[str, Story]]] = {"single pass": [], "critic loop": []}
    for run in sorted(path.parent for path in root.rglob("result.json")):
        theme = json.loads((run / "request.json").read_text())["theme"]
        best = json.loads((run / "result.json").read_text())["best_attempt"]
        for arm, number in (("single pass", 1), ("critic loop", best)):
            story = Story.model_validate_json((run / "attempts" / f"{number:02d}" / "story.json").read_text())
            arms[arm].append((theme, story))
    return arms


def kept(stories: list[tuple[str, Story]]) -> dict:
    failures = [(theme, problems) for theme, story in stories if (problems := theme_problems(theme, story))]
    return {"stories": len(stories), "kept": len(stories) - len(failures),
            "share": round((len(stories) - len(failures)) / len(stories), 3) if stories else None,
            "examples": [f"{theme}: {'; '.join(problems)}" for theme, problems in failures[:5]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", default=str(ROOT / "docs" / "student_bench" / "student" / "report.html"))
    parser.add_argument("runs", nargs="*", help="folders holding run directories (the 'after' runs)")
    args = parser.parse_args()
    results = {"before (v1 report)": kept(report_stories(Path(args.report)))}
    for root in args.runs:
        for arm, stories in run_stories(Path(root)).items():
            results[f"after, {arm} ({Path(root).name})"] = kept(stories)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
