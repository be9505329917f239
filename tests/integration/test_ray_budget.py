"""A dollar cap on a Ray batch (the engine's own one-machine cluster on 127.0.0.1, a fake priced
OpenAI-compatible server): no item starts that would pass the cap, and a higher cap continues.

Its own file so that `make test`'s workers run it beside ``test_ray_batch.py``'s two-node test."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests import extras
from tests.integration.test_batch_kill import fake_openai  # noqa: F401  (the fake OpenAI server fixture)
from tests.ray_cluster import BIN, ray_env

pytestmark = pytest.mark.slow
ray = extras.needs("ray", "ray", "the Ray engine")


@ray
def test_a_budget_cap_stops_a_ray_batch_and_a_higher_cap_continues(tmp_path, fake_openai):  # noqa: F811
    """Without --address the engine starts its own one-machine cluster on 127.0.0.1 (in its own
    temp dir here) and shuts it down; the fake server's replies cost $0.50 an item at these prices,
    so a $1.20 cap lets no third item start (its estimate would pass the cap)."""
    temp = Path(tempfile.mkdtemp(prefix="sp-ray-", dir="/tmp"))
    config = tmp_path / "priced.yaml"
    config.write_text(
        f"llm: openai:fake\nllm_options:\n  base_url: {fake_openai}\npainter: storyboard\njudge: layout\n"
        f"embeddings: hash\nmax_rounds: 1\nwidth: 320\nheight: 224\nmemory_dir: {tmp_path / 'memory'}\n"
        "prices:\n  openai:fake: {input_per_mtok: 1000, output_per_mtok: 2000}\n"
    )
    command = [str(BIN / "storypainter"), "batch", "--count", "6", "--engine", "ray", "--concurrency", "2",
               "--out", str(tmp_path / "batch"), "--config", str(config)]
    env = ray_env() | {"RAY_TMPDIR": str(temp)}
    try:
        capped = subprocess.run([*command, "--budget-usd", "1.2"], env=env, capture_output=True, text=True,
                                timeout=300)
        assert capped.returncode == 3, capped.stderr[-3000:]
        done = sorted((tmp_path / "batch").glob("items/*/result.json"))
        assert 1 <= len(done) <= 2, "no item starts that would carry the spend past the cap ($0.50 an item)"
        assert "batch: budget: $" in capped.stderr and "one more would pass $1.2000 (--budget-usd)" in capped.stderr
        kept = {path: path.stat().st_mtime_ns for path in done}
        ledger = json.loads((tmp_path / "batch/batch.json").read_text())["ledger"]
        assert ledger["usd"] == pytest.approx(0.5 * len(done)) and ledger["stopped"].startswith("budget: ")
        assert ledger["usd"] <= 1.2

        higher = subprocess.run([*command, "--budget-usd", "10"], env=env, capture_output=True, text=True,
                                timeout=300)
        assert higher.returncode == 0, higher.stderr[-3000:]
        assert len(list((tmp_path / "batch").glob("items/*/result.json"))) == 6
        assert all(path.stat().st_mtime_ns == mtime for path, mtime in kept.items()), "nothing finished is redone"
        assert json.loads((tmp_path / "batch/batch.json").read_text())["ledger"]["usd"] == pytest.approx(3.0)
    finally:
        subprocess.run(["rm", "-rf", str(temp)], check=False)
