"""Subscribers-only videos in a subscriber's For You.

The catalogue ranks only open videos, the ones every viewer shares. The videos a
member may watch through a subscription come from the plugins (the
``subscribed_videos`` hook), newest first; up to ``subscribed_per_batch`` of them that
the session has not shown yet, that the member did not hide and that no plugin keeps
out of For You join each personal batch, from its second card on, with the reason
``subscribed``. The batch keeps its size: the last ranked picks give way. Each video
is checked once more with ``may_view`` (:func:`nichevid.media.gates.viewable_ids`),
and its card is rendered for the member with media signed for them.
"""

from __future__ import annotations

from typing import Any

from nichevid.feed import foryou
from nichevid.media import gates
from nichevid.media.tables import Video
from nichevid.plugins import answers
from nichevid.recommend.serve import Context, Pick
from nichevid.recommend.settings import RecommendSettings

REASON = "subscribed"
# Asked of the plugins per batch: enough to skip what the session has shown already.
ASK = 30


async def candidates(resources: Any, ctx: Context, user: Any, most: int) -> list[int]:
    """Up to ``most`` subscribers-only videos ``user`` may watch and has not met here."""
    found = await answers(
        resources.pm, "subscribed_videos", viewer=user, limit=ASK, resources=resources
    )
    blocked = ctx.seen | set(ctx.choices.hidden_videos)
    named = (video for answer in found if isinstance(answer, list | tuple) for video in answer)
    # A plugin's answer that is not a list of ids is left out, never breaks the feed.
    ids = [
        video
        for video in dict.fromkeys(v for v in named if isinstance(v, int) and v > 0)
        if video not in blocked
    ]
    if not ids:
        return []
    refused = await foryou.excluded(resources, ids, user)
    ids = [video for video in ids if video not in refused]
    rows = await Video.objects().where(Video.id.is_in(ids)) if ids else []
    hidden_creators = set(ctx.choices.hidden_creators)
    hidden_tags = set(ctx.choices.hidden_tags)
    kept = {
        int(row.id): row
        for row in rows
        if row.status == "ready"
        and int(row.owner) not in hidden_creators
        and not hidden_tags & set(row.hashtags or ())
    }
    allowed = await gates.viewable_ids(resources, list(kept.values()), user)
    return [video for video in ids if video in kept and video in allowed][:most]


async def mixed_in(
    resources: Any, picks: list[Pick], ctx: Context, user: Any, config: RecommendSettings
) -> list[Pick]:
    """``picks`` with the member's subscribed videos put in: as long as ``picks`` (the
    last ranked picks give way), or just those videos once the ranked ones run out."""
    if user is None or not config.subscribed_per_batch:
        return picks
    chosen = await candidates(resources, ctx, user, config.subscribed_per_batch)
    if not chosen:
        return picks
    mixed = list(picks)
    for k, video in enumerate(chosen):
        mixed.insert(min(1 + 2 * k, len(mixed)), Pick(video, REASON))
    return mixed[: max(len(picks), len(chosen))]
