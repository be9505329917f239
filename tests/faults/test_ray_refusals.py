"""The Ray engine refuses what it can never run (issue #23, item 6): ``item_resources`` that no
node of the cluster has (a GPU on a CPU-only cluster) is one line, exit 2, and no batch.json,
instead of a batch that waits for the resource forever."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests import extras
from tests.faults.conftest import write_config
from tests.ray_cluster import BIN, ray_env, stop_group

pytestmark = [pytest.mark.slow, extras.needs("ray", "ray", "the Ray engine")]


def test_a_gpu_item_on_a_cluster_without_gpus_is_refused_before_batch_json(tmp_path, fake_server):
    config = write_config(tmp_path, fake_server(), max_rounds=1, item_resources={"num_gpus": 1})
    temp = Path(tempfile.mkdtemp(prefix="sp-ray-", dir="/tmp"))
    command = [str(BIN / "storypainter"), "batch", "--count", "2", "--engine", "ray", "--out",
               str(tmp_path / "batch"), "--config", str(config)]
    batch = subprocess.Popen(command, cwd=tmp_path, env=ray_env() | {"RAY_TMPDIR": str(temp)}, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, stderr = batch.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        stop_group(batch)
        pytest.fail("the batch waited for a GPU the cluster does not have")
    finally:
        subprocess.run(["rm", "-rf", str(temp)], check=False)
    errors = [line for line in stderr.splitlines() if line.startswith(("storypainter: error", "Traceback"))]
    assert batch.returncode == 2 and len(errors) == 1, stderr[-3000:]
    assert "item_resources: one item needs 1 GPU, but the Ray cluster has 0" in errors[0]
    assert not (tmp_path / "batch" / "batch.json").exists()
