"""Items per second of the local engine and of the Ray engine on this machine, and what a
batch item costs: the overhead ratio of Ray here, and the per-item figures that
docs/scaling.md's paper model of 10,000 stories on N GPU nodes starts from.

Items are cheap and remote-like (the storyteller is a local OpenAI-compatible server on
127.0.0.1 answering after ``--delay``; the storyboard painter and layout judge run here),
so the engines' own overhead shows. Each engine runs batches of two sizes, ``--repeats``
times each; the median wall times give a fixed cost per batch (start-up: worker processes,
or connecting to Ray and starting its actors) and a marginal cost per item::

    per_item = (T(large) - T(small)) / (large - small),  start = T(small) - small * per_item

The Ray cluster (one node, ``--concurrency`` CPUs, on 127.0.0.1) is started once, as a user's
would be, by ``tests/ray_cluster.py``.

    python benchmarks/ray_vs_local.py [--small 8] [--large 32] [--concurrency 2] [--delay 0.1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
os.environ.pop("OPENAI_API_KEY", None)

from batch_concurrency import context_for, start_server  # noqa: E402

from storypainter.batch import run_batch  # noqa: E402
from tests.ray_cluster import ray_cluster, ray_env  # noqa: E402

RESULTS = REPO / "benchmarks/results/ray_vs_local.json"
NODES = ("planner", "retriever", "storyteller", "painter", "critic")


def timed(engine: str, count: int, concurrency: int, base_url: str, address: str | None) -> tuple[float, list]:
    """Wall seconds of one batch, and its items' manifests' node seconds."""
    with tempfile.TemporaryDirectory() as workdir:
        context = context_for("llm", base_url, workdir)
        started = time.perf_counter()
        outcomes = run_batch(Path(workdir) / "batch", [""] * count, context, concurrency, out=None,
                             workers="processes", engine=engine, address=address)
        elapsed = time.perf_counter() - started
        failed = [outcome for outcome in outcomes if outcome.status != "done"]
        if failed:
            raise SystemExit(f"{engine}: {len(failed)} items not done: {failed[0].error}")
        seconds = [json.loads((Path(outcome.path) / "manifest.json").read_text())["node_seconds"]
                   for outcome in outcomes]
    return elapsed, seconds


class Echo:
    """A Ray actor that does nothing: what one call to a worker costs the driver."""

    def call(self, item: dict) -> dict:
        return item


def round_trip_ms(address: str, calls: int = 300) -> float:
    """Median milliseconds of one actor call (submit, run, fetch the result) on the cluster."""
    from storypainter.batch.ray_engine import connect

    ray, _ = connect(address)
    try:
        echo = ray.remote(Echo).options(num_cpus=1).remote()
        ray.get(echo.call.remote({}))
        times = []
        for index in range(calls):
            started = time.perf_counter()
            ray.get(echo.call.remote({"index": index, "theme": "", "seed": index}))
            times.append(time.perf_counter() - started)
    finally:
        ray.shutdown()
    return round(statistics.median(times) * 1000, 3)


def measure(engine: str, args: argparse.Namespace, base_url: str, address: str | None) -> dict:
    walls: dict[int, list[float]] = {args.small: [], args.large: []}
    nodes: list[dict] = []
    for repeat in range(args.repeats):
        for count in (args.small, args.large):
            wall, seconds = timed(engine, count, args.concurrency, base_url, address)
            walls[count].append(wall)
            nodes += seconds
            print(f"  {engine:<5} run {repeat + 1}: {count:3d} items in {wall:6.2f} s ({count / wall:5.2f} items/s)",
                  flush=True)
    small, large = (statistics.median(walls[count]) for count in (args.small, args.large))
    per_item = (large - small) / (args.large - args.small)
    return {
        "wall_seconds": {str(count): [round(wall, 3) for wall in values] for count, values in walls.items()},
        "median_seconds": {str(args.small): round(small, 3), str(args.large): round(large, 3)},
        "items_per_second": round(args.large / large, 3),
        "per_item_seconds": round(per_item, 4),
        "start_seconds": round(small - args.small * per_item, 3),
        "node_seconds_median": {name: round(statistics.median(item.get(name, 0.0) for item in nodes), 4)
                                for name in NODES},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=8)
    parser.add_argument("--large", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds the fake LLM server takes per reply")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.update({key: value for key, value in ray_env().items() if key.startswith("RAY_")})
    server, base_url = start_server(args.delay)
    try:
        print(f"local engine (worker processes), concurrency {args.concurrency}", flush=True)
        local = measure("local", args, base_url, None)
        with ray_cluster(nodes=1, cpus=args.concurrency) as (address, _):
            print(f"ray engine (1-node cluster on 127.0.0.1, {args.concurrency} CPUs)", flush=True)
            ray = measure("ray", args, base_url, address)
            ray["actor_call_ms_median"] = round_trip_ms(address)
    finally:
        server.kill()
        server.wait()
    result = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, load average {os.getloadavg()[0]:.1f} at the end",
        "setup": {"items": [args.small, args.large], "concurrency": args.concurrency, "llm_delay_s": args.delay,
                  "repeats": args.repeats, "painter": "storyboard", "judge": "layout", "max_rounds": 1},
        "local": local,
        "ray": ray,
        "overhead_ratio_items_per_second": round(local["items_per_second"] / ray["items_per_second"], 3),
        "overhead_ratio_per_item": round(ray["per_item_seconds"] / local["per_item_seconds"], 3),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({key: result[key] for key in ("overhead_ratio_items_per_second", "overhead_ratio_per_item")}))
    for name in ("local", "ray"):
        figures = result[name]
        print(f"{name:<5} {figures['items_per_second']:.2f} items/s at {args.large} items; per item "
              f"{figures['per_item_seconds']:.3f} s, start {figures['start_seconds']:.2f} s")
    print(f"ray actor call round trip: {ray['actor_call_ms_median']} ms (median of 300)")
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
