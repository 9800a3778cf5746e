"""Creators add, change and remove a video's product links on the edit and upload forms."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from nichevid.accounts.tokens import create_token
from nichevid.media import options
from nichevid.media.tables import Upload, Video
from nichevid_affiliates import links
from nichevid_affiliates.checks import check_links
from nichevid_affiliates.errors import AffiliateError
from nichevid_affiliates.settings import AffiliateSettings
from nichevid_affiliates.tables import Link

from .conftest import HTML, edit, login

SHOP = "https://example-shop.com/p/yarn"
HOOKS = "https://hooks.example.org/crochet-set?ref=cara"


async def test_add_change_and_remove_links_on_the_edit_form(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    await login(nv_client, "cara")
    page = await nv_client.get(f"/upload/edit/{video.slug}", headers=HTML)
    assert 'name="affiliates_url_1"' in page.text
    assert 'name="affiliates_label_3"' in page.text
    assert 'name="affiliates_url_4"' not in page.text
    added = await edit(nv_client, video, ("Merino yarn", SHOP), ("Crochet hooks", HOOKS))
    assert added.status_code == 303, added.text
    assert await links.stored_for(video.id) == [("Merino yarn", SHOP), ("Crochet hooks", HOOKS)]
    first_id = (await Link.objects().where(Link.url == SHOP).first()).id
    page = await nv_client.get(f"/upload/edit/{video.slug}", headers=HTML)
    assert f'value="{SHOP}"' in page.text
    # Reordering and relabelling keeps the row of an address that stays.
    changed = await edit(nv_client, video, ("Hooks", HOOKS), ("Yarn, merino", SHOP))
    assert changed.status_code == 303
    assert await links.stored_for(video.id) == [("Hooks", HOOKS), ("Yarn, merino", SHOP)]
    assert (await Link.objects().where(Link.url == SHOP).first()).id == first_id
    # Clearing every row removes every link; the rows stay for their records.
    removed = await edit(nv_client, video)
    assert removed.status_code == 303
    assert await links.stored_for(video.id) == []
    assert await Link.count().where(Link.removed_at.is_not_null()) == 2
    # A form without the link fields (another client) leaves the links alone.
    await edit(nv_client, video, ("Merino yarn", SHOP))
    data = {"caption": "new caption", "visibility": "public"}
    from .conftest import form

    await form(nv_client, f"/upload/edit/{video.slug}", data)
    assert await links.stored_for(video.id) == [("Merino yarn", SHOP)]


BAD = [
    (("Yarn", "http://example-shop.com/p"), "must be a web address starting with https://"),
    (("Yarn", "javascript:alert(1)"), "must be a web address starting with https://"),
    (("Yarn", "data:text/html,hi"), "must be a web address starting with https://"),
    (("Yarn", "ftp://example-shop.com/p"), "must be a web address starting with https://"),
    (("Yarn", "https://user:pw@example-shop.com/p"), "remove the part before @"),
    (("Yarn", "https://scam.example/buy"), "Links to scam.example are not allowed here"),
    (("Yarn", "https://www.scam.example/buy"), "Links to scam.example are not allowed here"),
    (("Yarn", "https://example-shop.com/a b"), "contains spaces"),
    (("Yarn", "https:///nohost"), "is not a valid web address"),
    (("Yarn", "https://localhost/p"), "has no valid domain name"),
    (("", SHOP), "Give link 1 a label"),
    (("Yarn", ""), "Give link 1 an address"),
    (("Y" * 61, SHOP), "longer than 60 characters"),
]


@pytest.mark.parametrize(("row", "message"), BAD)
async def test_bad_links_are_refused_and_nothing_changes(
    nv_client: Any, people: dict[str, Any], video: Any, row: tuple[str, str], message: str
) -> None:
    await login(nv_client, "cara")
    await edit(nv_client, video, ("Merino yarn", SHOP))
    refused = await edit(nv_client, video, row, caption="changed too")
    assert refused.status_code == 400
    assert message in refused.text
    # The form comes back with what was posted.
    assert 'name="affiliates_url_1"' in refused.text
    assert await links.stored_for(video.id) == [("Merino yarn", SHOP)]
    stored = await Video.objects().where(Video.id == video.id).first()
    assert stored is not None
    assert stored.caption == video.caption


async def test_duplicates_and_too_many_links_are_refused(
    nv_client: Any, people: dict[str, Any], video: Any
) -> None:
    await login(nv_client, "cara")
    twice = await edit(nv_client, video, ("Yarn", SHOP), ("Same yarn", SHOP))
    assert twice.status_code == 400
    assert "Link 2 repeats link 1; remove one of them." in twice.text
    extra = await edit(
        nv_client, video, ("Yarn", SHOP), affiliates_label_4="x", affiliates_url_4=HOOKS
    )
    assert extra.status_code == 400
    assert "A video takes at most 3 product links" in extra.text
    assert await Link.count() == 0


def test_the_rules_of_the_operator() -> None:
    config = AffiliateSettings(
        allow_http=True, allowed_domains=["example-shop.com"], max_links_per_video=2
    )
    kept = check_links(config, [("Yarn", "http://www.example-shop.com/p"), ("", "")])
    assert [(k.label, k.domain) for k in kept] == [("Yarn", "www.example-shop.com")]
    with pytest.raises(AffiliateError, match=r"this site takes links to example-shop\.com only"):
        check_links(config, [("Hooks", HOOKS)])
    with pytest.raises(AffiliateError, match="starting with https:// or http://"):
        check_links(config, [("Yarn", "mailto:a@example-shop.com")])
    long = "https://example-shop.com/" + "a" * 1980
    with pytest.raises(AffiliateError, match="longer than 2000 characters"):
        check_links(config, [("Yarn", long)])
    # Suffixes that are not subdomains do not pass.
    with pytest.raises(AffiliateError, match=r"example-shop\.com only"):
        check_links(config, [("Yarn", "https://notexample-shop.com/p")])


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


async def test_the_upload_form_takes_links_and_refuses_bad_ones(
    nv_client: Any, nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    plain, _ = await create_token(people["cara"], "uploads")
    headers = {"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {plain}", "Upload-Length": "100"}
    bad = _metadata(filename="c.mp4", affiliates_label_1="Yarn", affiliates_url_1="http://x.org")
    refused = await nv_client.post("/uploads/", headers={**headers, "Upload-Metadata": bad})
    assert refused.status_code == 400
    assert "must be a web address starting with https://" in refused.text
    assert await Upload.count() == 0
    good = _metadata(filename="c.mp4", affiliates_label_1="Yarn", affiliates_url_1=SHOP)
    accepted = await nv_client.post("/uploads/", headers={**headers, "Upload-Metadata": good})
    assert accepted.status_code == 201
    # When the upload completes the core hands the options over to the plugin.
    await options.saved(
        nv_resources, video, {"affiliates_label_1": "Yarn", "affiliates_url_1": SHOP}
    )
    assert await links.stored_for(video.id) == [("Yarn", SHOP)]
    await login(nv_client, "cara")
    upload_page = await nv_client.get("/upload", headers=HTML)
    assert 'name="affiliates_url_1"' in upload_page.text
