"""``nichevid recommend eval``: replay a log, write ``metrics.json`` and ``rankings.jsonl``."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from nichevid.recommend.evaluate import report
from nichevid.recommend.evaluate.logs import Log, LogError, read_generic, read_kuairand
from nichevid.recommend.evaluate.methods import DEFAULT_ALGORITHM, Progress, build_context
from nichevid.recommend.evaluate.methods import methods as all_methods
from nichevid.recommend.evaluate.protocols import (
    Ranked,
    catalogue,
    protocol_a_users,
    protocol_b_users,
    rerank,
)
from nichevid.recommend.evaluate.replay import replay
from nichevid.recommend.evaluate.split import DEFAULT_TEST_DAYS, temporal_split
from nichevid.recommend.train import ALGORITHMS


def evaluate(
    log: Log,
    out: Path,
    seed: int = 0,
    rounds: int = 200,
    test_from: date | None = None,
    test_days: int = DEFAULT_TEST_DAYS,
    algorithm: str = DEFAULT_ALGORITHM,
    sequential: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Split, fit, rank under both protocols, score, and write the two files into ``out``."""
    say = progress or (lambda line: None)
    started = time.monotonic()
    split = temporal_split(log, test_from, test_days)
    say(
        f"train {split.train_days[0]}..{split.train_days[1]}: {len(split.train):,} ratings; "
        f"test {split.test_days[0]}..{split.test_days[1]}: {len(split.test):,} viewers "
        f"({len(split.cold_users):,} cold)"
    )
    ctx = build_context(split, log.videos, seed, algorithm, progress=say)
    rankings: list[Ranked] = []
    b_users = {"warm": protocol_b_users(split, True), "cold": protocol_b_users(split, False)}
    a_users = {"warm": protocol_a_users(split, True), "cold": protocol_a_users(split, False)}
    for name, scorer in all_methods(seed).items():
        for group in ("warm", "cold"):
            say(f"protocol B, {name}, {group}: {len(b_users[group]):,} viewers")
            rankings += rerank(ctx, name, scorer, b_users[group], group)
            say(f"protocol A, {name}, {group}: {len(a_users[group]):,} viewers")
            rankings += catalogue(ctx, name, scorer, a_users[group], group)
    cat = report.Catalogue(len(ctx.items), ctx.features, ctx.share)
    say(f"scoring with {rounds} bootstrap rounds")
    results = report.score(rankings, split, cat, rounds, seed)
    seq = {}
    if sequential:
        say("sequential replay")
        seq = replay(ctx, b_users["warm"], rounds, seed)
    summary = {
        "source": log.source,
        "split": {
            "train": [str(d) for d in split.train_days],
            "test": [str(d) for d in split.test_days],
            "train_ratings": len(split.train),
            "train_users": len(split.train_users),
            "catalogue": len(ctx.items),
            "test_users": len(split.test),
            "cold_users": len(split.cold_users),
            "rating": "first interaction per (viewer, video), ratings.rating()",
        },
        "settings": {"seed": seed, "bootstrap": rounds, "algorithm": algorithm},
        "results": results,
        "sequential_replay": seq,
        "seconds": round(time.monotonic() - started, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    report.write_rankings(out / report.RANKINGS, rankings)
    report.write_metrics(out / report.METRICS, summary)
    say(f"wrote {out / report.METRICS} and {out / report.RANKINGS}")
    return summary


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD, for example 2022-05-05") from None


@click.command("eval")
@click.option(
    "--kuairand",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A KuaiRand(-Pure) folder (log_standard_*.csv, video_features_basic*.csv).",
)
@click.option(
    "--log",
    "log_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A log in the generic format: .csv, or JSON lines (docs/recommender.md).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for metrics.json and rankings.jsonl.",
)
@click.option("--seed", default=0, show_default=True, help="Seed for random, SVD, bootstrap.")
@click.option("--bootstrap", "rounds", default=200, show_default=True, help="Bootstrap rounds.")
@click.option("--test-from", callback=_day, help="First test day (default: last --test-days).")
@click.option("--test-days", default=DEFAULT_TEST_DAYS, show_default=True, help="Test days.")
@click.option(
    "--algorithm",
    type=click.Choice(sorted(ALGORITHMS)),
    default=DEFAULT_ALGORITHM,
    show_default=True,
    help="Surprise algorithm under the served blend.",
)
@click.option("--no-replay", is_flag=True, help="Skip the sequential replay.")
def eval_command(
    kuairand: Path | None,
    log_file: Path | None,
    out: Path,
    seed: int,
    rounds: int,
    test_from: date | None,
    test_days: int,
    algorithm: str,
    no_replay: bool,
) -> None:
    """Replay logged feedback with a temporal split and score the recommender offline."""
    if (kuairand is None) == (log_file is None):
        raise click.UsageError("Give exactly one of --kuairand DIR or --log FILE.")

    def say(line: str) -> None:
        click.echo(line, err=True)

    try:
        say(f"reading {kuairand or log_file}")
        log = read_kuairand(kuairand) if kuairand else read_generic(log_file)  # type: ignore[arg-type]
        summary = evaluate(
            log, out, seed, rounds, test_from, test_days, algorithm, not no_replay, say
        )
    except LogError as exc:
        raise click.ClickException(str(exc)) from exc
    say(f"done in {summary['seconds']} s")
