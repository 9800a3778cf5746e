"""The translated interface: complete catalogues, pages without English left, translated errors."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from nichevid import i18n
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, fast_hashes  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
# %(name)s in Python and template text; {name} in the words the page scripts fill in.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def source_messages() -> set[str | tuple[str, ...]]:
    """Every message ``pybabel extract -F babel.cfg`` finds in the source, extracted now."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    # The core and the first-party plugins share one catalogue.
    sources = (str(ROOT / "nichevid"), str(ROOT / "plugins"))
    found = extract_from_dir(
        ROOT,
        method_map,
        options_map,
        directory_filter=lambda path: os.path.abspath(path).startswith(sources),
    )
    return {message for _, _, message, _, _ in found}


def catalogue(code: str) -> Catalog:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=i18n.LANGUAGES[code][0])


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_the_source_has_messages_from_python_templates_and_plugins() -> None:
    found = source_messages()
    # Python code, core templates, plural forms and a plugin's own templates all count.
    assert "That username is taken." in found
    assert "Forgot your password?" in found
    assert ("%(num)s like", "%(num)s likes") in found
    assert "“{name}” is empty. Choose another file." in found
    assert len(found) > 250


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_catalogue_covers_the_source(code: str) -> None:
    found = source_messages()
    catalog = catalogue(code)
    plurals = catalog.num_plurals
    problems = []
    for message_id in sorted(found, key=str):
        message = catalog.get(message_id)
        if message is None or message.id != message_id:
            problems.append(f"missing: {message_id!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message_id!r}")
        forms = list(message.string) if isinstance(message.string, tuple) else [message.string]
        if isinstance(message_id, tuple) and len(forms) != plurals:
            problems.append(f"{len(forms)} plural forms instead of {plurals}: {message_id!r}")
        sources = message_id if isinstance(message_id, tuple) else (message_id,)
        expected = [placeholders(text) for text in sources]
        for form in forms:
            if not form.strip():
                problems.append(f"empty: {message_id!r}")
            elif placeholders(form) not in expected:
                problems.append(f"placeholders differ: {message_id!r} -> {form!r}")
            elif "%" in sources[-1] or "%" in form:
                # Templates always format their text, so a stray % would break the page.
                values = dict.fromkeys(placeholders(sources[-1]), "x")
                try:
                    form % values
                except (ValueError, TypeError, KeyError) as exc:
                    problems.append(f"bad format ({exc}): {form!r}")
    assert not problems, f"{code}:\n" + "\n".join(problems)


def test_a_missing_translation_is_noticed(tmp_path: Path, monkeypatch: Any) -> None:
    # The coverage check reads the real catalogues: drop one entry and it must complain.
    copy = tmp_path / "es" / "LC_MESSAGES"
    copy.mkdir(parents=True)
    text = (i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").read_text()
    entry = 'msgid "That username is taken."\nmsgstr "Ese nombre de usuario ya está en uso."\n'
    assert entry in text
    (copy / "messages.po").write_text(text.replace(entry, ""))
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with pytest.raises(AssertionError, match=re.escape("missing: 'That username is taken.'")):
        test_every_catalogue_covers_the_source("es")


class VisibleText(HTMLParser):
    """The text a visitor sees or hears: text nodes, labels and the scripts' word lists."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "hx-confirm")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._script = values.get("type") or "text/javascript"
        self.parts += [values[name] or "" for name in self.ATTRIBUTES if name in values]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script == "application/json":
            self.parts += [str(value) for value in json.loads(data).values()]
        elif self._script is None and data.strip():
            self.parts.append(data.strip())


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


# Interface words the English pages below show; none may be left on a translated page.
ENGLISH = [
    "Skip to content", "Change language", "Language", "Search", "Log in", "Sign up",
    "Upload", "Settings", "Log out", "Video by", "Unmute", "Like", "Share", "Bookmark",
    "Comments", "Follow", "Followers", "Following", "More videos", "Read the comments",
    "You're all caught up", "Back to the newest", "End of the feed", "Username",
    "Username or e-mail", "Forgot your password?", "Create an account", "Create your account",
    "Display name", "optional", "Already have an account?", "Kinds of results", "All",
    "People", "Nothing found", "Upload a video", "Choose a video", "or drop it here",
    "Caption", "Who can watch", "Public: anyone", "Private: only you", "Pause", "Cancel",
    "Upload progress", "Mentions of names without an account are left out",
    "Choose a video file first", "Uploading", "Resume", "Upload complete", "Notifications",
]  # fmt: skip


def english_left(parts: list[str]) -> set[str]:
    return {
        phrase
        for phrase in ENGLISH
        for part in parts
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", part)
    }


@pytest.fixture
def member(nv_resources: Any) -> Any:
    """``await member("ada", role="creator")``: an account made by the accounts service."""
    from nichevid.accounts import services

    async def make(username: str, role: str = "member") -> Any:
        return await services.create_user(
            nv_resources.settings, nv_resources.pm, username=username,
            email=f"{username}@example.org", password=PASSWORD, role=role,
        )  # fmt: skip

    return make


async def render_pages(client: Any, member: Any, headers: Any) -> Any:
    """The main pages as a visitor and as a signed-in creator sees them."""
    maker = await member("lucia_rios", role="creator")
    video = await ready_video(maker, caption="Sunset over the harbour #sky", hashtags=["sky"])
    urls = ["/", f"/v/{video.slug}", "/u/lucia_rios", "/search?q=zzzqqq", "/login", "/signup"]
    pages = {url: await client.get(url, headers=headers) for url in urls}
    await log_in(client, "lucia_rios")
    pages["/upload"] = await client.get("/upload", headers=headers)
    pages["/ (signed in)"] = await client.get("/", headers=headers)
    for url, page in pages.items():
        assert page.status_code == 200, (url, page.status_code)
    return pages


async def log_in(client: Any, username: str) -> None:
    if not client.cookies.get("nv_csrf"):
        await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD,
              "_csrf_token": client.cookies.get("nv_csrf")},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text


async def test_english_pages_show_every_listed_word(nv_client: Any, member: Any) -> None:
    # Without this the check below could pass on words the pages never show.
    pages = await render_pages(nv_client, member, {"Accept": "text/html"})
    seen = set()
    for page in pages.values():
        assert '<html lang="en">' in page.text
        seen |= english_left(visible(page.text))
    assert seen == set(ENGLISH), f"not on any English page: {set(ENGLISH) - seen}"


@pytest.mark.parametrize(
    ("accept", "code", "sample"),
    [
        ("es-ES,es;q=0.9", "es", "Iniciar sesión"),
        ("zh-TW", "zh-Hant", "上傳影片"),
        ("it", "it", "Carica un video"),
    ],
)
async def test_translated_pages_leave_no_english(
    nv_client: Any, member: Any, accept: str, code: str, sample: str
) -> None:
    headers = {"Accept": "text/html", "Accept-Language": accept}
    pages = await render_pages(nv_client, member, headers)
    found = []
    for url, page in pages.items():
        assert f'<html lang="{code}">' in page.text, url
        left = english_left(visible(page.text))
        if left:
            found.append(f"{url}: {sorted(left)}")
    assert not found, "\n".join(found)
    assert any(sample in page.text for page in pages.values())


async def test_the_page_scripts_get_their_words_in_the_page_language(
    nv_client: Any, member: Any
) -> None:
    headers = {"Accept": "text/html", "Accept-Language": "nl"}
    pages = await render_pages(nv_client, member, headers)
    shared = re.search(r'<script type="application/json" id="nv-strings">(.*?)</script>',
                       pages["/"].text)  # fmt: skip
    assert shared is not None
    assert json.loads(shared.group(1)) == {
        "mute": "Geluid uit", "unmute": "Geluid aan",
        "copied": "Link gekopieerd", "copy": "Kopieer deze link",
    }  # fmt: skip
    upload = re.search(r'id="nv-upload-strings">(.*?)</script>', pages["/upload"].text, re.S)
    assert upload is not None
    words = json.loads(upload.group(1))
    assert words["pause"] == "Pauzeren"
    # The script fills in {name}-style values itself; they survive translation.
    assert words["tooBig"].count("{name}") == 1
    assert "{max}" in words["tooBig"]


async def test_a_form_error_comes_back_translated(nv_client: Any, member: Any) -> None:
    await member("taken_name")
    await nv_client.get("/signup")
    form = {
        "username": "taken_name",
        "email": "new@example.org",
        "password": "a much longer passphrase",
        "_csrf_token": nv_client.cookies.get("nv_csrf"),
    }
    spanish = await nv_client.post(
        "/signup", data=form, headers={"Accept": "text/html", "Accept-Language": "es"}
    )
    assert spanish.status_code == 400
    assert '<html lang="es">' in spanish.text
    assert "Ese nombre de usuario ya está en uso." in spanish.text
    assert "That username is taken." not in spanish.text
    chinese = await nv_client.post(
        "/signup", data=form, headers={"Accept": "text/html", "Accept-Language": "zh-CN"}
    )
    assert "该用户名已被占用。" in chinese.text
    english = await nv_client.post("/signup", data=form, headers={"Accept": "text/html"})
    assert "That username is taken." in english.text


async def test_errors_from_python_follow_the_language(nv_client: Any, member: Any) -> None:
    await member("sara_v")
    await nv_client.get("/login")
    wrong = await nv_client.post(
        "/login",
        data={"username": "sara_v", "password": "not the password",
              "_csrf_token": nv_client.cookies.get("nv_csrf")},
        headers={"Accept": "text/html", "Accept-Language": "it"},
    )  # fmt: skip
    assert wrong.status_code == 400
    assert "Nome utente e password non corrispondono a nessun account." in wrong.text
    missing = await nv_client.get(
        "/u/nobody_here", headers={"Accept": "text/html", "Accept-Language": "zh-Hant"}
    )
    assert missing.status_code == 404
    assert "這裡什麼都沒有" in missing.text
    assert "沒有名為 &#39;nobody_here&#39; 的成員。" in missing.text
