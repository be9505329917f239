"""Time per image and peak GPU memory of the diffusers painter: median of N images after one warm-up.

On a GPU machine, from the repository root::

    python benchmarks/gpu_painter.py --model stabilityai/sdxl-turbo --steps 4 --guidance 0 --size 1024x1024
    python benchmarks/gpu_painter.py --model /models/FLUX.1-schnell --steps 4 --guidance 0 --offload

Without ``--model`` it builds the tiny random Stable Diffusion pipeline of the tests and runs
it at 64x64: a smoke check that runs anywhere, CPU included (its timings mean nothing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storypainter.layout import compose_layout
from storypainter.providers.painters.diffusers_painter import DiffusersPainter
from storypainter.schema import Story
from tests.fixtures.tiny_diffusion import build_tiny_pipeline

STORY = Story(
    title="Last Bus in the Rain",
    description="At a rainy bus stop at night, an old man holds a broken umbrella over a schoolgirl with a trophy.",
    location="a bus stop in the city",
    time="a rainy night",
    painter_prompt="A rainy city bus stop at night, an old man shields a schoolgirl holding a trophy with a broken "
    "umbrella, a glowing sign reads LAST BUS 23:10, cinematic light, detailed illustration",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="hub id or local directory (default: the tiny random pipeline)")
    parser.add_argument("--images", type=int, default=3, help="timed images after one warm-up")
    parser.add_argument("--steps", type=int, help="inference steps (default: 30, tiny: 2)")
    parser.add_argument("--guidance", type=float, help="guidance scale (default: the pipeline's)")
    parser.add_argument("--size", help="WIDTHxHEIGHT (default: 768x512, tiny: 64x64)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float16", "bfloat16", "float32"])
    parser.add_argument("--offload", action="store_true", help="enable model CPU offload")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    return parser.parse_args(argv)


def painter_options(args: argparse.Namespace, tiny: bool) -> dict:
    steps = args.steps or (2 if tiny else 30)
    options = {"steps": steps, "dtype": args.dtype, "enable_model_cpu_offload": args.offload}
    if args.guidance is not None:
        options["guidance"] = args.guidance
    return options


def measure(painter: DiffusersPainter, images: int, out_dir: Path) -> dict:
    """Seconds per image (warm-up excluded) and peak GPU memory over the timed images."""
    import torch

    layout = compose_layout(STORY)
    painter.paint(STORY, layout, seed=0, path=out_dir / "warmup.png")
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    seconds = []
    for seed in range(1, images + 1):
        started = time.perf_counter()
        painter.paint(STORY, layout, seed=seed, path=out_dir / f"image-{seed}.png")
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - started)
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "max_s": max(seconds), "peak_gib": peak}


def main(argv: list[str] | None = None) -> None:
    import torch

    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    tiny = args.model is None
    width, height = (int(side) for side in (args.size or ("64x64" if tiny else "768x512")).split("x"))
    with tempfile.TemporaryDirectory() as scratch:
        model = str(build_tiny_pipeline(Path(scratch) / "tiny-sd")) if tiny else args.model
        started = time.perf_counter()
        painter = DiffusersPainter.load(model, painter_options(args, tiny), width, height)
        load_s = time.perf_counter() - started
        result = measure(painter, args.images, Path(scratch))
    device = torch.cuda.get_device_name() if painter.device.startswith("cuda") else painter.device
    peak = "n/a" if result["peak_gib"] is None else f"{result['peak_gib']:.2f} GiB"
    print(f"{'tiny random pipeline' if tiny else model} on {device}, {width}x{height}, {painter.settings.steps} steps")
    print(f"load {load_s:.1f} s; median {result['median_s']:.3f} s per image over {args.images} images; peak {peak}")
    print(json.dumps({"model": "tiny" if tiny else model, "device": device, "load_s": round(load_s, 2), **result}))


if __name__ == "__main__":
    main()
