"""distill export: teacher runs and the seed corpus as SFT/DPO JSONL (no model involved)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storypainter.cli import main
from storypainter.distill.export import Filters, export_runs
from storypainter.distill.seed import export_seed_corpus
from storypainter.distill.train import DISTILL_MODULES
from storypainter.errors import BackendError
from storypainter.memory.corpus import load_seed_corpus, parse_chain, story_from_example, visible_texts
from storypainter.nodes.storyteller import build_messages
from storypainter.providers.llms.hf import closed_object_end, hf_chat_model
from storypainter.runs import attempt_dir, write_json
from storypainter.schema import Decision, Plan, Story
from tests import extras
from tests.fakes import story_json


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def make_run(root: Path, name: str, theme: str = "a rainy bus stop", seed: int = 0, score: float = 0.8,
             alignment: float | None = 0.9, reply: str | None = None, revised: bool = False) -> Path:
    """A finished run directory as the graph writes it (one attempt, or two with a revision)."""
    run_dir = root / name
    plan = Plan(theme=theme, dimensions=["time", "event"], setting="a bus stop, at night", seed=seed)
    write_json(run_dir / "request.json", {"theme": theme, "context": {"seed": seed}, "plan": plan})
    story = json.loads(story_json())
    attempts = 2 if revised else 1
    for number in range(1, attempts + 1):
        previous = Story.model_validate(story) if number > 1 else None
        decision = Decision(action="revise_story", feedback="add a sign") if number > 1 else None
        messages = build_messages(plan, [], previous, decision)
        folder = attempt_dir(run_dir, number)
        replies = [reply or story_json()]
        write_json(folder / "prompt.json", {"messages": [m.model_dump() for m in messages], "replies": replies})
        write_json(folder / "story.json", story)
        write_json(folder / "critique.json", {"score": score, "report": {"overall": alignment}})
    write_json(run_dir / "result.json", {"best_attempt": attempts})
    return run_dir


def test_sft_records_are_conversations_ending_in_the_teacher_story(tmp_path):
    make_run(tmp_path / "teacher", "run-a", revised=True)
    result = export_runs([str(tmp_path / "teacher")], tmp_path / "out", Filters(), [], [], eval_split=0)
    records = read_jsonl(tmp_path / "out" / "sft.jsonl")
    assert result.counts["sft"] == 1 and result.counts["sft.eval"] == 0
    messages = records[0]["messages"]
    assert [message["role"] for message in messages] == ["system", "user", "assistant"]
    assert "Theme: a rainy bus stop" in messages[1]["content"]
    assert Story.model_validate_json(messages[2]["content"]).title == "Last Bus in the Rain"


def test_filters_on_score_and_alignment_and_notes_unreadable_runs(tmp_path):
    teachers = tmp_path / "teachers"
    make_run(teachers, "good", theme="good")
    make_run(teachers, "low-score", theme="low", score=0.2)
    make_run(teachers, "no-alignment", theme="none", alignment=None)
    (teachers / "broken" / "attempts").mkdir(parents=True)
    (teachers / "broken" / "request.json").write_text("{not json", encoding="utf-8")
    filters = Filters(min_score=0.5, min_alignment=0.5)
    result = export_runs([str(teachers)], tmp_path / "out", filters, [], [], eval_split=0)
    assert [record["id"] for record in read_jsonl(tmp_path / "out" / "sft.jsonl")] == ["good"]
    assert any(note.startswith("skipped") and "broken" in note and "\n" not in note for note in result.notes)
    assert any("low-score" in note and "score 0.2" in note for note in result.notes)
    assert any("no-alignment" in note for note in result.notes)


def test_dpo_pairs_teacher_with_rejected_and_mix_runs_of_the_same_theme_and_seed(tmp_path):
    make_run(tmp_path / "teacher", "t", seed=3)
    make_run(tmp_path / "student", "s", seed=3, reply='{"title": "Bus"}')
    make_run(tmp_path / "small", "m", seed=3, reply="Once upon a time")
    make_run(tmp_path / "small", "other-seed", seed=4, reply="unpaired")
    result = export_runs(
        [str(tmp_path / "teacher")], tmp_path / "out", Filters(), [str(tmp_path / "student")],
        [str(tmp_path / "small")], eval_split=0,
    )
    records = read_jsonl(tmp_path / "out" / "dpo.jsonl")
    assert {record["source"]: record["rejected"][0]["content"] for record in records} == {
        "rejected": '{"title": "Bus"}', "mix": "Once upon a time",
    }
    assert all(record["prompt"][-1]["role"] == "user" and record["chosen"][0]["role"] == "assistant"
               for record in records)
    assert any("other-seed" in note and "unpaired" in note for note in result.notes)


def test_split_keeps_each_teacher_on_one_side(tmp_path):
    for index in range(10):
        make_run(tmp_path / "teacher", f"t{index}", theme=f"theme {index}")
        make_run(tmp_path / "student", f"s{index}", theme=f"theme {index}", reply="bad")
    export_runs([str(tmp_path / "teacher")], tmp_path / "out", Filters(), [str(tmp_path / "student")], [],
                eval_split=0.2, seed=1)
    out = tmp_path / "out"
    sft_eval = {record["id"] for record in read_jsonl(out / "sft.eval.jsonl")}
    dpo_eval = {record["id"].split("|")[0] for record in read_jsonl(out / "dpo.eval.jsonl")}
    assert len(sft_eval) == 2 and sft_eval == dpo_eval
    assert not sft_eval & {record["id"] for record in read_jsonl(out / "sft.jsonl")}


def test_seed_corpus_export_turns_every_scene_into_a_valid_story(tmp_path):
    result = export_seed_corpus(tmp_path, examples_k=2, eval_split=0.1)
    records = read_jsonl(tmp_path / "sft.jsonl") + read_jsonl(tmp_path / "sft.eval.jsonl")
    assert len(records) == len(load_seed_corpus().examples) == 110
    assert result.counts["sft.eval"] == 11
    assert "not outputs of a teacher model" in result.notes[0]
    assert "not outputs of a teacher model" in json.loads((tmp_path / "export.json").read_text())["notes"][0]
    for record in records:
        story = Story.model_validate_json(record["messages"][-1]["content"])
        assert story.cors and story.description


def test_seed_scene_conversion_keeps_chains_and_signs():
    chain = parse_chain("event", "a + b + c + d + e -> they play")
    assert chain.clues == ["a", "b", "c", "d", "e"] and chain.conclusion == "they play"
    texts = visible_texts('A sign reading "OPEN" hangs by a "STAFF" badge and a box labeled "SALT".')
    assert [(text.text, text.on) for text in texts] == [("OPEN", "sign"), ("STAFF", "badge"), ("SALT", "box")]
    story = story_from_example(load_seed_corpus().examples[0])
    assert story.title and len(story.cors) <= 24


@extras.needs("distill", "datasets")
def test_datasets_loads_the_files_directly(tmp_path):
    import datasets
    make_run(tmp_path / "teacher", "t")
    make_run(tmp_path / "student", "s", reply="bad")
    export_runs([str(tmp_path / "teacher")], tmp_path / "out", Filters(), [str(tmp_path / "student")], [], 0)
    sft = datasets.load_dataset("json", data_files=str(tmp_path / "out" / "sft.jsonl"), split="train")
    dpo = datasets.load_dataset("json", data_files=str(tmp_path / "out" / "dpo.jsonl"), split="train")
    assert sft[0]["messages"][2]["role"] == "assistant"
    assert {"prompt", "chosen", "rejected"} <= set(dpo.column_names)


def test_cli_export_needs_runs_or_seed_corpus(tmp_path, capsys):
    assert main(["distill", "export", "--out", str(tmp_path)]) == 2
    assert "--seed-corpus" in capsys.readouterr().err
    assert main(["distill", "export", "--seed-corpus", "--out", str(tmp_path), "--examples-k", "0"]) == 0
    assert "sft: 99" in capsys.readouterr().out


def test_cli_export_notes_a_missing_run_dir_in_one_line(tmp_path, capsys):
    make_run(tmp_path / "teacher", "t")
    code = main(["distill", "export", str(tmp_path / "teacher"), str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 0 and "note: skipped" in err and str(tmp_path / "nope") in err


@pytest.mark.parametrize(
    ("text", "end"),
    [('{"a": "}"} tail', 10), ('{"a": {"b": 1}}', 15), ('{"a": "\\"}"}x', 12), ('{"a": 1', None), ("no", None)],
)
def test_closed_object_end(text, end):
    assert closed_object_end(text) == end


def test_hf_provider_names_a_missing_model_in_one_line(tmp_path):
    with pytest.raises(BackendError) as error:
        hf_chat_model(str(tmp_path / "no-model"), {}, temperature=0.7, seed=0)
    assert "no-model" in str(error.value) and "\n" not in str(error.value)


def test_train_cli_names_the_missing_data_file(tmp_path, capsys):
    code = main(["distill", "train", "--method", "sft", "--base", "smollm2", "--data", str(tmp_path),
                 "--out", str(tmp_path / "o")])
    assert code == 2 and "sft.jsonl not found" in capsys.readouterr().err


def test_train_without_the_distill_extra_names_it_in_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "sft.jsonl").write_text('{"messages": []}\n')
    for module in DISTILL_MODULES:  # as if the distill extra were not installed
        monkeypatch.setitem(sys.modules, module, None)
    code = main(["distill", "train", "--method", "sft", "--base", "smollm2", "--data", str(tmp_path),
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "needs the distill extra (torch is not installed): pip install 'storypainter[distill]'" in err
    assert not (tmp_path / "o").exists()
