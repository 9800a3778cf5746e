"""Language tags of subtitle tracks: BCP 47 (RFC 5646), checked against CLDR's lists.

A tag is accepted when it is well formed and its language, script and region subtags
are ones CLDR knows (Babel ships that data), so ``english`` or ``xx-YY`` is refused
with an example of what to write instead. Tags are kept in their canonical case:
``pt-BR``, ``zh-Hant``, ``sr-Latn-RS``.
"""

from __future__ import annotations

import functools
import re

from babel import Locale, UnknownLocaleError

from nichevid.i18n import gettext

MAX_LENGTH = 35
LABEL_MAX = 64
EXAMPLES = "en, es, pt-BR or zh-Hant"
# language[-extlang][-script][-region](-variant)*(-extension)*[-x-private]
_TAG = re.compile(
    r"""^(?P<language>[a-z]{2,3})(?:-[a-z]{3})?
        (?:-(?P<script>[a-z]{4}))?
        (?:-(?P<region>[a-z]{2}|[0-9]{3}))?
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
        (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*
        (?:-x(?:-[a-z0-9]{1,8})+)?$""",
    re.X,
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Codes CLDR lists that name no language, script or region a viewer could pick.
_NO_LANGUAGE = frozenset({"und", "mis", "mul", "zxx"})
_NO_SCRIPT = frozenset({"Zzzz"})
_NO_REGION = frozenset({"ZZ"})


class LanguageError(ValueError):
    """A language tag or label is refused; the message says what to write instead."""


@functools.cache
def _english() -> Locale:
    return Locale("en")


def check_language(value: str) -> str:
    """The canonical form of a BCP 47 language tag.

    Raises:
        LanguageError: For an empty, malformed or unknown tag.
    """
    raw = value.strip()
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    if not raw:
        raise LanguageError(
            gettext(
                "Give the language of the captions as a tag such as %(examples)s.",
                examples=EXAMPLES,
            )
        )
    tag = raw.replace("_", "-").lower()
    match = _TAG.match(tag) if len(tag) <= MAX_LENGTH else None
    if match is None:
        raise LanguageError(
            gettext(
                "'%(tag)s' is not a language tag. Use a BCP 47 tag such as %(examples)s "
                "(language, then optionally script and region, joined with hyphens).",
                tag=shown,
                examples=EXAMPLES,
            )
        )
    english = _english()
    language, script, region = match.group("language", "script", "region")
    if language not in english.languages or language in _NO_LANGUAGE:
        raise LanguageError(
            gettext(
                "'%(code)s' is not a known language code. Use an ISO 639 code such as "
                "en, es, pt or zh, optionally with a region or script: %(examples)s.",
                code=language,
                examples=EXAMPLES,
            )
        )
    if script and (script.title() not in english.scripts or script.title() in _NO_SCRIPT):
        raise LanguageError(
            gettext(
                "'%(script)s' is not a known script. Use a script such as Latn, Cyrl, "
                "Hans or Hant, or leave it out.",
                script=script.title(),
            )
        )
    if region and (region.upper() not in english.territories or region.upper() in _NO_REGION):
        raise LanguageError(
            gettext(
                "'%(region)s' is not a known region. Use a country code such as BR, MX "
                "or TW, or leave it out.",
                region=region.upper(),
            )
        )
    return _canonical(tag)


def _canonical(tag: str) -> str:
    """RFC 5646 case: language lower, script title, region upper, the rest lower."""
    parts = tag.split("-")
    out = [parts[0]]
    for index, part in enumerate(parts[1:], 1):
        if len(parts[index - 1]) == 1:  # after a singleton (extension or x): as is
            out.append(part)
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part)
    return "-".join(out)


def default_label(tag: str) -> str:
    """The language's name in itself (``Português (Brasil)``), else in English, else the tag."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name() or ""
    except (UnknownLocaleError, ValueError):
        name = ""
    if not name:
        name = _english().languages.get(tag.split("-")[0], "")
    name = name or tag
    return (name[:1].upper() + name[1:])[:LABEL_MAX]


def check_label(value: str | None) -> str | None:
    """A track label without control characters, or ``None`` when none was given.

    Raises:
        LanguageError: When it is longer than :data:`LABEL_MAX` characters.
    """
    if value is None:
        return None
    label = " ".join(_CONTROL.sub(" ", value).split())
    if len(label) > LABEL_MAX:
        raise LanguageError(
            gettext(
                "The label is %(length)s characters; keep it to %(max)s.",
                length=len(label),
                max=LABEL_MAX,
            )
        )
    return label or None
