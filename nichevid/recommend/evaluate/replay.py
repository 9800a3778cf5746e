"""Sequential replay: after each observed rating, re-rank the viewer's remaining impressions.

Measures real-time adaptation: the *static* ranking scores the remaining impressions
as before the session, the *adaptive* one first folds in what the viewer just did
(:func:`nichevid.recommend.rank.fold_in` and updated creator / hashtag tastes).
Only steps whose remaining impressions mix grades count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nichevid.recommend import rank
from nichevid.recommend.evaluate.bootstrap import mean_ci, resamples
from nichevid.recommend.evaluate.methods import Context, nichevid_scores
from nichevid.recommend.evaluate.metrics import graded_ndcg
from nichevid.recommend.evaluate.protocols import moments_of, order
from nichevid.recommend.evaluate.split import Rated


def _svd_scores(ctx: Context, who: rank.Viewer, at: np.ndarray) -> np.ndarray:
    model = ctx.models["surprise-svd"]
    return rank.score_rows(model, who, ctx.model_rows["surprise-svd"][at]).astype(np.float64)


def replay(ctx: Context, users: dict[int, list[Rated]], rounds: int, seed: int) -> dict[str, Any]:
    """Static and adaptive graded NDCG@10 of the remaining impressions, step by step."""
    per_user: dict[str, dict[str, list[float]]] = {
        m: {"static": [], "adaptive": []} for m in ("nichevid", "surprise-svd")
    }
    steps = 0
    for user, shown in sorted(users.items()):
        at = ctx.positions([r.video_id for r in shown])
        moments = moments_of(shown)
        gains = np.array([r.rating - 1 for r in shown], dtype=np.float64)
        base = {"nichevid": ctx.models["nichevid"], "surprise-svd": ctx.models["surprise-svd"]}
        start = {m: rank.viewer(model, user) for m, model in base.items()}
        static = {
            "nichevid": nichevid_scores(ctx, user, at, False, moments=moments),
            "surprise-svd": _svd_scores(ctx, start["surprise-svd"], at),
        }
        sums = {m: {"static": 0.0, "adaptive": 0.0} for m in per_user}
        count = 0
        for t in range(1, len(shown)):
            rest = gains[t:]
            if rest.min() == rest.max():
                continue
            seen = [(int(at[i]), float(shown[i].rating)) for i in range(t)]
            for m, model in base.items():
                rows = [(int(ctx.model_rows[m][p]), r) for p, r in seen]
                who = rank.fold_in(model, start[m], rows)
                if m == "nichevid":
                    taste = ctx.tastes(user, seen)
                    adaptive = nichevid_scores(ctx, user, at, False, taste, who, moments)
                else:
                    adaptive = _svd_scores(ctx, who, at)
                sums[m]["static"] += graded_ndcg(list(rest[order(static[m][t:])]))
                sums[m]["adaptive"] += graded_ndcg(list(rest[order(adaptive[t:])]))
            count += 1
        if count:
            steps += count
            for m in per_user:
                for kind in ("static", "adaptive"):
                    per_user[m][kind].append(sums[m][kind] / count)
    n = len(per_user["nichevid"]["static"])
    draws = resamples(n, rounds, seed)
    out: dict[str, Any] = {"users": n, "steps": steps}
    for m, kinds in per_user.items():
        out[m] = {}
        for kind, series in kinds.items():
            low, high = mean_ci(series, draws)
            mean = float(np.mean(series)) if series else 0.0
            out[m][kind] = {"mean": round(mean, 5), "ci95": [round(low, 5), round(high, 5)]}
    return out
