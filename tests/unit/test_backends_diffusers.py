"""The diffusers painter on a tiny random Stable Diffusion pipeline built on disk in the test."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers", reason="needs the gpu extra (diffusers)")
pytest.importorskip("torch", reason="needs the gpu extra (torch)")

import torch

from storypainter.agent.graph import build_graph, run_config
from storypainter.errors import BackendError, ConfigError
from storypainter.layout import compose_layout
from storypainter.providers import registry
from storypainter.providers.painters.diffusers_painter import DiffusersPainter, DiffusionSettings
from storypainter.runner import start_run
from storypainter.schema import Story
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json
from tests.fixtures.tiny_diffusion import build_tiny_pipeline

WIDTH, HEIGHT = 64, 48
FAST = {"steps": 2}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    return build_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def painter(pipeline_dir):
    return DiffusersPainter.load(str(pipeline_dir), FAST, width=WIDTH, height=HEIGHT)


@pytest.fixture
def story():
    return Story.model_validate_json(story_json())


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_same_seed_same_pixels_other_seed_differs(painter, story, tmp_path):
    layout = compose_layout(story)
    first = painter.paint(story, layout, seed=5, path=tmp_path / "a.png")
    again = painter.paint(story, layout, seed=5, path=tmp_path / "b.png")
    other = painter.paint(story, layout, seed=6, path=tmp_path / "c.png")
    assert np.array_equal(pixels(first.path), pixels(again.path))
    assert not np.array_equal(pixels(first.path), pixels(other.path))
    assert (first.width, first.height) == (WIDTH, HEIGHT)
    assert pixels(first.path).shape == (HEIGHT, WIDTH, 3)
    assert first.manifest == [] and first.seed == 5 and first.backend.startswith("diffusers:")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.png", "b.png", "c.png"], "no temp files left"


def test_emphasised_entities_lead_the_prompt(painter, story, tmp_path):
    plain = painter.paint(story, compose_layout(story), seed=1, path=tmp_path / "plain.png")
    layout = compose_layout(story, emphasis=["The grandfather is worried they missed the last bus."])
    emphasised = painter.paint(story, layout, seed=1, path=tmp_path / "emphasised.png")
    assert plain.prompt == story.painter_prompt
    assert emphasised.prompt.startswith("Clearly visible:") and emphasised.prompt.endswith(story.painter_prompt)
    assert "worried" in emphasised.prompt


def test_graph_run_paints_with_the_diffusers_painter(scripted, pipeline_dir):
    context = scripted(
        ScriptedChatModel(replies=[story_json()]),
        ScriptedJudge([lambda point: "yes"]),
        painter=f"diffusers:{pipeline_dir}",
        painter_options=FAST,
        width=WIDTH,
        height=HEIGHT,
    )
    output = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    image = output["attempts"][0].image
    assert output["result"].decision_path == ["accept"]
    assert image.backend == f"diffusers:{pipeline_dir}"
    assert pixels(output["result"].image_path).shape == (HEIGHT, WIDTH, 3)


@extras.durable
def test_render_progress_streams_denoising_steps(scripted, pipeline_dir):
    context = scripted(
        ScriptedChatModel(replies=[story_json()]),
        ScriptedJudge([lambda point: "yes"]),
        painter=f"diffusers:{pipeline_dir}",
        painter_options={"steps": 3},
        width=WIDTH,
        height=HEIGHT,
    )
    out = io.StringIO()
    start_run("a rainy bus stop", context, out=out)
    steps = [line.split("render: ")[1] for line in out.getvalue().splitlines() if "render: attempt 1, step" in line]
    assert steps == ["attempt 1, step 1/3", "attempt 1, step 2/3", "attempt 1, step 3/3"]


def test_the_pipeline_loads_once_per_process(scripted, pipeline_dir):
    context = scripted(ScriptedChatModel(replies=[]), painter=f"diffusers:{pipeline_dir}", painter_options=FAST)
    first = registry.get_painter(context.painter, context.painter_options, context)
    assert registry.get_painter(context.painter, context.painter_options, context) is first


@pytest.mark.parametrize("model", ["/no/such/model-dir", "./missing-model"])
def test_missing_model_directory_is_one_clear_line(model):
    with pytest.raises(BackendError, match="model directory not found") as error:
        DiffusersPainter.load(model, {}, WIDTH, HEIGHT)
    assert "\n" not in str(error.value)


def test_directory_without_pipeline_is_one_clear_line(tmp_path):
    with pytest.raises(BackendError, match=r"no model_index\.json"):
        DiffusersPainter.load(str(tmp_path), {}, WIDTH, HEIGHT)


def test_unknown_pipeline_class_is_one_clear_line(pipeline_dir, tmp_path):
    broken = shutil.copytree(pipeline_dir, tmp_path / "broken")
    index = json.loads((broken / "model_index.json").read_text())
    (broken / "model_index.json").write_text(json.dumps(index | {"_class_name": "NoSuchPipeline"}))
    with pytest.raises(BackendError, match="cannot load the pipeline") as error:
        DiffusersPainter.load(str(broken), {}, WIDTH, HEIGHT)
    assert "\n" not in str(error.value)


def test_unknown_option_names_the_option():
    with pytest.raises(ConfigError, match=r"painter_options\.stepz"):
        DiffusionSettings.from_options({"stepz": 4})


class OutOfMemoryPipeline:
    """Raises CUDA out-of-memory until offload is on (or always), and records the calls."""

    def __init__(self, fits_with_offload: bool):
        self.fits_with_offload = fits_with_offload
        self.offloaded = False
        self.calls = 0

    def enable_model_cpu_offload(self, device=None):
        self.offloaded = True

    def __call__(self, **arguments):
        self.calls += 1
        if not (self.offloaded and self.fits_with_offload):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return type("Output", (), {"images": [Image.new("RGB", (arguments["width"], arguments["height"]))]})()


def test_out_of_memory_retries_once_with_offload(story, tmp_path):
    pipeline = OutOfMemoryPipeline(fits_with_offload=True)
    painter = DiffusersPainter("big", pipeline, DiffusionSettings(), "cuda", WIDTH, HEIGHT)
    image = painter.paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")
    assert pipeline.offloaded and pipeline.calls == 2
    assert (image.width, image.height) == (WIDTH, HEIGHT)


def test_out_of_memory_twice_is_a_clear_error(story, tmp_path):
    pipeline = OutOfMemoryPipeline(fits_with_offload=False)
    painter = DiffusersPainter("big", pipeline, DiffusionSettings(), "cuda", WIDTH, HEIGHT)
    with pytest.raises(BackendError, match=r"out of GPU memory .* even with model CPU offload"):
        painter.paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")
    assert pipeline.calls == 2
    assert not (tmp_path / "image.png").exists()
