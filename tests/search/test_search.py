"""Search behaviour, the same in both shapes: prefixes, ranking, what may appear, sync."""

from __future__ import annotations

import random
from typing import Any

import pytest

from nichevid.accounts import services as accounts
from nichevid.accounts.tables import User
from nichevid.media import services as media
from nichevid.media.tables import Video
from nichevid.search import services
from nichevid.search.terms import parse

HOSTILE = [
    '"',
    'knit"',
    '"knit',
    "knit*",
    "*",
    "**knit",
    ":",
    "caption:knit",
    "hashtags:knit",
    "(",
    "(knit",
    "knit)",
    "-",
    "-knit",
    "knit -yarn",
    "NEAR",
    "NEAR(knit yarn)",
    "knit NEAR/2 yarn",
    "AND",
    "knit AND",
    "OR NOT AND",
    "^",
    "^knit",
    "'",
    "knit's",
    "\\",
    "knit & yarn | !x <-> y",
    "'knit':*",
    "{caption}: knit",
    "\x00knit",
    "%_%",
    "knit" * 2000,
    "k " * 3000,
]


@pytest.fixture
async def creators(make_user: Any) -> dict[str, Any]:
    return {
        "ada": await make_user("ada", role="creator", display_name="Ada Stitches"),
        "bob": await make_user("bob", role="creator"),
    }


async def slugs(resources: Any, query: str) -> list[str]:
    return [hit.slug for hit in await services.find_videos(resources, parse(query))]


async def test_words_match_as_prefixes_in_captions_and_hashtags(
    nv_resources: Any, creators: dict[str, Any], make_video: Any
) -> None:
    scarf = await make_video(creators["ada"], "Knitting a scarf for winter")
    tagged = await make_video(creators["bob"], "cosy evening #knitalong")
    await make_video(creators["bob"], "Baking bread")
    for typed in ("knit", "Knitt", "KNITTING", "kn", "knit scarf", "#knit"):
        assert scarf.slug in await slugs(nv_resources, typed), typed
    assert set(await slugs(nv_resources, "knit")) == {scarf.slug, tagged.slug}
    assert await slugs(nv_resources, "knitalong") == [tagged.slug]
    assert await slugs(nv_resources, "knit bread") == []
    assert await slugs(nv_resources, "scarf winter") == [scarf.slug]


async def test_an_exact_caption_ranks_above_a_passing_mention(
    nv_resources: Any, creators: dict[str, Any], make_video: Any
) -> None:
    # The exact match is the older video, so recency cannot be what puts it first.
    exact = await make_video(creators["ada"], "Knitting")
    passing = await make_video(
        creators["bob"],
        "Went to the market this morning, bought bread, cheese and tomatoes, "
        "talked with friends about knitting for a minute, then cooked a long lunch",
    )
    assert await slugs(nv_resources, "knitting") == [exact.slug, passing.slug]
    assert await slugs(nv_resources, "knit") == [exact.slug, passing.slug]


async def test_only_ready_public_videos_of_active_members_are_found(
    nv_resources: Any, creators: dict[str, Any], make_video: Any, make_user: Any
) -> None:
    shown = await make_video(creators["ada"], "knitting ready")
    for fields in (
        {"visibility": "private"},
        {"visibility": "followers"},
        {"visibility": "subscribers"},
        {"status": "processing"},
        {"status": "held"},
        {"status": "failed"},
        {"status": "removed"},
    ):
        await make_video(creators["ada"], "knitting hidden #knitting", **fields)
    gone = await make_user("gone", role="creator", display_name="Knitting Gone")
    await make_video(gone, "knitting by a closed account #knitting")
    await User.update({User.is_active: False}).where(User.id == gone.id)

    results = await services.search(nv_resources, "knitting")
    assert [v.slug for v in results.videos] == [shown.slug]
    assert [p.username for p in results.people] == []
    assert results.hashtags == []


async def test_people_by_username_display_name_and_bio(nv_resources: Any, make_user: Any) -> None:
    await make_user("knitwit", display_name="Wit")
    await make_user("yarnie", display_name="Knitting Nancy")
    bio = await make_user("quiet")
    await accounts.update_profile(bio, display_name="Quiet One", bio="I knit on the train")
    await make_user("knit", display_name="Exactly")
    await make_user("baker", display_name="Bread")

    people = await services.find_people(nv_resources, parse("knit"))
    names = [p.username for p in people]
    assert names[0] == "knit"  # the exact username first
    assert set(names) == {"knit", "knitwit", "yarnie", "quiet"}
    assert [p.username for p in await services.find_people(nv_resources, parse("nancy"))] == [
        "yarnie"
    ]
    assert [p.username for p in await services.find_people(nv_resources, parse("wit"))] == [
        "knitwit"
    ]
    await User.update({User.is_active: False}).where(User.username == "knitwit")
    names = [p.username for p in await services.find_people(nv_resources, parse("knit"))]
    assert "knitwit" not in names


async def test_hashtags_by_prefix_counted_over_public_videos(
    nv_resources: Any, creators: dict[str, Any], make_video: Any
) -> None:
    for _ in range(3):
        await make_video(creators["ada"], "#knitting again")
    await make_video(creators["bob"], "#knit #knit_along")
    await make_video(creators["bob"], "#knitalong #knitting")
    await make_video(creators["bob"], "#knitwear secret", visibility="private")
    tags = await services.find_hashtags(parse("knit"))
    assert [(t.tag, t.videos) for t in tags] == [
        ("knit", 1),  # exact first
        ("knitting", 4),
        ("knit_along", 1),
        ("knitalong", 1),
    ]
    along = await services.find_hashtags(parse("#knit_al"))
    assert [t.tag for t in along] == ["knit_along"]
    assert await services.find_hashtags(parse("knitwear")) == []


async def test_the_index_follows_every_change(
    nv_resources: Any, creators: dict[str, Any], make_video: Any
) -> None:
    video = await make_video(creators["ada"], "crochet basics")
    assert await slugs(nv_resources, "crochet") == [video.slug]
    await media.update_video(video, caption="macrame knots #macrame")
    assert await slugs(nv_resources, "crochet") == []
    assert await slugs(nv_resources, "macrame") == [video.slug]
    assert [t.tag for t in await services.find_hashtags(parse("macr"))] == ["macrame"]
    await media.update_video(video, visibility="private")
    assert await slugs(nv_resources, "macrame") == []
    await media.update_video(video, visibility="public")
    await media.delete_video(nv_resources, video)
    assert await slugs(nv_resources, "macrame") == []

    ada = creators["ada"]
    await accounts.update_profile(ada, display_name="Queen of Lace", bio="")
    assert [p.username for p in await services.find_people(nv_resources, parse("lace"))] == ["ada"]
    assert await services.find_people(nv_resources, parse("stitches")) == []
    other = await make_video(ada, "lace bobbins")
    await User.delete().where(User.id == ada.id)  # the account and its videos go
    assert await services.find_people(nv_resources, parse("lace")) == []
    assert await slugs(nv_resources, "bobbins") == []
    assert not await Video.exists().where(Video.id == other.id)


@pytest.mark.parametrize("typed", HOSTILE)
async def test_search_syntax_never_errors(
    nv_client: Any, nv_resources: Any, creators: dict[str, Any], make_video: Any, typed: str
) -> None:
    knit = await make_video(creators["ada"], "knitting and yarn #knit")
    results = await services.search(nv_resources, typed)
    # Every typed word is an ordinary word prefix: the video matches when all of them do.
    words = ("knitting", "and", "yarn", "knit")
    terms = parse(typed).words
    expected = bool(terms) and all(any(w.startswith(t) for w in words) for t in terms)
    assert ([v.slug for v in results.videos] == [knit.slug]) is expected, terms
    api = await nv_client.get("/api/search", params={"q": typed})
    assert api.status_code == 200, api.text
    page = await nv_client.get("/search", params={"q": typed}, headers={"HX-Request": "true"})
    assert page.status_code == 200


async def test_random_junk_never_errors(
    nv_resources: Any, creators: dict[str, Any], make_video: Any
) -> None:
    await make_video(creators["ada"], "knitting and yarn #knit")
    rng = random.Random(20261123)
    alphabet = "knit yarn\"'*:()-^&|!<>{}[]\\/%_.,;+~#@$\u00e9\u6771\u00b2\u0301\u200b\n\t"
    for _ in range(200):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        for kind in services.KINDS:
            await services.search(nv_resources, typed, kind)


async def test_pages_of_one_kind(nv_client: Any, creators: dict[str, Any], make_video: Any) -> None:
    made = [await make_video(creators["ada"], f"knitting {i}") for i in range(5)]
    first = (await nv_client.get("/api/search?q=knit&type=videos&limit=2")).json()
    assert first["type"] == "videos"
    assert first["more"] == ["videos"]
    assert first["people"] == []
    assert first["hashtags"] == []
    seen = [v["id"] for v in first["videos"]]
    offset = 2
    while True:
        page = await nv_client.get(f"/api/search?q=knit&type=videos&limit=2&offset={offset}")
        seen += [v["id"] for v in page.json()["videos"]]
        if not page.json()["more"]:
            break
        offset += 2
    assert sorted(seen) == sorted(v.slug for v in made)
    assert first["videos"][0]["url"] == f"/v/{first['videos'][0]['id']}"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("q=knit&type=clips", "type must be one of"),
        ("q=knit&limit=0", "limit"),
        ("q=knit&limit=51", "limit"),
        ("q=knit&offset=-1", "offset"),
        ("q=knit&limit=ten", "limit"),
    ],
)
async def test_bad_parameters_are_explained(nv_client: Any, query: str, says: str) -> None:
    response = await nv_client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert says in response.text


async def test_the_api_shapes_each_kind(
    nv_client: Any, creators: dict[str, Any], make_video: Any
) -> None:
    video = await make_video(creators["ada"], "Stitch school #stitches")
    doc = (await nv_client.get("/api/search?q=stitch")).json()
    assert doc["terms"] == ["stitch"]
    assert doc["type"] == "all"
    assert doc["videos"] == [
        {
            "id": video.slug,
            "caption": "Stitch school #stitches",
            "hashtags": ["stitches"],
            "username": "ada",
            "display_name": "Ada Stitches",
            "url": f"/v/{video.slug}",
            "poster_url": f"/media/videos/{video.slug}/poster.jpg",
        }
    ]
    assert doc["people"] == [
        {
            "username": "ada",
            "display_name": "Ada Stitches",
            "bio": "",
            "url": "/u/ada",
            "avatar_url": "",
        }
    ]
    assert doc["hashtags"] == [{"tag": "stitches", "videos": 1, "url": "/tag/stitches"}]
    schema = (await nv_client.get("/schema/openapi.json")).json()
    assert "/api/search" in schema["paths"]


@pytest.mark.sqlite_only
async def test_fts5_tables_match_their_content(
    nv_resources: Any, creators: dict[str, Any], make_video: Any
) -> None:
    videos = [await make_video(creators["ada"], f"clip {i} #tag{i}") for i in range(6)]
    await media.update_video(videos[0], caption="changed #other")
    await media.delete_video(nv_resources, videos[1])
    await accounts.update_profile(creators["bob"], display_name="Robert", bio="hello")
    for table in ("nv_video_fts", "nv_user_fts"):
        # FTS5 compares its index with the table it indexes; a mismatch raises.
        await Video.raw(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


@pytest.mark.postgres_only
async def test_postgres_queries_use_the_gin_indexes(
    nv_resources: Any, creators: dict[str, Any]
) -> None:
    from nichevid.search import engines

    # Enough rows, and fresh statistics, for the planner to choose as it would in use.
    owner = creators["ada"].id
    await Video.raw(
        "INSERT INTO nv_video (slug, owner, caption, status, visibility) "
        "SELECT 'bulk' || g, {}, 'clip number ' || g, 'ready', 'public' "
        "FROM generate_series(1, 3000) g",
        owner,
    )
    await User.raw(
        "INSERT INTO nv_user (username, email, password_hash) "
        "SELECT 'member' || g, 'member' || g || '@example.org', 'x' "
        "FROM generate_series(1, 3000) g"
    )
    await Video.raw("ANALYZE nv_video")
    await Video.raw("ANALYZE nv_user")
    for sql, args, index in (
        (engines.POSTGRES.videos, ["'knit':*", 5, 0], "nv_video_search"),
        (engines.POSTGRES.people, ["'knit':*", "knit", 5, 0], "nv_user_search"),
        (engines.POSTGRES.hashtags, ["'knit':*", 4, "knit", "knit", 5, 0], "nv_video_search"),
    ):
        plan = await Video.raw("EXPLAIN " + sql, *args)
        text = "\n".join(str(next(iter(row.values()))) for row in plan)
        assert index in text, text
