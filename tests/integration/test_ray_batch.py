"""A batch on a real two-node Ray cluster with a real Chroma server, all on 127.0.0.1.

The cluster comes from ``tests/ray_cluster.py`` (two ``ray start`` nodes in their own
process groups, stopped by signalling those groups only); the Chroma server is ``chroma
run --host 127.0.0.1``.

The batch uses the embedded offline setup (SmolLM2-135M through llama.cpp with its
JSON-schema grammar, MiniLM embeddings, the storyboard painter; the base model rather than
the shipped student adapter, whose compact prompt leaves retrieved examples out) with
retrieval ``similar`` from the Chroma server, kills one Ray worker process while it holds
an item, and must end with exactly N complete results, the killed item resumed (not
redone), items served by both nodes, and the examples retrieved from the server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import extras
from tests.ray_cluster import BIN, free_port, ray_env, stop_group
from tests.ray_cluster import ray_cluster as two_nodes

REPO = Path(__file__).resolve().parents[2]
ITEMS = 4  # two in flight, one finished before the kill, one left after it: enough for every claim below
pytestmark = [pytest.mark.slow, extras.chroma]
ray = extras.needs("ray", "ray", "the Ray engine")


@pytest.fixture
def ray_cluster() -> Iterator[tuple[str, Path]]:
    with two_nodes(nodes=2) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory) -> Iterator[str]:
    """One Chroma server for the module: its tests use different collections (MiniLM, hashing)."""
    tmp_path = tmp_path_factory.mktemp("chroma")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "chroma.log", "w") as log:
        server = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma-server"), "--host",
                                   "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
                    break
                except OSError:
                    assert time.time() < deadline and server.poll() is None, (tmp_path / "chroma.log").read_text()
                    time.sleep(0.3)
            yield url
        finally:
            stop_group(server)


def actor_pids(temp: Path) -> list[int]:
    """PIDs of this cluster's ItemWorker actor processes, from its own worker logs."""
    pids = set()
    for log in temp.glob("session_2*/logs/worker-*.out"):  # session_latest is a link to the same folder
        try:
            if ":actor_name:ItemWorker" in log.read_text(errors="replace"):
                pid = int(log.stem.rsplit("-", 1)[-1])
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::ItemWorker"):
                    pids.add(pid)
        except (OSError, ValueError):
            continue
    return sorted(pids)


def retrieved_ids(run_dir: Path) -> list[str]:
    """The ids of the examples the run's retriever got, from the run's checkpoints."""
    from storypainter.agent.checkpoints import open_checkpointer, thread_config
    from storypainter.agent.graph import graph

    thread = json.loads((run_dir / "request.json").read_text())["thread_id"]
    with open_checkpointer(run_dir) as saver:
        values = graph.copy(update={"checkpointer": saver}).get_state(thread_config(thread)).values
    return [example.id for example in values.get("examples", [])]


def in_flight(batch_dir: Path) -> list[Path]:
    return [path for path in batch_dir.glob("items/*") if not (path / "result.json").exists()]


@ray
@extras.needs("local", "llama_cpp", "the embedded storyteller")
def test_two_node_ray_batch_with_a_chroma_server_survives_a_killed_worker(tmp_path, ray_cluster, chroma_server):
    address, temp = ray_cluster
    batch_dir, memory = tmp_path / "batch", tmp_path / "memory"
    config = tmp_path / "ray.yaml"
    config.write_text(
        "llm: local:smollm2\nmax_rounds: 1\nwidth: 320\nheight: 224\nretrieval: similar\nexamples_k: 2\n"
        f"memory_dir: {memory}\nchroma_url: {chroma_server}\nitem_resources: {{num_cpus: 1}}\n"
    )
    command = [str(BIN / "storypainter"), "batch", "--count", str(ITEMS), "--engine", "ray", "--address", address,
               "--out", str(batch_dir), "--config", str(config)]
    started = time.time()
    batch = subprocess.Popen(command, cwd=tmp_path, env=ray_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    killed = None
    deadline = time.time() + 900
    while killed is None and time.time() < deadline and batch.poll() is None:
        done = len(list(batch_dir.glob("items/*/result.json")))
        pids = actor_pids(temp)
        if done >= 1 and in_flight(batch_dir) and len(pids) == 2:
            killed = pids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.5)
    assert killed is not None, "the kill must land mid-batch"
    _, stderr = batch.communicate(timeout=max(60, deadline - time.time()))
    seconds = time.time() - started
    assert batch.returncode == 0, stderr[-3000:]

    results = sorted(batch_dir.glob("items/*/result.json"))
    assert [path.parent.name for path in results] == [f"{index:04d}" for index in range(ITEMS)]
    assert sorted(path.name for path in (batch_dir / "items").iterdir()) == [f"{i:04d}" for i in range(ITEMS)]
    summary = json.loads((batch_dir / "summary.json").read_text())
    assert sorted(item["index"] for item in summary) == list(range(ITEMS)), "exactly N, no duplicates"
    assert {item["status"] for item in summary} <= {"done", "resumed"}
    assert any(item["status"] == "resumed" for item in summary), "the killed worker's item resumed on a new worker"
    nodes = {item["worker"].split("Ray node ")[-1] for item in summary}
    assert len(nodes) == 2, f"both nodes ran items: {nodes}"
    retrieved: dict[str, list[str]] = {}
    for path in results:
        run_dir = path.parent
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["status"] == "complete"
        assert manifest["context"]["chroma_url"] == chroma_server and manifest["context"]["retrieval"] == "similar"
        assert manifest["ledger"]["tokens_out"] > 0 and manifest["ledger"]["image_calls"] == 1
        assert sorted(p.name for p in (run_dir / "attempts").iterdir()) == ["01"], "one attempt, none repeated"
        retrieved[run_dir.name] = retrieved_ids(run_dir)
    assert not (memory / "chroma").exists(), "no embedded store: retrieval went to the server"

    import chromadb
    from chromadb.config import Settings

    port = int(chroma_server.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False))
    counts = {collection.name: collection.count() for collection in client.list_collections()}
    assert counts.get("corpus-seed-all-minilm-l6-v2", 0) >= 100, counts
    served = {id_ for collection in client.list_collections() for id_ in collection.get(include=[])["ids"]}
    assert all(len(ids) == 2 and set(ids) <= served for ids in retrieved.values()), retrieved
    ledger = json.loads((batch_dir / "batch.json").read_text())["ledger"]
    assert ledger["items"] == ITEMS and ledger["tokens_out"] > 0
    assert ledger["usd"] is None and "no input_per_mtok price for local:smollm2" in ledger["usd_missing"], "unpriced"
    print(f"\nray batch: {ITEMS} items in {seconds:.0f} s on 2 nodes; killed worker pid {killed}; "
          f"collections {counts}; {stderr.splitlines()[-1]}")


BUILD = """
import json, sys
from storypainter.memory.store import ExampleStore
from storypainter.providers.embeddings import HashingEmbedder
store = ExampleStore(sys.argv[1], HashingEmbedder(), url=sys.argv[2])
info = store.build()
print(json.dumps({"rebuilt": info["rebuilt"], "count": info["count"]}))
"""


def test_first_builds_from_several_machines_meet_on_the_server_once(tmp_path, chroma_server):
    """Three processes with their own memory_dir (so no shared file lock, as on three machines)
    build the same index on one server at once: one builds it, the others wait and reuse it."""
    builders = [subprocess.Popen([sys.executable, "-c", BUILD, str(tmp_path / f"memory{i}"), chroma_server],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
                for i in range(3)]
    reports = []
    for builder in builders:
        stdout, stderr = builder.communicate(timeout=180)
        assert builder.returncode == 0, stderr[-2000:]
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    assert sorted(report["rebuilt"] for report in reports) == [False, False, True]
    assert len({report["count"] for report in reports}) == 1 and reports[0]["count"] >= 100


@ray
def test_an_address_nobody_answers_on_is_one_line_at_once(tmp_path, capsys):
    from storypainter.cli import main

    config = tmp_path / "config.yaml"
    config.write_text("llm: openai:fake\nllm_options: {base_url: 'http://127.0.0.1:9/v1'}\nembeddings: hash\n")
    address = f"127.0.0.1:{free_port()}"
    started = time.time()
    code = main(["batch", "--count", "1", "--engine", "ray", "--address", address,
                 "--out", str(tmp_path / "batch"), "--config", str(config)])
    assert code == 2 and time.time() - started < 30
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"storypainter: error: engine ray, --address {address}: nothing answers there (")
    assert lines[0].endswith("is the cluster up (ray start --head)?")
    assert not (tmp_path / "batch").exists()
