"""What a card's reason means, in the viewer's words ("Why am I seeing this?")."""

from __future__ import annotations

from nichevid.i18n import gettext


def explain(reason: str | None, creator: str, similar_to: str | None, site: str) -> str:
    """One sentence for a pick's reason; ``None`` is the order everybody gets."""
    kind, _, value = (reason or "").partition(":")
    if kind == "following":
        return gettext("You follow @%(name)s.", name=creator)
    if kind == "subscribed":
        return gettext("You subscribe to @%(name)s.", name=creator)
    if kind == "interest":
        return gettext("You picked #%(tag)s as an interest.", tag=value)
    if kind == "tag":
        return gettext("You just watched or liked videos tagged #%(tag)s.", tag=value)
    if kind == "series" and similar_to:
        return gettext("It comes next after “%(caption)s” in its playlist.", caption=similar_to)
    if kind == "similar" and similar_to:
        return gettext("People who loved “%(caption)s” loved this too.", caption=similar_to)
    if kind == "fresh":
        return gettext("It is new: every new video gets a chance to be seen.")
    if kind == "newest":
        return gettext("It is one of the newest videos on %(site)s.", site=site)
    if kind == "trending":
        return gettext("It is popular on %(site)s right now.", site=site)
    return gettext(
        "It is popular or new on %(site)s; your feed learns from what you watch.", site=site
    )
