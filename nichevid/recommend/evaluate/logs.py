"""Reading interaction logs: the KuaiRand directory layout and a generic CSV / JSON-lines format.

Every row becomes an :class:`Event`; bad files fail with :class:`LogError`, whose
message names the file, the row and what to do about it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from nichevid.recommend.rank import FEEDS, feed_code
from nichevid.recommend.ratings import Signals

KUAIRAND_LOG = "log_standard_*.csv"
KUAIRAND_VIDEOS = "video_features_basic*.csv"
KUAIRAND_COLUMNS = (
    "user_id", "video_id", "date", "time_ms", "is_click", "is_like", "is_follow",
    "is_comment", "is_forward", "is_hate", "long_view", "play_time_ms", "duration_ms",
)  # fmt: skip
VIDEO_COLUMNS = ("video_id", "author_id", "upload_dt", "video_duration", "tag")
FLAGS = ("is_click", "long_view", "is_like", "is_forward", "is_comment", "is_follow", "is_hate")
GENERIC_REQUIRED = ("user_id", "video_id")
GENERIC_HELP = (
    "a generic log needs columns user_id, video_id, timestamp or date, and play_time_ms or "
    "at least one of " + ", ".join(FLAGS) + " (see docs/recommender.md)"
)


class LogError(ValueError):
    """A log that cannot be read; the message names the file and row and says what to do."""


@dataclass(frozen=True, slots=True)
class Video:
    """What serving knows about a video besides its id."""

    author_id: int = -1
    tags: tuple[int, ...] = ()
    duration_ms: int = 0
    upload_day: date | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One logged impression: who, what, when, and the signals that make its rating.

    ``feed`` (a feed code, see :func:`nichevid.recommend.rank.feed_code`) and ``hour``
    (local hour of the impression, 0..23) are the serving context; ``-1`` when unknown.
    """

    user_id: int
    video_id: int
    day: date
    time_ms: int
    signals: Signals
    feed: int = -1
    hour: int = -1


@dataclass
class Log:
    """Events in time order plus the video features the log came with (may be empty)."""

    events: list[Event]
    videos: dict[int, Video] = field(default_factory=dict)
    source: str = ""


def _int(value: str | int | float | None, name: str) -> int:
    if value is None or value == "":
        raise ValueError(f"{name} is empty")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = float(value)
    if number != number or abs(number) == float("inf"):
        raise ValueError(f"{name} is not a number ({value!r})")
    return int(number)


def _flag(value: str | int | float | None, name: str) -> bool:
    if value is None or value == "":
        return False
    number = _int(value, name)
    if number not in (0, 1):
        raise ValueError(f"{name} must be 0 or 1, not {value!r}")
    return number == 1


def _day(value: str | int | float, name: str) -> date:
    text = str(value).strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:10] if "-" in text else text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{name} is not a date like 2022-05-04 or 20220504 ({value!r})")


def _timestamp_ms(value: str | int | float) -> int:
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"timestamp is neither a number nor an ISO date-time ({value!r})"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    # Seconds since the epoch stay below 1e11 until the year 5138; anything larger is ms.
    return int(number * 1000) if number < 1e11 else int(number)


def _signals(row: dict[str, str | int | float | None]) -> Signals:
    flags = {name: _flag(row.get(name), name) for name in FLAGS}
    return Signals(
        watched_ms=max(0, _int(row.get("play_time_ms") or 0, "play_time_ms")),
        duration_ms=max(0, _int(row.get("duration_ms") or 0, "duration_ms")),
        liked=flags["is_like"],
        shared=flags["is_forward"],
        commented=flags["is_comment"],
        followed=flags["is_follow"],
        not_interested=flags["is_hate"],
        valid_play=flags["is_click"] if row.get("is_click") not in (None, "") else None,
        long_view=flags["long_view"] if row.get("long_view") not in (None, "") else None,
    )


def _tags(value: str | int | float | list[int] | None) -> tuple[int, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(int(v) for v in value)
    parts = str(value).replace("|", ",").replace(";", ",").split(",")
    return tuple(int(float(p)) for p in parts if p.strip())


def _check_columns(path: Path, found: list[str] | None, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in (found or [])]
    if missing:
        raise LogError(
            f"{path}: row 1 (header) lacks column(s) {', '.join(missing)}; "
            f"the file must have {', '.join(needed)}."
        )


def _bad_row(path: Path, number: int, exc: Exception, what: str) -> LogError:
    return LogError(f"{path}: row {number}: {exc}; {what}")


def read_kuairand(directory: Path) -> Log:
    """The standard-feed log and video features of a KuaiRand(-Pure) directory."""
    logs = sorted(directory.glob(KUAIRAND_LOG))
    if not logs:
        raise LogError(
            f"{directory}: no {KUAIRAND_LOG} file; point --kuairand at the KuaiRand data folder."
        )
    events: list[Event] = []
    for path in logs:
        events.extend(_read_kuairand_log(path))
    events.sort(key=lambda e: e.time_ms)
    videos: dict[int, Video] = {}
    for path in sorted(directory.glob(KUAIRAND_VIDEOS)):
        videos.update(_read_kuairand_videos(path))
    return Log(events, videos, source=str(directory))


def _read_kuairand_log(path: Path) -> Iterator[Event]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        _check_columns(path, list(reader.fieldnames or []), KUAIRAND_COLUMNS)
        for number, row in enumerate(reader, start=2):
            try:
                yield Event(
                    user_id=_int(row["user_id"], "user_id"),
                    video_id=_int(row["video_id"], "video_id"),
                    day=_day(row["date"], "date"),
                    time_ms=_int(row["time_ms"], "time_ms"),
                    signals=_signals(dict(row)),
                    feed=_int(row.get("tab") or -1, "tab"),
                    hour=_int(row["hourmin"], "hourmin") // 100 if row.get("hourmin") else -1,
                )
            except (ValueError, TypeError) as exc:
                raise _bad_row(path, number, exc, "fix or delete that row.") from None


def _read_kuairand_videos(path: Path) -> dict[int, Video]:
    videos: dict[int, Video] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        _check_columns(path, list(reader.fieldnames or []), VIDEO_COLUMNS)
        for number, row in enumerate(reader, start=2):
            try:
                videos[_int(row["video_id"], "video_id")] = Video(
                    author_id=_int(row["author_id"] or -1, "author_id"),
                    tags=_tags(row["tag"]),
                    duration_ms=_int(row["video_duration"] or 0, "video_duration"),
                    upload_day=_day(row["upload_dt"], "upload_dt") if row["upload_dt"] else None,
                )
            except (ValueError, TypeError) as exc:
                raise _bad_row(path, number, exc, "fix or delete that row.") from None
    return videos


def read_generic(path: Path) -> Log:
    """A CSV (``.csv``) or JSON-lines (any other name) log in the generic format."""
    rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _json_rows(path)
    events: list[Event] = []
    videos: dict[int, Video] = {}
    for number, row in rows:
        try:
            events.append(_generic_event(row))
            if row.get("author_id") not in (None, "") or row.get("tags") not in (None, ""):
                video = _int(row["video_id"], "video_id")
                if video not in videos:
                    upload = row.get("upload_date")
                    videos[video] = Video(
                        author_id=_int(row.get("author_id") or -1, "author_id"),
                        tags=_tags(row.get("tags")),
                        duration_ms=_int(row.get("duration_ms") or 0, "duration_ms"),
                        upload_day=_day(upload, "upload_date") if upload else None,
                    )
        except (ValueError, TypeError) as exc:
            raise _bad_row(path, number, exc, "fix or delete that row.") from None
    if not events:
        raise LogError(f"{path}: no rows; {GENERIC_HELP}.")
    events.sort(key=lambda e: e.time_ms)
    return Log(events, videos, source=str(path))


def _generic_event(row: dict[str, str | int | float | None]) -> Event:
    stamp = row.get("timestamp")
    when = row.get("date")
    if stamp not in (None, ""):
        time_ms = _timestamp_ms(stamp)
        day = _day(when, "date") if when else datetime.fromtimestamp(time_ms / 1000, UTC).date()
    elif when not in (None, ""):
        day = _day(when, "date")
        time_ms = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    else:
        raise ValueError("neither timestamp nor date is given")
    hour = row.get("hour")
    return Event(
        user_id=_int(row.get("user_id"), "user_id"),
        video_id=_int(row.get("video_id"), "video_id"),
        day=day,
        time_ms=time_ms,
        signals=_signals(row),
        feed=_feed(row.get("feed")),
        hour=_int(hour, "hour") % 24 if hour not in (None, "") else -1,
    )


def _feed(value: str | int | float | None) -> int:
    """A feed code from a feed name (``foryou``, ...) or a number; ``-1`` when absent."""
    if value is None or value == "":
        return -1
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        code = feed_code(value.strip())
        if code < 0:
            raise ValueError(f"feed must be one of {', '.join(FEEDS)} or a number ({value!r})")
        return code
    return _int(value, "feed")


def _check_generic_header(path: Path, columns: set[str]) -> None:
    missing = [c for c in GENERIC_REQUIRED if c not in columns]
    if not columns & {"timestamp", "date"}:
        missing.append("timestamp or date")
    if not columns & {"play_time_ms", *FLAGS}:
        missing.append("play_time_ms or a signal column")
    if missing:
        raise LogError(f"{path}: row 1 lacks {', '.join(missing)}; {GENERIC_HELP}.")


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str | int | float | None]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        _check_generic_header(path, set(reader.fieldnames or []))
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise LogError(f"{path}: row {number} has more fields than the header; fix it.")
            yield number, dict(row)


def _json_rows(path: Path) -> Iterator[tuple[int, dict[str, str | int | float | None]]]:
    checked = False
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _bad_row(path, number, exc, "each line must be one JSON object.") from None
            if not isinstance(row, dict):
                raise LogError(f"{path}: row {number} is not a JSON object; {GENERIC_HELP}.")
            if not checked:
                _check_generic_header(path, set(row))
                checked = True
            yield number, row
