"""Checking WebVTT subtitle files and writing them out again in a clean, minimal form.

An upload is untrusted text. :func:`normalise` reads it the way the WebVTT parser of a
browser does (https://www.w3.org/TR/webvtt1/), refuses what a creator should fix with
the line and the fix named, and writes a new file that keeps only what the player
needs: the ``WEBVTT`` line and the cues (times, known cue settings, text). Header
metadata, ``NOTE``, ``STYLE`` and ``REGION`` blocks and cue identifiers are dropped.
Cue text keeps WebVTT's own tags (``<i>``, ``<b>``, ``<u>``, ``<c.class>``,
``<v Speaker>``, ``<lang xx>``, ``<ruby>``, ``<rt>``, timestamps); any other tag, and
anything that reads as HTML once character references are decoded, is removed, and
``&``, ``<`` and ``>`` in the text are escaped.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass

from nichevid.i18n import gettext

_TIMESTAMP = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_TIMING = re.compile(r"^\s*(\S*?)\s*-->\s*(\S*)(.*)$")
_SRT_TIMESTAMP = re.compile(r"^(?:\d+:)?\d\d:\d\d,\d{3}$")
# A tag starts with a letter or / (or is a timestamp); any other < is text ("I <3 you").
_TAG = re.compile(r"<(/?[A-Za-z][^<>]*|\d[\d:.]*)>")
_SCRIPTISH = re.compile(r"<\s*(script|style)\b[^>]*>.*?(?:<\s*/\s*\1\s*>|$)", re.I | re.S)
_HTMLISH = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")
_SPACES = re.compile(r"[ \t]+")
_CLASS = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,6}$")
KNOWN_TAGS = frozenset({"c", "i", "b", "u", "ruby", "rt", "v", "lang"})
_PERCENT = r"(\d{1,3}(?:\.\d+)?)%"
_SETTINGS = {
    "vertical": re.compile(r"^(rl|lr)$"),
    "line": re.compile(rf"^(?:{_PERCENT}|-?\d{{1,4}})(?:,(?:start|center|end))?$"),
    "position": re.compile(rf"^{_PERCENT}(?:,(?:line-left|center|line-right))?$"),
    "size": re.compile(rf"^{_PERCENT}$"),
    "align": re.compile(r"^(start|center|end|left|right)$"),
}
_PERCENT_VALUE = re.compile(_PERCENT)


class CaptionFileError(ValueError):
    """The file is refused; the message names the line, when there is one, and the fix."""


@dataclass(frozen=True)
class Cue:
    """One cue as it is written out."""

    start_ms: int
    end_ms: int
    settings: str
    text: str


@dataclass(frozen=True)
class Normalised:
    """The re-written file and the number of cues in it."""

    text: str
    cues: int


def format_time(ms: int) -> str:
    """``hh:mm:ss.ttt``, the form every timestamp is written in."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def parse_time(value: str) -> int | None:
    """Milliseconds of a WebVTT timestamp (``hh:mm:ss.ttt`` or ``mm:ss.ttt``), else ``None``."""
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    hours, minutes, seconds, millis = match.groups()
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def decode(data: bytes) -> str:
    """The text of an upload: UTF-8, with or without a byte order mark.

    Raises:
        CaptionFileError: For an empty file, or one that is not UTF-8.
    """
    if not data.strip():
        raise CaptionFileError(gettext("The file is empty. Upload a WebVTT (.vtt) file with cues."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CaptionFileError(
            gettext(
                "The file is UTF-16 text, not UTF-8. Save it as UTF-8 (your editor's Save As "
                "or Encoding menu) and upload it again."
            )
        )
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaptionFileError(
            gettext(
                "The file is not UTF-8 text (byte %(byte)s is not valid UTF-8). Save it as "
                "UTF-8 (your editor's Save As or Encoding menu) and upload it again.",
                byte=exc.start + 1,
            )
        ) from None
    # As browsers do: NUL becomes the replacement character, any line ending becomes \n.
    return text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")


def _check_header(first: str, second: str) -> None:
    if first == "WEBVTT" or (first.startswith("WEBVTT") and first[6] in " \t"):
        return
    shown = first.strip()[:40]
    if shown:
        problem = gettext("The file must begin with the line WEBVTT, not '%(line)s'.", line=shown)
    else:
        problem = gettext("The file must begin with the line WEBVTT, not an empty line.")
    hint = gettext("Put WEBVTT alone on the first line, then a blank line, then the cues.")
    if first.strip().isdigit() and "-->" in second:
        hint = gettext(
            "It looks like a SubRip (.srt) file: convert it to WebVTT (add the WEBVTT "
            "line and write times as 00:00:01.000, with a full stop before the milliseconds)."
        )
    raise CaptionFileError(f"{problem} {hint}")


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines with the (1-based) number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line)
        else:
            current = []
    return blocks


def _keyword_block(first: str) -> bool:
    words = first.split(maxsplit=1)
    return bool(words) and words[0] in ("NOTE", "STYLE", "REGION")


def _settings(raw: str) -> str:
    """The known cue settings with valid values, in a fixed order; the rest is dropped."""
    found: dict[str, str] = {}
    for item in raw.split():
        name, sep, value = item.partition(":")
        pattern = _SETTINGS.get(name)
        if not sep or pattern is None or not pattern.match(value):
            continue
        percent = _PERCENT_VALUE.search(value)
        if percent is None or float(percent.group(1)) <= 100:
            found[name] = value
    return " ".join(f"{name}:{found[name]}" for name in _SETTINGS if name in found)


def _timing(line: str, number: int, duration_ms: int, slack_ms: int) -> tuple[int, int, str]:
    match = _TIMING.match(line)
    if match is None:
        raise CaptionFileError(
            gettext("Line %(line)s: expected a cue timing (start --> end).", line=number)
        )
    start_raw, end_raw, rest = match.groups()
    times = []
    for raw in (start_raw, end_raw):
        value = parse_time(raw)
        if value is None:
            shown = raw or gettext("nothing")
            if _SRT_TIMESTAMP.match(raw):
                raise CaptionFileError(
                    gettext(
                        "Line %(line)s: '%(value)s' is not a cue time. Write hh:mm:ss.ttt or "
                        "mm:ss.ttt, e.g. 00:01:02.500 or 01:02.500 (use a full stop before "
                        "the milliseconds, not a comma).",
                        line=number,
                        value=shown,
                    )
                )
            raise CaptionFileError(
                gettext(
                    "Line %(line)s: '%(value)s' is not a cue time. Write hh:mm:ss.ttt or "
                    "mm:ss.ttt, e.g. 00:01:02.500 or 01:02.500.",
                    line=number,
                    value=shown,
                )
            )
        times.append(value)
    start, end = times
    if rest and not rest[0].isspace():
        raise CaptionFileError(
            gettext(
                "Line %(line)s: put a space between the end time and the cue settings.",
                line=number,
            )
        )
    if end <= start:
        if end == start:
            message = gettext(
                "Line %(line)s: the cue ends at the moment it starts (%(start)s --> %(end)s). "
                "Its end time must come after its start time.",
                line=number,
                start=start_raw,
                end=end_raw,
            )
        else:
            message = gettext(
                "Line %(line)s: the cue ends before it starts (%(start)s --> %(end)s). "
                "Its end time must come after its start time.",
                line=number,
                start=start_raw,
                end=end_raw,
            )
        raise CaptionFileError(message)
    if duration_ms > 0 and start > duration_ms + slack_ms:
        raise CaptionFileError(
            gettext(
                "Line %(line)s: the cue starts at %(start)s, after the video ends "
                "(%(end)s). Check that the file belongs to this video, or "
                "remove the cues past its end.",
                line=number,
                start=format_time(start),
                end=format_time(duration_ms),
            )
        )
    return start, end, _settings(rest)


def _clean_text(text: str) -> str:
    """Text between tags: references decoded, anything HTML-like removed, then escaped."""
    text = html.unescape(text)
    text = _HTMLISH.sub("", _SCRIPTISH.sub("", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean_tag(inner: str) -> str:
    """A WebVTT tag in canonical form, or ``""`` for anything else."""
    if parse_time(inner) is not None:
        return f"<{format_time(parse_time(inner) or 0)}>"
    if inner.startswith("/"):
        name = inner[1:].strip()
        return f"</{name}>" if name in KNOWN_TAGS else ""
    head, _, annotation = inner.replace("\t", " ").replace("\n", " ").partition(" ")
    name, *classes = head.split(".")
    if name not in KNOWN_TAGS:
        return ""
    tag = name + "".join(f".{c}" for c in classes if _CLASS.match(c))
    annotation = annotation.strip()
    if name == "v" and annotation:
        annotation = " ".join(_clean_text(annotation).split())
        return f"<{tag} {annotation}>" if annotation else f"<{tag}>"
    if name == "lang":
        return f"<{tag} {annotation}>" if _LANG.match(annotation) else ""
    return f"<{tag}>"


def clean_cue_text(payload: str) -> str:
    """Cue text with only WebVTT's own tags, no blank lines and nothing HTML-like."""
    payload = _SCRIPTISH.sub("", payload)
    parts: list[str] = []
    position = 0
    for match in _TAG.finditer(payload):
        parts.append(_clean_text(payload[position : match.start()]))
        parts.append(_clean_tag(match.group(1)))
        position = match.end()
    parts.append(_clean_text(payload[position:]))
    # Runs of spaces are one space on screen; collapsing them keeps removed tags tidy.
    lines = (_SPACES.sub(" ", line).strip(" \t") for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _cues(block: list[str], number: int, duration_ms: int, slack_ms: int) -> list[Cue]:
    timing_rows = [i for i, line in enumerate(block) if "-->" in line]
    if not timing_rows:
        raise CaptionFileError(
            gettext(
                "Line %(line)s: this block has no cue timing. Each cue needs a line such as "
                "00:00:01.000 --> 00:00:03.500 before its text, and a blank line after it.",
                line=number,
            )
        )
    if timing_rows[0] > 1:
        raise CaptionFileError(
            gettext(
                "Line %(line)s: expected the cue timing (start --> end) here, after at most "
                "one identifier line. Separate cues with a blank line.",
                line=number + 1,
            )
        )
    cues = []
    # A line with --> inside a cue's text starts the next cue, as in browsers.
    bounds = [*timing_rows, len(block)]
    for row, stop in itertools.pairwise(bounds):
        start, end, settings = _timing(block[row], number + row, duration_ms, slack_ms)
        text = clean_cue_text("\n".join(block[row + 1 : stop]))
        if text:
            cues.append(Cue(start, end, settings, text))
    return cues


def normalise(
    data: bytes, *, duration_ms: int, max_bytes: int, max_cues: int, end_slack_ms: int = 1000
) -> Normalised:
    """Check an uploaded WebVTT file and write it out again, clean.

    Args:
        data: The uploaded bytes.
        duration_ms: The video's duration; no cue may start after it (0: unknown).
        max_bytes: Largest file accepted.
        max_cues: Most cues accepted.
        end_slack_ms: How far past the end of the video a cue may still start.

    Returns:
        The new file's text and its number of cues (cues without text are left out).

    Raises:
        CaptionFileError: With the line and what to fix.
    """
    if len(data) > max_bytes:
        raise CaptionFileError(
            gettext(
                "The file is %(size)s bytes; captions may be at most %(limit)s bytes. "
                "Remove notes and styling blocks, or shorten the text.",
                size=f"{len(data):,}",
                limit=f"{max_bytes:,}",
            )
        )
    lines = decode(data).split("\n")
    _check_header(lines[0], lines[1] if len(lines) > 1 else "")
    cues: list[Cue] = []
    counted = 0
    for index, (number, block) in enumerate(_blocks(lines[1:])):
        number += 1  # numbered from the line after WEBVTT
        if index == 0 and number == 2 and not any("-->" in line for line in block):
            continue  # header metadata right below WEBVTT
        if _keyword_block(block[0]) and not any("-->" in line for line in block):
            continue
        found = _cues(block, number, duration_ms, end_slack_ms)
        counted += len(found)
        if counted > max_cues:
            raise CaptionFileError(
                gettext(
                    "The file has more cues than the %(max)s one file may hold. "
                    "Merge short cues into longer ones, or leave some out.",
                    max=f"{max_cues:,}",
                )
            )
        cues.extend(found)
    if not cues:
        raise CaptionFileError(
            gettext(
                "The file has no cues with text. Add cues: a line such as "
                "00:00:01.000 --> 00:00:03.500, the text below it, then a blank line."
            )
        )
    cues.sort(key=lambda cue: (cue.start_ms, cue.end_ms))
    out = ["WEBVTT", ""]
    for cue in cues:
        times = f"{format_time(cue.start_ms)} --> {format_time(cue.end_ms)}"
        out += [f"{times} {cue.settings}".rstrip(), cue.text, ""]
    return Normalised("\n".join(out), len(cues))
