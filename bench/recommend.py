"""The recommender's own figures: training time, ranking time per viewer, a web process's memory.

    python -m bench.recommend train --ratings 1000000 --algorithm baseline --algorithm svd
    python -m bench.recommend rank --videos 100000 --viewers 2000
    python -m bench.recommend memory --data-dir /tmp/nv-bench [--synthetic-model]

``train`` fits on seeded synthetic ratings (10,000 viewers, 100,000 videos, two
taste groups, the 1..5 scale) through :func:`nichevid.recommend.train.fit`, the
function the scheduled job and ``nichevid recommend train`` use, and reports the
wall time of fit plus export. ``rank`` builds a 100,000-video catalogue and an
exported model of the same shape as training makes, then times
:func:`nichevid.recommend.serve.personal` (gathering 500 candidates, numpy scoring
with fold-in, re-rank) for many viewers with session feedback, follows and
interests, in this process. ``memory`` starts a web process on data made by
``bench.generate`` (train a model there first), warms For You for a member and a
visitor, and reads the process's resident memory. Results go to
``bench/results/*.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.load import RESULTS_DIR, LoadError, instance_env, load_parser, machine, serve

TAGS = [f"topic{n}" for n in range(200)]


def synthetic_ratings(
    count: int, users: int, videos: int, seed: int
) -> list[tuple[int, int, float]]:
    """Seeded ratings: each viewer and video belongs to one of 20 tastes; same taste rates high."""
    rng = np.random.default_rng(seed)
    user = rng.integers(1, users + 1, count)
    item = rng.integers(1, videos + 1, count)
    match = (user % 20) == (item % 20)
    base = np.where(match, 4.2, 2.2) + rng.normal(0, 0.9, count)
    rating = np.clip(np.rint(base), 1, 5)
    return list(zip(user.tolist(), item.tolist(), rating.tolist(), strict=True))


def bench_train(args: argparse.Namespace) -> dict[str, Any]:
    from nichevid.recommend import covisit
    from nichevid.recommend.train import fit, graded_extras

    started = time.perf_counter()
    triples = synthetic_ratings(args.ratings, args.users, args.videos, args.seed)
    generated = time.perf_counter() - started
    runs = []
    rng = random.Random(args.seed)
    samples = [(u, i, r, rng.randrange(6), rng.randrange(24)) for u, i, r in triples]
    for algorithm in args.algorithms:
        began = time.perf_counter()
        model = fit(triples, algorithm)
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        model.extras.update(graded_extras(model, samples))
        graded = time.perf_counter() - began
        began = time.perf_counter()
        model.extras.update(covisit.extras(model, triples))
        covisited = time.perf_counter() - began
        runs.append(
            {
                "algorithm": algorithm,
                "seconds": round(seconds, 2),
                "graded_seconds": round(graded, 2),
                "covisit_seconds": round(covisited, 2),
                "total_seconds": round(seconds + graded + covisited, 2),
                "ratings": model.meta["ratings"],
                "users": model.meta["users"],
                "items": model.meta["items"],
                "factors": model.factors,
            }
        )
        print(
            f"{algorithm}: {seconds:.1f} s, graded {graded:.1f} s, co-visits {covisited:.1f} s, "
            f"for {model.meta['ratings']:,} ratings",
            file=sys.stderr,
        )
    return {"generate_seconds": round(generated, 2), "runs": runs}


def synthetic_catalogue(videos: int, creators: int, seed: int) -> Any:
    """A catalogue of ``videos`` ready videos with one or two hashtags each."""
    from nichevid.recommend.catalogue import Catalogue, _ranked

    rng = random.Random(seed)
    ids = np.arange(1, videos + 1, dtype=np.int64)
    owners = np.array([rng.randrange(1, creators + 1) for _ in range(videos)], dtype=np.int64)
    now = time.time()
    created = np.array([now - rng.random() * 90 * 86400 for _ in range(videos)])
    impressions = np.array([rng.randrange(0, 2000) for _ in range(videos)], dtype=np.int64)
    popularity = np.array([rng.random() ** 4 for _ in range(videos)], dtype=np.float32)
    tags = [tuple(rng.sample(TAGS, rng.choice((1, 2)))) for _ in range(videos)]
    by_tag: dict[str, list[int]] = {}
    by_creator: dict[int, list[int]] = {}
    for position, names in enumerate(tags):
        for tag in names:
            by_tag.setdefault(tag, []).append(position)
        by_creator.setdefault(int(owners[position]), []).append(position)
    order = np.argsort(-popularity, kind="stable").astype(np.intp)
    newest = np.argsort(-created, kind="stable").astype(np.intp)
    fresh_mask = impressions < 200
    return Catalogue(
        version=1,
        ids=ids,
        creators=owners,
        created=created,
        impressions=impressions,
        popularity=popularity,
        tags=tags,
        popular=order[: videos // 3],
        fresh=newest[fresh_mask[newest]][:500],
        newest=newest,
        by_tag=_ranked(by_tag, popularity.astype(np.float64), 200),
        by_creator=_ranked(by_creator, created, 50),
        position={int(i): p for p, i in enumerate(ids.tolist())},
        published_until=datetime.now(UTC),
    )


def synthetic_model(users: int, videos: int, factors: int, seed: int) -> Any:
    """An exported model of the shape training makes (biases and factors for every id)."""
    from nichevid.recommend.model import ExportedModel

    rng = np.random.default_rng(seed)
    return ExportedModel(
        global_mean=3.1,
        user_ids=np.arange(1, users + 1, dtype=np.int64),
        item_ids=np.arange(1, videos + 1, dtype=np.int64),
        user_bias=rng.normal(0, 0.3, users).astype(np.float32),
        item_bias=rng.normal(0, 0.3, videos).astype(np.float32),
        user_factors=rng.normal(0, 0.1, (users, factors)).astype(np.float32),
        item_factors=rng.normal(0, 0.1, (videos, factors)).astype(np.float32),
        meta={"version": "bench", "trained_epoch": 0.0},
    )


def served_extras(model: Any, args: argparse.Namespace) -> None:
    """The extras training stores beside the biases and factors: graded feed and hour
    biases and co-visitation lists, fitted on seeded ratings."""
    from nichevid.recommend import covisit
    from nichevid.recommend.train import graded_extras

    rng = random.Random(args.seed)
    ratings = synthetic_ratings(args.ratings, args.users, args.videos, args.seed)
    samples = [(u, i, r, rng.randrange(6), rng.randrange(24)) for u, i, r in ratings]
    model.extras.update(graded_extras(model, samples))
    model.extras.update(covisit.extras(model, ratings))


def bench_rank(args: argparse.Namespace) -> dict[str, Any]:
    from nichevid.recommend import serve
    from nichevid.recommend.session import Choices
    from nichevid.recommend.settings import RecommendSettings

    cat = synthetic_catalogue(args.videos, args.creators, args.seed)
    model = synthetic_model(args.users, args.videos, args.factors, args.seed)
    served_extras(model, args)
    rng = random.Random(args.seed)
    cat.model_rows(model)  # looked up once per snapshot and model, as in the server
    config = RecommendSettings(candidates=args.candidates)
    timings: list[float] = []
    counted: list[int] = []
    for n in range(args.viewers + 50):
        feedback = [
            (rng.randrange(1, args.videos + 1), float(rng.randint(1, 5))) for _ in range(10)
        ]
        ctx = serve.Context(
            user_id=rng.randrange(1, args.users + 1),
            feedback=feedback,
            choices=Choices(interests=rng.sample(TAGS, 2), picked=True),
            seen={rng.randrange(1, args.videos + 1) for _ in range(100)},
            recent=[rng.randrange(1, args.videos + 1) for _ in range(20)],
            follows=[rng.randrange(1, args.creators + 1) for _ in range(5)],
        )
        began = time.perf_counter()
        picks = serve.personal(cat, model, ctx, config, 5)
        elapsed = time.perf_counter() - began
        tags, _ = serve.affinities(cat, ctx.feedback, ctx.choices.interests)
        candidates = serve.gather(cat, model, ctx, tags, config.candidates)
        if n >= 50:  # the first calls warm numpy's and Python's caches
            timings.append(elapsed * 1000)
            counted.append(len(candidates))
        assert len(picks) == 5
    timings.sort()

    def pct(p: float) -> float:
        return round(timings[min(len(timings) - 1, int(p * len(timings)))], 3)

    return {
        "viewers": len(timings),
        "candidates_median": statistics.median(counted),
        "ms_p50": pct(0.50),
        "ms_p90": pct(0.90),
        "ms_p99": pct(0.99),
        "ms_max": round(timings[-1], 3),
        "note": "serve.personal(): gather candidates, score with fold-in, re-rank to 5",
    }


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LoadError(f"no VmRSS for process {pid}")


def bench_memory(args: argparse.Namespace) -> dict[str, Any]:
    from bench.foryou import sign_in

    if not args.data_dir:
        raise LoadError("memory needs --data-dir with generated data and a trained model")
    if args.synthetic_model:
        import asyncio

        from nichevid.default_storage import LocalStorage
        from nichevid.recommend.model import save
        from nichevid.recommend.sync import publish

        # The largest shape: factors for all 100,000 videos, with graded extras and
        # co-visitation lists. Published like a trained one, or the server would copy
        # the model the storage points at over it.
        model = synthetic_model(args.users, args.videos, args.factors, args.seed)
        model.meta["version"] = f"bench-{int(time.time())}"
        served_extras(model, args)
        path = save(model, Path(args.data_dir) / "models")
        asyncio.run(publish(LocalStorage(Path(args.data_dir) / "media"), path, keep=3))
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="nichevid-bench-memory-"))
        env = instance_env(args, stack, workdir)
        server = stack.enter_context(
            serve("nichevid", [args.app, "--factory"], env, "/healthz", workdir)
        )
        before = _rss_kb(server.process.pid)
        cookie = sign_in(server.base, "user0000001")
        for path in ("/", "/feed/next?cursor=r1", "/feed/next?cursor=r2"):
            request = urllib.request.Request(server.base + path, headers={"Cookie": cookie})
            urllib.request.urlopen(request, timeout=120).read()
            urllib.request.urlopen(server.base + path, timeout=120).read()
        time.sleep(args.settle)
        after = _rss_kb(server.process.pid)
        status = json.loads(
            urllib.request.urlopen(server.base + "/healthz", timeout=10).read() or b"{}"
        )
    pointer = Path(args.data_dir) / "models" / "current.json"
    return {
        "rss_mb_started": round(before / 1024, 1),
        "rss_mb_serving": round(after / 1024, 1),
        # The model the server held: the one its model folder points at.
        "model_file": json.loads(pointer.read_text()).get("file") if pointer.exists() else None,
        "healthz": status,
    }


def main(argv: list[str] | None = None) -> int:
    parser = load_parser("python -m bench.recommend", (__doc__ or "").split("\n")[0])
    parser.add_argument("what", choices=("train", "rank", "memory"))
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--algorithm", dest="algorithms", action="append")
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--factors", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--viewers", type=int, default=2_000)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before reading RSS")
    parser.add_argument(
        "--synthetic-model",
        action="store_true",
        help="memory: serve a seeded model with factors for every video instead of the trained one",
    )
    args = parser.parse_args(argv)
    # The sizes unless told otherwise: 10,000 viewers, 100,000 videos.
    if args.users == 1_000:
        args.users = 10_000
    if args.videos == 10_000:
        args.videos = 100_000
    args.algorithms = args.algorithms or ["baseline", "svd"]
    started = datetime.now(UTC)
    try:
        found = {"train": bench_train, "rank": bench_rank, "memory": bench_memory}[args.what](args)
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = {
        "bench": f"recommend {args.what}",
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench.recommend " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "result": found,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    label = args.label or f"recommend-{args.what}"
    path = RESULTS_DIR / f"{label}-{started.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps(found, indent=2))
    print(f"saved {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
