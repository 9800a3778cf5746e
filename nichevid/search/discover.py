"""What the search page shows before anything is typed: what the community posts about
and whom it follows now.

* Featured: the hashtags moderators feature (``nichevid.social.hashtags``), with their
  challenge descriptions.
* Hashtags: those of the most open videos published in the last :data:`DAYS` days.
* Creators: active members with an open video whose followers grew most in those days,
  then those who published last, so a young instance has some to show.
* Playlists: the ones changed last that have at least two videos out.

Read from the replicas when there are some, and kept :data:`KEEP_SECONDS` per web
process; each reader's blocks and mutes are taken out when shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid.accounts.tables import User
from nichevid.media.listing import OPEN_VIDEO
from nichevid.media.tables import Video
from nichevid.playlists.reading import Summary, recent_playlists
from nichevid.replicas import read
from nichevid.search.engines import uses_postgres
from nichevid.social import hashtags
from nichevid.social.tables import Follow

DAYS = 14
KEEP_SECONDS = 300
HASHTAGS = 16
CREATORS = 8
PLAYLISTS = 6
_KEY = "search.discover"
_V, _U, _F = Video._meta.tablename, User._meta.tablename, Follow._meta.tablename
_OPEN = f"{OPEN_VIDEO} AND u.is_active"
_TAGS = {
    False: f"""
        SELECT j.value AS tag, count(*) AS videos
          FROM {_V} v JOIN {_U} u ON u.id = v.owner JOIN json_each(v.hashtags) j
         WHERE {_OPEN} AND v.published_at >= {{}}
         GROUP BY j.value ORDER BY videos DESC, tag LIMIT {{}}
    """,  # noqa: S608 - table names and fixed conditions only
    True: f"""
        SELECT t.tag, count(*) AS videos
          FROM {_V} v JOIN {_U} u ON u.id = v.owner,
               json_array_elements_text(v.hashtags) AS t(tag)
         WHERE {_OPEN} AND v.published_at >= {{}}
         GROUP BY t.tag ORDER BY videos DESC, t.tag LIMIT {{}}
    """,  # noqa: S608 - table names and fixed conditions only
}
_HAS_OPEN_VIDEO = f"EXISTS (SELECT 1 FROM {_V} v WHERE v.owner = u.id AND {OPEN_VIDEO})"  # noqa: S608
_FOLLOWED = f"""
    SELECT u.id, u.username, u.display_name, u.avatar_key, count(*) AS gained
      FROM {_F} f JOIN {_U} u ON u.id = f.followee
     WHERE f.created_at >= {{}} AND u.is_active AND {_HAS_OPEN_VIDEO}
     GROUP BY u.id, u.username, u.display_name, u.avatar_key
     ORDER BY gained DESC, u.id LIMIT {{}}
"""  # noqa: S608 - table names and fixed conditions only
_PUBLISHING = f"""
    SELECT u.id, u.username, u.display_name, u.avatar_key, max(v.published_at) AS last
      FROM {_V} v JOIN {_U} u ON u.id = v.owner
     WHERE {_OPEN}
     GROUP BY u.id, u.username, u.display_name, u.avatar_key
     ORDER BY last DESC, u.id LIMIT {{}}
"""  # noqa: S608 - table names and fixed conditions only


@dataclass(frozen=True)
class Creator:
    """A creator to discover."""

    id: int
    username: str
    display_name: str
    avatar_key: str
    # Followers gained in the last DAYS days (0 for those listed for publishing).
    gained: int


@dataclass(frozen=True)
class Discover:
    """The sections of the search page before a search."""

    hashtags: list[tuple[str, int]]
    creators: list[Creator]
    # (hashtag, description) that moderators feature, the last featured first.
    featured: list[tuple[str, str]]
    playlists: list[Summary]
    days: int = DAYS

    def without(self, hidden: Any) -> Discover:
        """The sections less the members ``hidden`` (blocks and mutes) keeps from a reader."""
        ids = set(hidden)
        if not ids:
            return self
        return replace(
            self,
            creators=[c for c in self.creators if c.id not in ids],
            playlists=[p for p in self.playlists if p.owner_id not in ids],
        )


async def measure(now: datetime | None = None) -> Discover:
    """Read the sections from the database (the replicas when there are some)."""
    since = (now or datetime.now(UTC)) - timedelta(days=DAYS)
    tags = await read(Video.raw(_TAGS[uses_postgres()], since, HASHTAGS))
    # A few more than shown, so a reader's blocks and mutes still leave a full row.
    followed = await read(User.raw(_FOLLOWED, since, CREATORS * 2))
    creators = [_creator(row, int(row["gained"])) for row in followed]
    if len(creators) < CREATORS * 2:
        known = {c.id for c in creators}
        publishing = await read(User.raw(_PUBLISHING, CREATORS * 2))
        creators += [_creator(row, 0) for row in publishing if int(row["id"]) not in known]
    featured = await hashtags.featured()
    shown = {tag for tag, _ in featured}
    return Discover(
        featured=featured,
        hashtags=[(str(row["tag"]), int(row["videos"])) for row in tags if row["tag"] not in shown],
        creators=creators[: CREATORS * 2],
        playlists=[p for p in await recent_playlists(PLAYLISTS * 4) if p.videos >= 2][
            : PLAYLISTS * 2
        ],
    )


def _creator(row: dict[str, Any], gained: int) -> Creator:
    return Creator(
        id=int(row["id"]),
        username=str(row["username"]),
        display_name=str(row["display_name"] or row["username"]),
        avatar_key=str(row["avatar_key"] or ""),
        gained=gained,
    )


def forget(resources: Any) -> None:
    """Measure again at the next request of this process (after moderators change what is
    featured; other processes follow within :data:`KEEP_SECONDS`)."""
    resources.extra.pop(_KEY, None)


async def sections(resources: Any, hidden: Any = ()) -> Discover:
    """The sections as a reader sees them: measured at most every :data:`KEEP_SECONDS`
    per process, less the members ``hidden`` keeps from them, each list cut to size."""
    kept = resources.extra.get(_KEY)
    if kept is None or time.monotonic() - kept[0] > KEEP_SECONDS:
        kept = resources.extra[_KEY] = (time.monotonic(), await measure())
    shown = kept[1].without(hidden)
    return replace(shown, creators=shown.creators[:CREATORS], playlists=shown.playlists[:PLAYLISTS])
