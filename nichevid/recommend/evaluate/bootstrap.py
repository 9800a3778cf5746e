"""Percentile bootstrap confidence intervals over viewers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LEVEL = 0.95


def resamples(size: int, rounds: int, seed: int) -> np.ndarray:
    """``rounds`` x ``size`` indices drawn with replacement; shared so that intervals pair up."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, size, size=(rounds, size)) if size and rounds else np.zeros((0, 0))


def mean_ci(values: Sequence[float], draws: np.ndarray) -> tuple[float, float]:
    """The 95 % percentile interval of the mean of ``values`` under ``draws``."""
    if not len(values) or not draws.size:
        mean = float(np.mean(values)) if len(values) else 0.0
        return mean, mean
    means = np.asarray(values, dtype=np.float64)[draws.astype(np.intp)].mean(axis=1)
    low, high = np.quantile(means, [(1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2])
    return float(low), float(high)


def gain_ci(
    values: Sequence[float], random: Sequence[float], draws: np.ndarray
) -> tuple[float, float]:
    """The 95 % interval of ``(mean - random mean) / (1 - random mean)`` on the same draws."""
    if not len(values) or not draws.size:
        return 0.0, 0.0
    index = draws.astype(np.intp)
    ours = np.asarray(values, dtype=np.float64)[index].mean(axis=1)
    base = np.asarray(random, dtype=np.float64)[index].mean(axis=1)
    gains = (ours - base) / np.maximum(1 - base, 1e-12)
    low, high = np.quantile(gains, [(1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2])
    return float(low), float(high)
