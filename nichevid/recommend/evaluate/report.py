"""Metrics from rankings, with bootstrap intervals; ``metrics.json`` and ``rankings.jsonl``.

:func:`score` needs only the rankings, the test ratings and a little about the
catalogue, so :func:`rescore` reproduces the ``results`` of ``metrics.json`` from
``rankings.jsonl``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nichevid.recommend.evaluate import metrics
from nichevid.recommend.evaluate.bootstrap import gain_ci, mean_ci, resamples
from nichevid.recommend.evaluate.protocols import Ranked
from nichevid.recommend.evaluate.split import Split
from nichevid.recommend.ratings import POSITIVE

DIGITS = 5
RANKINGS = "rankings.jsonl"
METRICS = "metrics.json"


@dataclass(frozen=True)
class Catalogue:
    """What the catalogue metrics need: its size, item features and training shares."""

    size: int
    features: dict[int, frozenset[str]]
    share: dict[int, float]


def user_metrics(entry: Ranked, split: Split, catalogue: Catalogue) -> dict[str, float]:
    """The per-viewer metrics of one ranking."""
    test = {r.video_id: r.rating for r in split.test.get(entry.user_id, [])}
    if entry.protocol == "B":
        return {"ndcg@10": metrics.graded_ndcg([test[v] - 1 for v in entry.ranked])}
    positives = {v for v, rating in test.items() if rating >= POSITIVE}
    return {
        "ndcg@10": metrics.binary_ndcg(entry.ranked, positives),
        "recall@10": metrics.recall(entry.ranked, positives),
        "novelty": metrics.novelty(entry.ranked, catalogue.share),
        "diversity": metrics.intra_list_diversity(entry.ranked, catalogue.features),
    }


def _round(value: float) -> float:
    return round(value, DIGITS)


def score(
    rankings: Iterable[Ranked], split: Split, catalogue: Catalogue, rounds: int, seed: int
) -> dict[str, Any]:
    """``{protocol: {group: {method: figures}}}`` with 95 % bootstrap intervals over viewers.

    Protocol B figures include the normalised gain ``(ndcg - random) / (1 - random)``
    when the random method was run; intervals for one group share their resamples.
    """
    grouped: defaultdict[tuple[str, str], dict[str, list[Ranked]]] = defaultdict(dict)
    for entry in rankings:
        grouped[(entry.protocol, entry.group)].setdefault(entry.method, []).append(entry)
    out: dict[str, Any] = {}
    for (protocol, group), by_method in sorted(grouped.items()):
        values: dict[str, dict[str, list[float]]] = {}
        draws = None
        for method, entries in by_method.items():
            entries.sort(key=lambda e: e.user_id)
            per_user = [user_metrics(e, split, catalogue) for e in entries]
            values[method] = {m: [row[m] for row in per_user] for m in per_user[0]}
            if draws is None:
                draws = resamples(len(entries), rounds, seed)
        assert draws is not None
        figures: dict[str, Any] = {}
        for method, entries in by_method.items():
            fig: dict[str, Any] = {"users": len(entries)}
            for name, series in values[method].items():
                low, high = mean_ci(series, draws)
                mean = sum(series) / len(series)
                fig[name] = {"mean": _round(mean), "ci95": [_round(low), _round(high)]}
            if protocol == "A":
                fig["coverage@10"] = _round(
                    metrics.coverage([e.ranked for e in entries], catalogue.size)
                )
            elif "random" in values:
                base = values["random"]["ndcg@10"]
                base_mean = sum(base) / len(base)
                mean = fig["ndcg@10"]["mean"]
                low, high = gain_ci(values[method]["ndcg@10"], base, draws)
                fig["normalised_gain"] = {
                    "mean": _round((mean - base_mean) / (1 - base_mean)),
                    "ci95": [_round(low), _round(high)],
                }
            figures[method] = fig
        out.setdefault(protocol, {})[group] = figures
    return out


def write_rankings(path: Path, rankings: Iterable[Ranked]) -> None:
    """One JSON object per line: protocol, method, group, user_id and ranked ids, best first."""
    with path.open("w") as out:
        for e in rankings:
            line = {
                "protocol": e.protocol,
                "method": e.method,
                "group": e.group,
                "user_id": e.user_id,
                "ranked": e.ranked,
            }
            out.write(json.dumps(line) + "\n")


def read_rankings(path: Path) -> list[Ranked]:
    """The rankings :func:`write_rankings` wrote."""
    out = []
    with path.open() as handle:
        for line in handle:
            row = json.loads(line)
            out.append(
                Ranked(row["protocol"], row["method"], row["group"], row["user_id"], row["ranked"])
            )
    return out


def write_metrics(path: Path, report: dict[str, Any]) -> None:
    """``metrics.json``, indented, keys in a stable order."""
    path.write_text(json.dumps(report, indent=2) + "\n")


def rescore(
    directory: Path, split: Split, catalogue: Catalogue, rounds: int, seed: int
) -> dict[str, Any]:
    """The ``results`` of ``directory/metrics.json`` computed again from its rankings."""
    return score(read_rankings(directory / RANKINGS), split, catalogue, rounds, seed)
