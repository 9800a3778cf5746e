"""Languages of the interface: negotiation, gettext catalogues and localised numbers/dates.

The language of a request is, in order: the signed-in member's setting, the
``nv_lang`` cookie (a visitor's choice), the best match of ``Accept-Language``,
else English. :class:`LanguageMiddleware` decides it once per request and keeps it
in a context variable that templates (``{{ _("...") }}``, ``{% trans %}``) and
Python code (:func:`gettext`) read.

Catalogues are gettext ``.po`` files under ``nichevid/locale/<code>/LC_MESSAGES/``,
made with Babel (``pybabel extract -F babel.cfg``); they are compiled in memory
when first used, so no binary files are kept in the source tree.
"""

from __future__ import annotations

import contextvars
import functools
import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal
from babel.support import NullTranslations, Translations
from litestar.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
COOKIE = "nv_lang"
# Where the middleware leaves the language it chose in the ASGI scope.
SCOPE_KEY = "nv_language"
# Code used in URLs, cookies and settings -> (Babel locale, name in that language).
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("en", "English"),
    "es": ("es", "Español"),
    "it": ("it", "Italiano"),
    "nl": ("nl", "Nederlands"),
    "zh-Hans": ("zh_Hans", "简体中文"),
    "zh-Hant": ("zh_Hant", "繁體中文"),
}
# Regional Chinese tags and the script they are written in.
_CHINESE = {"zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-my": "zh-Hans", "zh-tw": "zh-Hant",
            "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh": "zh-Hans"}  # fmt: skip

_current: contextvars.ContextVar[str] = contextvars.ContextVar("nv_language", default=DEFAULT)


class UnsupportedLanguage(ValueError):
    """A language code nichevid has no interface for."""

    def __init__(self, code: str) -> None:
        # Said to members who pick a language, so in the language they are using now.
        super().__init__(
            gettext(
                "Language '%(code)s' is not available; choose one of: %(choices)s.",
                code=code,
                choices=", ".join(LANGUAGES),
            )
        )


def supported(code: str) -> str | None:
    """The supported code ``code`` names (``es-MX`` -> ``es``, ``zh-TW`` -> ``zh-Hant``)."""
    tag = code.strip().replace("_", "-").lower()
    if not tag or len(tag) > 35:
        return None
    for known in LANGUAGES:
        if tag == known.lower():
            return known
    parts = tag.split("-")
    if parts[0] == "zh":
        if len(parts) > 1 and parts[1] in ("hans", "hant"):
            return "zh-" + parts[1].capitalize()
        return _CHINESE.get("-".join(parts[:2]), _CHINESE["zh"])
    return parts[0] if parts[0] in LANGUAGES else None


def check(code: str) -> str:
    """The supported code for ``code``; raise :class:`UnsupportedLanguage` otherwise."""
    found = supported(code)
    if found is None:
        raise UnsupportedLanguage(code)
    return found


def from_accept_language(header: str) -> str | None:
    """The best supported language of an ``Accept-Language`` header, or ``None``."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        code = supported(tag) if tag.strip() != "*" else None
        if code is not None and quality > 0:
            ranked.append((-quality, index, code))
    return min(ranked)[2] if ranked else None


def negotiate(*, user_language: str = "", cookie: str = "", accept_language: str = "") -> str:
    """The language of a request (see the module docstring for the order)."""
    for choice in (user_language, cookie):
        if choice and (found := supported(choice)):
            return found
    return from_accept_language(accept_language) or DEFAULT


def current() -> str:
    """The language of the request being handled."""
    return _current.get()


def use(code: str) -> contextvars.Token[str]:
    """Make ``code`` the current language (tests, jobs, mail); returns a reset token."""
    return _current.set(check(code))


def reset(token: contextvars.Token[str]) -> None:
    """Go back to the language before :func:`use` returned ``token``."""
    _current.reset(token)


def locale(code: str | None = None) -> Locale:
    """The Babel locale of ``code`` (default: the current language)."""
    return _babel_locale(code or current())


@functools.cache
def _babel_locale(code: str) -> Locale:
    return Locale.parse(LANGUAGES[code][0])


@functools.cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of ``code`` (empty for English and missing catalogues)."""
    po = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=LANGUAGES[code][0])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the current language; ``%(name)s`` placeholders filled from ``variables``."""
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def pgettext(context: str, message: str, **variables: Any) -> str:
    """As :func:`gettext`, for a ``message`` whose words differ by ``context`` in other
    languages (the "Following" feed, the "Following" state of a follow button)."""
    text = str(translations(current()).pgettext(context, message))
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for ``n`` in the current language (``%(num)s`` is ``n``)."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": compact(n), **variables}


def compact(number: float) -> str:
    """A count as people write it in the current language: ``1.2K``, ``1,2 mil``, ``1.2万``."""
    return _compact(number, current())


@functools.lru_cache(maxsize=8192)
def _compact(number: float, code: str) -> str:
    # Every card shows several counts; Babel's formatting is slow, the same counts recur.
    if abs(number) < 1000:
        return str(format_decimal(number, locale=locale(code)))
    return str(format_compact_decimal(number, locale=locale(code), fraction_digits=1))


def decimal(number: float, digits: int = 1) -> str:
    """``number`` with ``digits`` decimals, in the current language's way (1.5, 1,5)."""
    pattern = "0." + "0" * digits if digits > 0 else "0"
    return str(format_decimal(number, format=pattern, locale=locale()))


def localdate(value: datetime, format: str = "medium") -> str:
    """A date and time in the current language's way."""
    return str(format_datetime(value, format=format, locale=locale()))


def install(env: Any) -> None:
    """Give a Jinja environment ``_``/``gettext``/``ngettext``/``pgettext``, ``{% trans %}``, the
    ``compact``, ``decimal`` and ``localdate`` filters, all following the request's language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True, pgettext=pgettext)
    env.filters["compact"] = compact
    env.filters["localdate"] = localdate
    env.filters["decimal"] = decimal
    env.globals["current_language"] = current
    env.globals["languages"] = {code: name for code, (_, name) in LANGUAGES.items()}


def _cookie(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
    cookie = accept = ""
    for name, value in headers:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == COOKIE:
                    cookie = val
        elif name == b"accept-language":
            accept = value.decode("latin-1")
    return cookie, accept


class LanguageMiddleware:
    """Decides the language of each request (after sign-in is known) and sets
    ``Content-Language`` on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        user = scope.get("user")
        cookie, accept = _cookie(scope["headers"])
        code = negotiate(
            user_language=str(getattr(user, "locale", "") or ""),
            cookie=cookie,
            accept_language=accept,
        )
        token = _current.set(code)
        # Errors answered outside this middleware (an unknown path) negotiate for themselves.
        scope[SCOPE_KEY] = code  # type: ignore[literal-required]

        async def send_with_language(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # An error answer names its language itself (see nichevid.core.errors).
                if not any(name.lower() == b"content-language" for name, _ in headers):
                    headers.append((b"content-language", code.encode()))
                headers.append((b"vary", b"Accept-Language, Cookie"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            _current.reset(token)
