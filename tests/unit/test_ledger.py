"""The cost ledger (tokens per node, image calls, GPU seconds, dollars from the price table) and
budget caps that stop a batch, on scripted models."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest

from storypainter.batch import Budget, run_batch, summary_table
from storypainter.errors import ConfigError
from storypainter.ledger import add_ledgers, metered, run_ledger, unpriced, usage_entry
from tests import extras
from tests.fakes import ScriptedChatModel, ScriptedJudge, story_json

PRICE = {"scripted:story": {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}}
ITEM_USD = 10 * 1000 / 1e6 + 20 * 2000 / 1e6  # a scripted reply: 10 tokens in, 20 out -> $0.05


def test_a_priced_run_costs_its_tokens_and_images():
    usage = [usage_entry("storyteller", "openai:gpt-4.1", {"input_tokens": 1000, "output_tokens": 500}),
             usage_entry("critic", "openai:gpt-4.1", {"input_tokens": 200, "output_tokens": 100}),
             usage_entry("storyteller", "openai:gpt-4.1", {"input_tokens": 1000, "output_tokens": 500})]
    prices = {"openai:gpt-4.1": {"input_per_mtok": 2.0, "output_per_mtok": 8.0},
              "openai-images:gpt-image-1": {"per_image": 0.04}}
    ledger = run_ledger(usage, "openai-images:gpt-image-1", image_calls=2, gpu_seconds=0.0, prices=prices)
    assert ledger["tokens"]["storyteller"]["openai:gpt-4.1"] == {"input_tokens": 2000, "output_tokens": 1000,
                                                                  "calls": 2}
    assert (ledger["tokens_in"], ledger["tokens_out"], ledger["image_calls"]) == (2200, 1100, 2)
    assert ledger["usd"] == pytest.approx(2200 * 2 / 1e6 + 1100 * 8 / 1e6 + 2 * 0.04)
    gpu = run_ledger([], "diffusers:sdxl", 3, gpu_seconds=7200, prices={"diffusers:sdxl": {"per_gpu_hour": 2.5}})
    assert gpu["usd"] == 5.0 and gpu["gpu_seconds"] == 7200


def test_an_unknown_price_is_null_with_its_reason_never_a_guess():
    usage = [usage_entry("storyteller", "local:smollm2", {"input_tokens": 800, "output_tokens": 300})]
    ledger = run_ledger(usage, "storyboard", 1, 0.0, prices={})
    assert ledger["usd"] is None
    assert ledger["usd_missing"] == ["no input_per_mtok price for local:smollm2"]
    assert run_ledger(usage, "openai-images:x", 1, 0.0, {"local:smollm2": {"input_per_mtok": 0,
                                                                             "output_per_mtok": 0}})["usd"] is None
    silent = [usage_entry("storyteller", "openai:gpt-4.1", {}, calls=1)]
    assert run_ledger(silent, "storyboard", 1, 0.0, {"openai:gpt-4.1": {"input_per_mtok": 2, "output_per_mtok": 8}
                                                     })["usd_missing"] == ["openai:gpt-4.1 reported no token counts"]
    total = add_ledgers([run_ledger(usage, "storyboard", 1, 0.0, {}), None])
    assert total["items"] == 1 and total["usd"] is None and total["tokens_in"] == 800
    assert unpriced(["local:smollm2"], "storyboard", {}) == ["no input_per_mtok price for local:smollm2",
                                                             "no output_per_mtok price for local:smollm2"]


def test_metered_counts_every_chat_call_in_the_block():
    model, into = ScriptedChatModel(replies=["a", "b", "c"]), []
    with metered("critic", "scripted:judge", into):
        model.invoke("one")
        model.invoke("two")
    model.invoke("outside")
    assert into == [{"node": "critic", "model": "scripted:judge", "input_tokens": 20, "output_tokens": 40,
                     "calls": 2}]


@extras.durable
def test_every_manifest_records_its_ledger(scripted, tmp_path):
    context = scripted(ScriptedChatModel(replies=[story_json()] * 2), ScriptedJudge([lambda point: "yes"]),
                       prices=PRICE)
    outcomes = run_batch(tmp_path / "batch", ["a market", "a harbour"], context, 1, out=None, workers="threads")
    manifest = json.loads((tmp_path / "batch/items/0000/manifest.json").read_text())
    assert manifest["ledger"]["tokens"] == {"storyteller": {"scripted:story": {"input_tokens": 10, "output_tokens": 20,
                                                                               "calls": 1}}}
    assert manifest["ledger"]["usd"] == pytest.approx(ITEM_USD) and manifest["ledger"]["image_calls"] == 1
    totals = json.loads((tmp_path / "batch/batch.json").read_text())["ledger"]
    assert totals["items"] == 2 and totals["tokens_in"] == 20 and totals["usd"] == pytest.approx(2 * ITEM_USD)
    assert [item["ledger"]["tokens_out"] for item in json.loads((tmp_path / "batch/summary.json").read_text())] == [
        20, 20]
    assert "30" in summary_table(outcomes).splitlines()[1]


@extras.durable
def test_a_budget_cap_stops_the_batch_before_it_would_pass_keeps_what_finished_and_a_higher_cap_continues(
        scripted, tmp_path):
    model = ScriptedChatModel(replies=[story_json()] * 5)
    context = scripted(model, ScriptedJudge([lambda point: "yes"]), prices=PRICE)
    themes = ["a market", "a harbour", "a school", "a park", "a farm"]
    out = io.StringIO()
    first = run_batch(tmp_path / "batch", themes, context, 1, out=out, workers="threads",
                      budget=Budget(usd=2.5 * ITEM_USD))
    assert [outcome.status for outcome in first] == ["done", "done", "not started", "not started", "not started"]
    assert ("budget: $0.1000 spent and 0 item(s) in flight at about $0.0500 each; one more would pass $0.1250 "
            "(--budget-usd); 3 items not started") in out.getvalue()
    assert "5 items, 0 failed, 3 not started" in summary_table(first)
    assert not (tmp_path / "batch/items/0002").exists(), "nothing starts that would pass the cap"
    finished = {i: (tmp_path / f"batch/items/{i:04d}/result.json").stat().st_mtime_ns for i in range(2)}
    stopped = json.loads((tmp_path / "batch/batch.json").read_text())["ledger"]
    assert stopped["stopped"].startswith("budget: ") and stopped["usd"] == pytest.approx(2 * ITEM_USD)

    same = run_batch(tmp_path / "batch", themes, context, 1, out=None, workers="threads",
                     budget=Budget(usd=2.5 * ITEM_USD))
    assert [outcome.status for outcome in same][2:] == ["not started"] * 3, "the same cap starts nothing"
    assert len(model.prompts) == 2

    higher = run_batch(tmp_path / "batch", themes, context, 1, out=None, workers="threads",
                       budget=Budget(usd=10 * ITEM_USD))
    assert [outcome.status for outcome in higher] == ["skipped (already done)"] * 2 + ["done"] * 3
    assert len(model.prompts) == 5, "finished items are never redone"
    for index, mtime in finished.items():
        assert (tmp_path / f"batch/items/{index:04d}/result.json").stat().st_mtime_ns == mtime
    total = json.loads((tmp_path / "batch/batch.json").read_text())["ledger"]
    assert total["items"] == 5 and total["usd"] == pytest.approx(5 * ITEM_USD) and total["stopped"] == ""


@extras.durable
def test_a_token_cap_starts_no_item_that_would_pass_it_even_with_items_in_flight(scripted, tmp_path):
    model = ScriptedChatModel(replies=[story_json()] * 6)
    context = scripted(model, ScriptedJudge([lambda point: "yes"]))
    outcomes = run_batch(tmp_path / "batch", ["a", "b", "c", "d", "e", "f"], context, 2, out=None,
                         workers="threads", budget=Budget(tokens=60))
    assert [outcome.status for outcome in outcomes] == ["done"] * 2 + ["not started"] * 4
    assert sum(outcome.ledger["tokens_in"] + outcome.ledger["tokens_out"] for outcome in outcomes[:2]) == 60


def test_a_dollar_cap_needs_a_price_for_every_paid_provider(scripted, tmp_path):
    context = scripted(ScriptedChatModel(replies=[]), prices={})
    with pytest.raises(ConfigError, match="--budget-usd: no input_per_mtok price for scripted:story"):
        run_batch(tmp_path / "batch", ["a"], context, 1, out=None, budget=Budget(usd=1.0))
    vlm = replace(context, judge="vlm:openai:gpt-4.1", prices=PRICE)
    with pytest.raises(ConfigError, match=r"no input_per_mtok price for openai:gpt-4\.1"):
        Budget(usd=1.0).check(vlm)
    with pytest.raises(ConfigError, match="--budget-tokens must be at least 1"):
        Budget(tokens=0)
    assert not (tmp_path / "batch").exists()


@extras.durable
def test_the_batch_command_says_where_the_cap_stopped_it_and_exits_3(scripted, tmp_path, capsys):
    from storypainter.cli import main

    model = ScriptedChatModel(replies=[story_json()] * 3)
    context = scripted(model, ScriptedJudge([lambda point: "yes"]))
    config = tmp_path / "config.yaml"
    config.write_text("llm: scripted:story\njudge: scripted\ncoherence: scripted\nembeddings: hash\n"
                      f"memory_dir: {context.memory_dir}\n"
                      "width: 320\nheight: 224\n")
    args = ["batch", "--count", "3", "--out", str(tmp_path / "batch"), "--config", str(config),
            "--workers", "threads", "--budget-tokens", "30"]
    assert main(args) == 3
    captured = capsys.readouterr()
    assert "batch: budget reached: 30 of 30 tokens (--budget-tokens); 2 items not started" in captured.err
    assert "3 items, 0 failed, 2 not started" in captured.out
    assert main([*args[:-1], "90"]) == 0
    assert len(model.prompts) == 3
    assert main(["batch", "--count", "1", "--out", str(tmp_path / "x"), "--address", "127.0.0.1:1"]) == 2
