"""Protocol A (rank the whole catalogue) and protocol B (re-rank a viewer's real impressions).

Both return one :class:`Ranked` per viewer and method; metrics are computed from
the ranked ids alone, so ``rankings.jsonl`` re-scores to the same figures
(:func:`nichevid.recommend.evaluate.report.rescore`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nichevid.recommend.evaluate.methods import Context, Moments, Scorer
from nichevid.recommend.evaluate.metrics import K
from nichevid.recommend.evaluate.split import Rated, Split
from nichevid.recommend.rank import CATALOGUE_PER_CREATOR, CATALOGUE_PER_HASHTAG, diversify
from nichevid.recommend.ratings import POSITIVE


@dataclass(frozen=True, slots=True)
class Ranked:
    """One viewer's ranking by one method under one protocol."""

    protocol: str
    method: str
    group: str
    user_id: int
    ranked: list[int]


def protocol_b_users(split: Split, warm: bool = True) -> dict[int, list[Rated]]:
    """Viewers whose test impressions of training videos number at least 2 and mix grades.

    Each needs at least one rating >= 4 and one below; ``warm`` picks the viewers
    seen in training, otherwise the ones first seen in the test days.
    """
    out: dict[int, list[Rated]] = {}
    for user in split.warm_users if warm else split.cold_users:
        shown = [r for r in split.test[user] if r.video_id in split.train_videos]
        if (
            len(shown) >= 2
            and any(r.rating >= POSITIVE for r in shown)
            and any(r.rating < POSITIVE for r in shown)
        ):
            out[user] = shown
    return out


def protocol_a_users(split: Split, warm: bool = True) -> list[int]:
    """Test viewers with at least one positive (rating >= 4) in the test days."""
    group = split.warm_users if warm else split.cold_users
    return [u for u in group if any(r.rating >= POSITIVE for r in split.test[u])]


def moments_of(shown: list[Rated]) -> Moments:
    """The feed code and hour of each impression, known before its outcome."""
    return Moments(
        np.fromiter((r.feed for r in shown), dtype=np.int64, count=len(shown)),
        np.fromiter((r.hour for r in shown), dtype=np.int64, count=len(shown)),
    )


def order(scores: np.ndarray) -> np.ndarray:
    """Indices by descending score; ties keep their given order."""
    return np.argsort(-scores, kind="stable")


def rerank(
    ctx: Context, name: str, scorer: Scorer, users: dict[int, list[Rated]], group: str
) -> list[Ranked]:
    """Protocol B: each viewer's impressions, best first by ``scorer``."""
    out = []
    for user, shown in users.items():
        ids = [r.video_id for r in shown]
        scores = scorer(ctx, user, ctx.positions(ids), False, moments_of(shown))
        out.append(Ranked("B", name, group, user, [ids[i] for i in order(scores).tolist()]))
    return out


def catalogue(
    ctx: Context, name: str, scorer: Scorer, users: list[int], group: str, k: int = K
) -> list[Ranked]:
    """Protocol A: the top ``k`` of the whole catalogue, less what the viewer saw in training."""
    everything = np.arange(len(ctx.items), dtype=np.intp)
    out = []
    for user in users:
        scores = np.asarray(scorer(ctx, user, everything, True), dtype=np.float64).copy()
        seen = [p for p, _ in ctx.history.get(user, [])]
        scores[seen] = -np.inf
        if name == "nichevid":
            top = diversify(
                scores, ctx.creators, k, CATALOGUE_PER_CREATOR, ctx.tags, CATALOGUE_PER_HASHTAG
            )
        else:
            best = np.argpartition(-scores, min(k, len(scores) - 1))[: k + 1]
            top = best[order(scores[best])][:k]
        out.append(Ranked("A", name, group, user, ctx.items[top].tolist()))
    return out
