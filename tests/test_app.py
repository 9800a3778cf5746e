"""The composition root: health, readiness, schema, metrics and static files."""

from typing import Any

import pytest


async def test_healthz(nv_client: Any) -> None:
    response = await nv_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_every_backing_service(nv_client: Any, nv_settings: Any) -> None:
    response = await nv_client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    expected = {"database", "storage", "jobs"} | ({"redis"} if nv_settings.uses_redis else set())
    assert expected <= set(checks)
    assert all(check["ok"] for check in checks.values())


async def test_readyz_reports_a_broken_storage(nv_client: Any) -> None:
    resources = nv_client.app.state.resources
    resources.storage.root.chmod(0o500)
    try:
        import os

        if os.geteuid() == 0:  # root writes anywhere; simulate the failure instead

            async def broken() -> None:
                raise OSError("disk gone")

            resources.storage.check = broken
        response = await nv_client.get("/readyz")
    finally:
        resources.storage.root.chmod(0o700)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"]["ok"] is False
    assert (
        "disk gone" in body["checks"]["storage"]["error"]
        or "writable" in body["checks"]["storage"]["error"]
    )


async def test_openapi_schema_is_served(nv_client: Any) -> None:
    response = await nv_client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "nichevid"


async def test_metrics_exposes_request_counters(nv_client: Any) -> None:
    await nv_client.get("/healthz")
    response = await nv_client.get("/metrics")
    assert response.status_code == 200
    assert "nichevid_requests_total" in response.text


async def test_vendored_htmx_is_served_and_cacheable(nv_client: Any) -> None:
    response = await nv_client.get("/static/vendor/htmx-2.0.4.min.js")
    assert response.status_code == 200
    assert response.text.startswith("var htmx=")
    assert "max-age" in response.headers["cache-control"]


async def test_unknown_page_is_a_readable_html_error_for_browsers(nv_client: Any) -> None:
    response = await nv_client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nothing here" in response.text


async def test_unknown_api_path_is_json(nv_client: Any) -> None:
    response = await nv_client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


@pytest.mark.usefixtures("_nv_migrated")
async def test_unexpected_errors_are_logged_and_hidden(nv_settings: Any, caplog: Any) -> None:
    from litestar import get

    from nichevid.app import create_app
    from nichevid.plugins import hookimpl
    from nichevid.testing import client_for

    @get("/boom", sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("secret internals")

    class Boom:
        @hookimpl
        def register_routes(self, settings: Any) -> list[Any]:
            return [boom]

    app = create_app(nv_settings, plugins=[Boom()])
    async with client_for(app) as client:
        response = await client.get("/boom", headers={"accept": "text/html"})
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Something went wrong" in response.text
    assert any("secret internals" in str(r.exc_info) for r in caplog.records if r.exc_info)


async def test_api_routes_declare_the_bearer_scheme(nv_client: Any) -> None:
    schema = (await nv_client.get("/schema/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert schema["paths"]["/api/me"]["get"]["security"] == [{"BearerToken": []}]


async def test_rate_counters_of_past_windows_are_purged_once_a_minute(
    nv_resources: Any,
) -> None:
    from datetime import UTC, datetime, timedelta

    from nichevid.core.ratelimit import RateLimiter
    from nichevid.core.tables import RateCounter

    limiter = RateLimiter()
    old = datetime.now(UTC) - timedelta(minutes=5)
    await RateCounter.insert(RateCounter(key="gone:1", hits=3, window_end=old)).run()
    verdict = await limiter.hit("fresh", limit=2, window=60)
    assert verdict.allowed
    assert await RateCounter.count().where(RateCounter.key == "gone:1").run() == 0
    await RateCounter.insert(RateCounter(key="gone:2", hits=3, window_end=old)).run()
    await limiter.hit("fresh", limit=2, window=60)
    # Within the minute the purge is not repeated; the count still is exact.
    assert await RateCounter.count().where(RateCounter.key == "gone:2").run() == 1
    assert not (await limiter.hit("fresh", limit=2, window=60)).allowed
