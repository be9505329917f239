"""Offline evaluation of run directories: typed rows, set diversity, statistics and writers.

``load_runs`` reads run directories (or parents holding them) into ``RunRow`` values: the
best attempt's story and image, its alignment report and rule check (from
``critique.json``, so the copy check used the examples the storyteller saw) and a fresh
``semantic_score``. A run that cannot be read becomes a one-line problem and is skipped.
``evaluate`` adds the set's diversity; the writers render a terminal table, CSV, JSON and
a self-contained HTML page (images as data URIs, inline CSS, every model text escaped).

Intervals (``summarize``): a mean's 95% interval is Student's t (mean ± t·s/√n, clipped to
the score's range); the rule-pass rate's is Wilson's score interval; the set diversity's is a percentile
bootstrap over the stories' own diversity scores (each story's mean distance to its k
nearest neighbours in the whole set), so resampling never pairs a story with its copy.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError

from storypainter.evaluation.diversity import DiversityResult, diversity_scores
from storypainter.evaluation.semantic import CAP, SemanticScore, semantic_score, words
from storypainter.runs import RunFileProblem, attempt_dir, read_run_object
from storypainter.schema import (
    CATEGORIES,
    CATEGORY_LABELS,
    DIMENSION_LABELS,
    DIMENSIONS,
    AlignmentReport,
    Frozen,
    Story,
    StoryCheck,
)

RUN_MARKERS = ("request.json", "manifest.json", "result.json")
MAX_DEPTH = 3
CONFIDENCE = 0.95
Z_975 = 1.959963984540054
# Student's t 0.975 quantiles for 1..30 degrees of freedom; beyond that a Cornish-Fisher expansion.
T_975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
BOOTSTRAP_RESAMPLES = 2000
SHARE, COUNT = (0.0, 1.0), (0.0, math.inf)
CATEGORY_SHORT = {
    "time": "time",
    "location": "loc",
    "character": "char",
    "character_relationship": "rel",
    "event": "event",
    "event_causal": "cause",
    "mental_state": "mind",
}


class RunRow(Frozen):
    """One run's best attempt with its scores."""

    run_dir: str
    system: str = Field(description="naive, cor or cor+critic (from the run's settings)")
    theme: str
    seed: int
    best_attempt: int
    attempts: int
    story: Story
    image_path: str | None
    report: AlignmentReport
    check: StoryCheck
    semantic: SemanticScore
    words: int
    seconds: float

    @property
    def alignment(self) -> float | None:
        return self.report.overall


class Evaluation(Frozen):
    """A set of runs, its diversity (per-item values align with ``rows``) and skipped runs."""

    rows: list[RunRow]
    diversity: DiversityResult
    embedder: str
    problems: list[str] = Field(default_factory=list)


class Interval(Frozen):
    """A point estimate with its 95% interval over ``n`` values (None when there are none)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    method: str


# ---------------------------------------------------------------- loading


def _model(model: type[Frozen], value: Any, where: str) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise RunFileProblem(f"malformed {where}: {field}: {first['msg']}") from None


def system_label(context: dict[str, Any]) -> str:
    """'naive', 'cor' or 'cor+critic' from a run's settings."""
    mode = context.get("mode", "cor")
    return f"{mode}+critic" if context.get("critic_loop") else mode


def _result(run_dir: Path) -> dict[str, Any]:
    if (run_dir / "result.json").is_file():
        result = read_run_object(run_dir / "result.json")
        if not isinstance(result.get("best_attempt"), int):
            raise RunFileProblem("malformed result.json: best_attempt is missing")
        return result
    manifest = read_run_object(run_dir / "manifest.json") if (run_dir / "manifest.json").is_file() else {}
    error = f": {manifest['error']}" if manifest.get("error") else ""
    raise RunFileProblem(f"no result.json (status {manifest.get('status', 'unknown')}{error})")


def load_run(run_dir: str | Path) -> RunRow:
    """The best attempt of one run directory; raises RunFileProblem with a one-line reason."""
    run_dir = Path(run_dir)
    result = _result(run_dir)
    request = read_run_object(run_dir / "request.json")
    context = request.get("context", {})
    folder = attempt_dir(run_dir, result["best_attempt"])
    story = _model(Story, read_run_object(folder / "story.json"), f"{folder.name}/story.json")
    critique = read_run_object(folder / "critique.json")
    report = _model(AlignmentReport, critique.get("report", {}), f"{folder.name}/critique.json report")
    check = _model(StoryCheck, critique.get("check", {}), f"{folder.name}/critique.json check")
    manifest = read_run_object(run_dir / "manifest.json")
    image = folder / "image.png"
    return RunRow(
        run_dir=str(run_dir),
        system=system_label(context),
        theme=str(request.get("theme", "")),
        seed=int(context.get("seed", 0)),
        best_attempt=result["best_attempt"],
        attempts=len(list((run_dir / "attempts").glob("[0-9]*"))),
        story=story,
        image_path=str(image) if image.is_file() else None,
        report=report,
        check=check,
        semantic=semantic_score(story),
        words=len(words(story.description)),
        seconds=float(sum(manifest.get("node_seconds", {}).values())),
    )


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def is_run_dir(path: Path) -> bool:
    return any((path / marker).is_file() for marker in RUN_MARKERS) or (path / "attempts").is_dir()


def find_run_dirs(path: Path, depth: int = MAX_DEPTH) -> list[Path]:
    """``path`` itself when it is a run directory, else the run directories below it."""
    if is_run_dir(path):
        return [path]
    if depth == 0:
        return []
    children = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    return [run for child in children for run in find_run_dirs(child, depth - 1)]


def load_runs(paths: Iterable[str | Path]) -> tuple[list[RunRow], list[str]]:
    """Rows of every readable run under ``paths`` and one line per run that was skipped."""
    rows, problems = [], []
    for path in map(Path, paths):
        if not path.is_dir():
            problems.append(f"{path}: not a directory")
            continue
        try:
            run_dirs = find_run_dirs(path)
        except OSError as error:
            problems.append(f"{path}: cannot list: {error.strerror}")
            continue
        if not run_dirs:
            problems.append(f"{path}: no run directories found")
        for run_dir in run_dirs:
            try:
                rows.append(load_run(run_dir))
            except (RunFileProblem, OSError) as error:
                problems.append(f"{run_dir}: {error}")
            except (TypeError, ValueError, AttributeError) as error:
                problems.append(f"{run_dir}: malformed run files ({type(error).__name__}: {_one_line(error)})")
    return rows, problems


def set_diversity(rows: list[RunRow], embedder: str = "minilm", k: int = 5) -> DiversityResult:
    """The paper's diversity over embeddings of the stories' descriptions."""
    from storypainter.providers.embeddings import get_embedder

    if not rows:
        return DiversityResult(per_item=[], mean=0.0, k=0)
    vectors = get_embedder(embedder).encode([row.story.description for row in rows])
    return diversity_scores(vectors, k=k)


def evaluate(rows: list[RunRow], problems: list[str], embedder: str = "minilm", k: int = 5) -> Evaluation:
    return Evaluation(rows=rows, diversity=set_diversity(rows, embedder, k), embedder=embedder, problems=problems)


# ---------------------------------------------------------------- statistics


def t_quantile(df: int) -> float:
    """Student's t 0.975 quantile (table to 30 degrees of freedom, expansion beyond; error < 1e-4)."""
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def _present(values: Iterable[float | None]) -> list[float]:
    return [float(value) for value in values if value is not None]


def mean_interval(values: Iterable[float | None], bounds: tuple[float, float] = (-math.inf, math.inf)) -> Interval:
    """Mean and 95% t-interval (clipped to the score's ``bounds``) of the values that are not None.

    A single value has no spread, so no interval.
    """
    data = _present(values)
    if not data:
        return Interval(mean=None, low=None, high=None, n=0, method="t")
    mean = sum(data) / len(data)
    if len(data) == 1:
        return Interval(mean=mean, low=None, high=None, n=1, method="t")
    spread = math.sqrt(sum((value - mean) ** 2 for value in data) / (len(data) - 1))
    half = t_quantile(len(data) - 1) * spread / math.sqrt(len(data))
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return Interval(mean=mean, low=low, high=high, n=len(data), method="t")


def wilson_interval(successes: int, total: int) -> Interval:
    """A proportion and its 95% Wilson score interval."""
    if total == 0:
        return Interval(mean=None, low=None, high=None, n=0, method="wilson")
    share, z2 = successes / total, Z_975**2
    centre = (share + z2 / (2 * total)) / (1 + z2 / total)
    half = Z_975 * math.sqrt(share * (1 - share) / total + z2 / (4 * total**2)) / (1 + z2 / total)
    return Interval(mean=share, low=max(0.0, centre - half), high=min(1.0, centre + half), n=total, method="wilson")


def bootstrap_interval(per_item: list[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> Interval:
    """The mean of ``per_item`` and a 95% percentile bootstrap interval (resampling items)."""
    if not per_item:
        return Interval(mean=None, low=None, high=None, n=0, method="bootstrap")
    values = np.asarray(per_item, dtype=np.float64)
    picks = np.random.default_rng(seed).integers(0, len(values), size=(resamples, len(values)))
    means = values[picks].mean(axis=1)
    low, high = np.quantile(means, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return Interval(mean=float(values.mean()), low=float(low), high=float(high), n=len(values), method="bootstrap")


def summarize(evaluation: Evaluation) -> dict[str, Interval]:
    """Every bench score of a set: mean and 95% interval."""
    rows = evaluation.rows
    return {
        "semantic": mean_interval((row.semantic.score for row in rows), (0, 100)),
        "alignment": mean_interval((row.alignment for row in rows), SHARE),
        **{
            f"alignment.{category}": mean_interval((row.report.per_category.get(category) for row in rows), SHARE)
            for category in CATEGORIES
        },
        "diversity": bootstrap_interval(evaluation.diversity.per_item),
        "words": mean_interval((row.words for row in rows), COUNT),
        "rule_pass": wilson_interval(sum(row.check.passed for row in rows), len(rows)),
        "seconds": mean_interval((row.seconds for row in rows), COUNT),
    }


# ---------------------------------------------------------------- flat records


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def row_record(row: RunRow, diversity: float | None) -> dict[str, Any]:
    """The scores of one row as a flat mapping (CSV columns, JSON fields)."""
    return {
        "run_dir": row.run_dir,
        "system": row.system,
        "theme": row.theme,
        "seed": row.seed,
        "title": row.story.title,
        "best_attempt": row.best_attempt,
        "attempts": row.attempts,
        "semantic": round(row.semantic.score, 2),
        "alignment": _rounded(row.alignment),
        **{f"alignment.{category}": _rounded(row.report.per_category.get(category)) for category in CATEGORIES},
        "key_points": len(row.report.verdicts),
        "abstentions": row.report.abstentions,
        "rules_pass": row.check.passed,
        "violations": ";".join(violation.rule for violation in row.check.violations),
        "words": row.words,
        "seconds": round(row.seconds, 2),
        "diversity": _rounded(diversity),
        "image": row.image_path or "",
    }


def records(evaluation: Evaluation) -> list[dict[str, Any]]:
    per_item = evaluation.diversity.per_item
    return [row_record(row, per_item[index] if per_item else None) for index, row in enumerate(evaluation.rows)]


def to_csv(evaluation: Evaluation) -> str:
    rows = records(evaluation)
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def to_json(evaluation: Evaluation, summary: dict[str, Interval] | None = None) -> str:
    key_points = [
        [{"category": v.key_point.category, "text": v.key_point.text, "answer": v.answer} for v in row.report.verdicts]
        for row in evaluation.rows
    ]
    runs = [record | {"key_points": points} for record, points in zip(records(evaluation), key_points, strict=True)]
    payload = {
        "diversity": {"mean": evaluation.diversity.mean, "k": evaluation.diversity.k, "embedder": evaluation.embedder},
        "summary": {name: interval.model_dump() for name, interval in (summary or summarize(evaluation)).items()},
        "runs": runs,
        "problems": evaluation.problems,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- terminal table


def _cell(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def to_table(evaluation: Evaluation) -> str:
    """A fixed-width table, one line per run, then the set's diversity."""
    header = ["system", "title", "sem", "align", *CATEGORY_SHORT.values(), "rules", "words", "secs", "div"]
    lines = []
    for record in records(evaluation):
        lines.append([
            record["system"],
            record["title"][:28],
            f"{record['semantic']:.1f}",
            _cell(record["alignment"]),
            *(_cell(record[f"alignment.{category}"]) for category in CATEGORIES),
            "pass" if record["rules_pass"] else "fail",
            str(record["words"]),
            f"{record['seconds']:.1f}",
            _cell(record["diversity"], "{:.3f}"),
        ])
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    text = [" ".join(map(str.ljust, cells, widths)) for cells in [header, *lines]]
    diversity = evaluation.diversity
    text.append(
        f"diversity {diversity.mean:.3f} (k={diversity.k}, {evaluation.embedder}) over {len(evaluation.rows)} stories"
    )
    return "\n".join(line.rstrip() for line in text) + "\n"


# ---------------------------------------------------------------- HTML

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{margin:0 0 4px}h2{margin:28px 0 8px;border-bottom:2px solid #ddd}
.meta{color:#666;font-size:13px}
.card{display:flex;gap:18px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px;margin:12px 0}
.card img{width:420px;height:auto;border:1px solid #ccc;flex:none;align-self:flex-start}
.noimg{width:420px;height:280px;display:flex;align-items:center;justify-content:center;background:#eee;flex:none}
.story{flex:1;min-width:0}.story h3{margin:0 0 4px}.story p{margin:6px 0}
.kp{list-style:none;padding:0;margin:6px 0;font-size:13px}.kp li{margin:2px 0}
.tag{display:inline-block;width:58px;text-align:center;border-radius:3px;font-size:11px;font-weight:bold;color:#fff}
.yes{background:#2e7d32}.no{background:#c62828}.abstain{background:#9e9e9e}
.bars{display:grid;grid-template-columns:170px 1fr 44px;gap:2px 8px;font-size:12px;align-items:center;max-width:520px}
.bar{background:#e6e6e6;height:10px;border-radius:2px;position:relative}
.ci{position:absolute;top:4px;height:2px;background:#111}
.chart{display:grid;grid-template-columns:230px 100px 360px auto;gap:3px 10px;font-size:13px;align-items:center}
.fill{height:10px;border-radius:2px;background:#1565c0}
.fill.sem{background:#6a1b9a}.na{color:#999}
table{border-collapse:collapse;font-size:13px;background:#fff}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f0f0f0}td:first-child{text-align:left}
.scores{font-size:13px;margin:4px 0}
"""


def image_data_uri(path: str | None) -> str | None:
    """The PNG at ``path`` as a base64 data URI, or None when it is missing."""
    if not path or not Path(path).is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _bar(label: str, share: float | None, shown: str, kind: str = "") -> str:
    if share is None:
        return f'<span>{escape(label)}</span><div class="bar"></div><span class="na">n/a</span>'
    width = max(0.0, min(1.0, share)) * 100
    return (
        f'<span>{escape(label)}</span><div class="bar"><div class="fill {kind}" style="width:{width:.0f}%"></div></div>'
        f"<span>{escape(shown)}</span>"
    )


def _alignment_bars(report: AlignmentReport) -> str:
    bars = [
        _bar(CATEGORY_LABELS[category], report.per_category.get(category), _cell(report.per_category.get(category)))
        for category in CATEGORIES
    ]
    return '<div class="bars">' + "".join(bars) + "</div>"


def _semantic_bars(semantic: SemanticScore) -> str:
    bars = [
        _bar(DIMENSION_LABELS[dimension], min(count, CAP) / CAP, str(count), "sem")
        for dimension, count in ((d, semantic.per_dimension.get(d, 0)) for d in DIMENSIONS)
    ]
    return '<div class="bars">' + "".join(bars) + "</div>"


def _key_points(report: AlignmentReport) -> str:
    shown = {"yes": "YES", "no": "NO", "abstain": "abstained"}
    items = [
        f'<li><span class="tag {verdict.answer}">{shown[verdict.answer]}</span> '
        f"{escape(CATEGORY_LABELS[verdict.key_point.category])}: {escape(verdict.key_point.text)}"
        f' <span class="meta">(clue: {escape(verdict.key_point.clue)})</span></li>'
        for verdict in report.verdicts
    ]
    return '<ul class="kp">' + "".join(items) + "</ul>" if items else '<p class="meta">no key points judged</p>'


def _cors(row: RunRow) -> str:
    items = [f"<li>{escape(DIMENSION_LABELS[cor.dimension])}: {escape(str(cor))}</li>" for cor in row.story.cors]
    return '<ul class="kp">' + "".join(items) + "</ul>" if items else ""


def _card(row: RunRow, diversity: float | None) -> str:
    uri = image_data_uri(row.image_path)
    title = escape(row.story.title)
    image = f'<img src="{uri}" alt="{title}">' if uri else '<div class="noimg">no image</div>'
    violations = "; ".join(f"{v.rule}: {v.detail}" for v in row.check.violations) or "all rules pass"
    scores = (
        f"semantic {row.semantic.score:.1f} · alignment {_cell(row.alignment)} · diversity {_cell(diversity, '{:.3f}')}"
        f" · {row.words} words · {row.seconds:.1f}s · attempt {row.best_attempt} of {row.attempts}"
    )
    return f"""<div class="card">{image}<div class="story">
<h3>{title}</h3><div class="meta">{escape(row.system)} · seed {row.seed} · theme {escape(row.theme or "(free)")}
 · {escape(row.run_dir)}</div>
<p>{escape(row.story.description)}</p>
<p class="meta">{escape(row.story.location)} · {escape(row.story.time)}</p>
<p class="scores">{escape(scores)}</p><p class="meta">rules: {escape(violations)}</p>
<b>Key points</b>{_key_points(row.report)}
<b>Alignment per category</b>{_alignment_bars(row.report)}
<b>Counted chains of reasoning per dimension</b>{_semantic_bars(row.semantic)}
<details><summary>chains of reasoning</summary>{_cors(row)}</details>
</div></div>"""


def html_section(title: str, evaluation: Evaluation) -> str:
    """A heading, the set's diversity, a card per run and the skipped runs."""
    diversity = evaluation.diversity
    cards = "".join(
        _card(row, diversity.per_item[index] if diversity.per_item else None)
        for index, row in enumerate(evaluation.rows)
    )
    problems = "".join(f"<li>{escape(problem)}</li>" for problem in evaluation.problems)
    skipped = f'<p class="meta">skipped:</p><ul class="meta">{problems}</ul>' if problems else ""
    return (
        f"<h2>{escape(title)}</h2><p><b>Set diversity {diversity.mean:.3f}</b> "
        f'<span class="meta">(k={diversity.k}, {escape(evaluation.embedder)} embeddings, '
        f"{len(evaluation.rows)} stories)</span></p>{cards}{skipped}"
    )


def html_page(title: str, body: str) -> str:
    """A complete HTML document with inline CSS and no external resources."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def to_html(evaluation: Evaluation, title: str = "storypainter evaluation") -> str:
    return html_page(title, html_section(f"{len(evaluation.rows)} runs", evaluation))


# ---------------------------------------------------------------- bench summaries

MAIN_SCORES = (
    ("semantic", "semantic", "{:.1f}"),
    ("alignment", "alignment", "{:.2f}"),
    ("diversity", "diversity", "{:.3f}"),
    ("words", "words/story", "{:.0f}"),
    ("rule_pass", "rule pass", "{:.0%}"),
    ("seconds", "s/story", "{:.1f}"),
)
CHART_SCORES = (
    ("semantic", "Semantic (0-100)", 100.0, "{:.1f}"),
    ("alignment", "Alignment", 1.0, "{:.2f}"),
    ("diversity", "Diversity", 1.0, "{:.3f}"),
    ("rule_pass", "Rule pass", 1.0, "{:.0%}"),
    *((f"alignment.{category}", CATEGORY_LABELS[category], 1.0, "{:.2f}") for category in CATEGORIES),
)
SYSTEM_COLOURS = ("#8d6e63", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00")
INTERVAL_NOTE = (
    "Cells: mean [95% interval]. semantic, alignment (overall and per category), words and seconds: "
    "Student's t-interval over stories, clipped to the score's range (alignment over the stories with an "
    "answered key point in that category; '-' when none); rule pass: "
    "Wilson score interval; diversity: the set's score (mean cosine distance to the k nearest stories), "
    "interval by percentile bootstrap (2000 resamples) over the stories' own diversity scores."
)


def format_interval(interval: Interval, pattern: str) -> str:
    """'52.4 [48.1, 56.7]', '52.4' without an interval, '-' without values."""
    if interval.mean is None:
        return "-"
    if interval.low is None or interval.high is None:
        return pattern.format(interval.mean)
    return f"{pattern.format(interval.mean)} [{pattern.format(interval.low)}, {pattern.format(interval.high)}]"


def _markdown_table(header: list[str], lines: list[list[str]]) -> str:
    rows = [header, ["---"] * len(header), *lines]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def bench_tables(
    summaries: dict[str, dict[str, Interval]], counts: dict[str, str]
) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    """Header and cell rows of the main table and of the per-category alignment table."""
    main = ["system", "runs", *(label for _, label, _ in MAIN_SCORES)]
    main_rows = [
        [system, counts[system], *(format_interval(summary[key], pattern) for key, _, pattern in MAIN_SCORES)]
        for system, summary in summaries.items()
    ]
    categories = ["system", *(CATEGORY_LABELS[category] for category in CATEGORIES)]
    category_rows = [
        [system, *(format_interval(summary[f"alignment.{category}"], "{:.2f}") for category in CATEGORIES)]
        for system, summary in summaries.items()
    ]
    return main, main_rows, categories, category_rows


def bench_markdown(title: str, summaries: dict[str, dict[str, Interval]], counts: dict[str, str], notes: str) -> str:
    """bench.md: the scores side by side, then alignment per category, then how to read them."""
    main, main_rows, categories, category_rows = bench_tables(summaries, counts)
    return (
        f"# {title}\n\n{notes}\n\n{_markdown_table(main, main_rows)}\n\n"
        f"Alignment per category:\n\n{_markdown_table(categories, category_rows)}\n\n{INTERVAL_NOTE}\n"
    )


def _html_table(header: list[str], lines: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>" for cells in lines)
    return f"<table><tr>{head}</tr>{body}</table>"


def _percent(value: float, scale: float) -> float:
    return max(0.0, min(1.0, value / scale)) * 100


def _interval_bar(interval: Interval, scale: float, colour: str) -> str:
    """A bar to the mean with a black whisker across the 95% interval."""
    if interval.mean is None:
        return '<div class="bar"></div>'
    fill = f'<div class="fill" style="width:{_percent(interval.mean, scale):.1f}%;background:{colour}"></div>'
    whisker = ""
    if interval.low is not None and interval.high is not None:
        left, right = _percent(interval.low, scale), _percent(interval.high, scale)
        whisker = f'<div class="ci" style="left:{left:.1f}%;width:{max(right - left, 0.4):.1f}%"></div>'
    return f'<div class="bar">{fill}{whisker}</div>'


def _comparison_chart(summaries: dict[str, dict[str, Interval]]) -> str:
    """Per score, a bar per system (mean, 95% interval as a whisker)."""
    cells = []
    for key, label, scale, pattern in CHART_SCORES:
        for index, (system, summary) in enumerate(summaries.items()):
            colour = SYSTEM_COLOURS[index % len(SYSTEM_COLOURS)]
            cells += [
                f"<span><b>{escape(label)}</b></span>" if index == 0 else "<span></span>",
                f'<span style="color:{colour}">{escape(system)}</span>',
                _interval_bar(summary[key], scale, colour),
                f"<span>{escape(format_interval(summary[key], pattern))}</span>",
            ]
    return '<div class="chart">' + "".join(cells) + "</div>"


def bench_html(
    title: str, summaries: dict[str, dict[str, Interval]], counts: dict[str, str], notes: str,
    evaluations: dict[str, Evaluation],
) -> str:
    """The bench tables, a per-category chart per system, then every run's card grouped by system."""
    main, main_rows, categories, category_rows = bench_tables(summaries, counts)
    body = (
        f'<p class="meta">{escape(notes)}</p>{_html_table(main, main_rows)}'
        f"<h2>Alignment per category</h2>{_html_table(categories, category_rows)}"
        f'<p class="meta">{escape(INTERVAL_NOTE)}</p><h2>Side by side</h2>{_comparison_chart(summaries)}'
        + "".join(html_section(system, evaluation) for system, evaluation in evaluations.items())
    )
    return html_page(title, body)
