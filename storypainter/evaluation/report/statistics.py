"""Means and 95% intervals of a set's scores, for systems and for the human reference.

- a mean's interval is Student's t (mean ± t·s/√n, clipped to the score's range);
- the rule-pass rate's is Wilson's score interval;
- a system's set diversity is a percentile bootstrap over the stories' own diversity scores
  (each story's mean distance to its k nearest neighbours in the whole set), so resampling
  never pairs a story with its copy;
- the human reference's diversity, when matched to the systems' set size, is the mean over
  random subsets of that size, its interval the middle 95% of those subsets' diversities.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from storypainter.evaluation.report.loading import Evaluation
from storypainter.evaluation.report.reference import Reference
from storypainter.schema import CATEGORIES, Frozen

CONFIDENCE = 0.95
Z_975 = 1.959963984540054
# Student's t 0.975 quantiles for 1..30 degrees of freedom; beyond that a Cornish-Fisher expansion.
T_975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
BOOTSTRAP_RESAMPLES = 2000
SHARE, COUNT = (0.0, 1.0), (0.0, math.inf)
TAILS = ((1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2)


class Interval(Frozen):
    """A point estimate with its 95% interval over ``n`` values (None when there are none)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    method: str


def t_quantile(df: int) -> float:
    """Student's t 0.975 quantile (table to 30 degrees of freedom, expansion beyond; error < 1e-4)."""
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def _present(values: Iterable[float | None]) -> list[float]:
    return [float(value) for value in values if value is not None]


def mean_interval(values: Iterable[float | None], bounds: tuple[float, float] = (-math.inf, math.inf)) -> Interval:
    """Mean and 95% t-interval (clipped to the score's ``bounds``) of the values that are not None.

    A single value has no spread, so no interval.
    """
    data = _present(values)
    if not data:
        return Interval(mean=None, low=None, high=None, n=0, method="t")
    mean = sum(data) / len(data)
    if len(data) == 1:
        return Interval(mean=mean, low=None, high=None, n=1, method="t")
    spread = math.sqrt(sum((value - mean) ** 2 for value in data) / (len(data) - 1))
    half = t_quantile(len(data) - 1) * spread / math.sqrt(len(data))
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return Interval(mean=mean, low=low, high=high, n=len(data), method="t")


def wilson_interval(successes: int, total: int) -> Interval:
    """A proportion and its 95% Wilson score interval."""
    if total == 0:
        return Interval(mean=None, low=None, high=None, n=0, method="wilson")
    share, z2 = successes / total, Z_975**2
    centre = (share + z2 / (2 * total)) / (1 + z2 / total)
    half = Z_975 * math.sqrt(share * (1 - share) / total + z2 / (4 * total**2)) / (1 + z2 / total)
    return Interval(mean=share, low=max(0.0, centre - half), high=min(1.0, centre + half), n=total, method="wilson")


def bootstrap_interval(per_item: list[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> Interval:
    """The mean of ``per_item`` and a 95% percentile bootstrap interval (resampling items)."""
    if not per_item:
        return Interval(mean=None, low=None, high=None, n=0, method="bootstrap")
    values = np.asarray(per_item, dtype=np.float64)
    picks = np.random.default_rng(seed).integers(0, len(values), size=(resamples, len(values)))
    means = values[picks].mean(axis=1)
    low, high = np.quantile(means, TAILS)
    return Interval(mean=float(values.mean()), low=float(low), high=float(high), n=len(values), method="bootstrap")


def spread_interval(draws: list[float], n: int) -> Interval:
    """The mean of ``draws`` and the middle 95% of them (each draw one subset's diversity)."""
    low, high = np.quantile(np.asarray(draws, dtype=np.float64), TAILS)
    return Interval(mean=float(np.mean(draws)), low=float(low), high=float(high), n=n, method="subsets")


def none(method: str) -> Interval:
    return Interval(mean=None, low=None, high=None, n=0, method=method)


def summarize(evaluation: Evaluation) -> dict[str, Interval]:
    """Every bench score of a set: mean and 95% interval."""
    rows = evaluation.rows
    return {
        "semantic": mean_interval((row.semantic.score for row in rows), (0, 100)),
        "coherent": mean_interval((row.coherent_share for row in rows), SHARE),
        "alignment": mean_interval((row.alignment for row in rows), SHARE),
        **{
            f"alignment.{category}": mean_interval((row.report.per_category.get(category) for row in rows), SHARE)
            for category in CATEGORIES
        },
        "diversity": bootstrap_interval(evaluation.diversity.per_item),
        "words": mean_interval((row.words for row in rows), COUNT),
        "rule_pass": wilson_interval(sum(row.check.passed for row in rows), len(rows)),
        "seconds": mean_interval((row.seconds for row in rows), COUNT),
    }


def summarize_reference(reference: Reference) -> dict[str, Interval]:
    """The human reference in the same keys: semantic, diversity and words; no picture, so no
    alignment, rule check or time."""
    diversity = (
        spread_interval(reference.subset_diversities, reference.subset_size)
        if reference.subset_diversities
        else bootstrap_interval(reference.diversity.per_item)
    )
    return {
        "semantic": mean_interval((item.semantic.score for item in reference.items), (0, 100)),
        "coherent": mean_interval((item.coherent_share for item in reference.items), SHARE),
        "alignment": none("t"),
        **{f"alignment.{category}": none("t") for category in CATEGORIES},
        "diversity": diversity,
        "words": mean_interval((item.words for item in reference.items), COUNT),
        "rule_pass": none("wilson"),
        "seconds": none("t"),
    }


def format_interval(interval: Interval, pattern: str) -> str:
    """'52.4 [48.1, 56.7]', '52.4' without an interval, '-' without values."""
    if interval.mean is None:
        return "-"
    if interval.low is None or interval.high is None:
        return pattern.format(interval.mean)
    return f"{pattern.format(interval.mean)} [{pattern.format(interval.low)}, {pattern.format(interval.high)}]"
