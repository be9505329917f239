"""CPU cost of one batch item around its model call: user and system milliseconds per story,
run one after another in this process against a local OpenAI-compatible server (its own
process) that answers at once. This is the work that concurrency cannot overlap.

    python benchmarks/batch_item_cpu.py [-n 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.pop("OPENAI_API_KEY", None)

from storypainter.agent.context import Context  # noqa: E402
from storypainter.batch import run_item  # noqa: E402

WARM_UP = 3


def start_server() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen([sys.executable, str(REPO / "tests/fake_openai_server.py"), "--delay", "0"],
                              stdout=subprocess.PIPE, text=True)
    return server, f"http://127.0.0.1:{int(server.stdout.readline().split()[1])}/v1"


def cpu_per_item(count: int, base_url: str) -> tuple[float, float]:
    """User and system milliseconds per item, after a warm-up."""
    with tempfile.TemporaryDirectory() as workdir:
        context = Context(llm="openai:fake", llm_options={"base_url": base_url}, painter="storyboard",
                          judge="layout", embeddings="hash", max_rounds=1, width=320, height=224,
                          out_dir=workdir, memory_dir=f"{workdir}/memory")
        batch_dir = Path(workdir) / "batch"
        items = [{"index": index, "theme": "", "seed": index} for index in range(WARM_UP + count)]
        for item in items[:WARM_UP]:
            run_item(batch_dir, item, context)
        before = resource.getrusage(resource.RUSAGE_SELF)
        for item in items[WARM_UP:]:
            if run_item(batch_dir, item, context).status == "failed":
                raise SystemExit(f"item {item['index']} failed")
        after = resource.getrusage(resource.RUSAGE_SELF)
    return 1000 * (after.ru_utime - before.ru_utime) / count, 1000 * (after.ru_stime - before.ru_stime) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server, base_url = start_server()
    try:
        runs = [cpu_per_item(args.n, base_url) for _ in range(args.repeats)]
    finally:
        server.kill()
        server.wait()
    user, system = statistics.median(run[0] for run in runs), statistics.median(run[1] for run in runs)
    print(f"{args.n} items x {args.repeats} repeats, medians per item: user {user:.1f} ms, system {system:.1f} ms, "
          f"total {user + system:.1f} ms")


if __name__ == "__main__":
    main()
