"""Interface languages: negotiation, the language switch, catalogues and local numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nichevid import i18n


@pytest.fixture
def language() -> Iterator[Any]:
    tokens = []

    def use(code: str) -> None:
        tokens.append(i18n.use(code))

    yield use
    for token in reversed(tokens):
        i18n._current.reset(token)


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("NL-be", "nl"),
        ("zh-CN", "zh-Hans"),
        ("zh_TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("zh", "zh-Hans"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        ("x" * 50, None),
    ],
)
def test_supported_codes(tag: str, code: str | None) -> None:
    assert i18n.supported(tag) == code


def test_accept_language_picks_the_best_supported_choice() -> None:
    assert i18n.from_accept_language("fr-FR, it;q=0.8, es;q=0.9") == "es"
    assert i18n.from_accept_language("de, *;q=0.5") is None
    assert i18n.from_accept_language("nl;q=0, it;q=0.1") == "it"
    assert i18n.from_accept_language("es;q=bogus, it") == "it"


def test_negotiation_order() -> None:
    assert i18n.negotiate(user_language="it", cookie="es", accept_language="nl") == "it"
    assert i18n.negotiate(cookie="es", accept_language="nl") == "es"
    assert i18n.negotiate(cookie="klingon", accept_language="nl") == "nl"
    assert i18n.negotiate(accept_language="de") == "en"


def test_an_unsupported_code_names_the_choices() -> None:
    with pytest.raises(i18n.UnsupportedLanguage, match="choose one of: en, es, it, nl"):
        i18n.check("fr")


@pytest.mark.parametrize(
    ("code", "number", "text"),
    [
        ("en", 1234, "1.2K"),
        ("es", 1234, "1,2\xa0mil"),
        ("nl", 1234, "1,2K"),
        ("zh-Hans", 12345, "1.2万"),
        ("zh-Hant", 12345, "1.2萬"),
        ("en", 999, "999"),
        ("en", 1_500_000, "1.5M"),
    ],
)
def test_counts_are_written_the_local_way(language: Any, code: str, number: int, text: str) -> None:
    language(code)
    assert i18n.compact(number) == text


def test_plural_forms_follow_the_language(language: Any) -> None:
    language("es")
    assert i18n.ngettext("%(num)s like", "%(num)s likes", 1) == "1 me gusta"
    assert i18n.ngettext("%(num)s like", "%(num)s likes", 1234) == "1,2\xa0mil me gusta"
    language("zh-Hans")
    assert i18n.ngettext("%(num)s like", "%(num)s likes", 3) == "3 个赞"
    language("en")
    assert i18n.ngettext("%(num)s like", "%(num)s likes", 2) == "2 likes"


def test_every_catalogue_translates_every_message() -> None:
    from babel.messages.pofile import read_po

    for code in i18n.LANGUAGES:
        if code == i18n.DEFAULT:
            continue
        path = i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as fh:
            catalog = read_po(fh)
        missing = [
            m.id
            for m in catalog
            if m.id and not any(m.string if isinstance(m.string, tuple) else [m.string])
        ]
        assert not missing, f"{code} lacks translations for {missing}"


async def test_pages_follow_accept_language(nv_client: Any) -> None:
    response = await nv_client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert response.status_code == 200
    assert response.headers["content-language"] == "es"
    assert '<html lang="es">' in response.text
    assert "Cambiar idioma" in response.text
    chinese = await nv_client.get("/", headers={"Accept-Language": "zh-TW"})
    assert '<html lang="zh-Hant">' in chinese.text
    assert "變更語言" in chinese.text


async def test_the_language_switch_sets_a_cookie_and_pages_follow_it(nv_client: Any) -> None:
    await nv_client.get("/")
    csrf = nv_client.cookies.get("nv_csrf")
    response = await nv_client.post(
        "/language",
        data={"language": "it", "next": "/", "_csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert nv_client.cookies.get("nv_lang") == "it"
    page = await nv_client.get("/", headers={"Accept-Language": "es"})
    assert '<html lang="it">' in page.text


async def test_an_unsupported_language_is_refused_with_the_choices(nv_client: Any) -> None:
    await nv_client.get("/")
    response = await nv_client.post(
        "/language",
        data={"language": "fr", "_csrf_token": nv_client.cookies.get("nv_csrf")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "choose one of" in response.text
    assert nv_client.cookies.get("nv_lang") is None


async def test_a_members_choice_is_kept_in_the_account(nv_client: Any, nv_resources: Any) -> None:
    from nichevid.accounts import services
    from nichevid.accounts.tables import User

    await services.create_user(
        nv_resources.settings, nv_resources.pm, username="lingua",
        email="lingua@example.com", password="correct horse battery",
    )  # fmt: skip
    await nv_client.get("/login")
    login = await nv_client.post(
        "/login",
        data={"username": "lingua", "password": "correct horse battery",
              "_csrf_token": nv_client.cookies.get("nv_csrf")},
        follow_redirects=False,
    )  # fmt: skip
    assert login.status_code in (302, 303)
    await nv_client.post(
        "/language",
        data={"language": "nl", "_csrf_token": nv_client.cookies.get("nv_csrf")},
        follow_redirects=False,
    )
    row = await User.select(User.locale).where(User.username == "lingua").first()
    assert row == {"locale": "nl"}
    nv_client.cookies.delete("nv_lang")
    page = await nv_client.get("/settings/profile", headers={"Accept-Language": "es"})
    assert '<html lang="nl">' in page.text


async def test_anonymous_cached_pages_differ_by_language(nv_client: Any) -> None:
    english = await nv_client.get("/", headers={"Accept-Language": "en"})
    spanish = await nv_client.get("/", headers={"Accept-Language": "es"})
    again = await nv_client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text
    assert '<html lang="es">' in spanish.text
    assert '<html lang="en">' in again.text
    nv_client.cookies.set("nv_lang", "nl")
    dutch = await nv_client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in dutch.text
