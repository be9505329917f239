"""Issue #23, item 8: a sign the painter cannot draw legibly (Arabic, Hebrew, emoji: boxes in the
storyboard's font) counts as missing: alignment stays under 1.00 and the story is never accepted on it."""

from __future__ import annotations

import json

import pytest

from tests.faults.conftest import only_run, storypainter, write_config

pytest.importorskip("rapidocr_onnxruntime", reason="needs the ocr extra")


@pytest.mark.parametrize("sign", ["\u0645\u0648\u0642\u0641 \u0627\u0644\u062d\u0627\u0641\u0644\u0629",
                                  "\u05ea\u05d7\u05e0\u05ea \u05d0\u05d5\u05d8\u05d5\u05d1\u05d5\u05e1",
                                  "\U0001f68c\u2615"], ids=["arabic", "hebrew", "emoji"])
def test_an_unreadable_sign_is_missing_and_never_accepted(tmp_path, fake_server, sign):
    story = {"visible_text": [{"text": sign, "on": "bus stop sign"}]}
    config = write_config(tmp_path, fake_server(story=story), max_rounds=2, visible_text_check=True)
    result = storypainter(["generate", "a bus stop", "--config", str(config), "--out", "runs"], tmp_path)
    assert result.code == 0, result.stderr
    run_dir = only_run(tmp_path / "runs")
    for number in (1, 2):
        critique = json.loads((run_dir / f"attempts/{number:02d}/critique.json").read_text())
        assert [entry["status"] for entry in critique["visible_text"]] == ["missing"]
        assert critique["report"]["overall"] < 1.0
        assert critique["decision"]["action"] != "accept"
    assert json.loads((run_dir / "result.json").read_text())["decision_path"] == ["rerender", "stop"]
    assert "text 0/1 legible" in result.stderr and "missing" in result.stdout
