"""The erasure leaves nothing of the member in any table of any app, nor in storage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nichevid.comments.tables import Comment
from nichevid.privacy import deletion, exports
from nichevid.recommend import model as models
from nichevid.recommend import train
from nichevid.recommend.training import model_dir
from nichevid.social.tables import VideoStats

from .conftest import PASSWORD, live, login, post_form
from .snapshot import files, rows, user_columns

LATER = timedelta(days=30)


def traces(
    table: str, row: dict[str, Any], needles: list[str], fk_columns: list[str], uid: int
) -> list[str]:
    """What in ``row`` still points at the member."""
    found = [f"{table}.{col} = {uid}" for col in fk_columns if row.get(col) == uid]
    for column, value in row.items():
        if isinstance(value, str):
            lowered = value.lower()
            found += [f"{table}.{column} holds {n!r}" for n in needles if n in lowered]
    return found


async def test_nothing_of_an_erased_member_is_left_in_any_table_or_file(
    nv_client: Any, nv_resources: Any, nv_run_jobs: Any, make_user: Any
) -> None:
    ada, bob = await make_user("zadaerased"), await make_user("bob")
    life = await live(nv_resources, ada, bob)
    await login(nv_client, ada.username)
    # A finished export and a session exist too.
    assert await exports.request_export(nv_resources, ada)
    await nv_run_jobs()
    assert life.upload_part.exists()
    bob_files_before = {
        k: v
        for k, v in (await files(nv_resources)).items()
        if k.startswith("videos/") and k not in life.keys
    }
    assert bob_files_before
    # Bob's comments on his own video stay; the one on ada's video goes with the video.
    ada_videos = [v.id for v in life.videos]
    bob_comments = await Comment.count().where(
        (Comment.author == bob.id) & Comment.video.not_in(ada_videos)
    )
    assert bob_comments == 1
    # A trained model holds ada's biases and factors.
    directory = model_dir(nv_resources.settings)
    trained = train.fit([(ada.id, 1, 5.0), (bob.id, 1, 2.0), (bob.id, 2, 4.0)], "svd")
    models.save(trained, directory)
    response = await post_form(nv_client, "/settings/privacy/delete", {"password": PASSWORD})
    assert response.status_code == 303
    state = await deletion.deletion_state(ada)
    assert state is not None
    # The processing video is done by the due date.
    from nichevid.media.tables import Upload, Video

    await Video.update({Video.status: "failed"}).where(Video.status == "processing").run()
    await Upload.update({Upload.status: "failed"}, force=True).run()
    assert await deletion.purge_due(nv_resources, now=state.due_at + timedelta(seconds=1)) == (1, 0)

    needles = [ada.username, ada.email, f'"u{ada.id}"', f":u{ada.id}"]
    left: list[str] = []
    everything = await rows(nv_resources)
    checked = 0
    for app in nv_resources.app_configs:
        for table in app.table_classes:
            name = table._meta.tablename
            fks = user_columns(table)
            for row in everything[name]:
                left += traces(name, row, needles, fks, ada.id)
            checked += 1
    assert checked >= 20, "the scan must see every table of every app"
    kv = everything["nv_kv"]
    left += [
        f"session {r['key']}" for r in kv if f'"user_id":{ada.id}' in r["value"].replace(" ", "")
    ]
    if nv_resources.redis is not None:
        async for key in nv_resources.redis.scan_iter(match="nichevid:sessions:*"):
            value = (await nv_resources.redis.get(key) or b"").decode()
            if f'"user_id":{ada.id}' in value.replace(" ", ""):
                left.append(f"session {key!r}")
    assert not left, left
    stored = await files(nv_resources)
    assert not (set(stored) & life.keys), sorted(set(stored) & life.keys)
    assert not [k for k in stored if k.startswith((f"avatars/{ada.id}/", f"exports/{ada.id}/"))]
    assert not life.upload_part.exists()
    kept_models = [models.load(path) for path in directory.glob("model-*.npz")]
    assert [m.user_row(ada.id) for m in kept_models] == [None]
    assert kept_models[0].user_row(bob.id) is not None
    # Bob's own data is untouched: his files, his comments (the reply to ada's comment
    # stands on its own now), and the counters of his video without ada's like.
    assert {k: stored[k] for k in bob_files_before} == bob_files_before
    assert await Comment.count().where(Comment.author == bob.id) == bob_comments
    reply = await Comment.objects().where(Comment.text == "thanks!").first()
    assert reply is not None
    assert reply.parent is None
    # His caption that mentioned ada no longer names her; the rest of it stands.
    assert [v.caption for v in await Video.objects()] == ["theirs @deleted"]
    stats = await VideoStats.objects()
    assert all(s.likes == 0 and s.bookmarks == 0 and s.shares == 0 for s in stats)
    # Signing in with the old session or password does not work any more.
    page = await nv_client.get("/settings/privacy", headers={"accept": "text/html"})
    assert page.status_code == 303
    assert (await login(nv_client, ada.username)).status_code == 400
