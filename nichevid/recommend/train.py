"""Fit a Surprise model on (viewer, video, rating) triples and export its biases and factors.

The triples come from :mod:`nichevid.recommend.signals` for the live platform and
from log files in offline evaluation; both fit through :func:`fit`, so what is
measured offline is what is served. The Surprise trainset is built directly from
the triples (no data frames), and training reports its progress per epoch.
"""

from __future__ import annotations

import contextlib
import io
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import surprise

from nichevid.recommend.model import ExportedModel

Triple = tuple[int, int, float]
Progress = Callable[[str, float], None]
RATING_SCALE = (1, 5)

ALGORITHMS: dict[str, type[surprise.AlgoBase]] = {
    "svd": surprise.SVD,
    "svdpp": surprise.SVDpp,
    "baseline": surprise.BaselineOnly,
    "nmf": surprise.NMF,
}


class TrainingError(ValueError):
    """Training cannot start (no ratings, an unknown algorithm or parameter)."""


def trainset(triples: Iterable[Triple]) -> surprise.Trainset:
    """A Surprise ``Trainset`` of the triples; a repeated pair keeps its last rating."""
    users: dict[int, int] = {}
    items: dict[int, int] = {}
    pairs: dict[tuple[int, int], float] = {}
    for user, item, value in triples:
        u = users.setdefault(user, len(users))
        i = items.setdefault(item, len(items))
        pairs[(u, i)] = float(value)
    if not pairs:
        raise TrainingError("There are no ratings to train on yet; wait for watch events.")
    ur: defaultdict[int, list[tuple[int, float]]] = defaultdict(list)
    ir: defaultdict[int, list[tuple[int, float]]] = defaultdict(list)
    for (u, i), value in pairs.items():
        ur[u].append((i, value))
        ir[i].append((u, value))
    return surprise.Trainset(ur, ir, len(users), len(items), len(pairs), RATING_SCALE, users, items)


class _EpochReader(io.TextIOBase):
    """Turns Surprise's verbose ``Processing epoch N`` lines into progress calls."""

    def __init__(self, epochs: int, progress: Progress) -> None:
        self.epochs, self.progress = max(1, epochs), progress

    def write(self, text: str) -> int:
        match = re.search(r"epoch (\d+)", text)
        if match:
            done = int(match.group(1)) + 1
            self.progress(f"epoch {done}/{self.epochs}", done / self.epochs)
        return len(text)


def make_algorithm(name: str, params: dict[str, Any] | None = None) -> surprise.AlgoBase:
    """A Surprise algorithm by its settings name, with its parameters checked."""
    cls = ALGORITHMS.get(name)
    if cls is None:
        known = ", ".join(sorted(ALGORITHMS))
        raise TrainingError(f"Unknown algorithm {name!r}; choose one of {known}.")
    params = dict(params or {})
    try:
        if cls is surprise.BaselineOnly:
            return cls(bsl_options=params, verbose=False)
        return cls(**params, verbose=True)
    except TypeError as exc:
        raise TrainingError(f"Bad parameters for {name}: {exc}.") from exc


def export(
    algo: surprise.AlgoBase, train: surprise.Trainset, meta: dict[str, Any]
) -> ExportedModel:
    """Biases and factors of a fitted algorithm, rows in Surprise's inner order."""
    n_users, n_items = train.n_users, train.n_items
    global_mean = float(train.global_mean)
    if isinstance(algo, surprise.BaselineOnly):
        bu, bi = np.asarray(algo.bu), np.asarray(algo.bi)
        pu, qi = np.zeros((n_users, 0)), np.zeros((n_items, 0))
    elif isinstance(algo, surprise.SVDpp):
        bu, bi, qi = np.asarray(algo.bu), np.asarray(algo.bi), np.asarray(algo.qi)
        yj = np.asarray(algo.yj)
        pu = np.asarray(algo.pu).copy()
        # SVD++ adds the mean implicit factor of what the user rated to their vector.
        for u, rated in train.ur.items():
            if rated:
                pu[u] += yj[[i for i, _ in rated]].sum(axis=0) / np.sqrt(len(rated))
    elif isinstance(algo, surprise.NMF):
        pu, qi = np.asarray(algo.pu), np.asarray(algo.qi)
        if algo.biased:
            bu, bi = np.asarray(algo.bu), np.asarray(algo.bi)
        else:
            bu, bi, global_mean = np.zeros(n_users), np.zeros(n_items), 0.0
    else:
        bu, bi = np.asarray(algo.bu), np.asarray(algo.bi)
        pu, qi = np.asarray(algo.pu), np.asarray(algo.qi)
    return ExportedModel(
        global_mean=global_mean,
        user_ids=np.array([train.to_raw_uid(u) for u in range(n_users)], dtype=np.int64),
        item_ids=np.array([train.to_raw_iid(i) for i in range(n_items)], dtype=np.int64),
        user_bias=bu.astype(np.float32),
        item_bias=bi.astype(np.float32),
        user_factors=pu.astype(np.float32),
        item_factors=qi.astype(np.float32),
        meta=meta,
    )


def new_version() -> str:
    """A sortable, unique model version: UTC time and a random suffix."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def fit(
    triples: Iterable[Triple],
    algorithm: str = "baseline",
    params: dict[str, Any] | None = None,
    progress: Progress | None = None,
    meta: dict[str, Any] | None = None,
) -> ExportedModel:
    """Fit ``algorithm`` on the triples and export it; ``progress(step, fraction)`` as it goes."""
    report = progress or (lambda step, fraction: None)
    algo = make_algorithm(algorithm, params)
    started = time.monotonic()
    report("building the training set", 0.0)
    train = trainset(triples)
    epochs = int(getattr(algo, "n_epochs", 1) or 1)
    report(f"fitting {algorithm} on {train.n_ratings:,} ratings", 0.0)
    with contextlib.redirect_stdout(_EpochReader(epochs, report)):
        algo.fit(train)
    seconds = time.monotonic() - started
    report("exporting", 1.0)
    info = {
        "version": new_version(),
        "algorithm": algorithm,
        "params": dict(params or {}),
        "ratings": train.n_ratings,
        "users": train.n_users,
        "items": train.n_items,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_epoch": time.time(),
        "seconds": round(seconds, 3),
        **(meta or {}),
    }
    return export(algo, train, info)


# Trending counts halve for every this many days of age.
TRENDING_HALF_LIFE_DAYS = 2.0


def item_extras(
    model: ExportedModel,
    impressions: Iterable[tuple[int, float]],
    now: float,
    half_life_days: float = TRENDING_HALF_LIFE_DAYS,
) -> dict[str, np.ndarray]:
    """Per-item ``popularity`` and ``trending`` arrays, in the model's item order, 0..1.

    ``impressions`` are ``(video_id, unix_seconds)`` of the training ratings; popularity
    is ``log1p(count)``, trending ``log1p`` of counts decayed by ``half_life_days``,
    each divided by its maximum. Store the result in ``model.extras``.
    """
    rows = {int(v): n for n, v in enumerate(model.item_ids.tolist())}
    count = np.zeros(len(rows))
    decayed = np.zeros(len(rows))
    for video, when in impressions:
        row = rows.get(int(video))
        if row is None:
            continue
        count[row] += 1
        age_days = max(0.0, (now - when) / 86_400)
        decayed[row] += 0.5 ** (age_days / half_life_days)
    out = {}
    for name, values in (("popularity", count), ("trending", decayed)):
        scaled = np.log1p(values)
        top = scaled.max() if len(scaled) else 0.0
        out[name] = (scaled / top if top > 0 else scaled).astype(np.float32)
    return out


# -- Graded, context-aware biases and recent positives (additions to ``model.extras``) ----

# (user_id, video_id, rating, feed code or -1, local hour 0..23 or -1)
Sample = tuple[int, int, float, int, int]
GRADED_EPOCHS = 30
GRADED_REGULARISATION = 1.0
POSITIVES_HALF_LIFE_DAYS = 3.0


def _newton_biases(
    target: np.ndarray, terms: list[tuple[np.ndarray, int]], epochs: int, reg: float
) -> tuple[float, list[np.ndarray]]:
    """A logistic model of 0/1 ``target`` as a sum of biases, one Newton step per epoch.

    ``terms`` are ``(row per sample, -1 when absent; number of rows)``; every bias
    has an L2 penalty ``reg``.
    """
    rate = float(np.clip(target.mean(), 1e-4, 1 - 1e-4))
    mean = float(np.log(rate / (1 - rate)))
    biases = [np.zeros(size) for _, size in terms]
    logit = np.full(len(target), mean)
    for _ in range(epochs):
        for (rows, size), bias in zip(terms, biases, strict=True):
            present = rows >= 0
            p = 1.0 / (1.0 + np.exp(-logit[present]))
            at = rows[present]
            grad = np.bincount(at, target[present] - p, size) - reg * bias
            hess = np.bincount(at, p * (1 - p), size) + reg
            step = grad / hess
            bias += step
            logit[present] += step[at]
        p = 1.0 / (1.0 + np.exp(-logit))
        shift = float((target - p).sum() / max((p * (1 - p)).sum(), 1e-9))
        mean += shift
        logit += shift
    return mean, biases


def graded_extras(
    model: ExportedModel,
    samples: Iterable[Sample],
    epochs: int = GRADED_EPOCHS,
    regularisation: float = GRADED_REGULARISATION,
) -> dict[str, np.ndarray]:
    """The ``graded_*`` extras that :func:`nichevid.recommend.rank.graded_scores` reads.

    For each grade ``g`` in ``rank.GRADES`` a logistic model of ``P(rating >= g)``
    with a grade mean and viewer, item, feed-code and hour-block biases, fitted on
    ``(user_id, video_id, rating, feed, hour)`` samples (``-1``: feed or hour unknown).
    Viewers and items follow the model's rows; samples of others are skipped.
    Store the result in ``model.extras``.
    """
    from nichevid.recommend.rank import GRADES, HOUR_BLOCK

    users, items, ratings, feeds, hours = [], [], [], [], []
    for user_id, video_id, value, feed, hour in samples:
        user = model.user_row(int(user_id))
        item = model.item_rows([int(video_id)])[0]
        if user is None or item < 0:
            continue
        users.append(user)
        items.append(item)
        ratings.append(float(value))
        feeds.append(int(feed))
        hours.append(int(hour))
    if not ratings:
        return {}
    feed_ids = np.unique([f for f in feeds if f >= 0]).astype(np.int64)
    feed_array = np.asarray(feeds, dtype=np.int64)
    feed_rows = np.where(feed_array >= 0, np.searchsorted(feed_ids, feed_array), -1)
    hour_array = np.asarray(hours, dtype=np.int64)
    blocks = 24 // HOUR_BLOCK
    hour_rows = np.where((hour_array >= 0) & (hour_array < 24), hour_array // HOUR_BLOCK, -1)
    terms = [
        (np.asarray(users, dtype=np.intp), len(model.user_ids)),
        (np.asarray(items, dtype=np.intp), len(model.item_ids)),
        (feed_rows.astype(np.intp), len(feed_ids)),
        (hour_rows.astype(np.intp), blocks),
    ]
    values = np.asarray(ratings)
    fitted = [
        _newton_biases((values >= grade).astype(np.float64), terms, epochs, regularisation)
        for grade in GRADES
    ]
    names = ("graded_user", "graded_item", "graded_feed", "graded_hour")
    out: dict[str, np.ndarray] = {
        name: np.stack([biases[n] for _, biases in fitted], axis=1).astype(np.float32)
        for n, name in enumerate(names)
    }
    out["graded_mean"] = np.array([mean for mean, _ in fitted], dtype=np.float32)
    out["graded_feed_ids"] = feed_ids
    return out


def positive_extras(
    model: ExportedModel,
    ratings: Iterable[tuple[int, float, float]],
    now: float,
    half_life_days: float = POSITIVES_HALF_LIFE_DAYS,
) -> dict[str, np.ndarray]:
    """The ``positives`` extra: recent positive ratings per item, in the model's item order.

    ``ratings`` are ``(video_id, unix_seconds, rating)``; each rating of at least
    ``ratings.POSITIVE`` counts, halved for every ``half_life_days`` of age; the
    result is ``log1p`` of the sums divided by their maximum (0..1).
    """
    from nichevid.recommend.ratings import POSITIVE

    rows = {int(v): n for n, v in enumerate(model.item_ids.tolist())}
    decayed = np.zeros(len(rows))
    for video, when, value in ratings:
        row = rows.get(int(video))
        if row is None or value < POSITIVE:
            continue
        age_days = max(0.0, (now - when) / 86_400)
        decayed[row] += 0.5 ** (age_days / half_life_days)
    scaled = np.log1p(decayed)
    top = scaled.max() if len(scaled) else 0.0
    return {"positives": (scaled / top if top > 0 else scaled).astype(np.float32)}
