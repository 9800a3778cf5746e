"""Turning what people type into safe search terms."""

from __future__ import annotations

import pytest

from nichevid.search.terms import MAX_QUERY_CHARS, MAX_TERM_CHARS, MAX_TERMS, parse


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("Knit", ("knit",)),
        ('"knit', ("knit",)),
        ('knit "scarf', ("knit", "scarf")),
        ("knit*", ("knit",)),
        ("caption:knit", ("caption", "knit")),
        ("(knit OR yarn)", ("knit", "or", "yarn")),
        ("-knit", ("knit",)),
        ("knit NEAR yarn", ("knit", "near", "yarn")),
        ("NEAR(knit yarn, 2)", ("near", "knit", "yarn", "2")),
        ("knit AND NOT yarn", ("knit", "and", "not", "yarn")),
        ("^knit", ("knit",)),
        ("#knit_along @ada", ("knit", "along", "ada")),
        ("knit knit KNIT", ("knit",)),
        ("'; DROP TABLE nv_video; --", ("drop", "table", "nv", "video")),
        ("café 東京", ("café", "東京")),
        ("", ()),
        ("*:()\"'-^", ()),
    ],
)
def test_typed_text_becomes_plain_words(typed: str, words: tuple[str, ...]) -> None:
    assert parse(typed).words == words


def test_long_input_is_cut_not_refused() -> None:
    terms = parse("w" * 10_000)
    assert terms.words == ("w" * MAX_TERM_CHARS,)
    many = parse(" ".join(f"word{i}" for i in range(100)))
    assert len(many.words) == MAX_TERMS
    assert parse("a " * MAX_QUERY_CHARS + "late").words == ("a",)


def test_engine_queries_quote_every_word_as_a_prefix() -> None:
    terms = parse('knit "NEAR" yarn*')
    assert terms.fts5() == '"knit"* "near"* "yarn"*'
    assert terms.tsquery() == "'knit':* & 'near':* & 'yarn':*"
    assert terms.joined == "knit_near_yarn"
    assert not parse("!!!")
