"""Diversity of a set of stories from their embeddings (the paper's diversity evaluator).

An item's diversity is its mean cosine distance (1 - cosine similarity) to its ``k``
nearest neighbours in the set, itself excluded; the set's score is the mean over items.
``k`` is clipped to ``n - 1``. A set of fewer than two items has no neighbours: every item
scores 0.0, the mean is 0.0 and the reported ``k`` is 0. Rows are L2-normalised; a zero
vector stays zero, so it is at distance 1.0 from everything (no NaN).

The similarity matrix is never held whole: rows are processed in blocks of
``BLOCK_ROWS``, so memory grows as ``BLOCK_ROWS * n`` rather than ``n * n``. Each block's
k largest similarities are selected by an in-place partial sort (``ndarray.partition``,
the value-only form of ``argpartition``), so no index array is allocated.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from storypainter.schema import Frozen

BLOCK_ROWS = 1024


class DiversityResult(Frozen):
    per_item: list[float] = Field(description="each item's mean cosine distance to its k nearest neighbours")
    mean: float
    k: int = Field(description="the k actually used, after clipping to n - 1")


def _unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32 unless given float64."""
    matrix = np.asarray(embeddings)
    if matrix.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D array (items x dimensions), got shape {matrix.shape}")
    matrix = matrix.astype(np.float64 if matrix.dtype == np.float64 else np.float32, copy=False)
    if not np.isfinite(matrix).all():
        raise ValueError("embeddings contain NaN or infinite values")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _nearest_similarities(unit: np.ndarray, start: int, stop: int, k: int) -> np.ndarray:
    """For rows start..stop, the cosine similarities of their k nearest other rows (unordered)."""
    similarities = unit[start:stop] @ unit.T
    rows = np.arange(stop - start)
    similarities[rows, rows + start] = -np.inf
    similarities.partition(similarities.shape[1] - k, axis=1)
    return similarities[:, -k:]


def diversity_scores(embeddings: np.ndarray, k: int = 5) -> DiversityResult:
    """Mean cosine distance of each item to its ``k`` nearest neighbours, and the set's mean."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    unit = _unit_rows(embeddings)
    count = unit.shape[0]
    if count < 2:
        return DiversityResult(per_item=[0.0] * count, mean=0.0, k=0)
    k = min(k, count - 1)
    per_item = np.empty(count, dtype=np.float64)
    for start in range(0, count, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, count)
        distances = np.clip(1.0 - _nearest_similarities(unit, start, stop, k), 0.0, 2.0)
        per_item[start:stop] = distances.mean(axis=1)
    return DiversityResult(per_item=per_item.tolist(), mean=float(per_item.mean()), k=k)
