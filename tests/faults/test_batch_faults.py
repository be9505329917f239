"""Batch faults (issue #17, defects 1, 5, 10 and the low ones): batches exit, are locked,
refuse a changed rerun, and the example store survives racing first builds."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from tests.faults.conftest import clean_env, storypainter, write_config
from tests.processes import ctrl_c_as_in_a_terminal, wait_until_gone


def batch_args(tmp_path, config, count: int, concurrency: int, *extra: str) -> list[str]:
    return ["batch", "--count", str(count), "--concurrency", str(concurrency), "--out", str(tmp_path / "batch"),
            "--config", str(config), "--workers", "processes", *extra]


def test_ctrl_c_stops_a_process_batch_and_every_worker(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(delay=2.0), max_rounds=1)
    command = [sys.executable, "-m", "storypainter.cli", *batch_args(tmp_path, config, 300, 4)]
    batch = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), preexec_fn=ctrl_c_as_in_a_terminal,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not list((tmp_path / "batch").glob("items/*/manifest.json")) and time.time() < deadline:
        time.sleep(0.1)
    assert list((tmp_path / "batch").glob("items/*/manifest.json")), "an item started within 60 s"
    batch.send_signal(signal.SIGINT)
    batch.wait(timeout=30)  # used to hang forever on the queue's feeder thread
    assert batch.returncode == 130
    assert wait_until_gone(str(tmp_path / "batch"), seconds=5) == []
    statuses = [json.loads(path.read_text())["status"] for path in (tmp_path / "batch").glob("items/*/manifest.json")]
    assert "interrupted" in statuses, statuses  # the items in flight when Ctrl-C came
    assert set(statuses) <= {"interrupted", "complete"}, statuses  # none left running (or failed)


def test_a_batch_with_more_concurrency_than_items_exits(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    result = storypainter(batch_args(tmp_path, config, 3, 64), tmp_path, timeout=120)
    assert result.code == 0, result.stderr
    assert len(list((tmp_path / "batch").glob("items/*/result.json"))) == 3


def test_absurd_concurrency_and_count_are_refused(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    concurrency = storypainter(batch_args(tmp_path, config, 3, 100000), tmp_path)
    assert concurrency.code == 2 and "concurrency must lie in 1..256" in concurrency.one_line()
    count = storypainter(batch_args(tmp_path, config, 10**9, 1), tmp_path)
    assert count.code == 2 and "--count must lie in" in count.one_line()
    assert not (tmp_path / "batch").exists()


def test_two_batches_on_one_out_never_run_together(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(delay=10.0), max_rounds=1)
    command = [sys.executable, "-m", "storypainter.cli", *batch_args(tmp_path, config, 2, 2)]
    first = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    first.stderr.readline()  # "batch: N items, ...": it holds the batch's lock
    second = storypainter(batch_args(tmp_path, config, 2, 2), tmp_path)
    first.wait(timeout=120)
    assert second.code == 1 and "in use by another storypainter process" in second.one_line()
    assert first.returncode == 0
    assert len(list((tmp_path / "batch").glob("items/*/result.json"))) == 2


def test_a_rerun_with_other_settings_is_refused(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    assert storypainter(batch_args(tmp_path, config, 2, 1), tmp_path).code == 0
    changed = storypainter(batch_args(tmp_path, config, 2, 1, "--max-rounds", "3"), tmp_path)
    assert changed.code == 2 and "other settings (max_rounds)" in changed.one_line()


def test_a_corrupt_batch_json_is_refused_in_one_line(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "batch.json").write_text("{truncated", encoding="utf-8")
    result = storypainter(batch_args(tmp_path, config, 2, 1), tmp_path)
    assert result.code == 2 and "batch.json" in result.one_line()


def test_a_byte_order_mark_is_not_part_of_the_first_theme(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    themes = tmp_path / "themes.txt"
    themes.write_bytes("\ufeffa kite\na boat\n".encode())
    result = storypainter(["batch", str(themes), "--out", str(tmp_path / "batch"), "--config", str(config)], tmp_path)
    assert result.code == 0, result.stderr
    items = json.loads((tmp_path / "batch" / "batch.json").read_text())["items"]
    assert [item["theme"] for item in items] == ["a kite", "a boat"]


def test_racing_first_builds_of_the_example_store_all_succeed(tmp_path):
    command = [sys.executable, "-m", "storypainter.cli", "index", "build"]
    config = tmp_path / "store.yaml"
    config.write_text(f"embeddings: hash\nmemory_dir: {tmp_path / 'memory'}\nretrieval: similar\n")
    builds = [subprocess.Popen([*command, "--config", str(config)], cwd=tmp_path, env=clean_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [(build.wait(timeout=120), build.stderr.read()) for build in builds]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    query = storypainter(["index", "query", "a night market", "--config", str(config), "-k", "2"], tmp_path)
    assert query.code == 0 and query.stdout.strip()
