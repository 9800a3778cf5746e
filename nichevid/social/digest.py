"""A mail that tells members what they missed: their notifications not seen for a day.

Every hour the ``social.digest`` cron job looks for members whose oldest notification
not seen since their last such mail is at least :data:`DELAY` old, and whose last mail
went at least :data:`DELAY` ago. Each gets one plain-text mail, in their language: how
many notifications wait, the latest :data:`LINES` of them ("@bob liked your video",
never the text of a comment), the link to the notifications page, and a link that
turns these mails off. At most :data:`BATCH` members a run; the rest come next hour.

Nobody is mailed without ``mail.smtp_host`` (there is nowhere to send), without an
address, with an account turned off, with the sign-up address still waiting for its
link (``accounts.confirm_email``), or with the mails turned off (safety settings,
``email_digest``). The time of the mail is stored before it is queued, so a member is
never mailed twice for the same notifications.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from nichevid import i18n
from nichevid.accounts.emails import state
from nichevid.accounts.mail import SEND_MAIL
from nichevid.accounts.tables import User
from nichevid.core.secrets import instance_secret
from nichevid.i18n import gettext, ngettext
from nichevid.safety.tables import SafetyPrefs
from nichevid.social.notifications import kinds
from nichevid.social.tables import Notification

log = logging.getLogger("nichevid.social.digest")

JOB = "social.digest"
DELAY = timedelta(hours=24)
LINES = 5
BATCH = 500
_N, _U, _P = Notification._meta.tablename, User._meta.tablename, SafetyPrefs._meta.tablename
_DUE = f"""
    SELECT n.recipient AS id, count(*) AS unseen
      FROM {_N} n
      JOIN {_U} u ON u.id = n.recipient
      LEFT JOIN {_P} p ON p.member = n.recipient
     WHERE n.read_at IS NULL AND u.is_active AND u.email <> ''
       AND COALESCE(p.email_digest, TRUE)
       AND (p.digest_sent_at IS NULL OR
            (n.created_at > p.digest_sent_at AND p.digest_sent_at <= {{}}))
     GROUP BY n.recipient
    HAVING min(n.created_at) <= {{}}
     ORDER BY n.recipient
     LIMIT {{}}
"""  # noqa: S608 - table names only; the times and the limit are bound parameters
_LATEST = f"""
    SELECT n.kind, n.text, a.username AS actor
      FROM {_N} n LEFT JOIN {_U} a ON a.id = n.actor
     WHERE n.recipient = {{}} AND n.read_at IS NULL
     ORDER BY n.id DESC
     LIMIT {{}}
"""  # noqa: S608 - table names only


def off_token(settings: Any, user_id: int) -> str:
    """The token of the link that turns ``user_id``'s digest mails off (no expiry)."""
    key = instance_secret(settings).encode()
    return hmac.new(key, f"digest-off:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def off_link(settings: Any, user_id: int) -> str:
    """The address in each mail that turns ``user_id``'s digest mails off."""
    token = off_token(settings, user_id)
    return f"{settings.public_url}/notifications/digest-off/{user_id}/{token}"


def unsubscribe_headers(settings: Any, user_id: int) -> dict[str, str]:
    """``List-Unsubscribe`` with one-click (RFC 8058): mail apps show their own button.

    The app POSTs ``List-Unsubscribe=One-Click`` to the link, without cookies; the
    token in the link is what allows it.
    """
    return {
        "List-Unsubscribe": f"<{off_link(settings, user_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def check_off_token(settings: Any, user_id: int, token: str) -> bool:
    """Whether ``token`` is the one :func:`off_token` gives ``user_id``."""
    return hmac.compare_digest(off_token(settings, user_id), token)


async def due(now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """``(member id, notifications not seen)`` of the members a digest is due to."""
    cutoff = now - DELAY
    rows = await Notification.raw(_DUE, cutoff, cutoff, limit)
    return [(int(row["id"]), int(row["unseen"])) for row in rows]


def _line(row: dict[str, Any]) -> str:
    says = kinds().get(str(row["kind"]), "")
    if says and row["actor"]:
        return f"- @{row['actor']} {says}"
    return f"- {says or str(row['text'])[:120]}"


async def compose(settings: Any, user: User, unseen: int) -> tuple[str, str]:
    """The subject and body of ``user``'s digest, in their language."""
    token = i18n.use(i18n.supported(user.locale or "") or i18n.DEFAULT)
    try:
        rows = await Notification.raw(_LATEST, user.id, LINES)
        site, base = settings.site_name, settings.public_url
        subject = ngettext(
            "%(num)s notification waits for you on %(site)s",
            "%(num)s notifications wait for you on %(site)s",
            unseen,
            site=site,
        )
        lines = "\n".join(_line(row) for row in rows)
        more = unseen - len(rows)
        if more > 0:
            lines += "\n" + ngettext("…and %(num)s more", "…and %(num)s more", more)
        body = gettext(
            "Hello %(name)s,\n\nthis happened on %(site)s while you were away:\n\n%(lines)s\n\n"
            "See them all: %(link)s\n\n"
            "You get this mail at most once a day, when notifications wait for a day. "
            "To get no more of them, open %(off)s or untick it in your safety and "
            "well-being settings.\n",
            name=user.display_name or user.username,
            site=site,
            lines=lines,
            link=f"{base}/notifications",
            off=off_link(settings, int(user.id)),
        )
        return subject, body
    finally:
        i18n.reset(token)


async def _stamp(user_id: int, at: datetime) -> None:
    if await SafetyPrefs.exists().where(SafetyPrefs.member == user_id):
        await SafetyPrefs.update({SafetyPrefs.digest_sent_at: at}).where(
            SafetyPrefs.member == user_id
        )
    else:
        await SafetyPrefs(member=user_id, digest_sent_at=at).save()


async def send_digests(resources: Any, now: datetime | None = None) -> int:
    """Queue the digests due now; how many were queued."""
    settings = resources.settings
    if not settings.mail.smtp_host:
        return 0
    now = now or datetime.now(UTC)
    sent = 0
    for user_id, unseen in await due(now):
        user = await User.objects().where(User.id == user_id).first()
        if user is None:
            continue
        await _stamp(user_id, now)
        if settings.accounts.confirm_email and (await state(user)).waiting:
            continue
        subject, body = await compose(settings, user, unseen)
        await resources.jobs.enqueue(
            SEND_MAIL,
            job_id=f"mail:digest:{user_id}:{now:%Y%m%d%H}",
            to=user.email,
            subject=subject,
            body=body,
            headers=unsubscribe_headers(settings, user_id),
        )
        sent += 1
    if sent:
        log.info("queued %s notification digests", sent)
    return sent


async def digest_job(ctx: dict[str, Any]) -> None:
    """Cron job ``social.digest``: mail the digests due this hour."""
    await send_digests(ctx["resources"])


async def turn_off(user_id: int) -> None:
    """Stop the digest mails of ``user_id`` (the link in each mail)."""
    if await SafetyPrefs.exists().where(SafetyPrefs.member == user_id):
        await SafetyPrefs.update({SafetyPrefs.email_digest: False}).where(
            SafetyPrefs.member == user_id
        )
    else:
        await SafetyPrefs(member=user_id, email_digest=False).save()
