"""Comments as a plugin of the core: the table, the pages, the API and the card button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape

from nichevid.comments.closing import CHOICE
from nichevid.i18n import gettext, ngettext
from nichevid.media.choices import form_hooks
from nichevid.plugins import hookimpl
from nichevid.settings import Settings

STATIC = Path(__file__).parent / "static"
# Where prepare_cards leaves the comment counts of the page's cards, in the request scope.
COUNTS_KEY = "nichevid.comments.counts"
_ICON = (
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 '
    '2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>'
)


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.comments.piccolo_app"]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.comments.api import CommentApi
    from nichevid.comments.item_routes import CommentItems
    from nichevid.comments.reaction_routes import CommentReactionApi, CommentReactions
    from nichevid.comments.routes import CommentPanel

    return [CommentPanel, CommentItems, CommentReactions, CommentApi, CommentReactionApi]


@hookimpl
def register_static_dirs() -> dict[str, Any]:
    return {"comments": STATIC}


video_form_fields, video_options_check, video_options_saved = form_hooks(CHOICE)


@hookimpl
async def prepare_cards(request: Any, cards: list[Any]) -> None:
    """Count the comments of every card on the page in one statement."""
    from nichevid.comments.queries import comment_counts

    if cards:
        counts = await comment_counts([card.id for card in cards])
        request.scope.setdefault(COUNTS_KEY, {}).update(counts)


def _button(request: Any, video: Any) -> str:
    slug = str(escape(video.slug))
    # Outside the f-strings, where pybabel finds them.
    label = escape(gettext("Comments"))
    counts = request.scope.get(COUNTS_KEY, {}) if request is not None else {}
    count = counts.get(video.id)
    if count is None:
        inner = f'{_ICON}<span class="visually-hidden">{label}</span>'
    else:
        words = escape(ngettext("comment", "comments", count))
        inner = (
            f'{_ICON}<span data-comment-count="{slug}">{count}</span>'
            f'<span class="visually-hidden"> {words}</span>'
        )
    if request is not None and request.url.path == f"/v/{video.slug}":
        # On the video's own page the comments are right below it.
        return f'<a class="nv-card-comments" href="#comments" data-nv-action>{inner}</a>'
    return (
        f'<button type="button" class="nv-card-comments" data-nv-action aria-expanded="false" '
        f'hx-get="/v/{slug}/comments?sheet=true" hx-target="next .nv-comments-sheet" '
        f'hx-swap="innerHTML">{inner}</button>'
        f'<div class="nv-comments-sheet" data-nv-action role="dialog" '
        f'aria-label="{label}" hidden></div>'
    )


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    video = context.get("video")
    if slot == "head":
        return '<script src="/static/plugins/comments/comments.js" defer></script>'
    if slot == "video_actions" and video is not None:
        return _button(context.get("request"), video)
    if slot == "video_page" and video is not None:
        slug = escape(video.slug)
        read = escape(gettext("Read the comments"))
        return (
            f'<section class="nv-comments-page" id="comments" hx-get="/v/{slug}/comments" '
            f'hx-trigger="load" hx-swap="innerHTML">'
            f'<p><a href="/v/{slug}/comments">{read}</a></p></section>'
        )
    return None
