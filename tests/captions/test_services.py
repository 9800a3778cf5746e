"""Caption services without HTTP: uploads that race each other lose nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.captions import services
from nichevid.captions.tables import Caption

from .conftest import VTT, VTT_ES, caption_keys


@pytest.fixture
async def video(make_user: Any, make_video: Any) -> Any:
    return await make_video(await make_user("ada", role="creator"))


async def test_a_replacement_that_lost_a_race_is_refused_and_leaves_no_file(
    nv_resources: Any, video: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await services.put_caption(nv_resources, video, "en", VTT)
    stale = await services.caption_of(video, "en")
    winner, created = await services.put_caption(nv_resources, video, "en", VTT_ES)
    assert not created

    async def stale_row(*_: Any) -> Any:
        return stale

    # The slower upload read the row before the other replaced it.
    monkeypatch.setattr(services, "caption_of", stale_row)
    with pytest.raises(services.CaptionError) as caught:
        await services.put_caption(nv_resources, video, "en", VTT, label="Late")
    assert caught.value.status == 409
    assert "replaced or deleted at the same moment" in caught.value.message
    [row] = await Caption.objects()
    assert (row.storage_key, row.label, row.cue_count) == (winner.storage_key, "English", 1)
    assert await caption_keys(nv_resources, video) == [winner.storage_key]


async def test_two_first_uploads_of_one_language_keep_one_track(
    nv_resources: Any, video: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = await services.put_caption(nv_resources, video, "en", VTT)
    answers = iter([None, first])

    async def not_yet_then_there(*_: Any) -> Any:
        return next(answers)

    # The slower upload saw no English track yet; the unique index refuses its row.
    monkeypatch.setattr(services, "caption_of", not_yet_then_there)
    with pytest.raises(services.CaptionError) as caught:
        await services.put_caption(nv_resources, video, "en", VTT_ES)
    assert caught.value.status == 409
    assert "Another upload of en captions finished at the same moment" in caught.value.message
    assert await Caption.count() == 1
    assert await caption_keys(nv_resources, video) == [first.storage_key]


async def test_services_refuse_bad_input_without_http(nv_resources: Any, video: Any) -> None:
    for language, data, status in [
        ("klingonese", VTT, 400),
        ("en", b"WEBVTT\n\n00:02.000 --> 00:01.000\nx\n", 400),
        ("en", VTT + b"x" * 600_000, 413),
    ]:
        with pytest.raises(services.CaptionError) as caught:
            await services.put_caption(nv_resources, video, language, data)
        assert caught.value.status == status
    assert await services.captions_of(video) == []
    assert await services.delete_caption(nv_resources, video, "en") is False
    assert await services.delete_caption(nv_resources, video, "not a tag") is False
