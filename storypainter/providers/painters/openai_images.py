"""Painter ``openai-images:<model>`` (gpt-image-1, dall-e-3, ...) over the OpenAI images API.

``base_url`` points it at any server that speaks ``POST /v1/images/generations``. Rate limits,
server errors and dropped connections are retried with bounded exponential backoff; a
content-policy refusal raises ``PainterRefused`` so that the graph revises the story. The
API takes no seed: the seed is recorded, not used.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from storypainter.errors import BackendError, ConfigError, PainterRefused
from storypainter.providers.painters.image_prompt import image_prompt
from storypainter.runs import atomic_write_bytes
from storypainter.schema import RenderedImage, SceneLayout, Story

REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
# (landscape, portrait) sizes per model family; every model has 1024x1024 for square pictures
WIDE_AND_TALL = {"dall-e-3": ("1792x1024", "1024x1792"), "dall-e-2": ("1024x1024", "1024x1024")}
DEFAULT_WIDE_AND_TALL = ("1536x1024", "1024x1536")


class ImageApiSettings(BaseModel):
    """The painter_options an images-API painter understands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    size: str | None = None
    quality: str | None = None
    max_retries: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    timeout_seconds: float = 180.0

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ImageApiSettings:
        try:
            return cls(**options)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"painter_options.{where}: {first['msg']} (openai-images painter)") from None


def api_size(model: str, width: int, height: int) -> str:
    """The model's size closest in shape to width x height."""
    if 0.8 <= width / height <= 1.25:
        return "1024x1024"
    family = next((name for name in WIDE_AND_TALL if model.startswith(name)), "")
    wide, tall = WIDE_AND_TALL.get(family, DEFAULT_WIDE_AND_TALL)
    return wide if width > height else tall


def error_message(error: Any) -> str:
    body = getattr(error, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or error).strip().splitlines()[0]


def make_client(settings: ImageApiSettings) -> Any:
    try:
        from openai import OpenAI
    except ImportError:
        raise BackendError(
            "painter 'openai-images' needs the openai package (pip install 'storypainter[openai]')"
        ) from None
    api_key = os.environ.get(settings.api_key_env) or ("not-needed" if settings.base_url else None)
    if not api_key:
        raise BackendError(f"painter 'openai-images' needs the environment variable {settings.api_key_env}")
    return OpenAI(api_key=api_key, base_url=settings.base_url, max_retries=0, timeout=settings.timeout_seconds)


def to_png(data: bytes) -> tuple[bytes, int, int]:
    """PNG bytes (converted when the API sent another format) and the picture's size."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format == "PNG":
            return data, image.width, image.height
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue(), image.width, image.height


class OpenAIImagesPainter:
    """Paints the story's prompt through the images API; the manifest stays empty (pixels only)."""

    def __init__(self, model: str, settings: ImageApiSettings, client: Any, width: int, height: int) -> None:
        self.name = f"openai-images:{model}"
        self.model = model
        self.settings = settings
        self.client = client
        self.size = settings.size or api_size(model, width, height)

    @classmethod
    def create(cls, model: str, options: dict[str, Any], width: int, height: int) -> OpenAIImagesPainter:
        settings = ImageApiSettings.from_options(options)
        return cls(model, settings, make_client(settings), width, height)

    def paint(self, story: Story, layout: SceneLayout, seed: int, path: Path) -> RenderedImage:
        """Ask the API for one picture and write it atomically to path as PNG."""
        started = time.perf_counter()
        prompt = image_prompt(story, layout)
        png, width, height = to_png(self.fetch(self.request(prompt)))
        atomic_write_bytes(Path(path), png)
        return RenderedImage(
            path=str(path),
            backend=self.name,
            seed=seed,
            prompt=prompt,
            width=width,
            height=height,
            seconds=round(time.perf_counter() - started, 4),
        )

    def arguments(self, prompt: str) -> dict[str, Any]:
        arguments: dict[str, Any] = {"model": self.model, "prompt": prompt, "n": 1, "size": self.size}
        if self.settings.quality:
            arguments["quality"] = self.settings.quality
        if self.model.startswith("dall-e"):
            arguments["response_format"] = "b64_json"
        return arguments

    def request(self, prompt: str) -> Any:
        """POST the prompt; retry 429, 5xx and connection errors with exponential backoff."""
        import openai

        retryable = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)
        for attempt in itertools.count():
            try:
                return self.client.images.generate(**self.arguments(prompt))
            except openai.BadRequestError as error:
                if error.code in REFUSAL_CODES:
                    raise PainterRefused(f"{self.name} refused the prompt: {error_message(error)}") from None
                raise BackendError(f"painter '{self.name}': {error_message(error)}") from None
            except retryable as error:
                if attempt == self.settings.max_retries:
                    tries = attempt + 1
                    raise BackendError(f"painter '{self.name}' failed {tries} times: {error_message(error)}") from None
                time.sleep(min(self.settings.backoff_seconds * 2**attempt, self.settings.max_backoff_seconds))
            except openai.APIError as error:
                raise BackendError(f"painter '{self.name}': {error_message(error)}") from None

    def fetch(self, response: Any) -> bytes:
        """The picture's bytes from a b64_json or url answer."""
        item = (response.data or [None])[0]
        if item is None:
            raise BackendError(f"painter '{self.name}': the answer holds no picture")
        if item.b64_json:
            return base64.b64decode(item.b64_json)
        if not item.url or not item.url.startswith(("https://", "http://")):
            raise BackendError(f"painter '{self.name}': the answer holds neither b64_json nor an http(s) url")
        try:
            with urllib.request.urlopen(item.url, timeout=self.settings.timeout_seconds) as download:
                return download.read()
        except OSError as error:
            raise BackendError(f"painter '{self.name}': cannot download the picture: {error}") from None
