"""bench/: the data generator at tiny sizes and the parser of wrk's output (nothing is timed)."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nichevid.testing.servers import no_settings_file

REPO = Path(__file__).resolve().parent.parent
# bench/ is a folder of the repository, not an installed package.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.load import LoadError, Target, WrkResult, markdown, parse_wrk  # noqa: E402

WRK_SAMPLE = """\
Running 3s test @ http://127.0.0.1:8765/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.50ms    5.30ms 116.59ms   96.84%
    Req/Sec     2.25k   267.28     3.30k    80.00%
  Latency Distribution
     50%    6.96ms
     75%    7.71ms
     90%    9.07ms
     99%   18.93ms
  13447 requests in 3.01s, 1.89MB read
Requests/sec:   4469.18
Transfer/sec:    641.57KB
"""

WRK_ERRORS = """\
Running 2s test @ http://127.0.0.1:9000/missing
  1 threads and 4 connections
  Latency Distribution
     50%  812.00us
     75%    1.02ms
     90%    1.50ms
     99%    1.20s
  2000 requests in 2.00s, 300.00KB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 2000
Requests/sec:   1000.00
Transfer/sec:    150.00KB
"""


def _generate(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # A separate process: the generator binds Piccolo tables to its own database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    env["NICHEVID_LOAD_PLUGINS"] = ""
    command = [sys.executable, "-m", "bench.generate", "--data-dir", str(tmp_path / "data")]
    return subprocess.run(
        [*command, *extra], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def _counts(tmp_path: Path) -> dict[str, int]:
    with sqlite3.connect(tmp_path / "data" / "nichevid.sqlite3") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_generator_fills_an_sqlite_database(tmp_path: Path) -> None:
    done = _generate(tmp_path, "--users", "5", "--videos", "10", "--events", "7", "--seed", "3")
    assert done.returncode == 0, done.stderr
    counts = _counts(tmp_path)
    assert counts["nv_user"] == 5
    assert counts["nv_video"] == 10
    assert counts["nv_rendition"] == 20
    assert counts["nv_watch_event"] == 7
    with sqlite3.connect(tmp_path / "data" / "nichevid.sqlite3") as conn:
        roles = dict(conn.execute("SELECT role, COUNT(*) FROM nv_user GROUP BY role").fetchall())
        orphans = conn.execute(
            "SELECT COUNT(*) FROM nv_watch_event e LEFT JOIN nv_video v ON v.id = e.video "
            "LEFT JOIN nv_user u ON u.id = e.viewer "
            "WHERE v.id IS NULL OR (e.viewer IS NOT NULL AND u.id IS NULL) "
            "OR (e.viewer IS NULL AND e.session_id = '') OR e.watched_ms <= 0"
        ).fetchone()[0]
    assert roles == {"creator": 1, "member": 4}
    assert orphans == 0


def test_events_without_videos_are_refused_with_a_reason(tmp_path: Path) -> None:
    done = _generate(tmp_path, "--users", "5", "--videos", "0", "--events", "3")
    assert done.returncode != 0
    assert "watch events need users and videos" in done.stdout + done.stderr


def test_generator_is_seeded_and_refuses_a_filled_database(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for path in (first, second):
        assert _generate(path, "--users", "4", "--videos", "3", "--seed", "9").returncode == 0
    rows = []
    for path in (first, second):
        with sqlite3.connect(path / "data" / "nichevid.sqlite3") as conn:
            rows.append(conn.execute("SELECT username, display_name, bio FROM nv_user").fetchall())
    assert rows[0] == rows[1]

    again = _generate(first, "--users", "4", "--videos", "0")
    assert again.returncode == 1
    assert "already has rows" in again.stderr
    assert _generate(first, "--users", "2", "--videos", "0", "--reset").returncode == 0
    assert _counts(first)["nv_user"] == 2


def test_parse_wrk_reads_throughput_and_latency() -> None:
    result = parse_wrk(WRK_SAMPLE)
    assert result == WrkResult(requests_per_s=4469.18, p50_ms=6.96, p99_ms=18.93, requests=13447)


def test_parse_wrk_converts_units_and_counts_errors() -> None:
    result = parse_wrk(WRK_ERRORS)
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1200.0)
    assert result.non_2xx_3xx == 2000
    assert result.socket_errors == 5


def test_parse_wrk_refuses_output_without_latency() -> None:
    with pytest.raises(LoadError, match="--latency"):
        parse_wrk("Requests/sec:   10.00\n")


def test_a_round_that_answered_nothing_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.load

    answers = iter([parse_wrk(WRK_SAMPLE), WrkResult(0.0, 0.0, 0.0, 0)])
    monkeypatch.setattr(bench.load, "run_wrk", lambda *args: next(answers))
    target = Target("GET /", "http://127.0.0.1:2/")
    with pytest.raises(LoadError, match="no request was answered in 10 s"):
        bench.load.measure([target], rounds=1, threads=1, connections=1, seconds=10, warmup=1)


def test_markdown_reports_the_ratio_to_hello_world() -> None:
    hello = Target("hello-world", "http://127.0.0.1:1/")
    page = Target("GET /", "http://127.0.0.1:2/")
    for rps in (1000.0, 1200.0, 1100.0):
        hello.runs.append(WrkResult(rps, 1.0, 2.0, 1))
    for rps in (500.0, 700.0, 550.0):
        page.runs.append(WrkResult(rps, 2.0, 4.0, 1))
    table = markdown([hello, page])
    assert "| GET / | 550 | 2.00 | 4.00 | 0.50 | 500, 700, 550 |" in table


def test_settings_for_the_server_under_test_become_environment_variables() -> None:
    from bench.load import LoadError, setting_env

    assert setting_env(["server.page_cache_seconds=0"]) == {
        "NICHEVID_SERVER__PAGE_CACHE_SECONDS": "0"
    }
    with pytest.raises(LoadError, match=r"SECTION\.KEY=VALUE"):
        setting_env(["no-equals-sign"])


def test_upload_bench_runs_both_methods_at_a_tiny_size(tmp_path: Path) -> None:
    # A separate process, as an operator runs it: it starts its own server on 127.0.0.1.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    size = 3 * 1024**2 + 5
    command = [
        sys.executable, "-m", "bench.upload", "--bytes", str(size), "--chunk-mb", "1",
        "--rounds", "2", "--label", "smoke", "--results-dir", str(tmp_path), "--timeout", "120",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [results] = tmp_path.glob("*-smoke.json")
    report = json.loads(results.read_text())
    assert report["bytes"] == size
    for method, requests in (("tus", 1 + 4), ("plain", 1)):
        runs = report["methods"][method]["runs"]
        assert len(runs) == 2
        assert all(run["requests"] == requests and run["seconds"] > 0 for run in runs)
        assert all(run["peak_growth_mb"] >= 0 for run in runs)
    assert report["tus_over_plain_throughput"] > 0
    assert "tus / plain throughput" in done.stdout
    assert "(video failed, deleted)" in done.stderr


def test_upload_bench_report_medians_and_ratio() -> None:
    from bench.upload import Report, Run

    report = Report(size=100 * 1024**2)
    for seconds in (2.0, 1.0, 4.0):
        report.runs["plain"].append(Run("plain", seconds, 0.5, 90.0, 1.0, 1))
        report.runs["tus"].append(Run("tus", seconds * 1.25, 0.7, 90.0, 2.0, 14))
    assert report.throughput("plain") == pytest.approx(50.0)
    assert report.ratio() == pytest.approx(0.8)
    table = report.markdown(8)
    assert "| tus, 8 MiB chunks | 14 | 2.50 | 40 | 0.70 | 2.0 / 2.0 | 2.50, 1.25, 5.00 |" in table


def test_events_bench_stores_every_event_it_counts_in(tmp_path: Path) -> None:
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    env["NICHEVID_LOAD_PLUGINS"] = ""
    command = [
        sys.executable, "-m", "bench.events", "--shape", "sqlite", "--users", "5",
        "--videos", "10", "--seconds", "1", "--warmup", "0", "--concurrency", "2",
        "--sessions", "50", "--results-dir", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "count stored" in done.stdout
    [result] = tmp_path.glob("*-events-sqlite.json")
    report = json.loads(result.read_text())
    assert report["load"]["accepted"] > 0
    assert report["stored"] == report["load"]["accepted"]
    assert report["load"]["rejected"] == 0
    assert set(report["load"]["statuses"]) == {"202"}


@pytest.mark.parametrize("args", [["--rounds", "0"], ["--seconds", "0"], ["--at-once", "0"]])
def test_pipeline_bench_refuses_bad_flags(args: list[str]) -> None:
    from bench.pipeline import parse_args

    with pytest.raises(SystemExit) as caught:
        parse_args(args)
    assert caught.value.code == 2


def test_pipeline_bench_times_the_commands_the_jobs_run(tmp_path: Path) -> None:
    from bench.pipeline import bare_commands
    from nichevid.media.probe import Probe

    found = Probe("mov,mp4", 60_000, 5_000_000, "hevc", 1080, 1920, "yuv420p", audio_codec="aac")
    commands = bare_commands(tmp_path / "src.mp4", found, tmp_path)
    outputs = [c[-1] for c in commands]
    # Smallest rung first, then the poster frame, the other rungs, the strip last.
    assert outputs[0] == f"file:{tmp_path / '360p.mp4'}"
    assert outputs[1] == outputs[-1] == "pipe:1"
    rungs = ("540p", "720p", "1080p")
    assert outputs[2:5] == [f"file:{tmp_path / f'{label}.mp4'}" for label in rungs]
    assert f"file:{tmp_path / '360p.mp4'}" in commands[-1]


def test_foryou_bench_signs_viewers_in_and_measures_the_fragment(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    env["NICHEVID_LOAD_PLUGINS"] = ""
    command = [
        sys.executable, "-m", "bench.foryou", "--shape", "sqlite", "--users", "20",
        "--videos", "40", "--events", "400", "--viewers", "3", "--rounds", "1",
        "--duration", "1", "--warmup", "1", "--threads", "1", "--connections", "2",
        "--results-dir", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = tmp_path.glob("*-foryou-sqlite.json")
    report = json.loads(result.read_text())
    names = [target["name"] for target in report["targets"]]
    assert names == ["hello-world", "For You fragment, signed in", "For You fragment, anonymous"]
    for target in report["targets"]:
        [run] = target["runs"]
        assert run["requests"] > 0
        assert run["non_2xx_3xx"] == 0
    assert report["machine"]["viewers"] == 3


def test_foryou_bench_cursors_cover_the_order_and_the_tail() -> None:
    from bench.foryou import MIX_PAGES, TAIL_CURSORS, cursors, parse_args

    found = cursors(1000, seed=4)
    assert found[:3] == ["m1.0", "m1.5", "m1.10"]
    assert len(found) == MIX_PAGES + TAIL_CURSORS
    assert all(c.startswith("t1.") and 6 <= int(c[3:]) <= 1000 for c in found[MIX_PAGES:])
    assert found == cursors(1000, seed=4)
    with pytest.raises(SystemExit):
        parse_args(["--users", "5", "--viewers", "6"])


@pytest.mark.sqlite_only
def test_media_bench_reads_ranges_from_disk_and_from_a_bucket(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    command = [
        sys.executable, "-m", "bench.media", "--size-mb", "1", "--range-kb", "64",
        "--rounds", "1", "--duration", "1", "--warmup", "1", "--threads", "1",
        "--connections", "2", "--label", "smoke", "--results-dir", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = tmp_path.glob("*-smoke.json")
    report = json.loads(result.read_text())
    assert report["file"] == {"bytes": 1024**2, "range_bytes": 64 * 1024}
    names = [target["name"] for target in report["targets"]]
    assert names == ["local disk, media route", "S3 proxy, media route", "S3 direct (presign)"]
    for target in report["targets"]:
        [run] = target["runs"]
        assert run["requests"] > 0
        assert run["non_2xx_3xx"] == 0
    assert "| S3 proxy, media route |" in done.stdout


@pytest.mark.parametrize(
    "args", [["--size-mb", "0"], ["--size-mb", "1", "--range-kb", "2048"], ["--rounds", "11"]]
)
def test_media_bench_refuses_bad_flags(args: list[str]) -> None:
    from bench.media import parse_args

    with pytest.raises(SystemExit):
        parse_args(args)


@pytest.mark.sqlite_only
def test_studio_bench_times_the_pages_of_three_creators(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICHEVID_")}
    env["NICHEVID_CONFIG"] = str(no_settings_file())
    env["NICHEVID_LOAD_PLUGINS"] = ""
    command = [
        sys.executable, "-m", "bench.studio", "--users", "20", "--videos", "40",
        "--events", "400", "--requests", "2", "--label", "smoke",
        "--results-dir", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = tmp_path.glob("*-smoke.json")
    report = json.loads(result.read_text())
    assert [c["rank"] for c in report["creators"]] == ["busiest", "10th", "median"]
    busiest = report["creators"][0]
    assert busiest["views"] >= report["creators"][2]["views"] > 0
    assert len(report["timings"]) == 3 * 5 + 3  # and the admin's activity pages
    for timing in report["timings"]:
        assert len(timing["ms"]) == 2
        assert timing["bytes"] > 0
    assert "| busiest (" in done.stdout


@pytest.mark.parametrize(
    "args",
    [["--requests", "0"], ["--requests", "201"], ["--shape", "postgres", "--data-dir", "/tmp"]],
)
def test_studio_bench_refuses_bad_flags(args: list[str]) -> None:
    from bench.studio import parse_args

    with pytest.raises(SystemExit):
        parse_args(args)
