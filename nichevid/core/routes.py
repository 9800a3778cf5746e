"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Controller, Request, get
from litestar.plugins.prometheus import PrometheusController
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from nichevid.db import ping
from nichevid.plugins import collect_mappings

CHECK_TIMEOUT = 3.0


class HealthController(Controller):
    """Probes for load balancers and orchestration."""

    tags = ["health"]

    @get("/healthz", sync_to_thread=False)
    def healthz(self) -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @get("/readyz")
    async def readyz(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """Readiness: database, Redis (when configured), storage, job queue and plugin checks."""
        resources = request.app.state.resources
        checks: dict[str, Any] = {"database": lambda: ping(resources.engine)}
        if resources.redis is not None:
            checks["redis"] = resources.redis.ping
        checks["storage"] = resources.storage.check
        checks["jobs"] = resources.jobs.check
        for name, check in collect_mappings(resources.pm.hook.register_readiness_checks).items():
            checks[name] = lambda check=check: check(request.app)
        results: dict[str, Any] = {}
        ok = True
        for name, check in checks.items():
            started = time.perf_counter()
            try:
                await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
                results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
            except Exception as exc:
                ok = False
                results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        status = HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE
        return Response(
            {"status": "ok" if ok else "unavailable", "checks": results}, status_code=status
        )


class MetricsController(PrometheusController):
    """Prometheus text exposition at ``/metrics``."""

    path = "/metrics"
    include_in_schema = False
