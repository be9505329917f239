"""Batch concurrency against a remote-like model: a local OpenAI-compatible server on
127.0.0.1 that answers after a fixed delay. Prints wall time for N stories at
concurrency 1 and K, medians over repeats, and the speedup ratio.

    python benchmarks/batch_concurrency.py [-n 50] [--concurrency 8] [--delay 0.1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.pop("OPENAI_API_KEY", None)

from storypainter.agent.context import Context
from storypainter.batch import run_batch
from tests.fake_openai_server import serve


def timed_batch(count: int, concurrency: int, base_url: str) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        context = Context(llm="openai:fake", llm_options={"base_url": base_url}, painter="storyboard",
                          judge="layout", embeddings="hash", max_rounds=1, width=320, height=224,
                          out_dir=workdir, memory_dir=f"{workdir}/memory")
        started = time.perf_counter()
        outcomes = run_batch(Path(workdir) / "batch", [""] * count, context, concurrency, out=None)
        elapsed = time.perf_counter() - started
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    if failed:
        raise SystemExit(f"{len(failed)} items failed: {failed[0].error}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server, counter = serve(args.delay)
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    timed_batch(2, 1, base_url)  # warm-up: imports and first connections
    serial, parallel = [], []
    for _ in range(args.repeats):
        serial.append(timed_batch(args.n, 1, base_url))
        parallel.append(timed_batch(args.n, args.concurrency, base_url))
    serial_median, parallel_median = statistics.median(serial), statistics.median(parallel)
    print(f"stories {args.n}, server delay {args.delay * 1000:.0f} ms, repeats {args.repeats}")
    print(f"concurrency 1:  median {serial_median:.2f} s  ({', '.join(f'{s:.2f}' for s in serial)})")
    runs = ", ".join(f"{seconds:.2f}" for seconds in parallel)
    print(f"concurrency {args.concurrency}:  median {parallel_median:.2f} s  ({runs})")
    print(f"speedup {serial_median / parallel_median:.2f}x; requests served {counter['requests']}")


if __name__ == "__main__":
    main()
