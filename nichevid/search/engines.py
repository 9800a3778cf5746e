"""The search statements of each database, and which one the instance uses.

SQLite searches its FTS5 tables and ranks with ``bm25`` (smaller is better);
PostgreSQL matches ``to_tsquery`` against the expressions its GIN indexes hold and
ranks with ``ts_rank`` (normalised by document length, so a caption that is just
the words searched for ranks above a long one that mentions them in passing). The
vector expressions must stay exactly those of the search migration, or PostgreSQL
cannot use the indexes. Hashtags rank exact tag first, then by how many videos use them.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.engine.postgres import PostgresEngine

from nichevid.media.listing import OPEN_VIDEO
from nichevid.media.tables import Video
from nichevid.search.terms import Terms

VIDEO_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, v.caption), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, v.hashtags::text), 'A'))"
)
USER_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, u.username), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, u.display_name), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, u.bio), 'C'))"
)
_OPEN = f"{OPEN_VIDEO} AND u.is_active"
# Open videos and gated ones (followers, subscribers, age-restricted): for a signed-in
# reader, whose results keep only those ``may_view`` admits.
_LISTABLE = "v.status = 'ready' AND v.visibility <> 'private' AND u.is_active"
_VIDEO_FIELDS = """v.id, v.slug, v.owner, v.visibility, v.age_restricted, v.caption,
    v.hashtags, v.poster_key, v.images, u.username, u.display_name"""
_USER_FIELDS = "u.id, u.username, u.display_name, u.bio, u.avatar_key"


@dataclass(frozen=True)
class Statements:
    """One engine's statements. Placeholders, in order, are listed beside each."""

    # query, limit, offset
    videos: str
    # query, limit, offset: as ``videos``, gated videos included
    listed_videos: str
    # query, exact username, limit, offset
    people: str
    # query, prefix length, prefix, exact tag, limit, offset
    hashtags: str
    postgres: bool

    def match(self, terms: Terms, *, hashtags_only: bool = False) -> str:
        """The query text of ``terms`` in this engine's language."""
        if self.postgres:
            return terms.tsquery()
        return f"hashtags : ({terms.fts5()})" if hashtags_only else terms.fts5()


def _sqlite_videos(listed: str) -> str:
    return f"""
        SELECT {_VIDEO_FIELDS}
          FROM nv_video_fts
          JOIN nv_video v ON v.id = nv_video_fts.rowid
          JOIN nv_user u ON u.id = v.owner
         WHERE nv_video_fts MATCH {{}} AND {listed}
         ORDER BY bm25(nv_video_fts, 1.0, 2.0), v.id DESC
         LIMIT {{}} OFFSET {{}}
    """  # noqa: S608 - constant SQL; values are bound parameters


def _postgres_videos(listed: str) -> str:
    return f"""
        SELECT {_VIDEO_FIELDS}
          FROM nv_video v JOIN nv_user u ON u.id = v.owner, to_tsquery('simple', {{}}) q
         WHERE {listed} AND {VIDEO_VECTOR} @@ q
         ORDER BY ts_rank({VIDEO_VECTOR}, q, 1) DESC, v.id DESC
         LIMIT {{}} OFFSET {{}}
    """  # noqa: S608 - constant SQL; values are bound parameters


SQLITE = Statements(
    videos=_sqlite_videos(_OPEN),
    listed_videos=_sqlite_videos(_LISTABLE),
    people=f"""
        SELECT {_USER_FIELDS}
          FROM nv_user_fts
          JOIN nv_user u ON u.id = nv_user_fts.rowid
         WHERE nv_user_fts MATCH {{}} AND u.is_active
         ORDER BY u.username = {{}} DESC, bm25(nv_user_fts, 10.0, 5.0, 1.0), u.id
         LIMIT {{}} OFFSET {{}}
    """,  # noqa: S608 - constant SQL; values are bound parameters
    hashtags=f"""
        SELECT j.value AS tag, count(*) AS videos
          FROM nv_video_fts
          JOIN nv_video v ON v.id = nv_video_fts.rowid
          JOIN nv_user u ON u.id = v.owner
          JOIN json_each(v.hashtags) j
         WHERE nv_video_fts MATCH {{}} AND {_OPEN} AND substr(j.value, 1, {{}}) = {{}}
         GROUP BY j.value
         ORDER BY j.value = {{}} DESC, videos DESC, tag
         LIMIT {{}} OFFSET {{}}
    """,  # noqa: S608 - constant SQL; values are bound parameters
    postgres=False,
)

POSTGRES = Statements(
    videos=_postgres_videos(_OPEN),
    listed_videos=_postgres_videos(_LISTABLE),
    people=f"""
        SELECT {_USER_FIELDS}
          FROM nv_user u, to_tsquery('simple', {{}}) q
         WHERE u.is_active AND {USER_VECTOR} @@ q
         ORDER BY u.username = {{}} DESC, ts_rank({USER_VECTOR}, q, 1) DESC, u.id
         LIMIT {{}} OFFSET {{}}
    """,  # noqa: S608 - constant SQL; values are bound parameters
    hashtags=f"""
        SELECT t.tag, count(*) AS videos
          FROM nv_video v JOIN nv_user u ON u.id = v.owner,
               to_tsquery('simple', {{}}) q,
               json_array_elements_text(v.hashtags) AS t(tag)
         WHERE {_OPEN} AND {VIDEO_VECTOR} @@ q AND substr(t.tag, 1, {{}}) = {{}}
         GROUP BY t.tag
         ORDER BY t.tag = {{}} DESC, videos DESC, t.tag
         LIMIT {{}} OFFSET {{}}
    """,  # noqa: S608 - constant SQL; values are bound parameters
    postgres=True,
)


def uses_postgres() -> bool:
    """Whether the tables live in PostgreSQL (else SQLite)."""
    return isinstance(Video._meta.db, PostgresEngine)


def statements() -> Statements:
    """The statements of the instance's database."""
    return POSTGRES if uses_postgres() else SQLITE
