"""JSON API errors in the language of the request: details translated, ``extra`` kept."""

from __future__ import annotations

from typing import Any

import pytest

from nichevid.accounts.tables import User
from nichevid.testing.factories import ready_video
from tests.accounts.conftest import PASSWORD, csrf_token, fast_hashes  # noqa: F401

SAME_ORIGIN = {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1:8000"}
ES = {"Accept-Language": "es-ES,es;q=0.9"}


async def make_user(resources: Any, name: str, role: str = "creator") -> Any:
    from nichevid.accounts import services

    return await services.create_user(
        resources.settings, resources.pm, username=name, email=f"{name}@example.org",
        password=PASSWORD, role=role,
    )  # fmt: skip


async def bearer(user: Any) -> dict[str, str]:
    from nichevid.accounts.tokens import create_token

    plain, _ = await create_token(user, "language tests")
    return {"Authorization": f"Bearer {plain}"}


def detail(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    text = response.json()["detail"]
    assert isinstance(text, str)
    return text


@pytest.fixture
async def owner(nv_resources: Any) -> Any:
    return await make_user(nv_resources, "marta_owner")


@pytest.fixture
async def video(owner: Any) -> Any:
    return await ready_video(owner, caption="Knitting a scarf #knit", hashtags=["knit"])


# (name, request, status, English detail, Spanish detail); each request is made as
# ``await request(client, video, owner_headers, other_headers, extra_headers)``.
CASES: list[tuple[str, Any, int, str, str]] = [
    (
        "video-api-body",
        lambda c, v, mine, other, h: c.patch(
            f"/api/videos/{v.slug}", content=b"[1]", headers={**mine, **h}
        ),
        400,
        "Send a JSON object, for example",
        "Envía un objeto JSON, por ejemplo",
    ),
    (
        "video-api-404",
        lambda c, v, mine, other, h: c.get("/api/videos/nosuchvideo", headers=h),
        404,
        "There is no video with this id, or it is not visible to you.",
        "No hay ningún video con este id, o no lo puedes ver.",
    ),
    (
        "video-api-403",
        lambda c, v, mine, other, h: c.patch(
            f"/api/videos/{v.slug}", json={"caption": "mine now"}, headers={**other, **h}
        ),
        403,
        "Only its owner can do that to this video.",
        "Solo su propietario puede hacer eso con este video.",
    ),
    (
        "comments",
        lambda c, v, mine, other, h: c.get("/api/comments/987654", headers=h),
        404,
        "There is no comment with this id; it may have been deleted.",
        "No hay ningún comentario con este id; puede que se haya eliminado.",
    ),
    (
        "captions",
        lambda c, v, mine, other, h: c.delete(
            f"/api/videos/{v.slug}/captions/fr", headers={**mine, **h}
        ),
        404,
        "This video has no captions in 'fr'.",
        "Este video no tiene subtítulos en 'fr'.",
    ),
    (
        "search",
        lambda c, v, mine, other, h: c.get("/api/search?q=knit&type=clips", headers=h),
        400,
        "type must be one of: all, videos, people, hashtags.",
        "type debe ser uno de estos: all, videos, people, hashtags.",
    ),
    (
        "tus-upload",
        lambda c, v, mine, other, h: c.post(
            "/uploads", headers={**mine, "Upload-Length": "10", "Tus-Resumable": "0.2.2", **h}
        ),
        412,
        "Send Tus-Resumable: 1.0.0; this server speaks no other version.",
        "Envía Tus-Resumable: 1.0.0; este servidor no habla ninguna otra versión.",
    ),
    (
        "tus-protocol",
        lambda c, v, mine, other, h: c.post(
            "/uploads", headers={**mine, "Upload-Length": "ten", "Tus-Resumable": "1.0.0", **h}
        ),
        400,
        "Upload-Length must be a non-negative integer.",
        "Upload-Length debe ser un número entero no negativo.",
    ),
    (
        "events-batch",
        lambda c, v, mine, other, h: c.post(
            "/api/events",
            content=b"{not json",
            headers={**SAME_ORIGIN, "content-type": "application/json", **h},
        ),
        400,
        "The body is not valid JSON (",
        "El cuerpo no es JSON válido (",
    ),
    (
        "events-origin",
        lambda c, v, mine, other, h: c.post(
            "/api/events", json={"events": []}, headers={"origin": "https://evil.example", **h}
        ),
        403,
        "Watch events are accepted only from pages of this site.",
        "Los eventos de visualización solo se aceptan desde páginas de este sitio.",
    ),
    (
        "oembed",
        lambda c, v, mine, other, h: c.get(f"/oembed?url=/v/{v.slug}&format=xml", headers=h),
        501,
        "This site answers oEmbed in JSON only; ask again with format=json.",
        "Este sitio solo responde oEmbed en JSON; vuelve a pedirlo con format=json.",
    ),
    (
        "validation",
        lambda c, v, mine, other, h: c.get("/api/search?q=knit&limit=many", headers=h),
        400,
        "Some values of the request are missing or not valid: limit. "
        "Correct them and send the request again.",
        "Faltan algunos valores de la solicitud o no son válidos: limit. "
        "Corrígelos y vuelve a enviar la solicitud.",
    ),
    (
        "unknown-path",
        lambda c, v, mine, other, h: c.get("/api/no/such/thing", headers=h),
        404,
        "Nothing was found at this address; check the link or the API path.",
        "No se encontró nada en esta dirección; comprueba el enlace o la ruta de la API.",
    ),
    (
        "wrong-method",
        lambda c, v, mine, other, h: c.put("/api/search", headers={**mine, **h}),
        405,
        "This address does not take PUT requests; see the API documentation.",
        "Esta dirección no acepta solicitudes PUT; consulta la documentación de la API.",
    ),
    (
        "not-logged-in",
        lambda c, v, mine, other, h: c.get("/api/tokens", headers=h),
        401,
        "Log in, or send Authorization: Bearer <token> with a personal API token.",
        "Inicia sesión o envía Authorization: Bearer <token> con un token de API personal.",
    ),
    (
        "htmx-fragment",
        lambda c, v, mine, other, h: c.get(
            "/feed/next?cursor=not-a-cursor", headers={"HX-Request": "true", **h}
        ),
        400,
        "The feed position 'not-a-cursor' is not valid; reload the feed to start again.",
        "La posición del feed 'not-a-cursor' no es válida; vuelve a cargar el feed",
    ),
    (
        "csrf",
        lambda c, v, mine, other, h: c.post(f"/api/videos/{v.slug}/comments", headers=h),
        403,
        "This request did not come from a page of this site",
        "Esta solicitud no vino de una página de este sitio",
    ),
]


def case(name: str) -> Any:
    """The request of the case called ``name``."""
    return next(found[1] for found in CASES if found[0] == name)


@pytest.fixture
async def ask(nv_client: Any, nv_resources: Any, owner: Any, video: Any) -> Any:
    """``await ask(case, headers)``: the response to a case's bad request."""
    mine = await bearer(owner)
    other = await bearer(await make_user(nv_resources, "ines_other"))

    async def request(case: Any, headers: dict[str, str]) -> Any:
        return await case(nv_client, video, mine, other, headers)

    return request


@pytest.mark.parametrize(
    ("case", "status", "english", "spanish"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_api_errors_follow_accept_language(
    ask: Any, case: Any, status: int, english: str, spanish: str
) -> None:
    translated = await ask(case, ES)
    assert spanish in detail(translated, status)
    assert translated.headers["content-language"] == "es"
    # Without a language, and with one nichevid has no interface for, English it is.
    for headers in ({}, {"Accept-Language": "fr-FR,fr;q=0.9"}):
        answer = await ask(case, headers)
        assert english in detail(answer, status), headers
        assert spanish not in answer.text


async def test_traditional_chinese_by_its_regional_tag(ask: Any) -> None:
    response = await ask(case("tus-upload"), {"Accept-Language": "zh-TW"})
    assert detail(response, 412) == "請傳送 Tus-Resumable: 1.0.0；本伺服器不支援其他版本。"
    missing = await ask(case("video-api-404"), {"Accept-Language": "zh-Hant"})
    assert detail(missing, 404) == "沒有此 id 的影片，或者你無權查看。"


async def test_a_members_language_setting_wins_over_the_header(
    nv_client: Any, nv_resources: Any, video: Any
) -> None:
    reader = await make_user(nv_resources, "daan_reader", role="member")
    await User.update({User.locale: "nl"}).where(User.id == reader.id)
    headers = {**await bearer(reader), "Accept-Language": "es"}
    response = await nv_client.get("/api/comments/987654", headers=headers)
    assert detail(response, 404) == "Er is geen reactie met dit id; misschien is ze verwijderd."
    refused = await nv_client.patch(
        f"/api/videos/{video.slug}", json={"caption": "x"}, headers=headers
    )
    assert detail(refused, 403) == "Alleen de eigenaar kan dat met deze video doen."


async def test_validation_errors_keep_the_machine_readable_list(nv_client: Any) -> None:
    response = await nv_client.get(
        "/api/search?q=knit&limit=many&offset=-x", headers={"Accept-Language": "it"}
    )
    body = response.json()
    assert response.status_code == 400
    assert body["detail"].startswith("Alcuni valori della richiesta mancano o non sono validi")
    assert "limit" in body["detail"]
    assert "offset" in body["detail"]
    assert "Validation failed" not in body["detail"]
    fields = {item["key"]: item for item in body["extra"]}
    assert set(fields) == {"limit", "offset"}
    for item in fields.values():
        assert item["source"] == "query"
        assert item["message"]


async def test_error_pages_are_wholly_in_the_visitors_language(nv_client: Any) -> None:
    # The router refuses an unknown address before the language middleware runs; the
    # page is still wholly in the visitor's language, not only its title.
    response = await nv_client.get(
        "/no/such/page", headers={"Accept": "text/html", "Accept-Language": "nl"}
    )
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert response.headers["content-language"] == "nl"
    assert '<html lang="nl">' in response.text
    assert "Hier is niets" in response.text
    assert "Nothing here" not in response.text
    assert "Back to the feed" not in response.text


async def test_an_unknown_language_is_refused_in_the_current_one(nv_client: Any) -> None:
    token = await csrf_token(nv_client)
    response = await nv_client.post(
        "/language",
        data={"language": "klingon", "_csrf_token": token},
        headers={"Accept-Language": "nl", "HX-Request": "true"},
    )
    assert detail(response, 400) == (
        "De taal 'klingon' is niet beschikbaar; kies een van: en, es, it, nl, zh-Hans, zh-Hant."
    )


async def test_a_missing_role_is_named_in_the_language(nv_client: Any, nv_resources: Any) -> None:
    viewer = await make_user(nv_resources, "lena_viewer", role="member")
    headers = {**await bearer(viewer), "Tus-Resumable": "1.0.0", "Upload-Length": "10"}
    english = await nv_client.post("/uploads", headers=headers)
    assert detail(english, 403) == "This needs the creator role or a higher one."
    spanish = await nv_client.post("/uploads", headers={**headers, **ES})
    assert detail(spanish, 403) == "Esto requiere el rol de creador o uno superior."
