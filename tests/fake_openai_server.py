"""A local OpenAI-compatible server that answers after a fixed delay: chat completions with
a valid story (or, when the request carries a picture, YES to each numbered statement, as
a VLM judge would) and image generations with a small PNG. Used by batch tests (a real
process to SIGKILL around) and by the concurrency benchmark.

    python tests/fake_openai_server.py --delay 0.1 [--story '{"title": "..."}']    # prints "PORT <n>" when ready
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import sys
import threading
import time
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes import story_json


def completion(content: str, model: str) -> dict:
    return {
        "id": f"chatcmpl-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 200, "total_tokens": 300},
    }


STATEMENT = re.compile(r"^(\d+)\. ", re.MULTILINE)


@cache
def picture_b64(width: int = 256, height: int = 256) -> str:
    from PIL import Image

    encoded = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 200)).save(encoded, format="PNG")
    return base64.b64encode(encoded.getvalue()).decode("ascii")


def judged_statements(request: dict) -> str | None:
    """'1. YES' per numbered statement when the last message shows a picture, else None."""
    content = (request.get("messages") or [{}])[-1].get("content")
    if not isinstance(content, list) or not any(part.get("type") == "image_url" for part in content):
        return None
    text = " ".join(part.get("text", "") for part in content if part.get("type") == "text")
    return "\n".join(f"{number}. YES" for number in STATEMENT.findall(text))


def answer(path: str, request: dict, number: int, story: dict) -> dict:
    if path.endswith("/images/generations"):
        return {"created": int(time.time()), "data": [{"b64_json": picture_b64()}]}
    verdicts = judged_statements(request)
    content = verdicts if verdicts is not None else story_json(**{"title": f"Story number {number}", **story})
    return completion(content, request.get("model", "fake"))


def make_handler(delay: float, counter: dict, story: dict | None = None):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            with counter["lock"]:
                counter["requests"] += 1
                number = counter["requests"]
            time.sleep(delay)
            body = json.dumps(answer(self.path, request, number, story or {}))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            return

    return Handler


def serve(delay: float, port: int = 0, story: dict | None = None) -> tuple[ThreadingHTTPServer, dict]:
    """Start the server in a daemon thread; returns it and its request counter."""
    counter = {"requests": 0, "lock": threading.Lock()}
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(delay, counter, story))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--story", type=json.loads, default={}, help="JSON object: story fields to reply with")
    args = parser.parse_args()
    server, _ = serve(args.delay, args.port, args.story)
    print(f"PORT {server.server_address[1]}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
