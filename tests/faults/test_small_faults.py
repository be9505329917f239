"""Issue #23, item 9: the smaller faults, each through the real command line in a fresh process."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.faults.conftest import manifest_of, only_run, storypainter, write_config


def finished_run(tmp_path, base_url: str):
    config = write_config(tmp_path, base_url, max_rounds=1)
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs", "--quiet"], tmp_path)
    assert result.code == 0, result.stderr
    return config, only_run(tmp_path / "runs")


def test_eval_never_prints_a_titles_terminal_escapes(tmp_path, fake_server):
    _, run_dir = finished_run(tmp_path, fake_server())
    story_path = run_dir / "attempts/01/story.json"
    story = json.loads(story_path.read_text())
    story["title"] = "\x1b[2J\x1b]0;owned\x07Bus"
    story_path.write_text(json.dumps(story))
    result = storypainter(["eval", str(run_dir), "--embeddings", "hash"], tmp_path)
    assert result.code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2J" in result.stdout, "the title is shown, its escapes written out"


@pytest.mark.parametrize(("content", "problem"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"sp-1": {"description": "x", "cors": {}, "n": ' + "7" * 5000 + "}}", "digits"),
])
def test_a_nested_or_huge_number_reference_file_is_one_clear_line(tmp_path, content, problem):
    reference = tmp_path / "reference.json"
    reference.write_text(content)
    result = storypainter(["eval", "--reference", str(reference), "--embeddings", "hash"], tmp_path)
    assert result.code == 2
    line = result.one_line()
    assert problem in line and "reference.json" in line and "unexpected" not in line


def test_review_edit_with_an_editor_that_takes_arguments(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs", "--review", "--quiet"],
                          tmp_path, stdin="e\nk\n", EDITOR="cat -u", TMPDIR=str(temp))
    assert result.code == 0, result.stderr
    assert '"title": "Story number 1"' in result.stdout, "the editor (cat -u) was run on the story"
    assert (only_run(tmp_path / "runs") / "result.json").is_file()
    assert list(temp.glob("*.json")) == [], "the story's temp file is removed"


def test_a_file_that_is_no_config_is_never_echoed(tmp_path):
    shadow = tmp_path / "shadow"
    shadow.write_text("root:$6$Zq8salt$Hx9hashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    result = storypainter(["generate", "a kite", "--config", str(shadow), "--out", "runs"], tmp_path)
    assert result.code == 2
    line = result.one_line()
    assert "root:" not in line and "$6$" not in line and "daemon" not in line
    assert "no setting name" in line and not (tmp_path / "runs").exists()


def test_a_duplicate_yaml_key_is_refused(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("max_rounds: 1\nseed: 3\nmax_rounds: 5\n")
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 2
    assert "line 3: duplicate key 'max_rounds'" in result.one_line()
    assert not (tmp_path / "runs").exists()


def test_concurrency_zero_is_refused(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    result = storypainter(["batch", "--count", "2", "--concurrency", "0", "--out", str(tmp_path / "batch"),
                           "--config", str(config)], tmp_path)
    assert result.code == 2 and "concurrency must lie in 1..256, got 0" in result.one_line()
    assert not (tmp_path / "batch").exists()


@pytest.mark.parametrize("price", ["true", "'2.5'"])
def test_a_price_must_be_a_number(tmp_path, price):
    config = tmp_path / "config.yaml"
    config.write_text(f"prices:\n  openai:gpt-4.1:\n    input_per_mtok: {price}\n")
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 2
    assert "prices.openai:gpt-4.1.input_per_mtok: Input should be a valid number" in result.one_line()


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KB tmpfs filled to the last byte."""
    mount = tmp_path / "full"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    subprocess.run(["dd", "if=/dev/zero", f"of={mount / 'filler'}", "bs=4k"], capture_output=True, check=False)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_disk_full_at_the_very_end_never_leaves_a_failed_run_with_a_result(tmp_path, full_disk, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1, remember_threshold=0.0)
    memory = tmp_path / "memory"
    memory.mkdir()
    (full_disk / "generated.jsonl").touch()
    (memory / "generated.jsonl").symlink_to(full_disk / "generated.jsonl")  # the last write of a run lands there
    result = storypainter(["generate", "a rainy bus stop", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 1 and "disk is full" in result.one_line()  # the story is accepted, then remembered
    run_dir = only_run(tmp_path / "runs")
    assert manifest_of(run_dir)["status"] == "failed"
    assert not (run_dir / "result.json").exists(), "a failed run has no result"
    (full_disk / "filler").unlink()
    resumed = storypainter(["resume", str(run_dir)], tmp_path)
    assert resumed.code == 0, resumed.stderr
    assert manifest_of(run_dir)["status"] == "complete" and (run_dir / "result.json").is_file()


def test_a_dollar_cap_is_never_passed_by_the_items_in_flight(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(delay=0.5), max_rounds=1,
                          prices={"openai:fake": {"input_per_mtok": 1000.0, "output_per_mtok": 1000.0}})
    result = storypainter(["batch", "--count", "6", "--concurrency", "2", "--workers", "threads", "--out",
                           str(tmp_path / "batch"), "--config", str(config), "--budget-usd", "1.0"], tmp_path)
    assert result.code == 3, result.stderr
    ledger = json.loads((tmp_path / "batch/batch.json").read_text())["ledger"]
    assert ledger["usd"] == pytest.approx(0.9), "three items of $0.30 fit the $1.00 cap, a fourth would not"
    assert ledger["usd"] <= 1.0
