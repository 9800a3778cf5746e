"""Plugins' own choices about a video, made on the upload form and the video edit form.

A plugin adds fields to both forms with the ``video_form_fields`` hook. Their values
travel as *options*: a mapping of field names to text, sent in the upload's metadata
next to the caption and visibility (so they survive a resumed upload) or posted by the
edit form. The ``video_options_check`` gate refuses bad values before anything is
stored; ``video_options_saved`` hands the accepted values to the plugins once the video
exists (when its upload completes, or when the edit form saves).

Option names are lower-case words starting with the plugin's prefix
(``subscriptions_tier``); the core's own fields are never options.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from nichevid.i18n import gettext
from nichevid.plugins import gate, notify

log = logging.getLogger("nichevid.media")

# The fields of the core forms and of the tus metadata, which are never options.
CORE_FIELDS = frozenset(
    {
        "filename",
        "caption",
        "visibility",
        "publish_at",
        "utc_offset",
        "_csrf_token",
        "filetype",
        "name",
    }
)
OPTION_NAME = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]{1,40}$")
OPTION_MAX = 200
OPTIONS_MAX = 20


def options_of(values: Mapping[str, Any]) -> dict[str, str]:
    """The options among submitted ``values`` (upload metadata or an edit form).

    Raises:
        ValueError: More than :data:`OPTIONS_MAX` options, or a value longer than
            :data:`OPTION_MAX` characters (a message saying so).
    """
    found = {
        str(name): value
        for name, value in values.items()
        if str(name) not in CORE_FIELDS and OPTION_NAME.match(str(name))
    }
    if len(found) > OPTIONS_MAX:
        raise ValueError(gettext("A video takes at most %(max)s plugin choices.", max=OPTIONS_MAX))
    out: dict[str, str] = {}
    for name, value in found.items():
        text = value if isinstance(value, str) else ""
        if len(text) > OPTION_MAX:
            raise ValueError(
                gettext(
                    "The choice %(name)s is longer than %(max)s characters.",
                    name=name,
                    max=OPTION_MAX,
                )
            )
        out[name] = text
    return out


async def form_fields(
    resources: Any,
    request: Any,
    user: Any,
    video: Any = None,
    values: dict[str, str] | None = None,
) -> Markup:
    """The plugins' fields for the upload form (``video`` ``None``) or the edit form
    (``values``: the options posted, when the form comes back after a refusal).

    A plugin that fails is logged and left out: the form still works without its field.
    """
    from nichevid.plugins import answers

    parts = await answers(
        resources.pm,
        "video_form_fields",
        request=request,
        user=user,
        video=video,
        values=values,
    )
    return Markup("".join(str(part) for part in parts))  # noqa: S704 - plugins escape


async def check(
    resources: Any, user: Any, video: Any, visibility: str, options: dict[str, str]
) -> str | None:
    """The first plugin's reason to refuse ``options``, or ``None`` when all accept."""
    return await gate(
        resources.pm.hook.video_options_check,
        user=user,
        video=video,
        visibility=visibility,
        options=dict(options),
        resources=resources,
    )


async def saved(resources: Any, video: Any, options: dict[str, str]) -> None:
    """Tell the plugins the video now exists with ``options`` (failures are logged)."""
    await notify(
        resources.pm, "video_options_saved", video=video, options=dict(options), resources=resources
    )
