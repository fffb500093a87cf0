"""``/health/``: the database, the broker and the workers' heartbeats, cheaply, for a load
balancer — 200 when all are fine, 503 naming what is not."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from matchmaker.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

URL = "/health/"


@pytest.fixture(autouse=True)
def _filesystem_broker(settings: Any, tmp_path: Path) -> Path:
    """The embedded broker of a bare machine, with its folder in place."""
    folder = tmp_path / "queue"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(folder)}
    return folder


def heartbeat(seconds_ago: float, hostname: str = "w1@host") -> WorkerHeartbeat:
    seen = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(hostname=hostname, started_at=seen, seen_at=seen)


def test_all_fine_answers_200_in_two_queries(
    client: Client, django_assert_num_queries: Any
) -> None:
    heartbeat(3)
    heartbeat(5, "w2@host")

    with django_assert_num_queries(2):  # SELECT 1, then the fresh heartbeats
        response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"] == {**body["broker"], "ok": True}
    assert body["broker"]["transport"] == "filesystem"
    assert body["workers"]["alive"] == 2
    assert 2.5 < body["workers"]["newest_heartbeat_age_seconds"] < 10
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def test_no_worker_alive_is_503(client: Client, settings: Any) -> None:
    heartbeat(settings.WORKER_HEARTBEAT_MAX_AGE + 5)  # a worker killed a while ago

    response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["workers"] == {**response.json()["workers"], "ok": False, "alive": 0}


def test_an_unreachable_redis_is_503_without_details(client: Client, settings: Any) -> None:
    heartbeat(1)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(URL)

    assert response.status_code == 503
    broker = response.json()["broker"]
    assert broker["ok"] is False
    assert broker["error"] == "ConnectionError"
    assert "127.0.0.1" not in response.content.decode()


def test_a_reachable_redis_is_fine(client: Client, settings: Any) -> None:
    heartbeat(1)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"

    response = client.get(URL)

    assert response.json()["broker"] == {**response.json()["broker"], "ok": True}
    assert response.json()["broker"]["transport"] == "redis"


def test_a_missing_broker_folder_is_503(client: Client, _filesystem_broker: Path) -> None:
    heartbeat(1)
    _filesystem_broker.rmdir()

    response = client.get(URL)

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


def test_probes_need_no_allowed_host_and_are_not_redirected_to_https(
    client: Client, settings: Any
) -> None:
    heartbeat(1)
    settings.ALLOWED_HOSTS = ["pilots.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(URL, HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200


def test_head_is_answered_and_other_methods_are_not(client: Client) -> None:
    heartbeat(1)

    assert client.head(URL).status_code == 200
    refused = client.post(URL)
    assert refused.status_code == 405
    assert refused["Allow"] == "GET, HEAD"
