"""What the generator inserts: one row function per kind of row, and the order of kinds.

A row function receives the :class:`Context` and a half-open range of ids and yields
one dict per row keyed by column name; columns it leaves out take their Piccolo
defaults, and keys the table lacks are dropped with a note. Each function draws from
its own random stream (``ctx.rng(kind, start)``), so every batch is reproducible and
adding a kind of row leaves the others unchanged.

Adding a kind of row (watch events, likes, follows, ...) is one function here and one
:data:`STEPS` entry.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.table import Table

PASSWORD = "bench-password"  # every generated user has it
# Short edges of the vertical renditions each video gets.
RENDITION_WIDTHS = (540, 720)
# fmt: off
HASHTAGS = (
    "bonsai", "sourdough", "knitting", "woodturning", "aquascape", "calligraphy", "birding",
    "mycology", "lockpicking", "origami", "bouldering", "beekeeping", "pottery",
    "fermentation", "letterpress", "kokedama", "mechkeys", "fountainpens", "terrarium",
    "leathercraft", "bookbinding", "blacksmithing", "astrophotography", "chess",
    "speedcubing", "juggling", "ceramics", "embroidery", "coffee", "tea", "vinyl", "synths",
    "modelrail", "kites", "foraging", "sailing", "climbing", "cycling", "running", "yoga",
    "bread", "ramen", "dumplings", "pickles", "cheese", "cocktails", "houseplants",
    "succulents", "moss", "ferns",
)
WORDS = (
    "first", "try", "slow", "quick", "morning", "late", "night", "tiny", "huge", "new",
    "old", "favourite", "fix", "build", "day", "week", "project", "finally", "again", "how",
    "why", "not", "this", "that", "works", "broke", "glaze", "cut", "grain", "light",
)
# fmt: on


class GenerateError(Exception):
    """The generator cannot go on; the message says what to fix."""


@dataclass(frozen=True)
class Plan:
    """How many rows of each kind, and the seed."""

    users: int
    videos: int
    events: int
    seed: int = 1
    anchor: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )


@dataclass
class Context:
    """What row functions share: the plan, derived constants and one random stream per kind."""

    plan: Plan
    password_hash: str
    creators: list[int]
    tables: dict[str, type[Table]]

    def rng(self, kind: str, start: int) -> random.Random:
        """A random stream for the rows of ``kind`` from id ``start``: batches are reproducible."""
        return random.Random(f"{self.plan.seed}:{kind}:{start}")


RowFunc = Callable[[Context, int, int], Iterator[dict[str, Any]]]


@dataclass(frozen=True)
class Step:
    """One kind of row: its name on the command line, its table class and its row function."""

    name: str
    table: str
    count: Callable[[Plan], int]
    rows: RowFunc | None
    missing_note: str = ""


@dataclass
class StepResult:
    """What one step did."""

    name: str
    table: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def is_creator(user_id: int) -> bool:
    """Every fifth user (1, 6, 11, ...) is a creator; videos belong to creators."""
    return user_id % 5 == 1


def user_rows(ctx: Context, start: int, stop: int) -> Iterator[dict[str, Any]]:
    rng = ctx.rng("users", start)
    anchor = ctx.plan.anchor
    for i in range(start, stop):
        tags = rng.sample(HASHTAGS, 3)
        yield {
            "id": i,
            "username": f"user{i:07d}",
            "email": f"user{i:07d}@bench.invalid",
            "password_hash": ctx.password_hash,
            "role": "creator" if is_creator(i) else "member",
            "display_name": f"{rng.choice(WORDS).title()} {tags[0].title()} {i}",
            "bio": f"I post about #{tags[0]} and #{tags[1]}.",
            "interests": tags,
            "created_at": anchor - timedelta(seconds=rng.randrange(365 * 86400)),
            "updated_at": anchor,
        }


def _zipf_index(rng: random.Random, n: int, s: float = 1.1) -> int:
    """An index in ``[0, n)``, small ones far more likely (log-uniform: a long tail)."""
    return min(n - 1, int(n ** rng.random() ** s) - 1) if n > 1 else 0


def video_rows(ctx: Context, start: int, stop: int) -> Iterator[dict[str, Any]]:
    rng = ctx.rng("videos", start)
    anchor = ctx.plan.anchor
    creators = ctx.creators
    for i in range(start, stop):
        count = rng.randint(1, 4)
        tags = sorted({HASHTAGS[_zipf_index(rng, len(HASHTAGS))] for _ in range(count)})
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        created = anchor - timedelta(seconds=rng.randrange(180 * 86400))
        slug = video_slug(i)
        yield {
            "id": i,
            "slug": slug,
            "owner": creators[_zipf_index(rng, len(creators))],
            "caption": f"{words} " + " ".join(f"#{t}" for t in tags),
            "hashtags": tags,
            "status": "ready",
            "visibility": "public",
            "duration_ms": rng.randint(5_000, 60_000),
            "width": 1080,
            "height": 1920,
            "size_bytes": rng.randint(1_000_000, 30_000_000),
            # Keys of files that do not exist: pages render, media requests would answer 404.
            "source_key": f"bench/{slug}/source.mp4",
            "poster_key": f"bench/{slug}/poster.jpg",
            "created_at": created,
            "published_at": created + timedelta(seconds=30),
        }


def video_slug(video_id: int) -> str:
    """A public id that looks like the real ones and sorts unlike the numeric id."""
    return f"b{(video_id * 2_654_435_761) % 2**32:08x}{video_id:x}"[:16]


def rendition_rows(ctx: Context, start: int, stop: int) -> Iterator[dict[str, Any]]:
    per_video = len(RENDITION_WIDTHS)
    for r in range(start, stop):
        index, which = divmod(r - 1, per_video)
        video = index + 1
        width = RENDITION_WIDTHS[which]
        yield {
            "id": r,
            "video": video,
            "kind": "mp4",
            "label": f"{width}p",
            "width": width,
            "height": width * 16 // 9,
            "bitrate": width * 4_000,
            "storage_key": f"bench/{video_slug(video)}/{width}p.mp4",
            "size_bytes": width * 30_000,
        }


FEEDS = ("foryou", "foryou", "foryou", "following", "hashtag", "profile")


def event_rows(ctx: Context, start: int, stop: int) -> Iterator[dict[str, Any]]:
    """Watch events over the last 30 days: popular videos get most views (a long tail),
    about a third are skips, a quarter complete the video (some with replays), and one
    in ten comes from an anonymous viewer."""
    rng = ctx.rng("events", start)
    anchor = ctx.plan.anchor
    users, videos = ctx.plan.users, ctx.plan.videos
    if not users or not videos:
        raise GenerateError("watch events need users and videos: pass --users and --videos")
    for i in range(start, stop):
        anonymous = rng.random() < 0.1
        kind = rng.random()
        if kind < 0.33:
            watched, completed, replays, skipped = rng.randint(200, 2_000), False, 0, True
        elif kind < 0.75:
            watched, completed, replays, skipped = rng.randint(2_000, 30_000), False, 0, False
        else:
            replays = rng.choice((0, 0, 0, 1, 2))
            watched, completed, skipped = rng.randint(5_000, 60_000) * (1 + replays), True, False
        yield {
            "id": i,
            "viewer": None if anonymous else rng.randint(1, users),
            "session_id": f"anon{rng.getrandbits(64):016x}" if anonymous else "",
            "video": _zipf_index(rng, videos) + 1,
            "watched_ms": watched,
            "completed": completed,
            "replays": replays,
            "skipped": skipped,
            "feed": rng.choice(FEEDS),
            "created_at": anchor - timedelta(seconds=rng.randrange(30 * 86400)),
        }


STEPS: tuple[Step, ...] = (
    Step("users", "User", lambda p: p.users, user_rows),
    Step("videos", "Video", lambda p: p.videos, video_rows, "no Video table (media package)"),
    Step(
        "renditions",
        "Rendition",
        lambda p: p.videos * len(RENDITION_WIDTHS),
        rendition_rows,
        "no Rendition table (media package)",
    ),
    Step("events", "WatchEvent", lambda p: p.events, event_rows, "no WatchEvent table (feed)"),
)
