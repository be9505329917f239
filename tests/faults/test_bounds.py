"""Unbounded sizes and values that were validated but broke later (issue #23, items 5-6): each is
refused in one line before a run or batch directory exists, or bounded before it is used."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from storypainter.agent.context import MAX_SEED
from tests.fake_openai_server import completion
from tests.fakes import story_json
from tests.faults.conftest import manifest_of, only_run, storypainter, write_config


def alias_bomb(levels: int) -> str:
    """A YAML alias bomb: each level lists the one above nine times (9**levels values once expanded)."""
    lines = ["  model_kwargs:", '    a0: &a0 ["lol"]']
    lines += [f"    a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]" for level in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_before_anything_is_written(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    text = config.read_text().replace("llm_options:\n", "llm_options:\n" + alias_bomb(5))
    config.write_text(text)
    assert len(text.encode()) < 1000
    started = time.perf_counter()
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 2 and "more than 10,000 values" in result.one_line()
    assert time.perf_counter() - started < 30 and not (tmp_path / "runs").exists()


def test_a_config_file_over_1_mib_is_refused_unread(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    config.write_text(config.read_text() + "# padding\n" * 120_000)
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 2 and "bytes; the limit is 1,048,576" in result.one_line()
    assert not (tmp_path / "runs").exists()


@pytest.fixture
def huge_reply_server() -> Iterator[str]:
    """An OpenAI-compatible server whose every story has a 200,000-character title and a 1 MB description."""
    body = json.dumps(completion(story_json(title="T" * 200_000, description="D" * 1_000_000), "fake")).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_huge_reply_is_refused_before_the_critic_and_the_run_fails_in_one_line(tmp_path, huge_reply_server):
    config = write_config(tmp_path, huge_reply_server, max_rounds=1, max_repairs=1)
    started = time.perf_counter()
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path, timeout=90)
    assert result.code == 1 and time.perf_counter() - started < 60
    assert "reply of 1,2" in result.one_line() and "the limit is 64,000" in result.one_line()
    run_dir = only_run(tmp_path / "runs")
    assert manifest_of(run_dir)["status"] == "failed"
    assert not (run_dir / "attempts" / "01" / "critique.json").exists()
    assert (run_dir / "attempts" / "01" / "failed_reply.json").stat().st_size < 300_000


def test_a_reference_file_over_64_mib_is_refused_unread(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(65 << 20)  # sparse: no disk, but 65 MiB to stat
    result = storypainter(["eval", "--reference", str(big), "--embeddings", "hash"], tmp_path)
    assert result.code == 2 and "the limit is 67,108,864" in result.one_line()


def test_a_seed_whose_attempt_seeds_would_overflow_is_refused_and_the_largest_runs(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    refused = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs",
                            "--seed", "3000000000000000"], tmp_path)
    assert refused.code == 2 and "seed" in refused.one_line() and not (tmp_path / "runs").exists()
    largest = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs", "--seed", str(MAX_SEED)],
                           tmp_path)
    assert largest.code == 0, largest.stderr[-2000:]
    assert manifest_of(only_run(tmp_path / "runs"))["seeds"]["images"][0] > 2**62
    batch = storypainter(["batch", "--count", "3", "--config", str(config), "--out", "batch", "--seed",
                          str(MAX_SEED - 1)], tmp_path)
    assert batch.code == 2 and "seed" in batch.one_line() and not (tmp_path / "batch").exists()


def test_an_unknown_openai_option_is_refused_before_the_run(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1, llm_options={"frobnicate": 1})
    result = storypainter(["generate", "a kite", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 2 and "llm_options.frobnicate: unknown option" in result.one_line()
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("address", ["127.0.0.1:99999", "127.0.0.1:abc"])
def test_a_malformed_ray_address_is_one_line_and_writes_nothing(tmp_path, fake_server, address):
    config = write_config(tmp_path, fake_server(), max_rounds=1)
    result = storypainter(["batch", "--count", "1", "--config", str(config), "--out", "batch", "--engine", "ray",
                           "--address", address], tmp_path)
    assert result.code == 2 and f"--address {address}: not HOST:PORT" in result.one_line()
    assert not (tmp_path / "batch").exists()
