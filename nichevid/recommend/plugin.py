"""The recommender as a built-in plugin: settings, the training schedule and commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nichevid.plugins import hookimpl

TEMPLATES = Path(__file__).parent / "templates"


@hookimpl
def register_settings() -> dict[str, Any]:
    from nichevid.recommend.settings import SECTION, RecommendSettings

    return {SECTION: RecommendSettings}


@hookimpl
def register_jobs() -> list[Any]:
    from nichevid.jobs import Job
    from nichevid.recommend.training import TRAIN_JOB, train_job

    return [Job(TRAIN_JOB, train_job, max_tries=2, timeout=900.0, backoff=60.0)]


@hookimpl
def register_cron_jobs() -> list[Any]:
    from nichevid.jobs import CronJob
    from nichevid.recommend.training import TRAIN_JOB, scheduled_train

    return [CronJob(TRAIN_JOB, scheduled_train, minute={17}, timeout=900.0)]


@hookimpl
def register_cli_commands() -> list[Any]:
    from nichevid.recommend.cli import recommend

    return [recommend]


@hookimpl
def register_lifespan() -> list[Any]:
    from nichevid.recommend.feed import model_lifespan

    return [model_lifespan]


@hookimpl(trylast=True)
async def for_you_page(request: Any, cursor: str | None, size: int) -> Any:
    from nichevid.recommend.feed import next_page

    return await next_page(request, cursor, size)


@hookimpl
async def viewer_signals(request: Any, viewer: str, signals: list[Any]) -> None:
    from nichevid.recommend.feed import take_signals

    await take_signals(request, viewer, signals)


@hookimpl
def register_routes(settings: Any) -> list[Any]:
    from nichevid.recommend.routes import FeedChoicesController, RecommenderAdmin

    return [FeedChoicesController, RecommenderAdmin]


@hookimpl
def register_template_dirs() -> list[Any]:
    return [TEMPLATES]


@hookimpl
def extra_slot(slot: str, context: dict[str, Any]) -> str | None:
    from nichevid.recommend import slots

    return slots.render(slot, context)


@hookimpl
async def user_deleting(user: Any, resources: Any) -> None:
    import asyncio

    from nichevid.recommend.model import forget_users
    from nichevid.recommend.training import model_dir

    # Trained models hold the member's biases and factors: they go too.
    await asyncio.to_thread(forget_users, model_dir(resources.settings), [int(user.id)])
