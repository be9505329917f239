"""The images-API painter against a real HTTP server on 127.0.0.1 that speaks POST /v1/images/generations."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

pytest.importorskip("openai", reason="needs the openai extra (openai)")

from storypainter.agent.graph import build_graph, run_config
from storypainter.errors import BackendError, PainterRefused
from storypainter.layout import compose_layout
from storypainter.providers.painters.openai_images import OpenAIImagesPainter, api_size
from storypainter.schema import Story
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

FAST_RETRIES = {"max_retries": 3, "backoff_seconds": 0.001, "max_backoff_seconds": 0.002}
REFUSED = "Your request was rejected by the safety system."
REFUSAL = (400, {"error": {"message": REFUSED, "type": "image_generation_user_error", "code": "moderation_blocked"}})
RATE_LIMITED = (429, {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})
SERVER_ERROR = (500, {"error": {"message": "The server had an error", "type": "server_error", "code": None}})


def png_b64(width=96, height=64, color=(200, 40, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def success(item: dict | None = None) -> tuple[int, dict]:
    return 200, {"created": 1, "data": [item or {"b64_json": png_b64()}]}


class ImagesServer:
    """Answers each POST with the next scripted (status, body) and keeps the request bodies."""

    def __init__(self, answers: list[tuple[int, dict]]):
        self.answers = answers
        self.requests: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
                status, body = server.answers[min(len(server.requests), len(server.answers)) - 1]
                self.reply(status, json.dumps(body).encode(), "application/json")

            def do_GET(self):
                self.reply(200, base64.b64decode(png_b64(40, 30)), "image/png")

            def reply(self, status, payload, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def story():
    return Story.model_validate_json(story_json())


def painter_for(server: ImagesServer, model="gpt-image-1", **options) -> OpenAIImagesPainter:
    return OpenAIImagesPainter.create(model, {"base_url": server.base_url, **FAST_RETRIES, **options}, 768, 512)


def test_success_writes_the_png_and_sends_size_and_quality(story, tmp_path):
    with ImagesServer([success()]) as server:
        painter = painter_for(server, quality="low")
        image = painter.paint(story, compose_layout(story), seed=3, path=tmp_path / "image.png")
    request = server.requests[0]
    assert request["path"] == "/v1/images/generations"
    assert request["body"]["model"] == "gpt-image-1" and request["body"]["prompt"] == story.painter_prompt
    assert request["body"]["size"] == "1536x1024" and request["body"]["quality"] == "low"
    assert (image.width, image.height, image.seed, image.manifest) == (96, 64, 3, [])
    with Image.open(image.path) as written:
        assert written.format == "PNG" and written.size == (96, 64)


def test_url_answers_are_downloaded(story, tmp_path):
    with ImagesServer([]) as server:
        server.answers.append(success({"url": f"{server.base_url}/files/picture.png"}))
        image = painter_for(server, model="dall-e-3").paint(story, compose_layout(story), 0, tmp_path / "i.png")
    assert server.requests[0]["body"]["response_format"] == "b64_json"
    assert (image.width, image.height) == (40, 30)


def test_content_policy_refusal_raises_painter_refused(story, tmp_path):
    with ImagesServer([REFUSAL]) as server, pytest.raises(PainterRefused, match="rejected by the safety system"):
        painter_for(server).paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")
    assert len(server.requests) == 1, "a refusal is never retried"
    assert not (tmp_path / "image.png").exists()


def test_rate_limit_and_server_error_are_retried(story, tmp_path):
    with ImagesServer([RATE_LIMITED, SERVER_ERROR, success()]) as server:
        image = painter_for(server).paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")
    assert len(server.requests) == 3
    assert (tmp_path / "image.png").is_file() and image.width == 96


def test_retries_are_bounded(story, tmp_path):
    with ImagesServer([RATE_LIMITED]) as server, pytest.raises(BackendError, match="failed 3 times: Rate limit"):
        painter_for(server, max_retries=2).paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")
    assert len(server.requests) == 3


def test_refusal_in_a_graph_run_routes_to_revise_story(scripted):
    with ImagesServer([REFUSAL, success()]) as server:
        model = ScriptedChatModel(replies=[story_json(), story_json(title="A Dry Bus Stop")])
        context = scripted(
            model,
            ScriptedJudge([lambda point: "yes"]),
            painter="openai-images:gpt-image-1",
            painter_options={"base_url": server.base_url, **FAST_RETRIES},
        )
        output = build_graph().invoke({"theme": "a rainy bus stop"}, context=context, config=run_config(context))
    assert output["result"].decision_path == ["revise_story", "accept"]
    assert "rejected by the safety system" in model.prompts[1][-1].content


@pytest.mark.parametrize(
    ("model", "width", "height", "size"),
    [
        ("gpt-image-1", 768, 512, "1536x1024"),
        ("gpt-image-1", 512, 768, "1024x1536"),
        ("dall-e-3", 768, 512, "1792x1024"),
        ("dall-e-3", 512, 512, "1024x1024"),
    ],
)
def test_size_follows_the_picture_shape(model, width, height, size):
    assert api_size(model, width, height) == size


@pytest.mark.parametrize("item", [{"url": "file:///etc/passwd"}, {"revised_prompt": "a bus stop"}])
def test_answers_without_a_picture_or_with_a_local_url_are_refused(item, story, tmp_path):
    with ImagesServer([success(item)]) as server, pytest.raises(BackendError, match="neither b64_json nor an http"):
        painter_for(server).paint(story, compose_layout(story), seed=0, path=tmp_path / "image.png")
