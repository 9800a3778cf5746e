"""Checking and re-writing WebVTT files, and language tags, without HTTP or a database."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from nichevid.captions.languages import LanguageError, check_label, check_language, default_label
from nichevid.captions.settings import CaptionSettings
from nichevid.captions.webvtt import CaptionFileError, clean_cue_text, normalise

DOCS = Path(__file__).resolve().parents[2] / "docs"


def clean(data: bytes | str, duration_ms: int = 10_000, **limits: int) -> tuple[str, int]:
    raw = data.encode() if isinstance(data, str) else data
    out = normalise(
        raw,
        duration_ms=duration_ms,
        max_bytes=limits.get("max_bytes", 100_000),
        max_cues=limits.get("max_cues", 100),
        end_slack_ms=limits.get("end_slack_ms", 1000),
    )
    return out.text, out.cues


def refusal(data: bytes | str, duration_ms: int = 10_000, **limits: int) -> str:
    with pytest.raises(CaptionFileError) as caught:
        clean(data, duration_ms, **limits)
    return str(caught.value)


def test_a_full_file_is_rewritten_with_only_what_the_player_needs() -> None:
    text, cues = clean(
        "\ufeffWEBVTT - My captions\r\nKind: captions\r\n\r\n"
        "NOTE made by hand\r\nover two lines\r\n\r\n"
        "STYLE\r\n::cue { color: red }\r\n\r\n"
        "REGION\r\nid:fred width:40%\r\n\r\n"
        "intro\r\n"
        "00:01.000 --> 00:02.500 align:start line:90% region:fred foo:bar "
        "position:150% size:50%\r\n"
        "<i>Hello</i> <c.loud.bad$name>there</c>\r\n\r\n"
        "00:00:00.250 --> 00:00:01.000 vertical:rl\r\n"
        "<v Dr. Bob>First</v> <lang pt-BR>olá</lang> <00:00:00.500>AT&T &amp; co\r\n"
    )
    assert cues == 2
    assert text == (
        "WEBVTT\n\n"
        "00:00:00.250 --> 00:00:01.000 vertical:rl\n"
        "<v Dr. Bob>First</v> <lang pt-BR>olá</lang> <00:00:00.500>AT&amp;T &amp; co\n\n"
        "00:00:01.000 --> 00:00:02.500 line:90% size:50% align:start\n"
        "<i>Hello</i> <c.loud>there</c>\n"
    )


@pytest.mark.parametrize(
    ("payload", "kept", "gone"),
    [
        ("<script>alert(1)</script>Hi", "Hi", ["script", "alert"]),
        ("<img src=x onerror=alert(2)>Hi", "Hi", ["img", "onerror"]),
        ("&lt;script&gt;alert(3)&lt;/script&gt;Hi", "Hi", ["script", "alert"]),
        ('<a href="javascript:alert(4)">Hi</a>', "Hi", ["href", "javascript", "<a"]),
        ("<style>video{display:none}</style>Hi", "Hi", ["style", "display"]),
        ("<b onclick=x>Hi</b>", "<b>Hi</b>", ["onclick"]),
        ("<v <b>Hi</v>", "Hi", ["<v <b"]),
        ("<font color=red>Hi</font>", "Hi", ["font"]),
        ("&#60;iframe src=//evil&#62;Hi", "Hi", ["iframe", "evil"]),
    ],
)
def test_nothing_html_like_survives_in_cue_text(payload: str, kept: str, gone: list[str]) -> None:
    text, _ = clean(f"WEBVTT\n\n00:01.000 --> 00:02.000\n{payload}\n")
    cue = text.split("\n")[3]
    assert kept in cue
    for word in gone:
        assert word not in text, (word, text)


def test_text_that_only_looks_like_markup_is_kept_escaped() -> None:
    assert clean_cue_text("I <3 you, a > b & c") == "I &lt;3 you, a &gt; b &amp; c"
    # A line left empty after cleaning is dropped: a blank line would end the cue.
    assert clean_cue_text("one\n<script>x</script>\ntwo") == "one\ntwo"
    text, cues = clean(
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<script>gone</script>\n\n"
        "00:03.000 --> 00:04.000\nkept\n"
    )
    assert cues == 1
    assert "gone" not in text


def test_a_timing_line_inside_cue_text_starts_the_next_cue() -> None:
    text, cues = clean("WEBVTT\n\n00:01.000 --> 00:02.000\nA\n00:02.000 --> 00:03.000\nB\n")
    assert cues == 2
    assert text.endswith("00:00:02.000 --> 00:00:03.000\nB\n")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nol\xe1\n", "not UTF-8 text (byte 35 "),
        ("WEBVTT\n\nx".encode("utf-16"), "UTF-16"),
        (b"", "The file is empty"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nHi\n", "SubRip"),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nHi\n", "must begin with the line WEBVTT"),
        (b"<html>\n", "must begin with the line WEBVTT, not '<html>'"),
        (b"WEBVTT\n\n00:01,000 --> 00:02.000\nHi\n", "full stop before the milliseconds"),
        (b"WEBVTT\n\n00:01.000 --> 2s\nHi\n", "Line 3: '2s' is not a cue time"),
        (b"WEBVTT\n\n00:61.000 --> 01:02.000\nHi\n", "Line 3: '00:61.000' is not a cue time"),
        (b"WEBVTT\n\n1:00.000 --> 01:02.000\nHi\n", "hh:mm:ss.ttt or mm:ss.ttt"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000x\nHi\n", "'00:02.000x' is not a cue time"),
        (b"WEBVTT\n\n00:03.000 --> 00:02.000\nHi\n", "Line 3: the cue ends before it starts"),
        (b"WEBVTT\n\n00:03.000 --> 00:03.000\nHi\n", "ends at the moment it starts"),
        (b"WEBVTT\n\nNOTE\n\nHello\nthere\n", "Line 5: this block has no cue timing"),
        (b"WEBVTT\n\na\nb\n00:01.000 --> 00:02.000\nHi\n", "Line 4: expected the cue timing"),
        (b"WEBVTT\n\nNOTE only notes\n", "no cues with text"),
    ],
)
def test_bad_files_are_refused_with_what_to_fix(data: bytes, says: str) -> None:
    assert says in refusal(data)


def test_cue_times_are_checked_against_the_video() -> None:
    late = b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\n\n00:04.500 --> 00:05.000\nB\n"
    message = refusal(late, duration_ms=3000)
    assert "Line 6: the cue starts at 00:00:04.500, after the video ends (00:00:03.000)" in message
    # Within the slack it is fine, and a cue may end after the video.
    assert clean(late, duration_ms=3600)[1] == 2
    assert "after the video ends" in refusal(late, duration_ms=3600, end_slack_ms=0)
    assert clean(late, duration_ms=0)[1] == 2  # length unknown: nothing to check against


def test_size_and_cue_limits() -> None:
    two = b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\n\n00:02.000 --> 00:03.000\nB\n"
    assert "more cues than the 1 one file may hold" in refusal(two, max_cues=1)
    assert clean(two, max_cues=2)[1] == 2
    assert f"The file is {len(two)} bytes; captions may be at most 40 bytes" in refusal(
        two, max_bytes=40
    )


@pytest.mark.parametrize(
    ("tag", "canonical", "label"),
    [
        ("en", "en", "English"),
        ("ES", "es", "Español"),
        ("pt-br", "pt-BR", "Português (Brasil)"),
        ("pt_BR", "pt-BR", "Português (Brasil)"),
        ("zh-hant", "zh-Hant", "中文 (繁體)"),
        ("sr-latn-rs", "sr-Latn-RS", "Srpski (latinica, Srbija)"),
        ("es-419", "es-419", "Español (Latinoamérica)"),
        ("de-CH-1996", "de-CH-1996", "Deutsch (Schweiz)"),
    ],
)
def test_language_tags_are_kept_in_canonical_case(tag: str, canonical: str, label: str) -> None:
    assert check_language(tag) == canonical
    assert default_label(canonical) == label


@pytest.mark.parametrize(
    ("tag", "says"),
    [
        ("", "Give the language"),
        ("english", "'english' is not a language tag"),
        ("en us", "is not a language tag"),
        ("<script>", "is not a language tag"),
        ("zz", "'zz' is not a known language code"),
        ("und", "'und' is not a known language code"),
        ("en-ZZ", "'ZZ' is not a known region"),
        ("zh-Abcd", "'Abcd' is not a known script"),
        ("e" * 50, "is not a language tag"),
    ],
)
def test_garbage_language_tags_are_refused(tag: str, says: str) -> None:
    with pytest.raises(LanguageError) as caught:
        check_language(tag)
    assert says in str(caught.value)
    assert "pt-BR" in str(caught.value) or "leave it out" in str(caught.value)


def test_labels() -> None:
    assert check_label(None) is None
    assert check_label("  ") is None
    assert check_label(" Español\n(MX) ") == "Español (MX)"
    with pytest.raises(LanguageError, match="keep it to 64"):
        check_label("x" * 65)


def test_every_captions_setting_is_documented_in_the_operator_guide() -> None:
    text = (DOCS / "operator.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^- `plugin\.captions\.(\w+)` \(default `(\d+)`", text, re.M))
    defaults = msgspec.to_builtins(CaptionSettings())
    assert documented == {name: str(value) for name, value in defaults.items()}
