"""Outgoing mail, sent by the ``accounts.send_mail`` job.

With ``mail.smtp_host`` set, messages go out over SMTP (STARTTLS unless turned off,
implicit TLS on port 465). Without it, the embedded default, the message is written
to the log so an operator can still pass on a reset link.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from nichevid.jobs import Job
from nichevid.settings import MailSettings

log = logging.getLogger("nichevid.accounts.mail")

SEND_MAIL = "accounts.send_mail"
SMTP_TIMEOUT = 30.0


def build_message(
    mail: MailSettings, to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    """A plain-text message from the configured sender, with any extra ``headers``."""
    message = EmailMessage()
    message["From"] = mail.from_address
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def send_smtp(mail: MailSettings, message: EmailMessage) -> None:
    """Deliver ``message`` through the configured SMTP server (blocking; run in a thread)."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if mail.smtp_port == 465:
        smtp = smtplib.SMTP_SSL(
            mail.smtp_host, mail.smtp_port, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        smtp = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=SMTP_TIMEOUT)
    with smtp:
        if mail.starttls and mail.smtp_port != 465:
            smtp.starttls(context=context)
        if mail.smtp_user:
            smtp.login(mail.smtp_user, mail.smtp_password.reveal())
        smtp.send_message(message)


async def send_mail_job(
    ctx: dict[str, Any],
    *,
    to: str,
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Job ``accounts.send_mail``: send one plain-text message, or log it without SMTP."""
    mail: MailSettings = ctx["settings"].mail
    if not mail.smtp_host:
        log.warning(
            "mail not sent (set mail.smtp_host to send mail); to=%s subject=%s\n%s",
            to,
            subject,
            body,
        )
        return
    await asyncio.to_thread(send_smtp, mail, build_message(mail, to, subject, body, headers))
    log.info("mail sent to %s: %s", to, subject)


def jobs() -> list[Job]:
    """The jobs of the accounts package."""
    return [Job(SEND_MAIL, send_mail_job, max_tries=5, timeout=60.0, backoff=10.0)]
