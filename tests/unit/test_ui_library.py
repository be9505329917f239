"""What the web page reads of an output directory (storypainter/ui/library.py): run and batch cards,
attempts with their chains' marks, and the one check that a requested path stays inside."""

from __future__ import annotations

import json
from pathlib import Path

from storypainter.ui.library import chain_views, detail, list_entries, run_summary, within


def write(path: Path, value) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


def make_run(root: Path, name: str, theme: str = "a rainy bus stop", **files) -> Path:
    run_dir = root / name
    write(run_dir / "request.json", {"theme": theme, "context": {}, "thread_id": "t"})
    write(run_dir / "manifest.json", files.pop("manifest", {"status": "running", "started": "2026-12-07T17:00:00"}))
    for relative, value in files.items():
        write(run_dir / relative.replace("__", "/"), value)
    return run_dir


STORY = {"title": "Last Bus", "description": "An old man waits.", "cors": [
    {"dimension": "time", "clues": ["LAST BUS 23:10 sign", "dark sky"], "conclusion": "it is late"},
    {"dimension": "event", "clues": ["trophy"], "conclusion": "she won"},
]}
CRITIQUE = {"score": 0.7, "decision": {"action": "accept", "reasons": ["ok"]}, "report": {"verdicts": [
    {"key_point": {"category": "time", "text": "It is late.", "clue": "LAST BUS 23:10 sign + dark sky"},
     "answer": "yes", "judge": "layout", "level": "layout", "evidence": "drawn"},
    {"key_point": {"category": "time", "text": "The sign reads X.", "clue": "trophy"},
     "answer": "no", "judge": "ocr", "level": "ocr", "evidence": "missing"},
]}}


def test_within_refuses_every_way_out_of_the_output_directory(tmp_path):
    root = (tmp_path / "runs").resolve()
    make_run(root, "r1")
    (tmp_path / "secret.png").write_bytes(b"secret")
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    assert within(root, "r1/request.json") == root / "r1" / "request.json"
    for escape in ("../secret.png", "r1/../../secret.png", str(tmp_path / "secret.png"), "link.png", "", ".",
                   "r1/\0x"):
        assert within(root, escape) is None, escape


def test_a_finished_run_shows_its_pick_score_and_picture(tmp_path):
    root = tmp_path.resolve()
    run_dir = make_run(root, "r1", **{"attempts__01__story.json": STORY, "attempts__01__critique.json": CRITIQUE})
    (run_dir / "attempts/01/image.png").write_bytes(b"png")
    write(run_dir / "result.json", {"why": "accepted after 1 attempt(s)\nmore", "score": 0.7,
                                    "image_path": str(run_dir / "attempts/01/image.png")})
    card = run_summary(root, run_dir)
    assert card | {"started": ""} == {
        "kind": "run", "path": "r1", "theme": "a rainy bus stop", "status": "finished",
        "reason": "accepted after 1 attempt(s)", "score": 0.7, "attempts": 1, "started": "",
        "thumbnail": "r1/attempts/01/image.png"}


def test_a_failed_run_shows_its_one_line_reason_and_a_broken_file_names_itself(tmp_path):
    root = tmp_path.resolve()
    failed = make_run(root, "failed", manifest={"status": "failed", "error": "storyteller: no valid story\ntrace"})
    broken = make_run(root, "broken", manifest="{not json")
    assert (run_summary(root, failed)["status"], run_summary(root, failed)["reason"]) == (
        "failed", "storyteller: no valid story")
    card = run_summary(root, broken)
    assert card["status"] == "unknown" and card["reason"].startswith("unreadable manifest.json")


def test_chains_carry_the_critics_verdict_and_any_per_chain_marks(tmp_path):
    def marks(critique):
        return [chain["marks"] for chain in chain_views(STORY, critique)]

    plain = chain_views(STORY, CRITIQUE)
    assert [chain["verdict"]["answer"] if chain["verdict"] else None for chain in plain] == ["yes", None]
    assert marks(CRITIQUE) == [{}, {}]
    judged = CRITIQUE | {"check": {"chains": [  # the coherence judge's marks, matched by the chain's text
        {"chain": "trophy -> she won", "coherence": 0.2, "coherent": False, "reason": "weak"},
        {"chain": "LAST BUS 23:10 sign + dark sky -> it is late", "coherence": 0.9, "coherent": True}]}}
    assert marks(judged) == [{"coherence": 0.9}, {"coherence": 0.2}]
    assert [(chain["flag"], chain["note"]) for chain in chain_views(STORY, judged)] == [(True, ""), (False, "weak")]
    listed = CRITIQUE | {"report": CRITIQUE["report"] | {"chain_coherence": [0.5, 1]}}
    assert marks(listed) == [{"coherence": 0.5}, {"coherence": 1.0}]
    assert marks({"chains": [0.5]}) == [{}, {}]  # neither one per chain nor named: left out
    assert marks({"check": {"chains": None}}) == [{}, {}]


def test_a_file_linked_from_outside_is_not_read(tmp_path):
    root = (tmp_path / "runs").resolve()
    run_dir = make_run(root, "r1")
    write(tmp_path / "elsewhere.json", {"status": "failed", "error": "a secret"})
    (run_dir / "manifest.json").unlink()
    (run_dir / "manifest.json").symlink_to(tmp_path / "elsewhere.json")
    card = run_summary(root, run_dir)
    assert (card["status"], card["reason"]) == ("unknown", "manifest.json leads out of the output directory; not read")
    make_run(tmp_path, "outside")
    (root / "linked").symlink_to(tmp_path / "outside")
    assert [entry["path"] for entry in list_entries(root)] == ["r1"]


def test_a_batch_shows_its_items_and_progress(tmp_path):
    root = tmp_path.resolve()
    batch = root / "job"
    write(batch / "batch.json", {"items": [{"index": 0, "theme": "a"}, {"index": 1, "theme": "b"},
                                           {"index": 2, "theme": "c"}]})
    make_run(batch / "items", "0000", theme="a")
    write(batch / "items/0000/result.json", {"why": "ok", "score": 0.5})
    make_run(batch / "items", "0001", theme="b", manifest={"status": "failed", "error": "boom"})
    card = detail(root, "job")
    assert card["progress"] == {"finished": 1, "failed": 1, "total": 3} and card["status"] == "running"
    assert [item["status"] for item in card["items"]] == ["finished", "failed", "not started"]
    assert [entry["path"] for entry in list_entries(root)] == ["job"]
    assert detail(root, "job/items/0001")["reason"] == "boom"
    assert detail(root, "../") is None and detail(root, "job/items") is None


def test_a_run_opens_to_its_attempts_in_order(tmp_path):
    root = tmp_path.resolve()
    make_run(root, "r1", **{"attempts__01__story.json": STORY, "attempts__02__story.json": STORY | {"title": "B"},
                             "attempts__02__critique.json": "[]", "attempts__02__review_story.json":
                             {"stage": "story", "action": "reject", "feedback": "darker"}})
    views = detail(root, "r1")["attempt_views"]
    assert [(view["number"], view["story"]["title"]) for view in views] == [(1, "Last Bus"), (2, "B")]
    assert views[1]["reviews"] == {"story": {"stage": "story", "action": "reject", "feedback": "darker"}}
    assert views[1]["problems"] == ["malformed critique.json: expected a JSON object, got list"]
    assert views[0]["picture"] is None
