"""Bad input: exit code 2, one line naming the problem, nothing written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from storypainter.cli import main
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json


def write_config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return str(path)


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BASE = "painter: storyboard\njudge: layout\nembeddings: hash\n"


@pytest.mark.parametrize(
    ("config_text", "extra_args", "expected"),
    [
        (BASE + "llm: nosuch:model\n", [], "unknown provider 'nosuch'"),
        (BASE + "llm: openai:gpt-4.1\n", [], "OPENAI_API_KEY"),
        (BASE + "llm: local:smollm2\nmode: [cor\n", [], "invalid YAML"),
        (BASE + "llm: local:smollm2\nmax_round: 3\n", [], "unknown setting 'max_round'"),
        (BASE + "llm: local:smollm2\n", ["--max-rounds", "0"], "max_rounds: Input should be greater than or equal"),
        (BASE.replace("storyboard", "nosuch") + "llm: scripted:story\n", [], "unknown painter 'nosuch'"),
        (BASE + "llm: local:smollm2\ntemperature: hot\n", [], "temperature"),
        ("- just\n- a list\n", [], "expected a mapping"),
    ],
)
def test_bad_config_exits_2_with_one_line(tmp_path, capsys, monkeypatch, scripted, config_text, extra_args, expected):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    scripted(ScriptedChatModel(replies=[]))  # 'scripted:story' names a storyteller that every install has
    out_dir = tmp_path / "runs"
    config = write_config(tmp_path, config_text)
    code, _out, err = run_cli(["generate", "a rainy bus stop", "--config", config, "--out", str(out_dir), *extra_args],
                             capsys)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert not out_dir.exists(), "nothing may be written for bad input"


def test_missing_config_file_is_named(tmp_path, capsys):
    code, _, err = run_cli(["generate", "x", "--config", str(tmp_path / "absent.yaml")], capsys)
    assert code == 2 and "absent.yaml" in err


@pytest.mark.parametrize(
    ("theme", "expected"),
    [("w" * 10_001, "limit is 10000"), ("../../../", "no words"), ("a\x00b", "control characters")],
)
def test_bad_theme_exits_2(tmp_path, capsys, scripted, theme, expected):
    scripted(ScriptedChatModel(replies=[]))
    config = write_config(tmp_path, BASE + "llm: scripted:story\n")
    out_dir = tmp_path / "runs"
    code, _, err = run_cli(["generate", theme, "--config", config, "--out", str(out_dir)], capsys)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1
    assert not out_dir.exists()


@extras.durable
def test_theme_with_path_characters_stays_inside_the_output_directory(tmp_path, capsys, scripted):
    scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([lambda point: "yes"]))
    config = write_config(tmp_path, "llm: scripted:story\njudge: scripted\ncoherence: scripted\nembeddings: hash\n"
                          "width: 512\nheight: 352\ntheme_check: false\n"  # the scripted story is of a bus stop
                          f"memory_dir: {tmp_path / 'memory'}\n")
    out_dir = tmp_path / "runs"
    theme = "../../../etc/passwd/..\\..\\ a cat on /tmp"
    code, out, err = run_cli(["generate", theme, "--config", config, "--out", str(out_dir)], capsys)
    assert code == 0, err
    runs = list(out_dir.iterdir())
    assert len(runs) == 1 and runs[0].parent == out_dir
    assert not (tmp_path / "etc").exists()
    request = json.loads((runs[0] / "request.json").read_text())
    assert request["theme"] == theme.strip()
    assert "accept" in out and str(runs[0]) in out


@extras.durable
def test_runtime_failure_exits_1_and_marks_the_manifest(tmp_path, capsys, scripted):
    scripted(ScriptedChatModel(replies=["nope", "nope"]), ScriptedJudge([lambda point: "yes"]))
    config = write_config(tmp_path, "llm: scripted:story\njudge: scripted\ncoherence: scripted\nembeddings: hash\n"
                          "max_repairs: 1\n"
                          f"memory_dir: {tmp_path / 'memory'}\n")
    out_dir = tmp_path / "runs"
    code, _, err = run_cli(["generate", "a market", "--config", config, "--out", str(out_dir)], capsys)
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("storypainter: error: Story reply still invalid after 2 tries")
    manifest = json.loads((next(out_dir.iterdir()) / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "still invalid" in manifest["error"]


def test_without_the_durable_extra_a_run_is_refused_in_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch,
                                                                                    scripted):
    monkeypatch.setitem(sys.modules, "langgraph.checkpoint.sqlite", None)  # as if the extra were not installed
    scripted(ScriptedChatModel(replies=[story_json()]), ScriptedJudge([lambda point: "yes"]))
    config = write_config(tmp_path, f"llm: scripted:story\njudge: scripted\ncoherence: scripted\nembeddings: hash\n"
                          f"memory_dir: {tmp_path / 'memory'}\n")
    needs = "needs the durable extra: pip install 'storypainter[durable]'"
    for command in (["generate", "a market"], ["bench", "--modes", "naive", "-n", "1", "--reference", "none"]):
        out_dir = tmp_path / command[0]
        code, _, err = run_cli([*command, "--config", config, "--out", str(out_dir)], capsys)
        assert code == 2 and needs in err and len(err.strip().splitlines()) == 1, err
        assert not out_dir.exists(), "no run may be left failed for a missing package"
