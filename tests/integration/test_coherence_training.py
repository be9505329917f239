"""``coherence train`` on a few real corpus pairs and real MiniLM: it writes weights and a card, a rerun resumes
from its checkpoint without training again, and a base-model chain's loss weight is checked and recorded."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from storypainter.distill.coherence_data import Pair, build_pairs, write_pairs
from storypainter.distill.coherence_train import CoherenceTrainSettings, check_settings, train
from storypainter.errors import ConfigError
from tests import extras

pytestmark = [pytest.mark.slow, extras.coherence]


def few_pairs(pairs: list[Pair], count: int) -> list[Pair]:
    """``count`` pairs: half sound chains, half negatives of every kind."""
    positives = [pair for pair in pairs if pair.label == 1][: count // 2]
    negatives = [pair for pair in pairs if pair.label == 0]
    kinds = sorted({pair.kind for pair in negatives})
    mixed = [next(pair for pair in negatives[index:] if pair.kind == kinds[index % len(kinds)])
             for index in range(count // 2)]
    return positives + mixed


def test_training_writes_weights_and_card_and_a_rerun_trains_nothing_again(tmp_path):
    splits = build_pairs(seed=0)
    base = [replace(pair, kind="base", label=0, conclusion="the bus is a bus because of a bus")
            for pair in few_pairs(splits["train"], 8)[:4]]
    write_pairs(few_pairs(splits["train"], 40) + base, tmp_path / "work/data/train.jsonl")
    write_pairs(few_pairs(splits["eval"], 20), tmp_path / "work/data/eval.jsonl")
    settings = CoherenceTrainSettings(work=str(tmp_path / "work"), weights=str(tmp_path / "weights"), epochs=2,
                                      trained_layers=1, batch_size=16, save_steps=1, base_weight=0.25,
                                      progress=False)
    card = train(settings)
    assert card["pairs"] == {"train": 44, "eval": 20} and [row["epoch"] for row in card["history"]] == [1, 2]
    assert card["settings"]["base_weight"] == 0.25 and 0 <= card["eval"]["auc"] <= 1
    assert json.loads((tmp_path / "weights/card.json").read_text())["history"] == card["history"]
    weights = (tmp_path / "weights/model.safetensors").read_bytes()
    checkpoint = (tmp_path / "work/checkpoint.pt").stat().st_mtime_ns

    again = train(settings)  # a finished job: its checkpoint holds the last epoch, nothing is trained again
    assert again["history"] == card["history"]
    assert (tmp_path / "work/checkpoint.pt").stat().st_mtime_ns == checkpoint, "no step was trained again"
    assert (tmp_path / "weights/model.safetensors").read_bytes() == weights, "the same trained layers are written"

    with pytest.raises(ConfigError, match="--base-weight must be in"):
        check_settings(replace(settings, base_weight=0))
