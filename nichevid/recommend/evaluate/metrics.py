"""Ranking metrics, each on one viewer's list, so that the mean over viewers can be bootstrapped.

Conventions: ``k = 10``; a *positive* is a test rating of at least
:data:`~nichevid.recommend.ratings.POSITIVE` (4); graded gains are ``rating - 1``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

K = 10


def _discount(position: int) -> float:
    return 1.0 / math.log2(position + 2)


def dcg(gains: Sequence[float], k: int = K) -> float:
    """Discounted cumulative gain of gains in ranked order: ``sum g_i / log2(i + 1)``, i from 1."""
    return sum(g * _discount(n) for n, g in enumerate(gains[:k]))


def graded_ndcg(ranked_gains: Sequence[float], k: int = K) -> float:
    """NDCG@k of a re-ranked list of graded gains (the ideal order sorts the same gains)."""
    ideal = dcg(sorted(ranked_gains, reverse=True), k)
    return dcg(ranked_gains, k) / ideal if ideal > 0 else 0.0


def binary_ndcg(ranked: Sequence[int], positives: Collection[int], k: int = K) -> float:
    """NDCG@k with gain 1 for each positive; the ideal puts ``min(k, |positives|)`` first."""
    if not positives:
        return 0.0
    got = sum(_discount(n) for n, item in enumerate(ranked[:k]) if item in positives)
    return got / sum(_discount(n) for n in range(min(k, len(positives))))


def recall(ranked: Sequence[int], positives: Collection[int], k: int = K) -> float:
    """Share of the viewer's positives found in the top ``k``."""
    if not positives:
        return 0.0
    return sum(1 for item in ranked[:k] if item in positives) / len(positives)


def coverage(lists: Sequence[Sequence[int]], catalogue_size: int, k: int = K) -> float:
    """Share of the catalogue that appears in at least one top-``k`` list."""
    shown = {item for ranked in lists for item in ranked[:k]}
    return len(shown) / catalogue_size if catalogue_size else 0.0


def novelty(ranked: Sequence[int], share: Mapping[int, float], k: int = K) -> float:
    """Mean self-information ``-log2 p`` of the top ``k``, ``p`` = share of training viewers.

    Items without a share (never seen in training) count as seen by one viewer in a
    million, so that they stay finite.
    """
    top = ranked[:k]
    if not top:
        return 0.0
    return sum(-math.log2(max(share.get(item, 0.0), 1e-6)) for item in top) / len(top)


def features_of(creator: int, tags: Sequence[int]) -> frozenset[str]:
    """The feature set diversity compares: the creator and every hashtag."""
    found = {f"tag:{t}" for t in tags}
    if creator >= 0:
        found.add(f"creator:{creator}")
    return frozenset(found)


def intra_list_diversity(
    ranked: Sequence[int], features: Mapping[int, frozenset[str]], k: int = K
) -> float:
    """Mean Jaccard distance between the feature sets of every pair in the top ``k``.

    Two videos with no features in common are 1 apart, the same creator and hashtags
    0; a video without any features is 1 from every other.
    """
    top = ranked[:k]
    pairs = 0
    total = 0.0
    for a in range(len(top)):
        fa = features.get(top[a], frozenset())
        for b in range(a + 1, len(top)):
            fb = features.get(top[b], frozenset())
            union = len(fa | fb)
            total += 1.0 - (len(fa & fb) / union if union else 0.0)
            pairs += 1
    return total / pairs if pairs else 0.0
