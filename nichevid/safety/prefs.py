"""A member's comment controls and well-being choices.

Comment controls, on the member's own videos:

* who may comment: ``everyone``, ``followers`` (members who follow the creator) or
  ``nobody``; the creator may always comment on their own videos;
* refused words: a comment containing one of them (as a whole word, any case) is
  refused with a message that says so, and nothing is stored; the author may
  reword it. Up to :data:`KEYWORDS_MAX` entries of up to :data:`KEYWORD_MAX_LENGTH`
  characters each;
* hidden like counts: the like button on their videos shows no count, to anyone.

Well-being: ``break_minutes`` and ``daily_limit_minutes`` are ``None`` to follow the
instance's default, ``0`` when the member turned the notice off, else their own
number of minutes (1 to :data:`MINUTES_MAX`).

Notifications: ``quiet_notices`` lists the kinds of :data:`QUIETABLE` the member is
not told of (likes, comment likes, follows, comments, replies, mentions); new videos of
those they follow have ``new_video_notices``; ``email_digest`` whether notifications they
have not seen are summed up by e-mail (``nichevid.social.digest``).

Age: ``birth_date`` is what the member says; videos a moderator restricted to adults
are shown only to members who are ``plugin.safety.adult_age`` or older by it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from nichevid.i18n import gettext
from nichevid.media.tables import Video
from nichevid.safety.errors import SafetyError
from nichevid.safety.tables import SafetyPrefs

WHO_MAY_COMMENT = ("everyone", "followers", "nobody")
KEYWORDS_MAX = 50
KEYWORD_MAX_LENGTH = 40
MINUTES_MAX = 1440
# Notification kinds a member may turn off, in the order the settings page lists them.
QUIETABLE = ("like", "comment_like", "comment", "reply", "mention", "follow")
_PREFS, _VIDEO = SafetyPrefs._meta.tablename, Video._meta.tablename


def _id(row: Any) -> int:
    return int(row if isinstance(row, int) else row.id)


@dataclass(frozen=True)
class Prefs:
    """One member's choices (the defaults when they chose nothing)."""

    who_may_comment: str = "everyone"
    comment_keywords: list[str] = field(default_factory=list)
    hide_like_counts: bool = False
    new_video_notices: bool = True
    quiet_notices: tuple[str, ...] = ()
    email_digest: bool = True
    break_minutes: int | None = None
    daily_limit_minutes: int | None = None
    birth_date: date | None = None


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(word) for word in value or []]


async def prefs_of(member: Any) -> Prefs:
    """The choices of ``member`` (row or id)."""
    row = await SafetyPrefs.select().where(SafetyPrefs.member == _id(member)).first()
    if row is None:
        return Prefs()
    return Prefs(
        who_may_comment=str(row["who_may_comment"]),
        comment_keywords=_keywords(row["comment_keywords"]),
        hide_like_counts=bool(row["hide_like_counts"]),
        new_video_notices=bool(row["new_video_notices"]),
        quiet_notices=tuple(k for k in _keywords(row["quiet_notices"]) if k in QUIETABLE),
        email_digest=bool(row["email_digest"]),
        break_minutes=row["break_minutes"],
        daily_limit_minutes=row["daily_limit_minutes"],
        birth_date=_date(row["birth_date"]),
    )


def _date(value: Any) -> date | None:
    # SQLite hands the column back as text.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def parse_keywords(text: str) -> list[str]:
    """The keyword list typed one per line (or separated by commas), checked.

    Blank lines are skipped; an entry repeated in another case is kept once.

    Raises:
        SafetyError: 400 for an entry that is too long, an entry with nothing but
            punctuation, or too many entries.
    """
    words: list[str] = []
    for raw in re.split(r"[\n,]", text):
        word = " ".join(raw.split())
        if not word:
            continue
        if len(word) > KEYWORD_MAX_LENGTH:
            raise SafetyError(
                400,
                gettext(
                    "“%(word)s…” is too long: keep each entry to %(num)s characters.",
                    word=word[:20],
                    num=KEYWORD_MAX_LENGTH,
                ),
            )
        if not any(ch.isalnum() for ch in word):
            raise SafetyError(
                400,
                gettext(
                    "“%(word)s” has no letters or digits; write the words to refuse.", word=word
                ),
            )
        if word.casefold() not in {w.casefold() for w in words}:
            words.append(word)
    if len(words) > KEYWORDS_MAX:
        raise SafetyError(
            400,
            gettext(
                "Your list has %(count)s entries; keep it to %(num)s.",
                count=len(words),
                num=KEYWORDS_MAX,
            ),
        )
    return words


def parse_minutes(raw: str, *, what: str) -> int | None:
    """A number of minutes typed in a form: ``None`` when empty (the instance's default).

    Raises:
        SafetyError: 400 for anything but a whole number from 1 to :data:`MINUTES_MAX`.
    """
    text = raw.strip()
    if not text:
        return None
    try:
        minutes = int(text)
    except ValueError:
        minutes = -1
    if not 1 <= minutes <= MINUTES_MAX:
        raise SafetyError(
            400,
            gettext(
                "%(what)s must be a whole number of minutes from 1 to %(max)s; untick the box "
                "to turn it off, or leave it empty for the site's default.",
                what=what,
                max=MINUTES_MAX,
            ),
        )
    return minutes


def parse_birth_date(raw: str, *, today: date | None = None) -> date | None:
    """A date of birth typed in a form (``YYYY-MM-DD``): ``None`` when empty.

    Raises:
        SafetyError: 400 for anything but a real date between 1900 and today.
    """
    text = raw.strip()
    if not text:
        return None
    today = today or datetime.now(UTC).date()
    try:
        born = date.fromisoformat(text)
    except ValueError:
        born = None
    if born is None or not date(1900, 1, 1) <= born <= today:
        raise SafetyError(
            400,
            gettext(
                "Write your date of birth as year-month-day, e.g. 1990-04-25, "
                "between 1900 and today."
            ),
        )
    return born


def age_on(born: date, today: date) -> int:
    """Whole years from ``born`` to ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def adults_among(member_ids: Collection[int], adult_age: int) -> set[int]:
    """The members of ``member_ids`` who are ``adult_age`` or older by their date of birth."""
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        return set()
    today = datetime.now(UTC).date()
    rows = await SafetyPrefs.select(SafetyPrefs.member, SafetyPrefs.birth_date).where(
        SafetyPrefs.member.is_in(ids) & SafetyPrefs.birth_date.is_not_null()
    )
    return {
        int(row["member"])
        for row in rows
        if (born := _date(row["birth_date"])) is not None and age_on(born, today) >= adult_age
    }


async def is_quiet(member: Any, kind: str) -> bool:
    """Whether ``member`` (row or id) turned off notifications of ``kind``."""
    if kind not in QUIETABLE:
        return False
    row = (
        await SafetyPrefs.select(SafetyPrefs.quiet_notices)
        .where(SafetyPrefs.member == _id(member))
        .first()
    )
    return row is not None and kind in _keywords(row["quiet_notices"])


async def save_prefs(member: Any, prefs: Prefs) -> Prefs:
    """Store ``member``'s choices (already checked by the ``parse_*`` functions).

    Raises:
        SafetyError: 400 for an unknown ``who_may_comment`` or minutes out of range.
    """
    if prefs.who_may_comment not in WHO_MAY_COMMENT:
        raise SafetyError(
            400, gettext("Choose who may comment: everyone, your followers or nobody.")
        )
    for minutes in (prefs.break_minutes, prefs.daily_limit_minutes):
        if minutes is not None and not 0 <= minutes <= MINUTES_MAX:
            raise SafetyError(400, gettext("Minutes must be from 1 to %(max)s.", max=MINUTES_MAX))
    values: dict[Any, Any] = {
        SafetyPrefs.who_may_comment: prefs.who_may_comment,
        SafetyPrefs.comment_keywords: json.dumps(prefs.comment_keywords),
        SafetyPrefs.hide_like_counts: prefs.hide_like_counts,
        SafetyPrefs.new_video_notices: prefs.new_video_notices,
        SafetyPrefs.quiet_notices: json.dumps([k for k in QUIETABLE if k in prefs.quiet_notices]),
        SafetyPrefs.email_digest: prefs.email_digest,
        SafetyPrefs.break_minutes: prefs.break_minutes,
        SafetyPrefs.daily_limit_minutes: prefs.daily_limit_minutes,
        SafetyPrefs.birth_date: prefs.birth_date,
        SafetyPrefs.updated_at: datetime.now(UTC),
    }
    member_id = _id(member)
    if await SafetyPrefs.exists().where(SafetyPrefs.member == member_id):
        await SafetyPrefs.update(values).where(SafetyPrefs.member == member_id)
    else:
        row = SafetyPrefs(member=member_id)
        for column, value in values.items():
            setattr(row, column._meta.name, value)
        await row.save()
    return prefs


def refused_word(text: str, keywords: Collection[str]) -> str | None:
    """The first of ``keywords`` found in ``text`` as whole words (any case), or ``None``."""
    folded = text.casefold()
    for word in keywords:
        pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, word.casefold().split())) + r"(?!\w)"
        if re.search(pattern, folded):
            return word
    return None


async def likes_hidden(video_ids: Collection[int]) -> set[int]:
    """The ids among ``video_ids`` whose creators hide like counts, in one statement."""
    ids = list(dict.fromkeys(int(i) for i in video_ids))
    if not ids:
        return set()
    marks = ", ".join("{}" for _ in ids)
    rows = await SafetyPrefs.raw(
        f"SELECT v.id FROM {_VIDEO} v JOIN {_PREFS} p ON p.member = v.owner "  # noqa: S608
        f"WHERE v.id IN ({marks}) AND p.hide_like_counts = {{}}",
        *ids,
        True,
    )
    return {int(row["id"]) for row in rows}


async def delete_member(member: Any) -> None:
    """Remove ``member``'s choices."""
    await SafetyPrefs.delete().where(SafetyPrefs.member == _id(member))
