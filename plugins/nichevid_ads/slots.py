"""The ads plugin's parts of pages: the feed script, a challenge's banner, the admin link."""

from __future__ import annotations

import json
from typing import Any

from nichevid import i18n
from nichevid.admin.menu import admin_links
from nichevid_ads import challenges
from nichevid_ads.settings import ad_settings

KEY = "nichevid_ads.challenge"
STYLE = '<link rel="stylesheet" href="/static/plugins/ads/ads.css">'
SCRIPT = '<script src="/static/plugins/ads/ads.js" defer></script>'


def _styled(path: str) -> bool:
    return path == "/" or path.startswith(("/tag/", "/challenges", "/admin/ads"))


async def prepare_hashtag(request: Any, tag: str) -> None:
    """Read the challenge running for ``#tag`` and how many videos joined it."""
    challenge = await challenges.of_tag(tag)
    if challenge is not None:
        entries = await challenges.entries([challenge])
        request.scope[KEY] = (challenge, entries[int(challenge["id"])])


def render(slot: str, context: dict[str, Any]) -> str | None:
    """The HTML of ``slot`` for this page, or ``None``."""
    request = context.get("request")
    if request is None:
        return None
    path = request.scope.get("path", "")
    if slot == "head" and _styled(path):
        return STYLE
    if slot == "body_end" and path == "/":
        config = {"every": ad_settings(request.app.state.settings).every}
        data = json.dumps(config).replace("<", "\\u003c")
        return f'<script type="application/json" id="nv-ads">{data}</script>{SCRIPT}'
    if slot == "hashtag_header" and KEY in request.scope:
        challenge, entries = request.scope[KEY]
        env = request.app.template_engine.engine
        html: str = env.get_template("ads/_challenge.html").render(
            request=request, challenge=challenge, entries=entries
        )
        return html
    if slot == "admin_menu":
        return admin_links(context, [("admin", "/admin/ads", i18n.gettext("Ads"))])
    return None
