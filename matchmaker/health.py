"""``GET /health/``: the state of the database, the broker and the workers, for a load balancer.

Answered by a middleware placed first, so a probe needs no session, no allowed host name and no
HTTPS redirect, and costs three cheap checks: ``SELECT 1``, a broker ping (Redis ``PING``, or the
embedded filesystem broker's folder), and one indexed read of the workers' heartbeats. 200 when
all three are fine, 503 otherwise; the body says which failed, without internal details.
"""

import datetime
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

PATH = "/health/"
BROKER_TIMEOUT = 1.0  # seconds


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # every failure is a state to report, not a crash
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return result


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_broker() -> dict[str, Any]:
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
        return {"ok": True, "transport": "redis"}
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        ok = os.path.isdir(folder) and os.access(folder, os.W_OK)
        return {"ok": ok, "transport": "filesystem"}
    return {"ok": False, "error": "unknown broker transport"}


def check_workers(now: datetime.datetime | None = None) -> dict[str, Any]:
    from matchmaker.models import WorkerHeartbeat

    now = now or timezone.now()
    fresh = now - datetime.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    seen = list(
        WorkerHeartbeat.objects.filter(seen_at__gte=fresh).values_list("seen_at", flat=True)
    )
    result: dict[str, Any] = {"ok": bool(seen), "alive": len(seen)}
    if seen:
        result["newest_heartbeat_age_seconds"] = round((now - max(seen)).total_seconds(), 1)
    return result


def health() -> tuple[bool, dict[str, Any]]:
    checks = {"database": _timed(check_database), "broker": _timed(check_broker)}
    # Workers are read from the database; with the database down they are unknown, not dead.
    if checks["database"]["ok"]:
        checks["workers"] = _timed(check_workers)
    else:
        checks["workers"] = {"ok": False, "error": "database unavailable"}
    ok = all(check["ok"] for check in checks.values())
    return ok, {"status": "ok" if ok else "failing", **checks}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"error": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        ok, body = health()
        response = JsonResponse(body, status=200 if ok else 503)
        response["Cache-Control"] = "no-store"
        return response
