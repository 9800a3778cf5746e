"""What For You may serve, held in memory by each web process and rebuilt in the background.

One snapshot holds every ready public video as numpy arrays (id, creator, age,
impressions, engagement) plus its hashtags, the popular order (engagement decayed
by age, as the fallback order uses) and per-hashtag and per-creator indexes, so
gathering candidates for a viewer never queries the database. The model's rows
for the catalogue are looked up once per snapshot and model version.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from nichevid.core.onebuild import OneBuild
from nichevid.feed.foryou import GRAVITY
from nichevid.feed.settings import feed_settings
from nichevid.feed.tables import WatchEvent
from nichevid.media.tables import Video
from nichevid.playlists.tables import PlaylistItem
from nichevid.recommend.model import ExportedModel
from nichevid.recommend.settings import RecommendSettings, recommend_settings
from nichevid.replicas import read

_KEY = "recommend.catalogue"
# Ranked lists kept per hashtag and creator (the best first).
PER_TAG = 200
PER_CREATOR = 50
# Hashtags per video that ranking weighs (the caption's first ones).
MAX_TAGS = 4
# Factor neighbours are looked for among this many of the most popular videos (and fresh ones).
NEIGHBOUR_POOL = 5000


def _videos_sql(where: str = "") -> str:
    return f"""
        SELECT id, owner, hashtags, created_at, published_at FROM {Video._meta.tablename}
         WHERE status = 'ready' AND visibility = 'public' AND NOT age_restricted {where}
    """  # noqa: S608 - a table name and fixed conditions only


_NEWER = _videos_sql("AND published_at > {}")
# The open videos of every playlist, in order (see ``nichevid.playlists``).
_PARTS_SQL = f"""
    SELECT i.playlist, i.video FROM {PlaylistItem._meta.tablename} i
      JOIN {Video._meta.tablename} v ON v.id = i.video
     WHERE v.status = 'ready' AND v.visibility = 'public' AND NOT v.age_restricted
     ORDER BY i.playlist, i.position
"""  # noqa: S608 - table names and fixed conditions only


def _activity_sql() -> str:
    event = WatchEvent._meta.tablename
    return f"""
        SELECT e.video + 0 AS video, COUNT(*) AS impressions,
               SUM(CASE WHEN e.skipped THEN -1 ELSE 1 END)
                 + 2 * SUM(CASE WHEN e.completed THEN 1 ELSE 0 END) AS engagement
          FROM {event} e
         WHERE e.created_at >= {{}}
         GROUP BY e.video + 0
    """  # noqa: S608 - a table name only; the time is a bound parameter


EPOCH = datetime.fromtimestamp(0, UTC)


def _moment(value: Any) -> datetime:
    if value is None:
        return EPOCH
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _epoch(value: Any) -> float:
    return _moment(value).timestamp()


def _tag_matrix(
    tags: list[tuple[str, ...]], ids: dict[str, int]
) -> tuple[dict[str, int], npt.NDArray[np.int32]]:
    """Number every hashtag (keeping ``ids`` already given) and lay positions out as rows."""
    matrix = np.full((len(tags), MAX_TAGS), -1, dtype=np.int32)
    for position, names in enumerate(tags):
        for column, tag in enumerate(names[:MAX_TAGS]):
            matrix[position, column] = ids.setdefault(tag, len(ids))
    return ids, matrix


def _tags(raw: Any) -> tuple[str, ...]:
    return tuple(json.loads(raw) if isinstance(raw, str) else raw or ())


@dataclass
class Catalogue:
    """One snapshot of servable videos; positions index every array."""

    version: int
    ids: npt.NDArray[np.int64]
    creators: npt.NDArray[np.int64]
    created: npt.NDArray[np.float64]
    impressions: npt.NDArray[np.int64]
    popularity: npt.NDArray[np.float32]  # 0..1, decayed engagement scaled to the best
    tags: list[tuple[str, ...]]
    popular: npt.NDArray[np.intp]  # positions, best first (videos with engagement)
    fresh: npt.NDArray[np.intp]  # positions of under-explored videos, newest first
    newest: npt.NDArray[np.intp]  # every position, newest first
    by_tag: dict[str, npt.NDArray[np.intp]]
    by_creator: dict[int, npt.NDArray[np.intp]]
    position: dict[int, int]
    published_until: datetime  # the newest publication this snapshot holds
    # Each position's hashtags as rows of ``tag_ids`` indexes (-1 pads), for vector lookups.
    tag_ids: dict[str, int] = field(default_factory=dict)
    tag_matrix: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.empty((0, MAX_TAGS), np.int32)
    )
    # The next part of each open video that is in a playlist (video id to video id).
    next_part: dict[int, int] = field(default_factory=dict)
    _rows: tuple[str, npt.NDArray[np.intp]] | None = field(default=None, repr=False)
    _pool: tuple[str, npt.NDArray[np.intp], npt.NDArray[np.float32]] | None = field(
        default=None, repr=False
    )

    def __post_init__(self) -> None:
        if len(self.tag_matrix) != len(self.tags):
            self.tag_ids, self.tag_matrix = _tag_matrix(self.tags, dict(self.tag_ids))

    def model_rows(self, model: ExportedModel) -> npt.NDArray[np.intp]:
        """The model's row of every catalogue position (``-1``: unknown), cached per model."""
        if self._rows is None or self._rows[0] != model.version:
            self._rows = (model.version, model.item_rows(self.ids.tolist()))
        return self._rows[1]

    def neighbour_pool(
        self, model: ExportedModel
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        """Popular and fresh positions the model knows, with unit-length item factors."""
        if self._pool is None or self._pool[0] != model.version:
            pool = np.concatenate([self.popular[:NEIGHBOUR_POOL], self.fresh])
            rows = self.model_rows(model)[pool]
            known = rows >= 0
            pool, factors = pool[known], model.item_factors[rows[known]]
            norms = np.linalg.norm(factors, axis=1, keepdims=True)
            unit = (factors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
            self._pool = (model.version, pool, unit)
        return self._pool[1], self._pool[2]

    def extended(self, rows: list[dict[str, Any]]) -> Catalogue:
        """A copy with newly published videos added as fresh ones (older holders keep theirs)."""
        rows = [r for r in rows if int(r["id"]) not in self.position]
        if not rows:
            return self
        start, n = len(self.ids), len(rows)
        added = np.arange(start, start + n, dtype=np.intp)
        names = [_tags(r["hashtags"]) for r in rows]
        by_tag = dict(self.by_tag)
        by_creator = dict(self.by_creator)
        for offset, row in enumerate(rows):
            position = np.array([start + offset], dtype=np.intp)
            for tag in names[offset]:
                by_tag[tag] = np.concatenate([position, by_tag.get(tag, position[:0])])
            creator = int(row["owner"])
            by_creator[creator] = np.concatenate([position, by_creator.get(creator, position[:0])])
        newest_first = added[::-1]
        tag_ids, new_rows = _tag_matrix(names, dict(self.tag_ids))
        return Catalogue(
            version=self.version,
            ids=np.concatenate([self.ids, [int(r["id"]) for r in rows]]).astype(np.int64),
            creators=np.concatenate([self.creators, [int(r["owner"]) for r in rows]]).astype(
                np.int64
            ),
            created=np.concatenate([self.created, [_epoch(r["created_at"]) for r in rows]]),
            impressions=np.concatenate([self.impressions, np.zeros(n, dtype=np.int64)]),
            popularity=np.concatenate([self.popularity, np.zeros(n, dtype=np.float32)]),
            tags=[*self.tags, *names],
            popular=self.popular,
            fresh=np.concatenate([newest_first, self.fresh]),
            newest=np.concatenate([newest_first, self.newest]),
            by_tag=by_tag,
            by_creator=by_creator,
            position={**self.position, **{int(r["id"]): start + i for i, r in enumerate(rows)}},
            published_until=max(self.published_until, *(_moment(r["published_at"]) for r in rows)),
            tag_ids=tag_ids,
            tag_matrix=np.concatenate([self.tag_matrix, new_rows]),
            next_part=self.next_part,
        )


def _ranked(groups: dict[Any, list[int]], score: npt.NDArray[Any], keep: int) -> dict[Any, Any]:
    out = {}
    for key, positions in groups.items():
        array = np.asarray(positions, dtype=np.intp)
        out[key] = array[np.argsort(-score[array], kind="stable")][:keep]
    return out


async def build(settings: Any, version: int) -> Catalogue:
    """Read servable videos and recent activity, and index them."""
    config = recommend_settings(settings)
    window = feed_settings(settings).foryou_window_days
    now = datetime.now(UTC)
    rows = await read(Video.raw(_videos_sql()))
    activity = {
        int(r["video"]): (int(r["impressions"]), int(r["engagement"] or 0))
        for r in await read(WatchEvent.raw(_activity_sql(), now - timedelta(days=window)))
    }
    parts = await read(PlaylistItem.raw(_PARTS_SQL))
    # Indexing 100,000 videos takes a while: off the event loop, so requests go on meanwhile.
    found = await asyncio.to_thread(_index, rows, activity, config, version, now)
    found.next_part = _next_parts(parts)
    return found


def _next_parts(rows: list[dict[str, Any]]) -> dict[int, int]:
    """Each video's next one in its playlist, from rows in playlist and part order."""
    following: dict[int, int] = {}
    for before, after in itertools.pairwise(rows):
        if before["playlist"] == after["playlist"]:
            following[int(before["video"])] = int(after["video"])
    return following


def _index(
    rows: list[dict[str, Any]],
    activity: dict[int, tuple[int, int]],
    config: RecommendSettings,
    version: int,
    now: datetime,
) -> Catalogue:
    n = len(rows)
    ids = np.fromiter((int(r["id"]) for r in rows), dtype=np.int64, count=n)
    creators = np.fromiter((int(r["owner"]) for r in rows), dtype=np.int64, count=n)
    created = np.fromiter((_epoch(r["created_at"]) for r in rows), dtype=np.float64, count=n)
    seen = [activity.get(int(i), (0, 0)) for i in ids.tolist()]
    impressions = np.fromiter((s[0] for s in seen), dtype=np.int64, count=n)
    engagement = np.fromiter((max(0, s[1]) for s in seen), dtype=np.float64, count=n)
    hours = np.maximum(0.0, (now.timestamp() - created) / 3600.0)
    decayed = np.where(engagement > 0, (engagement + 1) / (hours + 2) ** GRAVITY, 0.0)
    top = float(decayed.max()) if n else 0.0
    popularity = (decayed / top if top > 0 else decayed).astype(np.float32)
    tags: list[tuple[str, ...]] = []
    tag_groups: dict[str, list[int]] = defaultdict(list)
    creator_groups: dict[int, list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        names = _tags(row["hashtags"])
        tags.append(names)
        for tag in names:
            tag_groups[tag].append(position)
        creator_groups[int(row["owner"])].append(position)
    order = np.argsort(-decayed, kind="stable")
    popular = order[decayed[order] > 0]
    fresh_mask = impressions < config.fresh_impressions
    newest = np.argsort(-created, kind="stable")
    fresh = newest[fresh_mask[newest]][: config.candidates]
    # Per hashtag: the most popular first, then the newest; per creator: the newest first.
    tag_score = decayed + created / 1e12
    return Catalogue(
        version=version,
        ids=ids,
        creators=creators,
        created=created,
        impressions=impressions,
        popularity=popularity,
        tags=tags,
        popular=popular.astype(np.intp),
        fresh=fresh.astype(np.intp),
        newest=newest.astype(np.intp),
        by_tag=_ranked(tag_groups, tag_score, PER_TAG),
        by_creator=_ranked(creator_groups, created, PER_CREATOR),
        position={int(i): p for p, i in enumerate(ids.tolist())},
        published_until=max((_moment(r["published_at"]) for r in rows), default=EPOCH),
    )


class CatalogueHolder:
    """The process's snapshot, rebuilt at most every ``catalogue_seconds`` in the background."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self._config = recommend_settings(settings)
        self.current: Catalogue | None = None
        self._built_at = 0.0
        self._builds = OneBuild(self._rebuild, self._failed)
        self._version = 0
        self._checked = 0.0

    async def get(self) -> Catalogue:
        """The snapshot; the very first call builds it, later stale calls start a rebuild.

        Videos published since the snapshot are added at once (one indexed query at
        most every ``new_video_seconds``), so a new upload is explored within seconds.
        """
        if self.current is None:
            await self._builds.wait()
        elif self._stale():
            self._builds.start()
        elif time.monotonic() - self._checked >= self._config.new_video_seconds:
            self._checked = time.monotonic()
            newer = await read(Video.raw(_NEWER, self.current.published_until))
            if newer:
                self.current = self.current.extended(newer)
        assert self.current is not None
        return self.current

    async def snapshot(self) -> Catalogue:
        """The snapshot as it is (built on the first call), without looking for new videos."""
        if self.current is None:
            await self._builds.wait()
        assert self.current is not None
        return self.current

    async def refresh(self) -> Catalogue:
        """Rebuild now and return the new snapshot."""
        await self._rebuild()
        assert self.current is not None
        return self.current

    def _stale(self) -> bool:
        return time.monotonic() - self._built_at >= self._config.catalogue_seconds

    async def _rebuild(self) -> None:
        self._version += 1
        self.current = await build(self._settings, self._version)
        self._built_at = self._checked = time.monotonic()

    def _failed(self) -> None:
        # Keep the old snapshot; the next stale call tries again.
        self._built_at = time.monotonic()


def catalogue(resources: Any) -> CatalogueHolder:
    """The process's catalogue holder for these resources."""
    holder: CatalogueHolder | None = resources.extra.get(_KEY)
    if holder is None:
        holder = resources.extra[_KEY] = CatalogueHolder(resources.settings)
    return holder
