"""Workers say they are alive: a worker bootstep writes the worker's row of
``WorkerHeartbeat`` when it starts, every ``WORKER_HEARTBEAT_SECONDS`` while it runs, and
removes it when it stops cleanly. A worker killed outright leaves a row that simply ages;
``/health/`` counts only rows newer than ``WORKER_HEARTBEAT_MAX_AGE``.

The beat runs on the worker's own timer, in its main process, next to the pool: a worker whose
main loop is stuck stops beating, which is what a health check should notice.
"""

import logging
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


def beat(hostname: str, *, started_at: Any) -> None:
    from matchmaker.models import WorkerHeartbeat

    # The main process holds its connection for the worker's life; a restarted database must
    # not leave it with a dead one.
    close_old_connections()
    try:
        WorkerHeartbeat.objects.update_or_create(
            hostname=hostname, defaults={"seen_at": timezone.now(), "started_at": started_at}
        )
    except DatabaseError:
        logger.warning("worker heartbeat not written: the database is unreachable", exc_info=True)


def forget(hostname: str) -> None:
    from matchmaker.models import WorkerHeartbeat

    close_old_connections()
    try:
        WorkerHeartbeat.objects.filter(hostname=hostname).delete()
    except DatabaseError:
        logger.warning("worker heartbeat not removed: the database is unreachable", exc_info=True)


class Heartbeat(bootsteps.StartStopStep):
    """Registered on the worker blueprint in ``matchmaker.celery``."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref: Any = None
        self.started_at: Any = None

    def start(self, worker: Any) -> None:
        self.started_at = timezone.now()
        beat(worker.hostname, started_at=self.started_at)
        self.timer_ref = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS,
            beat,
            (worker.hostname,),
            {"started_at": self.started_at},
            priority=10,
        )

    def stop(self, worker: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None
        forget(worker.hostname)
