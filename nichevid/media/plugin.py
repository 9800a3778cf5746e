"""Media as a plugin of the core: tables, the processing job and media serving."""

from __future__ import annotations

from typing import Any

from nichevid.plugins import hookimpl
from nichevid.settings import Settings


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["nichevid.media.piccolo_app"]


@hookimpl
def register_jobs() -> list[Any]:
    from nichevid.media.jobs import JOBS

    return list(JOBS)


@hookimpl
def register_cron_jobs() -> list[Any]:
    from nichevid.media.schedule import CRON_JOBS as SCHEDULE_JOBS
    from nichevid.media.tus.jobs import CRON_JOBS

    return [*CRON_JOBS, *SCHEDULE_JOBS]


@hookimpl
def register_lifespan() -> list[Any]:
    from nichevid.media.tus.jobs import tidy_lifespan

    return [tidy_lifespan]


@hookimpl
def register_routes(settings: Settings) -> list[Any]:
    from nichevid.media.api import VideoApi
    from nichevid.media.edit_page import VideoEditPages
    from nichevid.media.routes import MediaController
    from nichevid.media.tus.routes import TusController, UploadApiController
    from nichevid.media.upload_page import UploadPages

    return [
        MediaController,
        TusController,
        UploadApiController,
        UploadPages,
        VideoEditPages,
        VideoApi,
    ]
