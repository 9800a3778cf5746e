"""Graded, context-aware scores: fitting, scoring, fallbacks, and the feed column of logs."""

from __future__ import annotations

import numpy as np

from nichevid.recommend import rank, train
from nichevid.recommend.model import ExportedModel


def _model_and_samples() -> tuple[ExportedModel, list[train.Sample]]:
    rng = np.random.default_rng(0)
    samples: list[train.Sample] = []
    for user in range(30):
        for video in range(12):
            feed = int(rng.integers(0, 2))
            # Video 0 is good, feed 1 is a skip feed, everything else in between.
            value = 5.0 if video == 0 else 1.0 if feed == 1 else 3.0
            samples.append((user, video, value, feed, int(rng.integers(0, 24))))
    model = train.fit([(u, v, r) for u, v, r, _, _ in samples], "baseline")
    return model, samples


def test_graded_scores_follow_items_and_feeds() -> None:
    model, samples = _model_and_samples()
    model.extras.update(train.graded_extras(model, samples))
    rows = model.item_rows([0, 5, 5, 99])
    feeds = np.array([0, 0, 1, 0], dtype=np.int64)
    scores = rank.graded_scores(model, 3, rows, feeds, np.array([9, 9, 9, 9]))
    assert scores.shape == (4,)
    assert np.all((scores >= 1.0) & (scores <= 5.0))
    assert scores[0] > scores[1] > scores[2]
    # Unknown feed codes, hours and items add nothing.
    plain = rank.graded_scores(model, 3, rows)
    assert np.isclose(rank.graded_scores(model, 3, rows, 7, -1), plain).all()


def test_blend_without_graded_extras_uses_the_predicted_rating() -> None:
    model, _ = _model_and_samples()
    rows = model.item_rows([0, 5])
    who = rank.viewer(model, 3)
    none = np.full(2, -1, dtype=np.int64)
    blended = rank.blend_scores(
        model, who, rows, none, none, rank.tastes([]), rank.FEED_BLEND, user_id=3
    )
    assert np.allclose(blended, rank.score_rows(model, who, rows))


def test_feed_codes_and_positives() -> None:
    assert rank.feed_code("foryou") == 0
    assert rank.feed_code("nowhere") == -1
    model, _ = _model_and_samples()
    extras = train.positive_extras(model, [(0, 0.0, 5.0), (5, 0.0, 1.0)], now=86_400.0)
    assert extras["positives"].max() == 1.0
    assert extras["positives"][model.item_rows([5])[0]] == 0.0
