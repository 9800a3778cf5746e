"""Pre-moderation: hold modes, word rules, the perceptual-hash blocklist, new accounts."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from nichevid.app import create_app
from nichevid.comments.services import CommentError, post_comment
from nichevid.media import services
from nichevid.media.settings import MediaSettings
from nichevid.media.tables import Video
from nichevid.media.tools import ffmpeg_exe
from nichevid.settings import ConfigError
from nichevid.testing.factories import ready_video
from nichevid_moderation import actions, gates, phash, queue
from nichevid_moderation.cli import moderation
from nichevid_moderation.tables import AuditEntry, Report

RULES = [
    {"pattern": "buy followers", "action": "block"},
    {"pattern": r"giveaway\s*#?\d+", "regex": True, "action": "hold", "applies_to": "captions"},
    {"pattern": "crypto", "action": "flag"},
]


def config(resources: Any) -> Any:
    return resources.settings.plugin["moderation"]["_parsed"]


@pytest.fixture
def nv_settings(nv_settings_factory: Callable[..., Any]) -> Any:
    return nv_settings_factory(plugin={"moderation": {"words": RULES}})


async def test_hold_modes(nv_resources: Any, people: dict[str, Any]) -> None:
    cara = people["cara"]
    fresh = await ready_video(cara, status="processing")
    assert await gates.video_hold(fresh, nv_resources) is None
    config(nv_resources).hold = "all"
    assert await gates.video_hold(fresh, nv_resources) == "every video is reviewed first"
    config(nv_resources).hold = "first"
    config(nv_resources).hold_first = 2
    assert "first 2 videos" in (await gates.video_hold(fresh, nv_resources) or "")
    await ready_video(cara)
    await ready_video(cara)
    assert await gates.video_hold(fresh, nv_resources) is None
    holds = await AuditEntry.objects().where(AuditEntry.action == "hold")
    assert [(h.actor, h.target_id) for h in holds] == [("system", fresh.id)] * 2


async def test_caption_rules_hold_or_flag(nv_resources: Any, people: dict[str, Any]) -> None:
    held = await ready_video(people["cara"], caption="GIVEAWAY #5 today", status="processing")
    assert await gates.video_hold(held, nv_resources) == "the caption matches a word rule"
    flagged = await ready_video(people["cara"], caption="all about Crypto", status="processing")
    assert await gates.video_hold(flagged, nv_resources) is None
    report = await Report.objects().first()
    assert (report.target_id, report.reporter_key) == (flagged.id, "system")
    assert [c.target_id for c in await queue.cases()] == [flagged.id]


async def test_comment_rules_block(nv_resources: Any, people: dict[str, Any], video: Any) -> None:
    with pytest.raises(CommentError, match="does not allow") as refused:
        await post_comment(nv_resources, people["ann"], video, "Buy Followers here")
    assert refused.value.status == 403
    # Caption-only rules do not apply to comments; flag rules let the comment through.
    await post_comment(nv_resources, people["ann"], video, "giveaway 5 and crypto")


async def test_new_accounts_comment_limit(
    nv_resources: Any, people: dict[str, Any], video: Any
) -> None:
    config(nv_resources).new_account_comments_per_hour = 2
    for text in ("one", "two"):
        await post_comment(nv_resources, people["ann"], video, text)
    with pytest.raises(CommentError, match="New accounts can post 2 comments an hour"):
        await post_comment(nv_resources, people["ann"], video, "three")
    config(nv_resources).new_account_hours = 0
    await post_comment(nv_resources, people["ann"], video, "three")


@pytest.mark.usefixtures("_nv_migrated")
@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"words": [{"pattern": "(", "regex": True}]}, "not a valid regular expression"),
        ({"words": [{"pattern": " "}]}, "non-empty pattern"),
        ({"words": [{"pattern": "x", "action": "delete"}]}, "use one of block, hold, flag"),
        ({"words": [{"pattern": "x", "applies_to": "bios"}]}, "use one of captions"),
        ({"blocked_hashes": ["xyz"]}, "16 hex digits"),
        ({"hold": "sometimes"}, "use one of publish, first, all"),
        ({"hash_distance": 40}, "32"),
    ],
)
def test_bad_settings_stop_start_up(
    nv_settings_factory: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    section: dict[str, Any],
    message: str,
) -> None:
    monkeypatch.setenv("NICHEVID_LOAD_PLUGINS", "moderation")
    with pytest.raises(ConfigError, match=message):
        create_app(nv_settings_factory(plugin={"moderation": section}))


def _clip(folder: Path) -> Path:
    path = folder / "clip.mp4"
    command = [
        ffmpeg_exe(MediaSettings()), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=160x284:rate=25:duration=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", path.as_posix(),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path


def test_dhash_sees_resemblance() -> None:
    gradient = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
    darker = gradient.point(lambda v: int(v * 0.8))
    flipped = gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM).rotate(90)
    assert phash.distance(phash.dhash(gradient), phash.dhash(darker)) <= 4
    assert phash.distance(phash.dhash(gradient), phash.dhash(flipped)) > 20
    assert phash.closest([0], ["000000000000000f"]) == 4
    assert phash.closest([0], []) == 64


async def test_uploads_like_a_blocked_frame_are_held(
    nv_resources: Any, nv_run_jobs: Any, people: dict[str, Any], tmp_path: Path
) -> None:
    clip = _clip(tmp_path)
    found = await phash.video_hashes(clip, 2000, 2, nv_resources.settings)
    config(nv_resources).blocked_hashes = [phash.hex_hash(found[0])]
    video = await services.ingest_file(nv_resources, people["cara"], clip, "a clip", "public")
    await nv_run_jobs()
    row = await Video.objects().get(Video.id == video.id)
    assert row.status == "held"
    assert row.published_at is None
    hold = await AuditEntry.objects().where(AuditEntry.action == "hold").first()
    assert "blocked hash" in hold.reason
    await actions.act(nv_resources, people["mod"], kind="video", ref=row.slug, action="approve")
    assert (await Video.objects().get(Video.id == video.id)).status == "ready"
    # A clip that looks nothing like it goes live.
    config(nv_resources).blocked_hashes = ["0123456789abcdef"]
    other = await services.ingest_file(nv_resources, people["cara"], clip, "again", "public")
    await nv_run_jobs()
    assert (await Video.objects().get(Video.id == other.id)).status == "ready"


def test_the_hash_command_prints_hashes(tmp_path: Path) -> None:
    clip = _clip(tmp_path)
    printed = CliRunner().invoke(moderation, ["hash", str(clip), "--frames", "3"])
    assert printed.exit_code == 0, printed.output
    assert len(printed.output.split()) == 3
    picture = tmp_path / "frame.png"
    Image.linear_gradient("L").save(picture)
    one = CliRunner().invoke(moderation, ["hash", str(picture)])
    assert one.output.strip() == phash.hex_hash(phash.dhash(Image.open(picture)))


def test_the_hash_command_refuses_other_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a picture\n" * 10)
    result = CliRunner().invoke(moderation, ["hash", str(text)])
    assert result.exit_code != 0
    assert "neither a picture nor a video" in result.output
