"""The web page in a real Chromium, served by a LangGraph server whose graph has scripted storytellers:
generate and watch, review (approve, reject), browse, escaping, failures, and the output-directory
fence. Screenshots go to $STORYPAINTER_UI_SHOTS (docs/ui when refreshing the README's pictures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storypainter.batch import run_batch
from storypainter.errors import StorypainterError
from storypainter.runner import start_run
from tests.browser.server_graph import XSS_TITLE
from tests.extras import needs
from tests.fakes import ScriptedChatModel, story_json

FLOW = ["planner", "retriever", "storyteller", "painter", "critic", "finish"]
TITLE = json.loads(story_json())["title"]


def open_generate(page, server, theme: str, llm: str = "scripted:story", review: bool = False,
                  read_text: bool = False) -> None:
    """The page with its settings form filled in for a scripted, fast run."""
    page.goto(f"{server.url}/ui")
    page.wait_for_selector("#setting-llm", state="attached")
    page.click("#settings summary")
    page.fill("#theme", theme)
    for name, value in {"llm": llm, "embeddings": "hash", "memory_dir": str(server.memory), "width": "512",
                        "height": "352"}.items():
        page.fill(f"#setting-{name}", value)
    page.set_checked("#setting-visible_text_check", read_text)
    if page.locator("#setting-coherence").count():  # a learned judge is not what these tests are about
        page.fill("#setting-coherence", "off")
    page.set_checked("#setting-review", review)


def progress(page) -> list[dict[str, str]]:
    """The progress lines as shown: round, node, seconds, detail."""
    cells = page.eval_on_selector_all(
        "#progress li", "lines => lines.map(li => [...li.children].map(s => s.textContent))")
    return [dict(zip(("round", "node", "seconds", "detail"), line, strict=True)) for line in cells]


def nodes(page) -> list[str]:
    return [line["node"] for line in progress(page) if line["node"]]


def details(page) -> str:
    return "\n".join(line["detail"] for line in progress(page))


def wait_finished(page) -> str:
    """The outcome line once the run finished; on a timeout, what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # dev extra; its absence: conftest's line

    try:
        page.wait_for_selector('#outcome[data-status="finished"]')
    except PlaywrightTimeout:
        shown = "\n".join(" ".join(line.values()) for line in progress(page))
        pytest.fail(f"the run did not finish: {page.inner_text('#outcome')!r}; review shown: "
                    f"{page.is_visible('#review')}; progress:\n{shown}", pytrace=False)
    return page.inner_text("#outcome")


@needs("ocr", "rapidocr_onnxruntime", "the visible text read back")
def test_generate_shows_progress_tokens_picture_and_decision(page, ui_server, shots, capsys):
    open_generate(page, ui_server, "a rainy bus stop", read_text=True)
    page.click("#start")
    outcome = wait_finished(page)
    assert outcome.startswith("finished: best attempt 01")
    assert nodes(page) == FLOW
    assert all(line["round"] == "round 1" for line in progress(page)[2:]), progress(page)
    assert TITLE in page.text_content("#tokens"), "the storyteller's tokens as they streamed"
    card = page.locator('#attempts [data-attempt="1"]')
    assert card.locator(".story-title").inner_text() == TITLE
    assert card.locator(".picture img").evaluate("img => img.complete && img.naturalWidth") == 512
    critic = next(line for line in progress(page) if line["node"] == "critic")
    action = critic["detail"].split("-> ")[1].split()[0]
    assert card.locator(".decision strong").inner_text() == action
    assert set(card.locator("td.level").all_inner_texts()) == {"layout", "ocr"}
    assert "legible" in critic["detail"]
    written, _, status, _, _ = card.locator("table.texts tbody tr").first.locator("td").all_inner_texts()
    assert written == "LAST BUS 23:10" and status in ("found", "garbled", "missing")
    assert card.locator(".chains .mark").count() >= 1, "chains carry the critic's marks"
    page.click("#settings summary")  # folded, so the picture shows what is watched
    page.screenshot(path=str(shots / "generate.png"), full_page=True)
    measure_latency(page, ui_server, capsys)


def measure_latency(page, server, capsys) -> None:
    """Print (not assert) the page's first paint and the first progress line's delay after its server event."""
    paint = page.evaluate("Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]))")
    timings = page.evaluate("window.uiTimings")
    run_dir = Path(page.inner_text("#run-name"))
    planned = (run_dir / "request.json").stat().st_mtime * 1000  # the planner's last write, just before its event
    figures = {
        "first_contentful_paint_ms": round(paint.get("first-contentful-paint", -1), 1),
        "first_line_after_planner_write_ms": round(timings["firstLineWall"] - planned, 1),
        "first_line_after_its_event_received_ms": round(timings["firstLineAt"] - timings["firstEventAt"], 1),
        "first_line_painted_after_event_ms": round(timings["firstLinePaintedAt"] - timings["firstEventAt"], 1),
        "first_line_after_click_ms": round(timings["firstLineAt"] - timings["submitAt"], 1),
        "first_token_after_click_ms": round(timings["firstTokenAt"] - timings["submitAt"], 1),
    }
    with capsys.disabled():
        print(f"\nui latency: {json.dumps(figures)}")


def test_approving_a_review_lets_the_run_continue(page, ui_server, shots):
    open_generate(page, ui_server, "a bus stop at night", review=True)
    page.click("#start")
    page.wait_for_selector("#review-approve")
    assert page.inner_text("#review .story-title") == TITLE
    page.click("#settings summary")
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    page.click("#review-approve")
    page.wait_for_selector("#review-accept")
    assert "critic says" in page.inner_text("#review")
    page.click("#review-accept")
    wait_finished(page)
    assert "reviewer: approve" in details(page) and "reviewer: accept" in details(page)
    assert nodes(page)[-4:] == ["painter", "critic", "review_decision", "finish"]


def test_rejecting_a_review_sends_the_story_back_and_the_run_continues(page, ui_server):
    open_generate(page, ui_server, "the last bus in the rain", review=True)
    page.click("#start")
    page.wait_for_selector("#review-reject")
    page.fill("#review-feedback", "make the night darker")
    page.click("#review-reject")
    page.wait_for_selector("#review-approve")
    assert "attempt 02" in page.inner_text("#review h3")
    assert "reviewer: reject (make the night darker)" in details(page)
    page.click("#review-approve")
    page.click("#review-accept")
    outcome = wait_finished(page)
    assert nodes(page).count("storyteller") == 2 and outcome.startswith("finished: best attempt 02")
    assert page.locator("#attempts .attempt").count() == 2


def test_a_review_left_waiting_is_answered_after_a_reload(page, ui_server):
    open_generate(page, ui_server, "a bus stop before dawn", review=True)
    page.click("#start")
    page.wait_for_selector("#review-approve")
    page.goto(f"{ui_server.url}/ui#browse")
    card = page.locator(".card", has_text="a bus stop before dawn")
    assert card.locator(".badge.waiting").inner_text() == "waiting for review"
    page.goto(f"{ui_server.url}/ui")
    page.click('#paused-list a:has-text("a bus stop before dawn")')
    page.wait_for_selector("#review-approve")
    assert "attempt 01" in page.inner_text("#review h3")
    assert page.inner_text('#attempts [data-attempt="1"] .story-title') == TITLE
    page.click("#review-approve")
    page.click("#review-accept")
    assert wait_finished(page).startswith("finished: best attempt 01")
    assert page.locator("#paused-list li", has_text="a bus stop before dawn").count() == 0


def test_an_edited_story_is_the_one_painted(page, ui_server):
    open_generate(page, ui_server, "a rainy night at the bus stop", review=True)
    page.click("#start")
    page.wait_for_selector("#review-approve")
    page.click("#review summary")
    story = json.loads(page.input_value("#review-story")) | {"title": "The Baker's Last Loaf"}
    page.fill("#review-story", json.dumps(story))
    page.click("#review-edit")
    page.click("#review-accept")
    wait_finished(page)
    assert "reviewer: edit" in details(page)
    assert page.inner_text('#attempts [data-attempt="1"] .story-title') == "The Baker's Last Loaf"


def test_a_story_titled_with_a_script_renders_as_text(page, ui_server):
    theme = '<img src=x onerror="window.__xss = 2">'
    open_generate(page, ui_server, theme, llm="scripted:xss")
    page.click("#start")
    wait_finished(page)
    assert page.locator('#attempts [data-attempt="1"] .story-title').inner_text() == XSS_TITLE
    assert XSS_TITLE in page.text_content("#tokens")
    page.goto(f"{ui_server.url}/ui#browse")
    card = page.locator(".card", has_text=theme).first
    assert card.locator(".theme").inner_text() == theme
    card.click()
    page.wait_for_selector("#detail-attempts .attempt")
    assert page.inner_text("#detail-attempts .story-title") == XSS_TITLE
    # Story text made no element: one script (the page's own), no <img src=x>, nothing ran.
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate("window.__xss") is None


def test_a_failing_run_shows_its_one_line_reason_live_and_in_the_gallery(page, ui_server, scripted):
    open_generate(page, ui_server, "a broken storyteller", llm="scripted:broken")
    page.click("#start")
    page.wait_for_selector('#outcome[data-status="failed"]')
    manifest = json.loads((Path(page.inner_text("#run-name")) / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert page.inner_text("#outcome") == f"failed: {manifest['error']}" and "\n" not in manifest["error"]

    context = scripted(ScriptedChatModel(replies=["not a story"] * 10), out_dir=str(ui_server.out))
    with pytest.raises(StorypainterError) as failure:
        start_run("a failed gallery run", context, out=None)
    page.goto(f"{ui_server.url}/ui#browse")
    card = page.locator(".card", has_text="a failed gallery run")
    assert card.locator(".badge").inner_text() == "failed"
    assert card.locator(".reason").inner_text() == str(failure.value).splitlines()[0]


def test_a_finished_run_opens_from_the_gallery_with_its_attempts(page, ui_server, scripted, shots):
    context = scripted(ScriptedChatModel(replies=[story_json()] * 10), out_dir=str(ui_server.out))
    values = start_run("a gallery bus stop", context, out=None)
    run_name = Path(values["result"].run_dir).name
    page.goto(f"{ui_server.url}/ui#browse")
    page.wait_for_selector(f'.card[data-path="{run_name}"] img')
    page.fill("#filter", "gallery bus")
    assert page.locator("#gallery .card").count() == 1
    page.fill("#filter", "")
    page.screenshot(path=str(shots / "gallery.png"), full_page=True)
    page.click(f'.card[data-path="{run_name}"]')
    page.wait_for_selector("#detail-attempts .attempt .picture img")
    assert page.inner_text("#detail-title") == "a gallery bus stop"
    assert page.inner_text("#detail-status").startswith("finished")
    attempt = page.locator("#detail-attempts .attempt").first
    assert attempt.locator(".story-title").inner_text() == TITLE
    assert attempt.locator(".chains li").count() == len(json.loads(story_json())["cors"])


def test_a_batch_shows_its_items_and_progress(page, ui_server, scripted):
    context = scripted(ScriptedChatModel(replies=[story_json()] * 20), out_dir=str(ui_server.out))
    themes = ["a batch bus stop", "a rainy batch bus stop"]
    run_batch(ui_server.out / "kites", themes, context, out=None, workers="threads")
    page.goto(f"{ui_server.url}/ui#browse")
    card = page.locator('.card[data-path="kites"]')
    assert card.locator(".theme").inner_text() == f"batch: {'; '.join(themes)}"
    assert "2/2 finished" in card.inner_text()
    card.click()
    page.wait_for_selector("#detail-items .card")
    assert page.locator("#detail-items .card .theme").all_inner_texts() == themes
    page.click('#detail-items .card[data-path="kites/items/0001"]')
    page.wait_for_selector("#detail-attempts .attempt")
    assert page.inner_text("#detail-title") == themes[1]


def test_a_chains_coherence_marks_show_beside_it(page, ui_server):
    """Whatever per-chain marks critique.json holds (here the coherence judge's check.chains) are shown."""
    story = json.loads(story_json())
    chains = [{"chain": " + ".join(cor["clues"]) + " -> " + cor["conclusion"], "dimension": cor["dimension"],
               "coherence": 0.25 if number == 0 else 0.875, "coherent": number != 0, "reason": f"reason {number}"}
              for number, cor in enumerate(story["cors"])]
    attempt = ui_server.out / "20261207-120000-judged-chains-abcdef" / "attempts" / "01"
    attempt.mkdir(parents=True)
    (attempt.parents[1] / "request.json").write_text(json.dumps({"theme": "judged chains", "context": {}}))
    (attempt.parents[1] / "manifest.json").write_text(json.dumps({"status": "running"}))
    (attempt / "story.json").write_text(json.dumps(story))
    (attempt / "critique.json").write_text(json.dumps({"score": 0.5, "check": {"chains": chains}}))
    page.goto(f"{ui_server.url}/ui#run/{attempt.parents[1].name}")
    marks = page.locator("#detail-attempts .chains .mark.coherence")
    marks.first.wait_for()
    assert marks.all_inner_texts() == ["coherence 0.25"] + ["coherence 0.88"] * (len(chains) - 1)
    assert marks.first.get_attribute("class").split() == ["mark", "coherence", "incoherent"]
    assert marks.first.get_attribute("title") == "reason 0"


def test_the_page_refuses_files_outside_the_output_directory(page, ui_server):
    secret = ui_server.home / "secret.png"
    secret.write_bytes(b"not for the page")
    page.goto(f"{ui_server.url}/ui")
    for path in ("..%2Fsecret.png", "%2E%2E%2Fsecret.png", "..%2F..%2Fetc%2Fpasswd"):  # '/' encoded: sent as is
        response = page.request.get(f"{ui_server.url}/ui/files/{path}")
        assert response.status == 403 and b"not for the page" not in response.body(), path
