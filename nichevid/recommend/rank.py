"""Scores from an exported model with numpy: one matrix product per viewer, never ``predict()``.

A viewer is a bias and a factor vector: the model's own row for a viewer it was
trained on, the zero vector for a newcomer, and either one moved by what the
viewer did in this session (:func:`fold_in`: a ridge regression of their new
ratings against the fixed item factors, pulled towards where they started).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nichevid.recommend.model import ExportedModel

# How strongly a folded-in viewer stays near their trained bias and vector.
FOLD_IN_REGULARISATION = 1.0


@dataclass(frozen=True, slots=True)
class Viewer:
    """A viewer as the ranker sees them."""

    bias: float
    vector: npt.NDArray[np.float32]


def viewer(model: ExportedModel, user_id: int | None) -> Viewer:
    """The trained viewer, or a neutral one (zero bias and vector) for a newcomer."""
    row = model.user_row(user_id) if user_id is not None else None
    if row is None:
        return Viewer(0.0, np.zeros(model.factors, dtype=np.float32))
    return Viewer(float(model.user_bias[row]), model.user_factors[row])


def score_rows(
    model: ExportedModel, who: Viewer, rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.float32]:
    """Predicted ratings of ``who`` for item rows (``-1``: an item the model never saw).

    Unknown items score as the global mean plus the viewer's bias: neither promoted
    nor buried, which leaves them to the exploration slots.
    """
    known = rows >= 0
    safe = np.where(known, rows, 0)
    item_part = model.item_bias[safe]
    if model.factors:
        item_part = item_part + model.item_factors[safe] @ who.vector
    result = np.float32(model.global_mean + who.bias) + np.where(known, item_part, np.float32(0))
    return result.astype(np.float32, copy=False)


def fold_in(
    model: ExportedModel,
    start: Viewer,
    feedback: Sequence[tuple[int, float]],
    regularisation: float = FOLD_IN_REGULARISATION,
) -> Viewer:
    """``start`` moved towards new ratings ``[(item_row, rating), ...]`` with items held fixed.

    Solves ``min sum (r - mu - b_i - b - q_i . p)^2 + reg * (|p - p0|^2 + (b - b0)^2)``
    in closed form; items the model never saw are ignored.
    """
    pairs = [(row, value) for row, value in feedback if row >= 0]
    if not pairs:
        return start
    rows = np.fromiter((r for r, _ in pairs), dtype=np.intp, count=len(pairs))
    targets = np.fromiter((v for _, v in pairs), dtype=np.float64, count=len(pairs))
    targets -= model.global_mean + model.item_bias[rows].astype(np.float64)
    design = np.hstack([np.ones((len(pairs), 1)), model.item_factors[rows].astype(np.float64)])
    prior = np.concatenate([[start.bias], start.vector.astype(np.float64)])
    size = design.shape[1]
    lhs = design.T @ design + regularisation * np.eye(size)
    rhs = design.T @ targets + regularisation * prior
    solved = np.linalg.solve(lhs, rhs)
    return Viewer(float(solved[0]), solved[1:].astype(np.float32))


# -- Blending the model with popularity, trending and the viewer's own tastes ---------------

# A rating above this pulls a viewer towards a creator or hashtag, below it pushes away.
TASTE_NEUTRAL = 2.5


@dataclass(frozen=True, slots=True)
class Tastes:
    """A viewer's leanings towards creators and hashtags, from their own ratings.

    Each value is the sum of ``rating - TASTE_NEUTRAL`` over the videos they rated
    (a like adds 2.5, a skip takes 1.5 away); :func:`tastes` builds one.
    """

    creators: dict[int, float]
    tags: dict[int, float]


def tastes(history: Iterable[tuple[int, Sequence[int], float]]) -> Tastes:
    """Tastes from ``(creator_id, hashtag_ids, rating)`` of each video the viewer rated.

    A service that only counts engagements can pass ``(creator, tags, 5.0)`` per
    engagement and ``(creator, tags, 1.0)`` per skip or "not interested".
    """
    creators: dict[int, float] = {}
    tags: dict[int, float] = {}
    for creator, hashtags, value in history:
        lean = float(value) - TASTE_NEUTRAL
        creators[creator] = creators.get(creator, 0.0) + lean
        for tag in hashtags:
            tags[tag] = tags.get(tag, 0.0) + lean
    return Tastes(creators, tags)


@dataclass(frozen=True, slots=True)
class Blend:
    """Weights of the parts of a blended score (see :func:`blend_scores`)."""

    model: float = 1.0
    popularity: float = 0.0
    trending: float = 0.0
    creator: float = 0.0
    tag: float = 0.0


# Re-ranking a viewer's candidates: the model's predicted rating decides; the creator nudge
# changed NDCG@10 by under 0.001 on KuaiRand (docs/recommender.md), it mainly breaks ties.
FEED_BLEND = Blend(model=1.0, creator=0.05)
# Ranking the whole catalogue: popularity decides, the viewer's creators spread the lists
# (weight chosen on held-out training days of KuaiRand).
CATALOGUE_BLEND = Blend(model=0.0, popularity=1.0, creator=2.0)


def _lookup(keys: npt.NDArray[np.int64], values: dict[int, float]) -> npt.NDArray[np.float64]:
    """``values[key]`` for each key (0 when absent), one vectorised pass per known key."""
    out = np.zeros(len(keys), dtype=np.float64)
    if not values:
        return out
    known = np.fromiter(values, dtype=np.int64, count=len(values))
    weights = np.fromiter(values.values(), dtype=np.float64, count=len(values))
    order = np.argsort(known)
    known, weights = known[order], weights[order]
    at = np.clip(np.searchsorted(known, keys), 0, len(known) - 1)
    hit = known[at] == keys
    out[hit] = weights[at[hit]]
    return out


def blend_scores(
    model: ExportedModel,
    who: Viewer,
    rows: npt.NDArray[np.intp],
    creators: npt.NDArray[np.int64],
    tags: npt.NDArray[np.int64],
    taste: Tastes,
    blend: Blend = FEED_BLEND,
) -> npt.NDArray[np.float64]:
    """Blended scores of item ``rows`` (``-1``: unknown) for a viewer with ``taste``.

    ``creators`` and ``tags`` give each item's creator and main hashtag (``-1``: none).
    ``score = model * predicted rating + popularity * P + trending * T
    + creator * tanh(creator taste / 2) + tag * (hashtag taste / total |taste|)``,
    where ``P`` and ``T`` are the model's ``popularity`` and ``trending`` extras
    (0..1, 0 when the model has none or the item is unknown).
    """
    known = rows >= 0
    safe = np.where(known, rows, 0)
    score = np.zeros(len(rows), dtype=np.float64)
    if blend.model:
        score += blend.model * score_rows(model, who, rows).astype(np.float64)
    for name, weight in (("popularity", blend.popularity), ("trending", blend.trending)):
        extra = model.extras.get(name)
        if weight and extra is not None:
            score += weight * np.where(known, extra[safe], 0.0)
    if blend.creator and taste.creators:
        score += blend.creator * np.tanh(_lookup(creators, taste.creators) / 2.0)
    if blend.tag and taste.tags:
        total = sum(abs(v) for v in taste.tags.values()) or 1.0
        score += blend.tag * _lookup(tags, taste.tags) / total
    return score


def diversify(
    scores: npt.NDArray[np.float64], creators: npt.NDArray[np.int64], k: int, per_creator: int = 2
) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` best scores, best first, with at most ``per_creator`` per creator.

    When the cap leaves fewer than ``k``, the best of the rest fill the list.
    """
    order = np.argsort(-scores, kind="stable")
    finite = order[np.isfinite(scores[order])]
    chosen: list[int] = []
    spare: list[int] = []
    counts: dict[int, int] = {}
    for index in finite.tolist():
        creator = int(creators[index])
        if creator < 0 or counts.get(creator, 0) < per_creator:
            chosen.append(index)
            counts[creator] = counts.get(creator, 0) + 1
            if len(chosen) == k:
                break
        elif len(spare) < k:
            spare.append(index)
    chosen.extend(spare[: k - len(chosen)])
    return np.asarray(chosen, dtype=np.intp)
