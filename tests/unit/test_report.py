"""Evaluators and the ablation bench, on run directories made by the real graph with scripted models."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from storypainter.agent.graph import build_graph, run_config
from storypainter.cli import main
from storypainter.commands.bench import same_settings
from storypainter.evaluation.diversity import diversity_scores
from storypainter.evaluation.report import (
    RunRow,
    bootstrap_interval,
    evaluate,
    format_interval,
    load_reference,
    load_runs,
    mean_interval,
    summarize_reference,
    t_quantile,
    to_csv,
    to_html,
    to_json,
    to_table,
    wilson_interval,
)
from storypainter.evaluation.report.reference import subset_diversities
from storypainter.evaluation.report.writers import records, reference_records
from storypainter.evaluation.semantic import semantic_score
from storypainter.memory.corpus import load_seed_corpus, story_from_example
from storypainter.providers.embeddings import HashingEmbedder
from storypainter.schema import CATEGORIES, Story, Verdict
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

EVIL_TITLE = "Night <script>alert(1)</script>"
SEED_SEMANTIC = float(np.mean([semantic_score(story_from_example(e)).score for e in load_seed_corpus().examples]))


def yes(point):
    return "yes"


def no_for(category):
    return lambda point: "no" if point.category == category else "yes"


class MissesMentalStateOnFirstPicture:
    """A judge that misses the mental-state key points in every run's first picture only."""

    name, level = "scripted", "pixel"

    def judge(self, key_points, image, layout, story=None):
        first = Path(image.path).parent.name == "01"
        answers = ["no" if first and point.category == "mental_state" else "yes" for point in key_points]
        return [Verdict(key_point=p, answer=a, judge=self.name) for p, a in zip(key_points, answers, strict=True)]


def make_run(context, theme: str = "") -> Path:
    output = build_graph().invoke({"theme": theme}, context=context, config=run_config(context))
    return Path(output["result"].run_dir)


@pytest.fixture
def runs(scripted):
    """Two single-pass runs: one fully aligned, one whose mental-state key points the judge misses."""
    model = ScriptedChatModel(replies=[story_json(), story_json(title=EVIL_TITLE)])
    context = scripted(model, ScriptedJudge([yes, no_for("mental_state")]), critic_loop=False)
    return [make_run(context), make_run(context)]


def critique(run_dir: Path) -> dict:
    return json.loads((run_dir / "attempts/01/critique.json").read_text())


def row_for(rows: list[RunRow], run_dir: Path) -> RunRow:
    return next(row for row in rows if row.run_dir == str(run_dir))


def test_rows_carry_the_critique_and_a_fresh_semantic_score(runs):
    rows, problems = load_runs([runs[0].parent])
    assert problems == [] and len(rows) == 2
    for run_dir in runs:
        row, report = row_for(rows, run_dir), critique(run_dir)["report"]
        assert row.report.per_category == report["per_category"]
        assert row.alignment == report["overall"]
        story = Story.model_validate_json((run_dir / "attempts/01/story.json").read_text())
        assert row.semantic == semantic_score(story)
        assert row.system == "cor" and row.best_attempt == 1
    assert row_for(rows, runs[1]).report.per_category["mental_state"] == 0.0


def test_table_csv_and_json_hold_the_same_numbers(runs):
    rows, problems = load_runs(runs)
    evaluation = evaluate(rows, problems, embedder="hash", k=5)
    by_dir = {row.run_dir: row for row in rows}
    table = to_table(evaluation)
    for row in rows:
        assert f"{row.semantic.score:.1f}" in table and f"{row.alignment:.2f}" in table
    assert f"diversity {evaluation.diversity.mean:.3f} (k=1, hash) over 2 stories" in table
    for record in csv.DictReader(io.StringIO(to_csv(evaluation))):
        row = by_dir[record["run_dir"]]
        assert float(record["semantic"]) == pytest.approx(row.semantic.score, abs=0.01)
        for category in CATEGORIES:
            expected = row.report.per_category[category]
            assert record[f"alignment.{category}"] == ("" if expected is None else str(round(expected, 4)))
    payload = json.loads(to_json(evaluation))
    assert payload["diversity"]["mean"] == pytest.approx(evaluation.diversity.mean)
    for record in payload["runs"]:
        row = by_dir[record["run_dir"]]
        assert record["alignment.mental_state"] == row.report.per_category["mental_state"]
        assert [point["answer"] for point in record["key_points"]] == [v.answer for v in row.report.verdicts]
    assert payload["summary"]["semantic"]["mean"] == pytest.approx(sum(r.semantic.score for r in rows) / 2)


def test_html_is_self_contained_and_escapes_story_text(runs):
    rows, problems = load_runs(runs)
    html = to_html(evaluate(rows, problems, embedder="hash"))
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "Night &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('src="data:image/png;base64,') == 2
    assert ">YES<" in html and ">NO<" in html
    assert "Set diversity" in html


def test_malformed_run_dirs_are_reported_in_one_line_and_skipped(runs, tmp_path):
    broken = runs[0].parent / "broken-run"
    (broken / "attempts/01").mkdir(parents=True)
    (broken / "request.json").write_text("{}")
    (broken / "manifest.json").write_text('{"status": "failed", "error": "Story reply still invalid"}')
    garbled = runs[0].parent / "garbled-run"
    (garbled / "attempts/01").mkdir(parents=True)
    for name in ("request.json", "manifest.json"):
        (garbled / name).write_text("{}")
    (garbled / "result.json").write_text('{"best_attempt": 1}')
    (garbled / "attempts/01/story.json").write_text('{"title": 3')
    listed = runs[0].parent / "listed-run"
    shutil.copytree(runs[0], listed)
    (listed / "request.json").write_text('{"context": [1, 2]}')
    rows, problems = load_runs([runs[0].parent, tmp_path / "absent"])
    assert len(rows) == 2
    assert any("broken-run: no result.json (status failed: Story reply still invalid)" in line for line in problems)
    assert any("garbled-run: unreadable story.json" in line for line in problems)
    assert any("absent: not a directory" in line for line in problems)
    assert any("listed-run: malformed run files (AttributeError" in line for line in problems)
    assert all("\n" not in line for line in problems)


def test_eval_command_writes_every_format(runs, tmp_path, capsys):
    out = tmp_path / "report"
    (runs[0].parent / "junk-run").mkdir()
    (runs[0].parent / "junk-run" / "request.json").write_text("not json")
    code = main(["eval", str(runs[0].parent), "--coherence", "scripted", "--out", str(out),
                 "--format", "table,csv,json,html", "--embeddings", "hash", "-k", "3"])
    captured = capsys.readouterr()
    assert code == 0
    assert "skipped" in captured.err and "junk-run" in captured.err
    assert "diversity" in captured.out
    assert {path.name for path in out.iterdir()} == {"eval.csv", "eval.json", "report.html"}


def test_eval_command_rejects_an_unknown_format(runs, capsys):
    assert main(["eval", str(runs[0]), "--format", "pdf"]) == 2
    assert "unknown format pdf" in capsys.readouterr().err


def test_mean_interval_matches_a_hand_computed_case():
    # values 2, 4, 6: mean 4, s = 2, t(0.975, 2) = 4.3027, half width = 4.3027 * 2 / sqrt(3) = 4.9683
    interval = mean_interval([2, 4, None, 6])
    assert interval.n == 3 and interval.mean == 4
    assert interval.low == pytest.approx(4 - 4.3027 * 2 / math.sqrt(3))
    assert interval.high == pytest.approx(4 + 4.96835, abs=1e-4)
    assert mean_interval([5]).low is None and mean_interval([None]).mean is None
    assert format_interval(interval, "{:.1f}") == "4.0 [-1.0, 9.0]"


def test_t_quantile_continues_smoothly_past_the_table():
    assert t_quantile(30) == pytest.approx(2.0423)
    assert t_quantile(31) == pytest.approx(2.0395, abs=1e-4)
    assert t_quantile(120) == pytest.approx(1.9799, abs=1e-4)


def test_wilson_and_bootstrap_intervals():
    # 8 of 10: centre (0.8 + 1.92/10) / 1.384, half 1.96 * sqrt(0.016 + 0.0096) / 1.384
    interval = wilson_interval(8, 10)
    assert interval.mean == 0.8
    assert interval.low == pytest.approx(0.4902, abs=1e-4) and interval.high == pytest.approx(0.9433, abs=1e-4)
    boot = bootstrap_interval([0.3, 0.3, 0.3])
    assert (boot.mean, boot.low, boot.high) == pytest.approx((0.3, 0.3, 0.3))
    spread = bootstrap_interval([0.1, 0.2, 0.3, 0.4])
    assert spread.mean == pytest.approx(0.25)
    assert 0.1 <= spread.low < spread.mean < spread.high <= 0.4


@extras.durable
def test_bench_runs_every_mode_on_the_same_seeds(scripted, tmp_path, capsys):
    replies = [story_json()] * 12
    scripted(ScriptedChatModel(replies=replies), MissesMentalStateOnFirstPicture())
    config = tmp_path / "bench.yaml"
    config.write_text(
        "llm: scripted:story\njudge: scripted\ncoherence: scripted\nembeddings: hash\npainter: storyboard\n"
        "width: 512\nheight: 352\n"
        "max_rounds: 2\nalignment_threshold: 0.9\n"
    )
    out = tmp_path / "bench"
    code = main(["bench", "--modes", "naive,cor,cor+critic", "-n", "2", "--config", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err.count("seed ") == 6 and "[  6/6] cor+critic" in captured.err
    markdown = (out / "bench.md").read_text()
    for mode in ("naive", "cor", "cor+critic"):
        assert re.search(rf"^\| {re.escape(mode)} \| 2/2 \| [\d.]+ \[[-\d.]+, [-\d.]+\] \|", markdown, re.M)
    payload = json.loads((out / "bench.json").read_text())
    assert set(payload["modes"]) == {"naive", "cor", "cor+critic"}
    requests = {
        mode: [json.loads((Path(run["run_dir"]) / "request.json").read_text()) for run in data["runs"]]
        for mode, data in payload["modes"].items()
    }
    assert [r["context"]["seed"] for r in requests["naive"]] == [r["context"]["seed"] for r in requests["cor"]]
    assert requests["naive"][0]["plan"]["mode"] == "naive"
    assert requests["naive"][0]["context"]["examples_k"] == 0
    assert requests["cor+critic"][0]["context"]["critic_loop"] is True
    assert requests["cor"][0]["context"]["max_rounds"] == 1
    critic_attempts = [run["attempts"] for run in payload["modes"]["cor+critic"]["runs"]]
    assert critic_attempts == [2, 2], "the critic loop rerenders what the first picture missed"
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 6
    seed = SEED_SEMANTIC
    reference_row = re.search(r"^\| human: seed \| 110 records \| ([\d.]+) \[[\d.]+, [\d.]+\] \| "
                              r"100% \[100%, 100%\] \| - \| "
                              r"([\d.]+) \[[\d.]+, [\d.]+\] \| \d+ \[\d+, \d+\] \| - \| - \|$", markdown, re.M)
    assert reference_row and float(reference_row[1]) == pytest.approx(seed, abs=0.05)
    assert "human: seed" not in markdown.split("Alignment per category:")[1].split("Cells:")[0]
    assert "| human: seed | 110 records |" in captured.out and "diversity is the mean over random subsets" in markdown
    assert "k=5; human reference seed." in markdown
    assert payload["reference"]["records"] == 110 and payload["reference"]["diversity"]["subset_size"] == 2
    assert payload["reference"]["summary"]["semantic"]["mean"] == pytest.approx(seed)
    bench_rows = {row["system"]: row for row in csv.DictReader(io.StringIO((out / "bench.csv").read_text()))}
    assert set(bench_rows) == {"naive", "cor", "cor+critic", "human: seed"}
    assert float(bench_rows["human: seed"]["semantic.mean"]) == pytest.approx(seed, abs=1e-4)
    assert bench_rows["human: seed"]["alignment.mean"] == "" and bench_rows["naive"]["alignment.n"] == "2"
    assert "<h2>Human reference</h2>" in html and html.count(">human: seed<") >= 3  # table cell, 2 chart rows


@extras.durable
def test_bench_rerun_reuses_completed_and_failed_runs(scripted, tmp_path, capsys):
    model = ScriptedChatModel(replies=["no json at all", story_json()])
    scripted(model, ScriptedJudge([yes]))
    config = tmp_path / "bench.yaml"
    config.write_text("llm: scripted:story\njudge: scripted\ncoherence: scripted\nembeddings: hash\nmax_repairs: 0\n")
    out = tmp_path / "bench"
    args = ["bench", "--modes", "naive,cor", "-n", "1", "--config", str(config), "--out", str(out),
            "--reference", "none"]
    assert main(args) == 0
    assert re.search(r"naive      seed 0: failed \([\d.]+s\): Story reply", capsys.readouterr().err)
    assert main(args) == 0
    assert capsys.readouterr().err.count("(reused)") == 2
    assert len(model.prompts) == 2, "finished and failed runs are not asked for again"
    markdown = (out / "bench.md").read_text()
    assert re.search(r"^\| naive \| 0/1 \| - \|", markdown, re.M)
    assert re.search(r"^\| cor \| 1/1 \| [\d.]+ \|", markdown, re.M)
    assert "human" not in markdown and "reference" not in json.loads((out / "bench.json").read_text())


def test_reuse_tolerates_a_setting_added_at_its_default(scripted):
    context = scripted(ScriptedChatModel(replies=[]))
    stored = asdict(context)
    assert same_settings(stored, context)
    assert same_settings({key: value for key, value in stored.items() if key != "critic_loop"}, context)
    assert not same_settings(stored | {"seed": 99}, context)
    assert not same_settings(stored | {"retired_setting": 1}, context)
    without_loop = {key: value for key, value in stored.items() if key != "critic_loop"}
    assert not same_settings(without_loop, replace(context, critic_loop=False))


# Visible text read by an OCR judge (critique.json "visible_text")


def test_the_card_shows_visible_text_expected_vs_read_only_when_the_critique_has_it(runs):
    path = runs[0] / "attempts/01/critique.json"
    critique = json.loads(path.read_text())
    critique["visible_text"] = [
        {"text": "LAST BUS 23:10", "status": "read", "read": "LAST BUS 23:10"},
        {"text": "<b>EXIT</b>", "status": "misread", "read": "EX1T", "similarity": 0.5},
        {"text": "NO ENTRY", "status": "missing", "read": None},
    ]
    path.write_text(json.dumps(critique))
    rows, problems = load_runs(runs)
    assert problems == []
    html = to_html(evaluate(rows, problems, embedder="hash"))
    assert html.count("Visible text: expected vs read") == 1
    assert "<td>&lt;b&gt;EXIT&lt;/b&gt;</td><td>misread</td><td>EX1T</td>" in html
    assert "<td>NO ENTRY</td><td>missing</td><td>-</td>" in html
    payload = json.loads(to_json(evaluate(rows, problems, embedder="hash")))
    by_dir = {run["run_dir"]: run for run in payload["runs"]}
    assert by_dir[str(runs[0])]["visible_text"][1] == {"text": "<b>EXIT</b>", "status": "misread", "read": "EX1T"}
    assert "visible_text" not in by_dir[str(runs[1])]

    critique["visible_text"] = [{"status": "read"}]
    path.write_text(json.dumps(critique))
    rows, problems = load_runs(runs)
    assert len(rows) == 1 and "critique.json visible_text: 0.text: Field required" in problems[0]


# The human reference


def test_eval_scores_the_seed_corpus_as_the_human_reference(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["eval", "--reference", "--coherence", "off", "--embeddings", "hash", "--format", "table,csv,json,html",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    line = captured.out.strip()
    assert line.startswith(f"human: seed: 110 records, semantic {SEED_SEMANTIC:.1f} [")
    assert "(whole set, k=5, hash)" in line
    rows = list(csv.DictReader(io.StringIO((out / "eval.csv").read_text())))
    assert len(rows) == 110 and {row["system"] for row in rows} == {"human: seed"}
    examples = load_seed_corpus().examples
    for row, example in zip(rows, examples, strict=True):
        assert row["run_dir"] == f"seed#{example.id}"
        assert float(row["semantic"]) == pytest.approx(semantic_score(story_from_example(example)).score, abs=0.01)
    vectors = HashingEmbedder().encode([example.description for example in examples])
    whole = diversity_scores(vectors, k=5)
    assert [float(row["diversity"]) for row in rows] == pytest.approx(whole.per_item, abs=1e-4)
    payload = json.loads((out / "eval.json").read_text())
    assert payload["runs"] == [] and payload["reference"]["diversity"]["whole_set"] == pytest.approx(whole.mean)
    assert payload["reference"]["summary"]["diversity"]["mean"] == pytest.approx(whole.mean)
    html = (out / "report.html").read_text()
    assert "<h2>Human reference</h2>" in html and html.count("<tr>") == 111


def test_with_runs_the_reference_diversity_is_matched_to_the_runs_count(runs, capsys):
    assert main(["eval", *map(str, runs), "--reference", "seed", "--coherence", "off", "--embeddings", "hash"]) == 0
    out = capsys.readouterr().out
    assert "over 2 stories" in out and "human: seed: 110 records" in out
    assert "(mean of 200 random 2-story subsets, hash)" in out
    assert main(["eval", "--embeddings", "hash", "--coherence", "off", "--reference", *map(str, runs)]) == 0
    assert capsys.readouterr().out == out, "a run directory right after --reference is a run, not the reference"
    rows, problems = load_runs(runs)
    evaluation, reference = evaluate(rows, problems, embedder="hash"), load_reference("seed", "hash", match_size=2)
    assert list(reference_records(reference)[0]) == list(records(evaluation)[0]), "the same CSV columns"
    lines = list(csv.DictReader(io.StringIO(to_csv(evaluation, reference))))
    assert len(lines) == 112 and lines[0]["system"] == "cor" and lines[-1]["system"] == "human: seed"
    assert lines[-1]["diversity"] == "", "no per-scene diversity when it is matched by subsets"


def test_subset_diversity_draws_subsets_of_the_given_size():
    reference = load_reference("seed", embedder="hash", k=5, match_size=10)
    assert reference.subset_size == 10 and len(reference.subset_diversities) == 200
    summary = summarize_reference(reference)["diversity"]
    assert summary.mean == pytest.approx(np.mean(reference.subset_diversities))
    assert summary.low <= summary.mean <= summary.high and summary.method == "subsets"
    assert summary.mean > reference.diversity.mean, "ten stories have farther neighbours than 110"
    orthogonal = np.eye(6, dtype=np.float32)
    assert subset_diversities(orthogonal, 3, k=2, draws=5) == pytest.approx([1.0] * 5)
    assert load_reference("seed", embedder="hash", match_size=500).subset_size == 0


def test_a_reference_that_cannot_be_read_is_one_line(tmp_path, capsys):
    assert main(["eval", "--reference", str(tmp_path / "absent.json"), "--embeddings", "hash"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["eval"]) == 2
    assert "give run directories to evaluate, --reference, or both" in capsys.readouterr().err
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"a": {"Description": ["None"]}}))
    assert main(["eval", "--reference", str(empty), "--embeddings", "hash"]) == 2
    assert "reference " in capsys.readouterr().err


def test_graph_import_and_help_load_neither_jinja2_nor_the_report_modules():
    probe = (
        "import sys\nfrom storypainter import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "import storypainter.agent.graph\n"
        "print(sorted(m for m in sys.modules if m == 'jinja2' or m.startswith('storypainter.evaluation.report')))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip().splitlines()[-1] == "[]"


def test_csv_cells_never_run_as_spreadsheet_formulas():
    from storypainter.evaluation.report.writers import inert

    assert inert('=HYPERLINK("http://evil","x")') == '\'=HYPERLINK("http://evil","x")'
    assert inert("@SUM(A1)").startswith("'") and inert("-2+3").startswith("'")
    assert inert("a rainy bus stop") == "a rainy bus stop" and inert(-0.5) == -0.5
