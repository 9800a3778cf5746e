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

from nichevid.recommend import covisit
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
    # The same solution in its dual form, w0 + X'(XX' + reg I)^-1 (y - X w0): a system of
    # one row per rating (a few dozen) instead of one per factor (a hundred).
    gram = design @ design.T + regularisation * np.eye(len(pairs))
    solved = prior + design.T @ np.linalg.solve(gram, targets - design @ prior)
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
    graded: float = 0.0
    positives: float = 0.0
    covisit: float = 0.0


# Re-ranking a viewer's candidates: the graded, context-aware expected rating decides (the
# plain predicted rating for model files without graded parts); the creator nudge mainly
# breaks ties (docs/recommender.md).
FEED_BLEND = Blend(model=0.0, graded=1.0, creator=0.05)
# Ranking the whole catalogue: popularity, what viewers who loved the same videos also
# loved (co-visitation), and the viewer's creators (weights chosen on held-out training
# days of KuaiRand). Recent positives (``positives=1``) raised NDCG@10 on held-out days but
# made the lists less diverse than popularity's.
CATALOGUE_BLEND = Blend(model=0.0, popularity=1.0, creator=2.0, covisit=1.0)
# At most this many videos per creator and per main hashtag in a catalogue top list
# (:func:`diversify`): co-visitation clusters by hashtag, the hashtag cap spreads it.
CATALOGUE_PER_CREATOR = 2
CATALOGUE_PER_HASHTAG = 2


# -- Graded, context-aware scores --------------------------------------------------------

# The feeds a request can come from; their positions are the feed codes a model learns.
FEEDS = ("foryou", "following", "hashtag", "profile", "search", "video")
# Hours of the day are grouped into blocks of this many hours (0-3, 4-7, ...).
HOUR_BLOCK = 4
# The graded model predicts P(rating >= g) for each of these grades.
GRADES = (2, 3, 4, 5)

# A feed code or local hour: one for every row, one per row, or ``None`` (unknown).
Moment = int | npt.NDArray[np.int64] | None


def feed_code(name: str | None) -> int:
    """The code of a feed name in :data:`FEEDS`; ``-1`` for an unknown feed."""
    return FEEDS.index(name) if name in FEEDS else -1


def _context_rows(
    ids: npt.NDArray[np.int64] | None, values: Moment, size: int
) -> npt.NDArray[np.intp]:
    """Rows of context ``values`` in ``ids`` (``-1``: unknown or not given)."""
    if values is None or ids is None or len(ids) == 0:
        return np.full(size, -1, dtype=np.intp)
    keys = np.broadcast_to(np.asarray(values, dtype=np.int64), (size,))
    at = np.clip(np.searchsorted(ids, keys), 0, len(ids) - 1)
    return np.where((ids[at] == keys) & (keys >= 0), at, -1).astype(np.intp)


def graded_scores(
    model: ExportedModel,
    user_id: int | None,
    rows: npt.NDArray[np.intp],
    feed: Moment = None,
    hour: Moment = None,
    who: Viewer | None = None,
) -> npt.NDArray[np.float64]:
    """Expected rating ``1 + sum_g P(rating >= g)`` of item ``rows`` in a feed at an hour.

    Each ``P(rating >= g)`` is a logistic model of biases: grade mean, viewer, item,
    feed code (:func:`feed_code`) and block of the local ``hour`` (0..23), all from
    the ``graded_*`` extras that :func:`nichevid.recommend.train.graded_extras` fits.
    Unknown viewers, items, feeds and hours add nothing. A model without graded extras
    scores with :func:`score_rows` (``who``, or the trained viewer) on the same scale.
    """
    extras = model.extras
    if "graded_item" not in extras:
        return score_rows(model, who or viewer(model, user_id), rows).astype(np.float64)
    size = len(rows)
    logit = np.broadcast_to(extras["graded_mean"].astype(np.float64), (size, len(GRADES))).copy()
    known = rows >= 0
    logit[known] += extras["graded_item"][rows[known]]
    user_row = model.user_row(user_id) if user_id is not None else None
    if user_row is not None:
        logit += extras["graded_user"][user_row]
    at = _context_rows(extras.get("graded_feed_ids"), feed, size)
    logit[at >= 0] += extras["graded_feed"][at[at >= 0]]
    blocks = None if hour is None else np.asarray(hour, dtype=np.int64) // HOUR_BLOCK
    at = _context_rows(np.arange(24 // HOUR_BLOCK, dtype=np.int64), blocks, size)
    logit[at >= 0] += extras["graded_hour"][at[at >= 0]]
    return 1.0 + (1.0 / (1.0 + np.exp(-logit))).sum(axis=1)


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
    user_id: int | None = None,
    feed: Moment = None,
    hour: Moment = None,
    loved: npt.NDArray[np.intp] | None = None,
) -> npt.NDArray[np.float64]:
    """Blended scores of item ``rows`` (``-1``: unknown) for a viewer with ``taste``.

    ``creators`` and ``tags`` give each item's creator and main hashtag (``-1``: none).
    ``score = model * predicted rating + graded * G + popularity * P + trending * T
    + positives * R + covisit * C + creator * tanh(creator taste / 2)
    + tag * (hashtag taste / total |taste|)``,
    where ``G`` is :func:`graded_scores` for ``user_id`` in ``feed`` at ``hour``,
    ``P``, ``T`` and ``R`` are the model's ``popularity``, ``trending`` and ``positives``
    extras (0..1, 0 when the item is unknown; a model without ``positives`` uses
    ``popularity`` there, and one without any uses 0), and ``C`` is the co-visitation
    score (:func:`nichevid.recommend.covisit.scores`, 0..1) of the item rows the viewer
    ``loved`` (0 without them or without co-visitation extras).
    """
    known = rows >= 0
    safe = np.where(known, rows, 0)
    score = np.zeros(len(rows), dtype=np.float64)
    if blend.model:
        score += blend.model * score_rows(model, who, rows).astype(np.float64)
    if blend.graded:
        score += blend.graded * graded_scores(model, user_id, rows, feed, hour, who)
    parts = (
        ("popularity", blend.popularity),
        ("trending", blend.trending),
        ("positives", blend.positives),
    )
    for name, weight in parts:
        extra = model.extras.get(name)
        if extra is None and name == "positives":
            extra = model.extras.get("popularity")
        if weight and extra is not None:
            score += weight * np.where(known, extra[safe], 0.0)
    if blend.covisit and loved is not None and len(loved):
        covisited = covisit.scores(model, loved)
        score += blend.covisit * np.where(known, covisited[safe], 0.0)
    if blend.creator and taste.creators:
        score += blend.creator * np.tanh(_lookup(creators, taste.creators) / 2.0)
    if blend.tag and taste.tags:
        total = sum(abs(v) for v in taste.tags.values()) or 1.0
        score += blend.tag * _lookup(tags, taste.tags) / total
    return score


def diversify(
    scores: npt.NDArray[np.float64],
    creators: npt.NDArray[np.int64],
    k: int,
    per_creator: int = 2,
    tags: npt.NDArray[np.int64] | None = None,
    per_tag: int | None = None,
) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` best scores, best first, with at most ``per_creator`` per creator.

    With ``tags`` (each item's main hashtag, ``-1``: none) and ``per_tag``, at most
    ``per_tag`` per hashtag as well. When the caps leave fewer than ``k``, the best of
    the rest fill the list.
    """
    order = np.argsort(-scores, kind="stable")
    finite = order[np.isfinite(scores[order])]
    chosen: list[int] = []
    spare: list[int] = []
    counts: dict[int, int] = {}
    tag_counts: dict[int, int] = {}
    for index in finite.tolist():
        creator = int(creators[index])
        tag = -1 if tags is None or per_tag is None else int(tags[index])
        if (creator < 0 or counts.get(creator, 0) < per_creator) and (
            tag < 0 or per_tag is None or tag_counts.get(tag, 0) < per_tag
        ):
            chosen.append(index)
            counts[creator] = counts.get(creator, 0) + 1
            tag_counts[tag] = tag_counts.get(tag, 0) + 1
            if len(chosen) == k:
                break
        elif len(spare) < k:
            spare.append(index)
    chosen.extend(spare[: k - len(chosen)])
    return np.asarray(chosen, dtype=np.intp)
