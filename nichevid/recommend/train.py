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
