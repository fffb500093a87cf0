"""A real worker beats: ``/health/`` says so while it runs and says it is gone once it stops."""

import pytest
from django.test import Client

from matchmaker.models import WorkerHeartbeat
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration


def test_health_follows_a_real_workers_heartbeat(start_worker, settings) -> None:
    client = Client()
    worker = start_worker("beating", WORKER_HEARTBEAT_SECONDS="1")
    first = WorkerHeartbeat.objects.get(hostname__startswith="beating@")

    def beat_again() -> bool:
        """the worker's heartbeat to move on"""
        return WorkerHeartbeat.objects.get(pk=first.pk).seen_at > first.seen_at

    wait_until(beat_again, timeout=10)
    response = client.get("/health/")
    # The broker of this run (filesystem or Redis) is checked for real too.
    assert response.json()["workers"]["alive"] == 1, response.json()
    assert response.status_code == 200, response.json()

    worker.stop()

    assert not WorkerHeartbeat.objects.filter(hostname__startswith="beating@").exists()
    gone = client.get("/health/")
    assert gone.status_code == 503
    assert gone.json()["workers"]["alive"] == 0
