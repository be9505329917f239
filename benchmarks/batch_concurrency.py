"""Batch concurrency against remote-like models: a local OpenAI-compatible server on
127.0.0.1 (its own process) that answers every request after a fixed delay. Prints wall
time for N stories at concurrency 1 and K, medians over repeats, and the speedup ratio.

Setups (``--setup``):
- ``llm``: the storyteller is remote; the storyboard painter and the layout judge run
  here (one remote call per story, tens of milliseconds of local drawing and judging);
- ``remote``: storyteller, painter (``openai-images``) and judge (``vlm:openai``) are all
  remote, the way a cloud deployment runs (three remote calls per story).

    python benchmarks/batch_concurrency.py [--setup llm|remote|both] [-n 50] [--concurrency 8]
        [--delay 0.1] [--repeats 3] [--workers auto|threads|processes]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.pop("OPENAI_API_KEY", None)

from storypainter.agent.context import Context  # noqa: E402
from storypainter.batch import choose_workers, run_batch  # noqa: E402


def start_server(delay: float) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, str(REPO / "tests/fake_openai_server.py"), "--delay", str(delay)],
                              stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline().split()[1])
    return server, f"http://127.0.0.1:{port}/v1"


def context_for(setup: str, base_url: str, workdir: str) -> Context:
    remote = {"base_url": base_url}
    settings = dict(llm="openai:fake", llm_options=remote, painter="storyboard", judge="layout", embeddings="hash",
                    max_rounds=1, width=320, height=224, out_dir=workdir, memory_dir=f"{workdir}/memory")
    if setup == "remote":
        settings.update(painter="openai-images:fake", painter_options=remote, judge="vlm:openai:fake")
    return Context(**settings)


def timed_batch(setup: str, count: int, concurrency: int, base_url: str, workers: str) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        context = context_for(setup, base_url, workdir)
        started = time.perf_counter()
        outcomes = run_batch(Path(workdir) / "batch", [""] * count, context, concurrency, out=None, workers=workers)
        elapsed = time.perf_counter() - started
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    if failed:
        raise SystemExit(f"{len(failed)} items failed: {failed[0].error}")
    return elapsed


def measure(setup: str, args: argparse.Namespace, base_url: str) -> float:
    plan = choose_workers(context_for(setup, base_url, "/tmp"), args.concurrency, args.workers)
    timed_batch(setup, 2, 1, base_url, args.workers)  # warm-up: imports and first connections
    serial, parallel = [], []
    for _ in range(args.repeats):
        serial.append(timed_batch(setup, args.n, 1, base_url, args.workers))
        parallel.append(timed_batch(setup, args.n, args.concurrency, base_url, args.workers))
    serial_median, parallel_median = statistics.median(serial), statistics.median(parallel)
    print(f"setup {setup}: {args.n} stories, server delay {args.delay * 1000:.0f} ms, repeats {args.repeats}")
    print(f"  workers at concurrency {args.concurrency}: {plan.describe()}")
    print(f"  concurrency 1:  median {serial_median:.2f} s  ({', '.join(f'{s:.2f}' for s in serial)})")
    runs = ", ".join(f"{seconds:.2f}" for seconds in parallel)
    print(f"  concurrency {args.concurrency}:  median {parallel_median:.2f} s  ({runs})")
    ratio = serial_median / parallel_median
    print(f"  speedup {ratio:.2f}x", flush=True)
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=("llm", "remote", "both"), default="both")
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", choices=("auto", "threads", "processes"), default="auto")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    server, base_url = start_server(args.delay)
    try:
        for setup in ("llm", "remote") if args.setup == "both" else (args.setup,):
            measure(setup, args, base_url)
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
