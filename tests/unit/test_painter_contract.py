"""One contract, every painter (as diffusers' PipelineTesterMixin does for pipelines): given a
story and its layout, a painter writes a picture of the asked size at ``path``, reports what it
drew as a ``RenderedImage`` and, where it can, gives the same picture for the same seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from storypainter.layout import compose_layout
from storypainter.providers.protocols import Painter
from storypainter.schema import RenderedImage, Story
from tests.fakes import story_json

WIDTH, HEIGHT = 64, 48


@pytest.fixture(scope="class")
def painter(request, tmp_path_factory):
    """The painter under test, built once per contract class by its ``make_painter``."""
    return request.cls().make_painter(tmp_path_factory)


class PainterContract:
    """Subclasses provide ``make_painter(tmp_path_factory)``; ``deterministic`` when seeds repeat pictures
    (an images API does not promise it)."""

    deterministic = True
    backend = ""

    @pytest.fixture
    def story(self) -> Story:
        return Story.model_validate_json(story_json())

    def paint(self, painter, story: Story, path: Path, seed: int = 3) -> RenderedImage:
        return painter.paint(story, compose_layout(story, seed=seed), seed=seed, path=path)

    def test_is_a_painter(self, painter):
        assert isinstance(painter, Painter)

    def test_writes_the_picture_it_reports(self, painter, story, tmp_path):
        image = self.paint(painter, story, tmp_path / "image.png")
        assert Path(image.path) == tmp_path / "image.png" and image.backend.startswith(self.backend)
        with Image.open(image.path) as picture:
            assert picture.size == (image.width, image.height)
        assert image.seed == 3 and image.prompt and image.seconds >= 0

    def test_the_same_seed_gives_the_same_picture(self, painter, story, tmp_path):
        first = self.paint(painter, story, tmp_path / "a.png")
        second = self.paint(painter, story, tmp_path / "b.png")
        same = Path(first.path).read_bytes() == Path(second.path).read_bytes()
        assert same or not self.deterministic, "a deterministic painter repeats its picture for a seed"
        assert second.seed == first.seed


class TestStoryboardPainter(PainterContract):
    backend = "storyboard"

    def make_painter(self, tmp_path_factory):
        from storypainter.providers.painters.storyboard import StoryboardPainter

        return StoryboardPainter(width=WIDTH * 4, height=HEIGHT * 4)

    def test_reports_every_drawn_thing(self, painter, story, tmp_path):
        image = self.paint(painter, story, tmp_path / "image.png")
        assert {item.kind for item in image.manifest} >= {"person", "sign"}


class TestDiffusersPainter(PainterContract):
    backend = "diffusers"

    def make_painter(self, tmp_path_factory):
        pytest.importorskip("diffusers", reason="needs the gpu extra")
        import torch

        from storypainter.providers.painters.diffusers_painter import DiffusersPainter
        from tests.fixtures.tiny_diffusion import build_tiny_pipeline

        torch.set_num_threads(1)
        directory = build_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))
        return DiffusersPainter.load(str(directory), {"steps": 2}, width=WIDTH, height=HEIGHT)


class TestImagesApiPainter(PainterContract):
    backend = "openai-images"
    deterministic = False

    def make_painter(self, tmp_path_factory):
        pytest.importorskip("openai", reason="needs the openai extra")
        from storypainter.providers.painters.openai_images import OpenAIImagesPainter
        from tests.unit.test_backends_openai_images import FAST_RETRIES, ImagesServer, success

        server = ImagesServer([success()]).__enter__()  # a real HTTP server on 127.0.0.1 for this class's tests
        return OpenAIImagesPainter.create("gpt-image-1", {"base_url": server.base_url, **FAST_RETRIES},
                                          width=WIDTH, height=HEIGHT)
