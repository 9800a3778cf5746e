"""The ranked methods: baselines (random, popularity, trending, Surprise) and the blend served.

Every method scores catalogue positions (see :class:`Context`), so the protocols
can rank the whole catalogue or a viewer's impressions with the same code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from nichevid.recommend import covisit, rank, train
from nichevid.recommend.evaluate.logs import Video
from nichevid.recommend.evaluate.metrics import features_of
from nichevid.recommend.evaluate.split import Split
from nichevid.recommend.model import ExportedModel
from nichevid.recommend.ratings import POSITIVE

Progress = Callable[[str], None]
Positions = npt.NDArray[np.intp]
Scores = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int64]

# The configuration measured best on held-out training days (docs/recommender.md).
DEFAULT_ALGORITHM = "baseline"
DEFAULT_PARAMS: dict[str, Any] = {}
SVD_PARAMS: dict[str, Any] = {"n_factors": 16, "n_epochs": 20, "reg_all": 0.05}


@dataclass
class Context:
    """Everything fitted on the training days, indexed by catalogue position."""

    items: npt.NDArray[np.int64]
    position: dict[int, int]
    creators: npt.NDArray[np.int64]
    tags: npt.NDArray[np.int64]
    counts: npt.NDArray[np.float64]
    features: dict[int, frozenset[str]]
    share: dict[int, float]
    history: dict[int, list[tuple[int, float]]]
    models: dict[str, ExportedModel] = field(default_factory=dict)
    model_rows: dict[str, npt.NDArray[np.intp]] = field(default_factory=dict)

    def positions(self, video_ids: list[int]) -> Positions:
        """Catalogue positions of training videos."""
        return np.fromiter((self.position[v] for v in video_ids), dtype=np.intp)

    def tastes(self, user_id: int, extra: list[tuple[int, float]] | None = None) -> rank.Tastes:
        """The viewer's creator and hashtag tastes from their training ratings (+ ``extra``)."""
        rated = self.history.get(user_id, []) + (extra or [])
        return rank.tastes((int(self.creators[p]), _one(self.tags[p]), r) for p, r in rated)


def _one(tag: np.int64) -> tuple[int, ...]:
    return (int(tag),) if tag >= 0 else ()


def build_context(
    split: Split,
    videos: dict[int, Video],
    seed: int = 0,
    algorithm: str = DEFAULT_ALGORITHM,
    params: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Context:
    """Fit the Surprise models and count what the baselines need, on the training days only."""
    say = progress or (lambda line: None)
    items = np.array(sorted(split.train_videos), dtype=np.int64)
    position = {int(v): n for n, v in enumerate(items.tolist())}
    blank = Video()
    creators = np.array([videos.get(v, blank).author_id for v in items.tolist()], dtype=np.int64)
    tags = np.array(
        [(videos.get(v, blank).tags or (-1,))[0] for v in items.tolist()], dtype=np.int64
    )
    counts = np.zeros(len(items))
    history: defaultdict[int, list[tuple[int, float]]] = defaultdict(list)
    for r in split.train:
        counts[position[r.video_id]] += 1
        history[r.user_id].append((position[r.video_id], float(r.rating)))
    n_users = max(1, len(split.train_users))
    context = Context(
        items=items,
        position=position,
        creators=creators,
        tags=tags,
        counts=counts,
        features={
            int(v): features_of(videos.get(v, blank).author_id, videos.get(v, blank).tags)
            for v in items.tolist()
        },
        share={int(v): counts[n] / n_users for n, v in enumerate(items.tolist())},
        history=dict(history),
    )
    triples = [(r.user_id, r.video_id, float(r.rating)) for r in split.train]
    end = split.train_days[1]
    now = datetime.combine(end, time(23, 59, 59), tzinfo=UTC).timestamp()
    fits = {
        "surprise-baseline": ("baseline", {}),
        "surprise-svd": ("svd", {**SVD_PARAMS, "random_state": seed}),
        "nichevid": (algorithm, dict(params or DEFAULT_PARAMS)),
    }
    for name, (algo, algo_params) in fits.items():
        say(f"fitting {name} ({algo}) on {len(triples):,} ratings")
        model = train.fit(triples, algo, algo_params)
        model.extras = train.item_extras(
            model, ((r.video_id, r.time_ms / 1000) for r in split.train), now
        )
        if name == "nichevid":
            say("fitting the graded model (viewer, video, feed, hour)")
            model.extras.update(
                train.graded_extras(
                    model, ((r.user_id, r.video_id, r.rating, r.feed, r.hour) for r in split.train)
                )
            )
            say("counting co-visited positives")
            model.extras.update(covisit.extras(model, triples))
            model.extras.update(
                train.positive_extras(
                    model, ((r.video_id, r.time_ms / 1000, r.rating) for r in split.train), now
                )
            )
        context.models[name] = model
        context.model_rows[name] = model.item_rows(items.tolist())
    return context


@dataclass(frozen=True, slots=True)
class Moments:
    """The serving context of each impression being ranked: feed codes and local hours."""

    feeds: Codes
    hours: Codes


class Scorer(Protocol):
    """Scores of catalogue positions ``at`` for ``user`` (``moments``: impression context)."""

    def __call__(
        self,
        ctx: Context,
        user: int,
        at: Positions,
        catalogue: bool,
        moments: Moments | None = None,
    ) -> Scores: ...


def _random(seed: int) -> Scorer:
    rng = np.random.default_rng(seed)

    def score(
        ctx: Context, user: int, at: Positions, catalogue: bool, moments: Moments | None = None
    ) -> Scores:
        return rng.random(len(at))

    return score


def _popularity(
    ctx: Context, user: int, at: Positions, catalogue: bool, moments: Moments | None = None
) -> Scores:
    return ctx.counts[at]


def _trending(
    ctx: Context, user: int, at: Positions, catalogue: bool, moments: Moments | None = None
) -> Scores:
    model = ctx.models["nichevid"]
    trend = model.extras["trending"][ctx.model_rows["nichevid"][at]].astype(np.float64)
    # Ties (videos no longer shown) fall back to all-time popularity.
    return trend + 1e-9 * ctx.counts[at]


def _surprise(name: str) -> Scorer:
    def score(
        ctx: Context, user: int, at: Positions, catalogue: bool, moments: Moments | None = None
    ) -> Scores:
        model = ctx.models[name]
        who = rank.viewer(model, user)
        return rank.score_rows(model, who, ctx.model_rows[name][at]).astype(np.float64)

    return score


def nichevid_scores(
    ctx: Context,
    user: int,
    at: Positions,
    catalogue: bool,
    taste: rank.Tastes | None = None,
    who: rank.Viewer | None = None,
    moments: Moments | None = None,
) -> Scores:
    """The served blend: ``rank.CATALOGUE_BLEND`` on the catalogue, else ``rank.FEED_BLEND``.

    ``moments`` give each impression's feed code and hour (protocol B and the replay);
    the catalogue protocol has no impressions, so no context, but the videos the viewer
    loved in training seed its co-visitation part.
    """
    model = ctx.models["nichevid"]
    loved = None
    if catalogue:
        positions = [p for p, value in ctx.history.get(user, []) if value >= POSITIVE]
        loved = ctx.model_rows["nichevid"][np.asarray(positions, dtype=np.intp)]
    return rank.blend_scores(
        model,
        who or rank.viewer(model, user),
        ctx.model_rows["nichevid"][at],
        ctx.creators[at],
        ctx.tags[at],
        taste or ctx.tastes(user),
        rank.CATALOGUE_BLEND if catalogue else rank.FEED_BLEND,
        user_id=user,
        feed=None if moments is None else moments.feeds,
        hour=None if moments is None else moments.hours,
        loved=loved,
    )


def _nichevid(
    ctx: Context, user: int, at: Positions, catalogue: bool, moments: Moments | None = None
) -> Scores:
    return nichevid_scores(ctx, user, at, catalogue, moments=moments)


def methods(seed: int) -> dict[str, Scorer]:
    """Every method the evaluation reports, by name, in report order."""
    return {
        "random": _random(seed),
        "popularity": _popularity,
        "trending": _trending,
        "surprise-baseline": _surprise("surprise-baseline"),
        "surprise-svd": _surprise("surprise-svd"),
        "nichevid": _nichevid,
    }
