"""Writers: a terminal table, CSV, JSON and a self-contained HTML page for one evaluation, and
bench.md, bench.csv and report.html for a bench, each with the human reference when given.

HTML comes from the jinja2 templates in ``storypainter/evaluation/templates/`` with
autoescape on, so every model or corpus text is escaped; images are inlined as data URIs
and the CSS is inline, so the page needs nothing else. The templates get plain values
(strings already formatted, bar widths in percent) from the ``*_view`` functions here.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from storypainter.evaluation.report.loading import Evaluation, RunRow
from storypainter.evaluation.report.reference import Reference
from storypainter.evaluation.report.statistics import Interval, format_interval, summarize, summarize_reference
from storypainter.evaluation.semantic import CAP, SemanticScore
from storypainter.schema import CATEGORIES, CATEGORY_LABELS, DIMENSION_LABELS, DIMENSIONS, AlignmentReport
from storypainter.text import terminal_safe

CATEGORY_SHORT = {
    "time": "time",
    "location": "loc",
    "character": "char",
    "character_relationship": "rel",
    "event": "event",
    "event_causal": "cause",
    "mental_state": "mind",
}
MAIN_SCORES = (
    ("semantic", "semantic", "{:.1f}"),
    ("coherent", "coherent chains", "{:.0%}"),
    ("alignment", "alignment", "{:.2f}"),
    ("diversity", "diversity", "{:.3f}"),
    ("words", "words/story", "{:.0f}"),
    ("rule_pass", "rule pass", "{:.0%}"),
    ("seconds", "s/story", "{:.1f}"),
)
CHART_SCORES = (
    ("semantic", "Semantic (0-100)", 100.0, "{:.1f}"),
    ("coherent", "Coherent chains", 1.0, "{:.0%}"),
    ("alignment", "Alignment", 1.0, "{:.2f}"),
    ("diversity", "Diversity", 1.0, "{:.3f}"),
    ("rule_pass", "Rule pass", 1.0, "{:.0%}"),
    *((f"alignment.{category}", CATEGORY_LABELS[category], 1.0, "{:.2f}") for category in CATEGORIES),
)
SYSTEM_COLOURS = ("#8d6e63", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00")
REFERENCE_COLOUR = "#757575"
VERDICT_TAGS = {"yes": "YES", "no": "NO", "abstain": "abstained"}
INTERVAL_NOTE = (
    "Cells: mean [95% interval]. semantic (coherent chains only), coherent chains (the share of a story's chains "
    "whose conclusion follows from its clues, by the coherence judge), alignment (overall and per category), "
    "words and seconds: "
    "Student's t-interval over stories, clipped to the score's range (alignment over the stories with an "
    "answered key point in that category; '-' when none); rule pass: "
    "Wilson score interval; diversity: the set's score (mean cosine distance to the k nearest stories), "
    "interval by percentile bootstrap (2000 resamples) over the stories' own diversity scores."
)
REFERENCE_NOTE = (
    "The human row scores annotated scenes (CogBench format) with the same semantic scorer and embedder: "
    "each record's chains of reasoning, entities and description as a story. Its diversity is the mean over "
    "random subsets of the systems' set size (interval: the middle 95% of those subsets), since a larger set "
    "has nearer neighbours; over the whole set otherwise. A record has no picture: no alignment, rules or time."
)


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _cell(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


# ---------------------------------------------------------------- flat records


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
        "coherent": _rounded(row.coherent_share),
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


def reference_records(reference: Reference) -> list[dict[str, Any]]:
    """One flat record per human scene, in the run records' columns (what has no meaning is blank).

    Per-scene diversity is given only when the set is not matched to the systems' size."""
    per_item = [] if reference.subset_size else reference.diversity.per_item
    return [
        {
            "run_dir": f"{reference.source}#{item.id}", "system": reference.label, "theme": "", "seed": "",
            "title": item.story.title, "best_attempt": "", "attempts": "", "semantic": round(item.semantic.score, 2),
            "coherent": _rounded(item.coherent_share), "alignment": None,
            **{f"alignment.{category}": None for category in CATEGORIES},
            "key_points": "", "abstentions": "", "rules_pass": "", "violations": "", "words": item.words,
            "seconds": "", "diversity": _rounded(per_item[index]) if per_item else None, "image": "",
        }
        for index, item in enumerate(reference.items)
    ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading quote."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def to_csv(evaluation: Evaluation, reference: Reference | None = None) -> str:
    rows = records(evaluation) + (reference_records(reference) if reference else [])
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: inert(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def reference_payload(reference: Reference) -> dict[str, Any]:
    """The human reference as JSON: its summary, how diversity was matched, and each scene's scores."""
    return {
        "source": reference.source,
        "label": reference.label,
        "records": len(reference.items),
        "embedder": reference.embedder,
        "diversity": {"whole_set": reference.diversity.mean, "k": reference.diversity.k,
                      "subset_size": reference.subset_size, "subsets": len(reference.subset_diversities)},
        "summary": {name: interval.model_dump() for name, interval in summarize_reference(reference).items()},
        "items": [
            {"id": item.id, "title": item.story.title, "semantic": round(item.semantic.score, 2),
             "counted": item.semantic.per_dimension, "cors": len(item.story.cors), "words": item.words}
            for item in reference.items
        ],
        "problems": reference.problems,
    }


def to_json(
    evaluation: Evaluation, summary: dict[str, Interval] | None = None, reference: Reference | None = None
) -> str:
    runs = []
    for record, row in zip(records(evaluation), evaluation.rows, strict=True):
        points = [{"category": v.key_point.category, "text": v.key_point.text, "answer": v.answer}
                  for v in row.report.verdicts]
        readings = {"visible_text": [r.model_dump() for r in row.visible_text]} if row.visible_text else {}
        runs.append(record | {"key_points": points} | readings)
    payload = {
        "diversity": {"mean": evaluation.diversity.mean, "k": evaluation.diversity.k, "embedder": evaluation.embedder},
        "summary": {name: interval.model_dump() for name, interval in (summary or summarize(evaluation)).items()},
        "runs": runs,
        "problems": evaluation.problems,
        **({"reference": reference_payload(reference)} if reference else {}),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- terminal table


def reference_line(reference: Reference) -> str:
    """The human reference in one line: semantic, diversity (and how it was matched), words."""
    summary = summarize_reference(reference)
    matched = (
        f"mean of {len(reference.subset_diversities)} random {reference.subset_size}-story subsets"
        if reference.subset_size else f"whole set, k={reference.diversity.k}"
    )
    semantic = format_interval(summary["semantic"], "{:.1f}")
    shares = summary["coherent"]
    coherent = "" if shares.mean is None else f", coherent chains {format_interval(shares, '{:.0%}')}"
    return (
        f"{reference.label}: {len(reference.items)} records, semantic {semantic}{coherent}, "
        f"diversity {format_interval(summary['diversity'], '{:.3f}')} ({matched}, {reference.embedder}), "
        f"words {format_interval(summary['words'], '{:.0f}')}"
    )


def to_table(evaluation: Evaluation, reference: Reference | None = None) -> str:
    """A fixed-width table, one line per run, then the set's diversity and the human reference; text from the
    runs is shown with its control characters escaped (a title never drives the terminal)."""
    header = ["system", "title", "sem", "coh", "align", *CATEGORY_SHORT.values(), "rules", "words", "secs", "div"]
    lines = []
    for record in records(evaluation):
        lines.append([
            terminal_safe(record["system"]),
            terminal_safe(record["title"][:28]),
            f"{record['semantic']:.1f}",
            _cell(record["coherent"], "{:.0%}"),
            _cell(record["alignment"]),
            *(_cell(record[f"alignment.{category}"]) for category in CATEGORIES),
            "pass" if record["rules_pass"] else "fail",
            str(record["words"]),
            f"{record['seconds']:.1f}",
            _cell(record["diversity"], "{:.3f}"),
        ])
    text = []
    if lines:
        widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
        text = [" ".join(map(str.ljust, cells, widths)) for cells in [header, *lines]]
        diversity = evaluation.diversity
        text.append(
            f"diversity {diversity.mean:.3f} (k={diversity.k}, {evaluation.embedder}) "
            f"over {len(evaluation.rows)} stories"
        )
    if reference:
        text.append(terminal_safe(reference_line(reference)))
    return "\n".join(line.rstrip() for line in text) + "\n"


# ---------------------------------------------------------------- bench tables


def _with_reference(
    summaries: dict[str, dict[str, Interval]], counts: dict[str, str], reference: Reference | None
) -> tuple[dict[str, dict[str, Interval]], dict[str, str]]:
    """The systems' summaries and counts, the human reference appended as one more row."""
    if reference is None:
        return summaries, counts
    return (
        {**summaries, reference.label: summarize_reference(reference)},
        {**counts, reference.label: f"{len(reference.items)} records"},
    )


def bench_tables(
    summaries: dict[str, dict[str, Interval]], counts: dict[str, str], reference: Reference | None = None
) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    """Header and cell rows of the main table (the human reference last) and of the per-category
    alignment table (systems only: a scene has no picture)."""
    main = ["system", "runs", *(label for _, label, _ in MAIN_SCORES)]
    rows, row_counts = _with_reference(summaries, counts, reference)
    main_rows = [
        [system, row_counts[system], *(format_interval(summary[key], pattern) for key, _, pattern in MAIN_SCORES)]
        for system, summary in rows.items()
    ]
    categories = ["system", *(CATEGORY_LABELS[category] for category in CATEGORIES)]
    category_rows = [
        [system, *(format_interval(summary[f"alignment.{category}"], "{:.2f}") for category in CATEGORIES)]
        for system, summary in summaries.items()
    ]
    return main, main_rows, categories, category_rows


def _markdown_table(header: list[str], lines: list[list[str]]) -> str:
    rows = [header, ["---"] * len(header), *lines]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def _notes(reference: Reference | None) -> str:
    return INTERVAL_NOTE + (" " + REFERENCE_NOTE if reference else "")


def bench_markdown(
    title: str, summaries: dict[str, dict[str, Interval]], counts: dict[str, str], notes: str,
    reference: Reference | None = None,
) -> str:
    """bench.md: the scores side by side, then alignment per category, then how to read them."""
    main, main_rows, categories, category_rows = bench_tables(summaries, counts, reference)
    return (
        f"# {title}\n\n{notes}\n\n{_markdown_table(main, main_rows)}\n\n"
        f"Alignment per category:\n\n{_markdown_table(categories, category_rows)}\n\n{_notes(reference)}\n"
    )


def bench_csv(
    summaries: dict[str, dict[str, Interval]], counts: dict[str, str], reference: Reference | None = None
) -> str:
    """bench.csv: one line per system (and the human reference), each score's mean, low, high and n."""
    rows, row_counts = _with_reference(summaries, counts, reference)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = list(next(iter(rows.values()))) if rows else []
    writer.writerow(["system", "runs", *(f"{key}.{part}" for key in keys for part in ("mean", "low", "high", "n"))])
    for system, summary in rows.items():
        cells = [
            value
            for key in keys
            for value in ("" if summary[key].mean is None else round(summary[key].mean, 4),
                          "" if summary[key].low is None else round(summary[key].low, 4),
                          "" if summary[key].high is None else round(summary[key].high, 4), summary[key].n)
        ]
        writer.writerow([inert(system), row_counts[system], *cells])
    return buffer.getvalue()


# ---------------------------------------------------------------- HTML


@cache
def environment():
    """The jinja2 environment over the package's templates, autoescaping everything."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("storypainter.evaluation", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def image_data_uri(path: str | None) -> str | None:
    """The PNG at ``path`` as a base64 data URI, or None when it is missing."""
    if not path or not Path(path).is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def bar_view(label: str, share: float | None, shown: str, kind: str = "") -> dict[str, Any]:
    width = None if share is None else f"{max(0.0, min(1.0, share)) * 100:.0f}"
    return {"label": label, "width": width, "shown": shown if share is not None else "n/a", "kind": kind}


def alignment_bars(report: AlignmentReport) -> list[dict[str, Any]]:
    return [
        bar_view(CATEGORY_LABELS[category], report.per_category.get(category), _cell(report.per_category.get(category)))
        for category in CATEGORIES
    ]


def semantic_bars(semantic: SemanticScore) -> list[dict[str, Any]]:
    counts = ((dimension, semantic.per_dimension.get(dimension, 0)) for dimension in DIMENSIONS)
    return [bar_view(DIMENSION_LABELS[d], min(count, CAP) / CAP, str(count), "sem") for d, count in counts]


def card_view(row: RunRow, diversity: float | None) -> dict[str, Any]:
    """What the card template shows for one run."""
    scores = (
        f"semantic {row.semantic.score:.1f} · coherent chains {_cell(row.coherent_share, '{:.0%}')} · "
        f"alignment {_cell(row.alignment)} · diversity {_cell(diversity, '{:.3f}')}"
        f" · {row.words} words · {row.seconds:.1f}s · attempt {row.best_attempt} of {row.attempts}"
    )
    return {
        "image": image_data_uri(row.image_path),
        "title": row.story.title,
        "meta": f"{row.system} · seed {row.seed} · theme {row.theme or '(free)'} · {row.run_dir}",
        "description": row.story.description,
        "setting": f"{row.story.location} · {row.story.time}",
        "scores": scores,
        "violations": "; ".join(f"{v.rule}: {v.detail}" for v in row.check.violations) or "all rules pass",
        "key_points": [
            {"answer": v.answer, "tag": VERDICT_TAGS[v.answer], "category": CATEGORY_LABELS[v.key_point.category],
             "text": v.key_point.text, "clue": v.key_point.clue}
            for v in row.report.verdicts
        ],
        "visible_text": [reading.model_dump() for reading in row.visible_text],
        "alignment_bars": alignment_bars(row.report),
        "semantic_bars": semantic_bars(row.semantic),
        "cors": [f"{DIMENSION_LABELS[cor.dimension]}: {cor}" for cor in row.story.cors],
        "chains": [{"dimension": DIMENSION_LABELS[mark.dimension], "chain": mark.chain, "coherent": mark.coherent,
                    "coherence": f"{mark.coherence:.2f}", "reason": mark.reason} for mark in row.chains],
    }


def section_view(title: str, evaluation: Evaluation) -> dict[str, Any]:
    """A heading, the set's diversity, a card per run and the skipped runs."""
    diversity = evaluation.diversity
    return {
        "title": title,
        "diversity": f"{diversity.mean:.3f}",
        "meta": f"(k={diversity.k}, {evaluation.embedder} embeddings, {len(evaluation.rows)} stories)",
        "cards": [
            card_view(row, diversity.per_item[index] if diversity.per_item else None)
            for index, row in enumerate(evaluation.rows)
        ],
        "problems": evaluation.problems,
    }


def reference_view(reference: Reference) -> dict[str, Any]:
    """The human reference section: its summary line and each scene's scores."""
    return {
        "summary": reference_line(reference),
        "note": REFERENCE_NOTE,
        "header": ["id", "title", "semantic", *(DIMENSION_LABELS[d] for d in DIMENSIONS), "CoRs", "words"],
        "rows": [
            [item.id, item.story.title, f"{item.semantic.score:.1f}",
             *(str(item.semantic.per_dimension.get(d, 0)) for d in DIMENSIONS), str(len(item.story.cors)),
             str(item.words)]
            for item in reference.items
        ],
        "problems": reference.problems,
    }


def to_html(evaluation: Evaluation, title: str = "storypainter evaluation", reference: Reference | None = None) -> str:
    sections = [section_view(f"{len(evaluation.rows)} runs", evaluation)] if evaluation.rows else []
    return render("eval.html", title=title, sections=sections,
                  reference=reference_view(reference) if reference else None)


def _percent(value: float, scale: float) -> float:
    return max(0.0, min(1.0, value / scale)) * 100


def chart_bar(interval: Interval, scale: float) -> dict[str, str] | None:
    """A bar to the mean with a whisker across the 95% interval (percent of the scale)."""
    if interval.mean is None:
        return None
    bar = {"fill": f"{_percent(interval.mean, scale):.1f}", "left": "", "width": ""}
    if interval.low is not None and interval.high is not None:
        left, right = _percent(interval.low, scale), _percent(interval.high, scale)
        bar |= {"left": f"{left:.1f}", "width": f"{max(right - left, 0.4):.1f}"}
    return bar


def chart_view(summaries: dict[str, dict[str, Interval]], reference: str | None) -> list[dict[str, Any]]:
    """Per score, a bar per system (the human reference only where it has a value)."""
    colours = {system: SYSTEM_COLOURS[index % len(SYSTEM_COLOURS)] for index, system in enumerate(summaries)}
    if reference:
        colours[reference] = REFERENCE_COLOUR
    chart = []
    for key, label, scale, pattern in CHART_SCORES:
        shown = [(system, summary[key]) for system, summary in summaries.items()
                 if system != reference or summary[key].mean is not None]
        chart.append({"label": label, "bars": [
            {"system": system, "colour": colours[system], "bar": chart_bar(interval, scale),
             "shown": format_interval(interval, pattern)}
            for system, interval in shown
        ]})
    return chart


def bench_html(
    title: str, summaries: dict[str, dict[str, Interval]], counts: dict[str, str], notes: str,
    evaluations: dict[str, Evaluation], reference: Reference | None = None,
) -> str:
    """The bench tables, a per-score chart, every run's card grouped by system, the human reference."""
    main, main_rows, categories, category_rows = bench_tables(summaries, counts, reference)
    rows, _ = _with_reference(summaries, counts, reference)
    return render(
        "bench.html",
        title=title,
        notes=notes,
        main={"header": main, "rows": main_rows},
        categories={"header": categories, "rows": category_rows},
        interval_note=_notes(reference),
        chart=chart_view(rows, reference.label if reference else None),
        sections=[section_view(system, evaluation) for system, evaluation in evaluations.items()],
        reference=reference_view(reference) if reference else None,
    )
