"""The privacy policy and community guidelines: defaults, the admin editor, escaping."""

from __future__ import annotations

from typing import Any

from nichevid.privacy.sitepages import render

from .conftest import login, post_form


async def test_policy_pages_show_the_shipped_text_and_are_linked_from_every_page(
    nv_client: Any,
) -> None:
    privacy = await nv_client.get("/privacy")
    assert privacy.status_code == 200
    assert "<h1>Privacy policy</h1>" in privacy.text
    assert "<strong>Export:</strong>" in privacy.text
    guidelines = await nv_client.get("/guidelines")
    assert "<h1>Community guidelines</h1>" in guidelines.text
    home = (await nv_client.get("/")).text
    assert 'href="/privacy"' in home
    assert 'href="/guidelines"' in home


async def test_admins_edit_the_pages_and_what_they_type_is_escaped(
    nv_client: Any, make_user: Any
) -> None:
    await make_user("root", role="admin")
    await login(nv_client, "root")
    assert (await nv_client.get("/admin/pages/privacy")).status_code == 200
    text = "# Our rules\n\n<script>alert(1)</script> **be nice**\n\n- [docs](https://example.org)"
    saved = await post_form(nv_client, "/admin/pages/guidelines", {"body": text})
    assert saved.status_code == 303
    page = (await nv_client.get("/guidelines")).text
    assert "<h1>Our rules</h1>" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <strong>be nice</strong>" in page
    assert '<li><a href="https://example.org" rel="nofollow noopener">docs</a></li>' in page
    # An empty text brings the shipped default back.
    await post_form(nv_client, "/admin/pages/guidelines", {"body": "  "})
    assert "<h1>Community guidelines</h1>" in (await nv_client.get("/guidelines")).text


async def test_bad_edits_and_non_admins_are_refused(nv_client: Any, make_user: Any) -> None:
    await make_user("root", role="admin")
    await make_user("mod", role="moderator")
    await login(nv_client, "mod")
    refused = await post_form(nv_client, "/admin/pages/privacy", {"body": "mine now"})
    assert refused.status_code == 403
    assert "mine now" not in (await nv_client.get("/privacy")).text
    await login(nv_client, "root")
    unknown = await nv_client.get("/admin/pages/terms", headers={"accept": "text/html"})
    assert unknown.status_code == 404
    assert "edit privacy or guidelines" in unknown.text
    long = await post_form(nv_client, "/admin/pages/privacy", {"body": "x" * 100_001})
    assert long.status_code == 400
    assert "shorten it to 100000 at most" in long.text


def test_the_markdown_subset_never_lets_html_or_scripts_through() -> None:
    html = str(render('[x](javascript:alert(1)) [y](/ok) "quoted" & <b>'))
    assert 'href="javascript' not in html
    assert "[x](javascript:alert(1))" in html  # left as text, not made a link
    assert 'href="/ok"' in html
    assert "&lt;b&gt;" in html
    assert "&#34;quoted&#34;" in html
