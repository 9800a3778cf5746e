"""Training runs: read the window's ratings, fit, export, and say how it went.

Used by the worker's schedule and by ``nichevid recommend train``. Each run,
successful or not, leaves ``status.json`` beside the models, which the admin page
and ``nichevid recommend status`` show: a window without enough ratings is not an
error, the feed keeps serving from its fallbacks and the status says why.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nichevid.recommend import covisit
from nichevid.recommend import model as models
from nichevid.recommend.model import ExportedModel
from nichevid.recommend.settings import RecommendSettings, recommend_settings
from nichevid.recommend.signals import window_samples
from nichevid.recommend.sync import publish
from nichevid.recommend.train import Progress, Sample, fit, graded_extras, make_algorithm

STATUS = "status.json"
TRAIN_JOB = "recommend.train"


@dataclass
class TrainStatus:
    """The outcome of the last training run."""

    outcome: str  # "trained", "skipped" (too few ratings) or "failed"
    message: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    version: str = ""
    ratings: int = 0
    seconds: float = 0.0


def model_dir(settings: Any) -> Path:
    """Where model files live: ``model_dir`` or ``<data_dir>/models``."""
    configured = recommend_settings(settings).model_dir
    return Path(configured) if configured else Path(settings.data_dir) / "models"


def read_status(settings: Any) -> TrainStatus | None:
    """The last run's status, or ``None`` before the first run."""
    try:
        data = json.loads((model_dir(settings) / STATUS).read_text())
        return TrainStatus(**data)
    except (FileNotFoundError, ValueError, TypeError):
        return None


def _write_status(directory: Path, status: TrainStatus) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".status-", suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(status), out)
    os.replace(tmp, directory / STATUS)


def _fit_and_save(
    samples: list[Sample],
    config: RecommendSettings,
    directory: Path,
    meta: dict[str, Any],
    progress: Progress | None = None,
) -> ExportedModel:
    triples = [(user, video, value) for user, video, value, _, _ in samples]
    exported = fit(triples, config.algorithm, config.params, progress=progress, meta=meta)
    if config.graded:
        if progress is not None:
            progress("fitting graded feed and hour biases", 1.0)
        exported.extras.update(graded_extras(exported, samples))
    if progress is not None:
        progress("counting videos loved together", 1.0)
    exported.extras.update(covisit.extras(exported, triples))
    models.save(exported, directory)
    models.prune(directory, config.keep_models)
    return exported


async def train_now(
    settings: Any,
    progress: Progress | None = None,
    *,
    separate_process: bool = False,
    storage: Any = None,
) -> TrainStatus:
    """One training run on the configured window; the new model becomes current.

    With ``separate_process`` the fit runs in a child process, so a web process that
    also runs jobs (the embedded default) keeps answering while it trains; progress
    is then not reported. With ``storage`` the model is also published there for web
    processes on other machines (:mod:`nichevid.recommend.sync`).
    """
    config = recommend_settings(settings)
    directory = model_dir(settings)
    report = progress or (lambda step, fraction: None)
    make_algorithm(config.algorithm, config.params)  # a bad setting fails before any work
    since = datetime.now(UTC) - timedelta(days=config.window_days)
    report(f"reading ratings of the last {config.window_days} days", 0.0)
    samples = await window_samples(since)
    if len(samples) < config.min_ratings:
        status = TrainStatus(
            "skipped",
            f"Only {len(samples)} ratings in the last {config.window_days} days "
            f"(min_ratings is {config.min_ratings}); For You keeps its popular and fresh "
            "order until there are more.",
            ratings=len(samples),
        )
        _write_status(directory, status)
        return status
    try:
        meta = {"window_days": config.window_days, "since": since.isoformat()}
        if separate_process:
            loop = asyncio.get_running_loop()
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                exported = await loop.run_in_executor(
                    pool, _fit_and_save, samples, config, directory, meta
                )
        else:
            exported = _fit_and_save(samples, config, directory, meta, report)
    except Exception as exc:
        _write_status(directory, TrainStatus("failed", f"{type(exc).__name__}: {exc}"))
        raise
    if storage is not None:
        path = models.current_file(directory)
        if path is not None:
            await publish(storage, path, config.keep_models)
    status = TrainStatus(
        "trained",
        f"{exported.meta['algorithm']} on {exported.meta['ratings']:,} ratings of "
        f"{exported.meta['users']:,} members and {exported.meta['items']:,} videos",
        version=exported.version,
        ratings=int(exported.meta["ratings"]),
        seconds=float(exported.meta["seconds"]),
    )
    _write_status(directory, status)
    return status


async def train_job(ctx: dict[str, Any]) -> dict[str, Any]:
    """One run in the background (``recommend.train``), in a child process."""
    return asdict(
        await train_now(ctx["settings"], separate_process=True, storage=ctx.get("storage"))
    )


async def scheduled_train(ctx: dict[str, Any]) -> dict[str, Any] | None:
    """The hourly schedule: trains in every ``train_every_hours``-th hour."""
    every = recommend_settings(ctx["settings"]).train_every_hours
    if not every or datetime.now(UTC).hour % every:
        return None
    return await train_job(ctx)
