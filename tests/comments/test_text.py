"""Comment text: what is refused, how it is cleaned, and how it is shown (always escaped)."""

from __future__ import annotations

import pytest

from nichevid.comments import text


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   \n\t  ", "empty"),
        ("\u200b\u200b", "empty"),  # zero-width spaces only
        ("\x00\x07", "empty"),  # control characters only
        ("x" * (text.MAX_LENGTH + 1), f"at most {text.MAX_LENGTH}"),
    ],
)
def test_bad_text_is_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(text.TextError, match=reason):
        text.check(raw)


def test_text_is_cleaned_but_kept_as_written() -> None:
    assert text.check("  hi\r\nthere\t!  ") == "hi\nthere !"
    assert text.check("a\n\n\n\n\nb") == "a\n\nb"
    assert text.check("x" * text.MAX_LENGTH) == "x" * text.MAX_LENGTH
    # Emoji sequences keep their joiners; direction overrides are dropped.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert text.check(family) == family
    assert text.check("abc\u202edef") == "abcdef"
    assert text.check("<script>alert(1)</script>") == "<script>alert(1)</script>"


def test_mentions_and_hashtags_are_found() -> None:
    body = "@Ada and @bob_2 love #Knitting, not a@mail.com or ##x; @ad is too short #Knitting"
    assert text.mentions_in(body) == ["ada", "bob_2"]
    assert text.hashtags_in(body) == ["knitting"]


def test_render_escapes_everything_and_links_known_mentions_and_tags() -> None:
    html = str(text.render('<b onclick="x">hi</b> @ada @ghost #Yarn & "q"', ["ada"]))
    assert "<b" not in html
    assert "&lt;b onclick=&#34;x&#34;&gt;hi&lt;/b&gt;" in html
    assert '<a class="nv-mention" href="/u/ada">@ada</a>' in html
    assert "@ghost" in html
    assert 'href="/u/ghost"' not in html
    assert '<a class="nv-hashtag" href="/tag/yarn">#Yarn</a>' in html
    assert "&amp; &#34;q&#34;" in html


def test_render_cannot_be_broken_out_of_by_names_or_tags() -> None:
    html = str(text.render("#tag<script> @ada<img>", ["ada"]))
    assert "<script>" not in html
    assert "<img>" not in html
    assert 'href="/tag/tag"' in html
    assert 'href="/u/ada"' in html
