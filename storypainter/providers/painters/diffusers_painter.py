"""Painter ``diffusers:<hub id or local directory>``: any diffusers text-to-image pipeline
(Stable Diffusion, SDXL, FLUX, ...) loaded with ``AutoPipelineForText2Image``.

The pipeline loads once per process (the registry caches this painter) on the best device
(cuda, mps, cpu) in bf16/fp16 on a GPU and fp32 on the CPU. Same seed, same pixels: the
noise comes from a CPU ``torch.Generator``. Concurrent runs (batch) take turns on the
pipeline. On CUDA out-of-memory the painter retries once with model CPU offload, then
fails with a clear ``BackendError``.
"""

from __future__ import annotations

import gc
import inspect
import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from storypainter.errors import BackendError, ConfigError
from storypainter.providers.painters.image_prompt import image_prompt
from storypainter.runs import atomic_write_bytes
from storypainter.schema import RenderedImage, SceneLayout, Story

PATH_PREFIXES = ("/", "./", "../", "~", ".\\")


class DiffusionSettings(BaseModel):
    """The painter_options a diffusers painter understands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: int = 30
    guidance: float | None = None
    negative_prompt: str = ""
    device: str = "auto"
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    variant: str | None = None
    enable_model_cpu_offload: bool = False
    enable_attention_slicing: bool = False

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> DiffusionSettings:
        try:
            return cls(**options)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"painter_options.{where}: {first['msg']} (diffusers painter)") from None


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def model_source(model: str) -> str:
    """A local directory (must hold a pipeline) or a hub id, as given."""
    path = Path(model).expanduser()
    if not path.exists() and not model.startswith(PATH_PREFIXES):
        return model
    if not path.is_dir():
        raise BackendError(f"painter 'diffusers:{model}': model directory not found: {path}")
    if not (path / "model_index.json").is_file():
        raise BackendError(f"painter 'diffusers:{model}': {path} holds no diffusers pipeline (no model_index.json)")
    return str(path)


def pick_device(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(requested: str, device: str) -> Any:
    """bf16 on a CUDA GPU that has it, else fp16 on a GPU; fp32 on the CPU."""
    import torch

    if requested != "auto":
        return getattr(torch, requested)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float16 if device == "mps" else torch.float32


def load_pipeline(model: str, settings: DiffusionSettings, device: str) -> Any:
    """Load the pipeline and put it on the device; any failure is one clear line."""
    source = model_source(model)
    try:
        from diffusers import AutoPipelineForText2Image
    except ImportError:
        raise BackendError(f"painter 'diffusers:{model}' needs diffusers (pip install 'storypainter[gpu]')") from None
    dtype = pick_dtype(settings.dtype, device)
    try:
        pipeline = AutoPipelineForText2Image.from_pretrained(source, dtype=dtype, variant=settings.variant)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackendError(f"painter 'diffusers:{model}': cannot load the pipeline: {first_line(error)}") from None
    pipeline.set_progress_bar_config(disable=True)
    if settings.enable_attention_slicing:
        pipeline.enable_attention_slicing()
    if settings.enable_model_cpu_offload and device != "cpu":
        enable_offload(pipeline, device, model)
    else:
        pipeline.to(device)
    return pipeline


def enable_offload(pipeline: Any, device: str, model: str) -> None:
    """Keep the pipeline's models on the CPU and move each to the device only while it runs."""
    try:
        pipeline.enable_model_cpu_offload(device=device)
    except (ImportError, RuntimeError, ValueError) as error:
        raise BackendError(f"painter 'diffusers:{model}': model CPU offload failed: {first_line(error)}") from None


def png_bytes(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


Progress = Callable[[int, int], None]
PROGRESS_REPORTS = 10  # at most this many reports per image, however many steps


def step_reporter(progress: Progress, steps: int) -> Callable[..., dict]:
    """A diffusers ``callback_on_step_end`` that reports every tenth or so of the steps, and the last."""
    every = max(1, steps // PROGRESS_REPORTS)

    def on_step_end(pipeline: Any, step: int, timestep: Any, tensors: dict) -> dict:
        if (step + 1) % every == 0 or step + 1 == steps:
            progress(step + 1, steps)
        return tensors

    return on_step_end


class DiffusersPainter:
    """Paints the story's prompt with a diffusers pipeline; the manifest stays empty (pixels only).

    With ``progress``, ``paint`` reports (step, steps) as denoising goes (the graph streams
    them as custom ``render`` events).
    """

    reports_progress: ClassVar[bool] = True

    def __init__(
        self, model: str, pipeline: Any, settings: DiffusionSettings, device: str, width: int, height: int
    ) -> None:
        self.model = model
        self.name = f"diffusers:{model}"
        self.pipeline = pipeline
        self.settings = settings
        self.device = device
        self.width = width
        self.height = height
        self.offloaded = settings.enable_model_cpu_offload and device != "cpu"
        self.steps_reportable = "callback_on_step_end" in inspect.signature(pipeline.__call__).parameters
        self.lock = threading.Lock()  # a pipeline (its scheduler) serves one image at a time

    @classmethod
    def load(cls, model: str, options: dict[str, Any], width: int, height: int) -> DiffusersPainter:
        settings = DiffusionSettings.from_options(options)
        device = pick_device(settings.device)
        return cls(model, load_pipeline(model, settings, device), settings, device, width, height)

    def paint(self, story: Story, layout: SceneLayout, seed: int, path: Path,
              progress: Progress | None = None) -> RenderedImage:
        """Render the prompt with this seed and write the PNG atomically to path."""
        started = time.perf_counter()
        prompt = image_prompt(story, layout)
        with self.lock:
            image = self.generate(prompt, seed, progress)
        atomic_write_bytes(Path(path), png_bytes(image))
        return RenderedImage(
            path=str(path),
            backend=self.name,
            seed=seed,
            prompt=prompt,
            width=image.width,
            height=image.height,
            seconds=round(time.perf_counter() - started, 4),
        )

    def generate(self, prompt: str, seed: int, progress: Progress | None = None) -> Any:
        """One image; on out-of-memory, one more try with model CPU offload."""
        import torch

        try:
            return self._run(prompt, seed, progress)
        except torch.OutOfMemoryError:
            if self.offloaded:
                raise BackendError(self._out_of_memory()) from None
        self._offload()
        try:
            return self._run(prompt, seed, progress)
        except torch.OutOfMemoryError:
            raise BackendError(self._out_of_memory()) from None

    def _run(self, prompt: str, seed: int, progress: Progress | None) -> Any:
        import torch

        arguments: dict[str, Any] = {
            "prompt": prompt,
            "width": self.width,
            "height": self.height,
            "num_inference_steps": self.settings.steps,
            "generator": torch.Generator("cpu").manual_seed(seed),
        }
        if self.settings.guidance is not None:
            arguments["guidance_scale"] = self.settings.guidance
        if self.settings.negative_prompt:
            arguments["negative_prompt"] = self.settings.negative_prompt
        if progress is not None and self.steps_reportable:
            arguments["callback_on_step_end"] = step_reporter(progress, self.settings.steps)
        try:
            return self.pipeline(**arguments).images[0]
        except (ValueError, TypeError) as error:
            raise BackendError(f"painter '{self.name}': {first_line(error)}") from None

    def _offload(self) -> None:
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        enable_offload(self.pipeline, self.device, self.model)
        self.offloaded = True

    def _out_of_memory(self) -> str:
        return (
            f"painter '{self.name}': out of GPU memory at {self.width}x{self.height} even with model CPU offload; "
            "lower width/height, use a smaller model or free the GPU"
        )
