"""``nichevid recommend``: train a model now, and see what the feed is serving with."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

import click

from nichevid.recommend import model as models
from nichevid.recommend.evaluate.command import eval_command
from nichevid.recommend.train import ALGORITHMS


async def _with_resources(settings: Any, work: Any) -> Any:
    from nichevid.plugins import make_plugin_manager
    from nichevid.runtime import close_resources, open_resources

    resources = await open_resources(settings, make_plugin_manager(settings), start_jobs=False)
    try:
        return await work(resources)
    finally:
        await close_resources(resources)


@click.group("recommend")
def recommend() -> None:
    """The For You recommender: training, status and offline evaluation."""


@recommend.command("train")
@click.option(
    "--algorithm",
    type=click.Choice(sorted(ALGORITHMS)),
    help="Surprise algorithm for this run (default: the setting).",
)
@click.option(
    "--window-days",
    type=click.IntRange(min=1),
    help="Days of ratings (default: the setting).",
)
@click.pass_context
def train_command(ctx: click.Context, algorithm: str | None, window_days: int | None) -> None:
    """Fit a model on the recent ratings now; web processes pick it up on their own."""
    from nichevid.cli import UserError, friendly_errors, settings_from
    from nichevid.recommend.settings import SECTION
    from nichevid.recommend.train import TrainingError
    from nichevid.recommend.training import train_now

    settings = settings_from(ctx)
    overrides = {"algorithm": algorithm, "window_days": window_days}
    section = dict(settings.plugin.get(SECTION) or {})
    section.pop("_parsed", None)
    section.update({k: v for k, v in overrides.items() if v is not None})
    settings.plugin[SECTION] = section

    def progress(step: str, fraction: float) -> None:
        click.echo(f"[{fraction:4.0%}] {step}", err=True)

    @friendly_errors
    def go() -> Any:
        return asyncio.run(
            _with_resources(
                settings, lambda res: train_now(settings, progress, storage=res.storage)
            )
        )

    try:
        status = go()
    except TrainingError as exc:
        raise UserError(str(exc)) from exc
    click.echo(f"{status.outcome}: {status.message}")
    if status.outcome == "trained":
        click.echo(f"model {status.version} in {status.seconds:.1f} s")


@recommend.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """The model in use and the outcome of the last training run."""
    from nichevid.cli import settings_from
    from nichevid.recommend.training import model_dir, read_status

    settings = settings_from(ctx)
    directory = model_dir(settings)
    report: dict[str, Any] = {"model_dir": str(directory), "model": None, "last_run": None}
    try:
        current = models.current_file(directory)
        if current is not None:
            report["model"] = models.load(current).meta
    except models.ModelFileError as exc:
        report["model_error"] = str(exc)
    last = read_status(settings)
    report["last_run"] = asdict(last) if last else None
    if as_json:
        json.dump(report, sys.stdout, indent=2)
        click.echo()
        return
    model = report["model"]
    click.echo(f"model dir: {directory}")
    if model:
        click.echo(
            f"model: {model['version']} ({model['algorithm']}, {model['ratings']:,} ratings, "
            f"trained {model['trained_at']})"
        )
    else:
        click.echo("model: none; For You serves popular and fresh videos")
    if "model_error" in report:
        click.echo(f"model error: {report['model_error']}")
    if last:
        click.echo(f"last run: {last.outcome} at {last.at}: {last.message}")


recommend.add_command(eval_command, "eval")
