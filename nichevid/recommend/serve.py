"""For You for one viewer: candidates, numpy ranking, then a re-rank that keeps the feed open.

1. **Candidates** (at most ``candidates``): videos of followed creators, the best
   of the viewer's hashtags (picked interests and this session's liked ones),
   factor neighbours of what they just loved, under-explored fresh uploads, and
   the trending order to fill up. Seen and hidden videos never get in.
2. **Ranking**: the exported model's scores for the viewer (their trained vector,
   folded in with this session's ratings), a small popularity prior, and the
   session's hashtag and creator affinities: one vectorised pass.
3. **Re-rank**: at most ``per_creator`` videos of one creator and ``per_hashtag``
   of one hashtag per batch, an exploration share of slots for fresh videos, and
   a loop breaker: no hashtag may fill more than ``loop_share`` of the session's
   last ``loop_window`` cards. Every pick keeps the reason it was chosen.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from nichevid.recommend import covisit, rank
from nichevid.recommend.catalogue import Catalogue
from nichevid.recommend.model import ExportedModel
from nichevid.recommend.session import Choices
from nichevid.recommend.settings import RecommendSettings

FOR_YOU = rank.feed_code("foryou")
NEUTRAL = 3.0  # a "valid play": what an unknown viewer is expected to give an unknown video
PER_SOURCE = 100
NEIGHBOURS = 30
LOVED_SEEDS = 3  # the latest loved videos whose neighbours become candidates
LIKED = 4.0
# Watched at least this well (a valid play), a video in a playlist offers its next part.
WATCHED = 3.0


@dataclass(frozen=True, slots=True)
class Pick:
    """One card of a batch and why it is there (see :func:`nichevid.recommend.why.explain`)."""

    video_id: int
    reason: str


@dataclass
class Context:
    """Everything known about the viewer when a batch is chosen."""

    user_id: int | None
    feedback: list[tuple[int, float]]
    choices: Choices
    seen: set[int]
    recent: list[int]  # the session's last cards, oldest first (for the loop breaker)
    follows: list[int]


def affinities(
    cat: Catalogue, feedback: Iterable[tuple[int, float]], interests: Iterable[str]
) -> tuple[dict[str, float], dict[int, float]]:
    """Hashtag and creator affinities from this session's ratings (rating - 3) and interests."""
    tag_sum: dict[str, float] = defaultdict(float)
    tag_n: dict[str, int] = defaultdict(int)
    creator_sum: dict[int, float] = defaultdict(float)
    creator_n: dict[int, int] = defaultdict(int)
    for video, value in feedback:
        position = cat.position.get(video)
        if position is None:
            continue
        for tag in cat.tags[position]:
            tag_sum[tag] += value - NEUTRAL
            tag_n[tag] += 1
        creator = int(cat.creators[position])
        creator_sum[creator] += value - NEUTRAL
        creator_n[creator] += 1
    tags = {t: max(-2.0, min(2.0, v / math.sqrt(tag_n[t]))) for t, v in tag_sum.items()}
    for tag in interests:
        tags[tag] = tags.get(tag, 0.0) + 1.0
    creators = {c: max(-2.0, min(2.0, v / math.sqrt(creator_n[c]))) for c, v in creator_sum.items()}
    return tags, creators


def _viewer(model: ExportedModel, ctx: Context, config: RecommendSettings) -> rank.Viewer:
    trained_at = float(model.meta.get("trained_epoch", 0.0))
    reset = ctx.choices.reset_at and ctx.choices.reset_at >= trained_at
    start = rank.viewer(model, None if reset else ctx.user_id)
    if not ctx.feedback:
        return start
    rows = model.item_rows([video for video, _ in ctx.feedback])
    pairs = [(int(row), value) for row, (_, value) in zip(rows, ctx.feedback, strict=True)]
    return rank.fold_in(model, start, pairs, config.fold_in_regularisation)


def gather(
    cat: Catalogue,
    model: ExportedModel | None,
    ctx: Context,
    tag_affinity: dict[str, float],
    limit: int,
) -> dict[int, str]:
    """Candidate positions and the source each came from (first source wins)."""
    blocked = np.fromiter(ctx.seen | set(ctx.choices.hidden_videos), dtype=np.int64)
    hidden_creators = np.asarray(ctx.choices.hidden_creators, dtype=np.int64)
    hidden_tags = [cat.tag_ids[t] for t in ctx.choices.hidden_tags if t in cat.tag_ids]
    found: dict[int, str] = {}

    def allowed(positions: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        keep = ~np.isin(cat.ids[positions], blocked)
        if len(hidden_creators):
            keep &= ~np.isin(cat.creators[positions], hidden_creators)
        if hidden_tags:
            keep &= ~np.isin(cat.tag_matrix[positions], hidden_tags).any(axis=1)
        return positions[keep]

    def offer(source: Any, reason: str, most: int) -> None:
        positions = np.asarray(source, dtype=np.intp)
        taken, start = 0, 0
        # Chunks a little larger than what is still wanted: filtering is vectorised, and a
        # long source (the trending order) is never filtered whole.
        while start < len(positions) and taken < most and len(found) < limit:
            chunk = positions[start : start + 2 * (most - taken) + 32]
            start += len(chunk)
            for position in allowed(chunk).tolist():
                if position in found:
                    continue
                found[position] = reason
                taken += 1
                if taken >= most or len(found) >= limit:
                    return

    # The next part of a series the viewer just watched comes before anything else.
    watched = [video for video, value in reversed(ctx.feedback) if value >= WATCHED]
    for video in watched[:LOVED_SEEDS]:
        if (following := cat.next_part.get(video)) is not None:
            offer(_positions(cat, [following]), f"series:{video}", 1)
    for creator in ctx.follows:
        offer(cat.by_creator.get(creator, ()), "following", 10)
    liked_tags = sorted(
        (t for t, v in tag_affinity.items() if v > 0), key=lambda t: -tag_affinity[t]
    )
    interests = set(ctx.choices.interests)
    for tag in liked_tags[:5]:
        source = f"interest:{tag}" if tag in interests else f"tag:{tag}"
        offer(cat.by_tag.get(tag, ()), source, PER_SOURCE // 2)
    if model is not None:
        loved = [video for video, value in reversed(ctx.feedback) if value >= LIKED]
        for video in loved[:LOVED_SEEDS]:
            if model.factors:
                offer(_neighbours(cat, model, video), f"similar:{video}", NEIGHBOURS)
            # What members who loved this video also loved (co-visitation extras).
            partners = covisit.similar(model, [video], NEIGHBOURS)
            offer(_positions(cat, partners), f"similar:{video}", NEIGHBOURS)
    offer(cat.fresh, "fresh", PER_SOURCE)
    offer(cat.popular, "trending", limit)
    offer(cat.newest, "newest", limit)
    return found


def _positions(cat: Catalogue, video_ids: list[int]) -> npt.NDArray[np.intp]:
    """Catalogue positions of the servable ones among ``video_ids``, in their order."""
    found = (cat.position.get(video) for video in video_ids)
    return np.fromiter((p for p in found if p is not None), dtype=np.intp)


def _neighbours(cat: Catalogue, model: ExportedModel, video: int) -> npt.NDArray[np.intp]:
    """Popular and fresh positions whose item factors point the way ``video``'s do."""
    row = model.item_rows([video])[0]
    if row < 0:
        return np.empty(0, dtype=np.intp)
    pool, unit = cat.neighbour_pool(model)
    if not len(pool):
        return pool
    similarity = unit @ model.item_factors[row]
    count = min(NEIGHBOURS + 1, len(pool))
    best = np.argpartition(-similarity, count - 1)[:count]
    return pool[best[np.argsort(-similarity[best])]]


def score(
    cat: Catalogue,
    model: ExportedModel | None,
    ctx: Context,
    positions: npt.NDArray[np.intp],
    tag_affinity: dict[str, float],
    creator_affinity: dict[int, float],
    config: RecommendSettings,
) -> npt.NDArray[np.float32]:
    """Predicted appeal of each candidate position for this viewer, higher first."""
    if model is not None:
        rows = cat.model_rows(model)[positions]
        who = _viewer(model, ctx, config)
        hour = datetime.now(UTC).hour
        graded = rank.graded_scores(model, ctx.user_id, rows, FOR_YOU, hour, who)
        if "graded_item" in model.extras:
            # Graded biases know the trained viewer's bias only: add the factor taste and
            # what this session's fold-in moved.
            trained = rank.viewer(model, ctx.user_id)
            graded += who.bias - trained.bias
            if model.factors:
                known = rows >= 0
                graded[known] += model.item_factors[rows[known]] @ who.vector
        base = graded.astype(np.float32)
        prior = 0.1
    else:
        base = np.full(len(positions), NEUTRAL, dtype=np.float32)
        prior = 0.5
    scores = base + np.float32(prior) * cat.popularity[positions]
    if tag_affinity or creator_affinity or ctx.follows:
        extra = np.zeros(len(positions), dtype=np.float32)
        if tag_affinity:
            # One slot per known hashtag plus a zero for the -1 padding.
            values = np.zeros(len(cat.tag_ids) + 1, dtype=np.float32)
            for tag, value in tag_affinity.items():
                index = cat.tag_ids.get(tag)
                if index is not None:
                    values[index] = value
            ids = cat.tag_matrix[positions]
            counts = np.maximum(1, (ids >= 0).sum(axis=1))
            extra += values[ids].sum(axis=1) / counts
        creators = cat.creators[positions]
        for creator, value in creator_affinity.items():
            extra[creators == creator] += value * 0.5
        if ctx.follows:
            extra[np.isin(creators, ctx.follows)] += 0.3
        scores = scores + np.float32(config.session_weight) * extra
    return scores.astype(np.float32, copy=False)


def rerank(
    cat: Catalogue,
    candidates: dict[int, str],
    scores: npt.NDArray[np.float32],
    ctx: Context,
    config: RecommendSettings,
    size: int,
) -> list[Pick]:
    """Choose ``size`` cards: caps per creator and hashtag, exploration slots, loop breaker."""
    positions = list(candidates)
    order = [positions[i] for i in np.argsort(-scores, kind="stable")]
    # The loop breaker's sliding window: the last ``loop_window - 1`` cards before the next.
    window: deque[tuple[str, ...]] = deque(maxlen=max(1, config.loop_window - 1))
    recent_tags: dict[str, int] = defaultdict(int)

    def push(names: tuple[str, ...]) -> None:
        if len(window) == window.maxlen:
            for tag in window[0]:
                recent_tags[tag] -= 1
        window.append(names)
        for tag in names:
            recent_tags[tag] += 1

    for video in ctx.recent[-config.loop_window :]:
        position = cat.position.get(video)
        push(cat.tags[position] if position is not None else ())
    loop_limit = max(1, int(config.loop_share * config.loop_window))
    explore_slots = round(size * config.exploration)
    picks: list[int] = []
    creators: dict[int, int] = defaultdict(int)
    tags: dict[str, int] = defaultdict(int)

    def load(position: int) -> int:
        """How many of the window's cards already share this video's busiest hashtag."""
        return max((recent_tags[t] for t in cat.tags[position]), default=0)

    def allowed(position: int, stage: int) -> bool:
        if position in picks:
            return False
        if stage == 0:
            if creators[int(cat.creators[position])] >= config.per_creator:
                return False
            if any(tags[t] >= config.per_hashtag for t in cat.tags[position]):
                return False
        return stage == 2 or load(position) < loop_limit

    def take(position: int) -> None:
        picks.append(position)
        creators[int(cat.creators[position])] += 1
        for tag in cat.tags[position]:
            tags[tag] += 1
        push(cat.tags[position])

    def first(source: list[int], stage: int) -> int | None:
        if stage < 2:
            return next((p for p in source if allowed(p, stage)), None)
        # The last resort: the least repeated topic, then the best score.
        ready = [p for p in source if allowed(p, stage)]
        return min(ready, key=load) if ready else None

    explorers = [p for p in order if candidates[p] == "fresh"]
    # A series the viewer is in goes on first, within the batch's caps and loop breaker.
    series = [p for p in candidates if candidates[p].startswith("series:")]
    # Exploration slots are spread over the batch (one in five: the middle one).
    explore_at = {int((k + 0.5) * size / explore_slots) for k in range(explore_slots)}
    for slot in range(size):
        sources = [explorers, order] if slot in explore_at else [order]
        if series:
            sources = [series, *sources]
        # Stage 0 keeps every rule; stage 1 lets the batch caps go but keeps the loop
        # breaker; stage 2, when even that runs dry, prefers the least repeated topics.
        chosen = next(
            (
                found
                for stage in (0, 1, 2)
                for source in sources
                if (found := first(source, stage)) is not None
            ),
            None,
        )
        if chosen is None:
            break
        take(chosen)
    return [Pick(int(cat.ids[p]), candidates[p]) for p in picks]


def personal(
    cat: Catalogue,
    model: ExportedModel | None,
    ctx: Context,
    config: RecommendSettings,
    size: int,
    batches: int = 1,
) -> list[Pick]:
    """The next ``batches`` batches of ``size`` cards For You shows this viewer, in order.

    One candidate gathering and scoring pass serves every batch; each later batch is
    re-ranked after the earlier ones, so the caps, exploration slots and loop breaker
    hold in each batch as if it were asked for on its own.
    """
    tag_affinity, creator_affinity = affinities(cat, ctx.feedback, ctx.choices.interests)
    candidates = gather(cat, model, ctx, tag_affinity, config.candidates)
    if not candidates:
        return []
    positions = np.fromiter(candidates, dtype=np.intp, count=len(candidates))
    scores = score(cat, model, ctx, positions, tag_affinity, creator_affinity, config)
    picks: list[Pick] = []
    for _ in range(batches):
        batch = rerank(cat, candidates, scores, ctx, config, size)
        picks += batch
        if len(batch) < size:
            break
        taken = {cat.position[pick.video_id] for pick in batch}
        keep = np.fromiter((p not in taken for p in candidates), dtype=bool, count=len(scores))
        candidates = {p: reason for p, reason in candidates.items() if p not in taken}
        scores = scores[keep]
        ctx = replace(ctx, recent=ctx.recent + [pick.video_id for pick in batch])
    return picks


def plain(cat: Catalogue, ctx: Context, mode: str, size: int) -> list[Pick]:
    """The non-personalised orders a viewer may choose: trending or newest first."""
    source = cat.popular if mode == "trending" else cat.newest
    reason = "trending" if mode == "trending" else "newest"
    blocked = ctx.seen | set(ctx.choices.hidden_videos)
    hidden_creators = set(ctx.choices.hidden_creators)
    picks: list[Pick] = []
    for position in source.tolist():
        video = int(cat.ids[position])
        if video in blocked or int(cat.creators[position]) in hidden_creators:
            continue
        picks.append(Pick(video, reason))
        if len(picks) >= size:
            break
    if len(picks) < size and mode == "trending":
        # Past the videos with engagement, the newest carry on.
        taken = blocked | {p.video_id for p in picks}
        picks.extend(plain(cat, replace(ctx, seen=taken), "chronological", size - len(picks)))
    return picks
