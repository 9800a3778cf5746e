"""Which videos their creators offer for download, and the file a download sends.

A video is offered while its :class:`~nichevid.downloads.tables.Downloadable` row
exists; creators choose on the upload and edit forms (:data:`CHOICE`). A download
sends the largest MP4 rendition, never the uploaded original (which may carry the
creator's camera metadata).
"""

from __future__ import annotations

from nichevid.downloads.tables import Downloadable
from nichevid.i18n import gettext
from nichevid.media.choices import VideoChoice, VideoFlag
from nichevid.media.services import renditions_of
from nichevid.media.tables import Rendition, Video

OFFERED = VideoFlag(Downloadable)
CHOICE = VideoChoice(
    option="downloads_offer",
    flag=OFFERED,
    label=lambda: gettext("Let viewers download this video"),
    hint=lambda: gettext(
        "They save it as an MP4 file from its page. You can always download your own."
    ),
    invalid=lambda: gettext("Say 1 to let viewers download the video, or 0 not to."),
)


async def best_file(video: Video) -> Rendition | None:
    """The largest MP4 rendition of ``video`` made so far, or ``None``."""
    files = [r for r in await renditions_of(video) if r.kind == "mp4"]
    return max(files, key=lambda r: min(r.width, r.height), default=None)


def file_name(video: Video) -> str:
    """The name a download is saved under: the video's slug (letters and digits only)."""
    return f"{video.slug}.mp4"
