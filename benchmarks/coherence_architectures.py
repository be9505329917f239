"""Which learned coherence judge to ship: designs compared on the same evaluation split.

- ``bi-encoder + logistic``: frozen all-MiniLM-L6-v2 sentence embeddings of the clues (u) and the
  conclusion (v), features [u, v, |u - v|, u * v], logistic regression (sklearn), fitted on
  ``--train-pairs`` training pairs (a seeded sample, to keep it quick on a 2-core CPU);
- cross-encoders with their top layers trained (``storypainter coherence train --trained-layers
  N``), read from the ``history.json`` of each training run, given as ``--history NAME=PATH``.

Writes ``benchmarks/results/coherence_architectures.json``.

    python benchmarks/coherence_architectures.py --history "2 layers=/tmp/coh-k2/history.json" \
        --history "4 layers=/tmp/coh-k4/history.json"
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from storypainter.distill.coherence_data import build_pairs
from storypainter.distill.coherence_train import evaluate
from storypainter.schema import DIMENSION_LABELS

RESULTS = Path(__file__).resolve().parent / "results" / "coherence_architectures.json"


def rows(pairs) -> list[dict]:
    return [pair.__dict__ | {"clues": list(pair.clues)} for pair in pairs]


def bi_encoder_features(items: list[dict]) -> np.ndarray:
    from storypainter.providers.embeddings import SentenceEmbedder, minilm_directory

    embedder = SentenceEmbedder(minilm_directory(), "minilm")
    u = embedder.encode([f"{DIMENSION_LABELS[row['dimension']]}: {' + '.join(row['clues'])}" for row in items])
    v = embedder.encode([row["conclusion"] for row in items])
    return np.hstack([u, v, np.abs(u - v), u * v])


def fitted(features, train: list[dict], evaluation: list[dict]) -> dict:
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    x_train, x_eval = features(train), features(evaluation)
    classifier = LogisticRegression(max_iter=2000, C=1.0).fit(x_train, [row["label"] for row in train])
    metrics = evaluate(evaluation, classifier.predict_proba(x_eval)[:, 1].tolist())
    return metrics | {"train_pairs": len(train), "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-pairs", type=int, default=6000)
    parser.add_argument("--history", action="append", default=[], metavar="NAME=PATH",
                        help="a training run's history.json (repeatable)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    pairs = build_pairs(seed=0)
    train = rows(random.Random(0).sample(pairs["train"], min(args.train_pairs, len(pairs["train"]))))
    evaluation = rows(pairs["eval"])
    results = {"bi-encoder + logistic": fitted(bi_encoder_features, train, evaluation)}
    for item in args.history:
        name, _, path = item.partition("=")
        history = json.loads(Path(path).read_text(encoding="utf-8"))
        results[f"cross-encoder, {name} trained"] = history[-1] | {"train_pairs": len(pairs["train"])}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for name, metrics in results.items():
        kinds = ", ".join(f"{kind} {row['auc']:.3f}" for kind, row in metrics["per_kind"].items())
        print(f"{name:<36} AUC {metrics['auc']:.3f}  accuracy {metrics['accuracy']:.3f}  ({kinds})")


if __name__ == "__main__":
    main()
