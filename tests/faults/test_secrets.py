"""Secrets on disk (issue #23, item 3): a credential-like option value (a header, a query
parameter, a URL's user info or query, a key-like name in any spelling) is refused before
anything is written: no run or batch directory, and the value is in no file and no line."""

from __future__ import annotations

import json

import pytest

from tests.faults.conftest import storypainter, write_config

SECRET = "sk-live-0123456789abcdefSECRET"


def options(**values: object) -> dict:
    return {"llm_options": {key.replace("_DASH_", "-"): json.dumps(value) for key, value in values.items()}}


# case: (base_url, settings, flags, the setting the line must name)
CASES = {
    "authorization header": (None, options(default_headers={"Authorization": f"Bearer {SECRET}"}), [],
                             "llm_options.default_headers.Authorization"),
    "query key": (None, options(default_query={"key": SECRET}), [], "llm_options.default_query.key"),
    "base_url query": (f"/v1?key={SECRET}", {}, [], "llm_options.base_url"),
    "api-key spelling": (None, options(api_DASH_key=SECRET), [], "llm_options.api-key"),
    "apiKey spelling": (None, options(apiKey=SECRET), [], "llm_options.apiKey"),
    "chroma_url token": (None, {}, ["--chroma-url", f"http://127.0.0.1:8000/?token={SECRET}"], "chroma_url"),
    "chroma_url user info": (None, {}, ["--chroma-url", f"http://admin:{SECRET}@127.0.0.1:8000"], "chroma_url"),
    "painter header value": (None, {"painter_options": {"default_headers": {"X-Custom": f"Bearer {SECRET}"}}}, [],
                             "painter_options.default_headers.X-Custom"),
}


@pytest.mark.parametrize("command", ["generate", "batch"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_credential_in_the_settings_is_refused_before_anything_is_written(tmp_path, fake_server, case, command):
    base_url, settings, flags, named = CASES[case]
    server = fake_server()
    config = write_config(tmp_path, server.removesuffix("/v1") + base_url if base_url else server, max_rounds=1,
                          **settings)
    args = ["generate", "a kite"] if command == "generate" else ["batch", "--count", "1"]
    result = storypainter([*args, "--config", str(config), "--out", "out", *flags], tmp_path)
    assert result.code == 2, result.stderr[-2000:]
    line = result.one_line()
    assert named in line and ("credential" in line or "user info" in line), line
    assert SECRET not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path != config]
    assert not [path for path in written if SECRET in path.read_text(errors="replace")]


def test_a_resume_of_a_request_holding_a_credential_is_refused_and_writes_nothing(tmp_path):
    run_dir = tmp_path / "runs" / "hand-made"
    run_dir.mkdir(parents=True)
    request = {"theme": "a kite", "thread_id": "t1",
               "context": {"llm": "openai:fake", "llm_options": {"base_url": "http://127.0.0.1:9/v1",
                                                                 "default_headers": {"api_key": SECRET}}}}
    (run_dir / "request.json").write_text(json.dumps(request))
    result = storypainter(["resume", str(run_dir)], tmp_path)
    assert result.code == 2 and "llm_options.default_headers.api_key" in result.one_line()
    assert SECRET not in result.stderr
    assert sorted(path.name for path in run_dir.iterdir()) == ["request.json"]
