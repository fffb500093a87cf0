"""DESIGN §12 with real workers on the configured broker: a task enqueued in a transaction that
rolls back is never delivered; a broker that lost its queue heals through reconcile."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from applicants.models import Company
from matchmaker import services
from matchmaker.celery import app
from matchmaker.models import Match, ScoringChunk, ScoringRun
from tests.integration.conftest import wait_until
from tests.integration.test_matching import (  # demo_programs: the fixture, shared
    _companies,
    _expected_table,
    _stored_table,
    demo_programs,  # noqa: F401
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("demo_programs")]


class SimulatedFailureError(Exception):
    pass


def queued_messages() -> int:
    """Messages waiting in the broker's default queue, read from the broker itself."""
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        return channel.queue_declare(queue="celery").message_count


def lose_the_queue() -> None:
    """What a Redis restart without persistence does to the queue: every waiting message gone
    (on the embedded filesystem broker, its queue folder emptied)."""
    app.control.purge()
    assert queued_messages() == 0


def test_a_task_enqueued_in_a_rolled_back_transaction_is_never_delivered(start_worker):
    company_id = _companies(1)[0]
    assert queued_messages() == 0

    # given a profile change whose transaction rolls back after enqueueing its rescore
    with pytest.raises(SimulatedFailureError), transaction.atomic():
        Company.objects.filter(pk=company_id).update(profile_version=2)
        services.company_profile_changed(company_id=company_id)
        raise SimulatedFailureError

    # then nothing reached the broker, and a worker started now scores nothing
    assert queued_messages() == 0
    worker = start_worker("idle")
    services.company_profile_changed(company_id=company_id)  # the control: this one commits

    def scored() -> bool:
        """the committed enqueue to be scored"""
        return "succeeded" in worker.output()

    wait_until(scored, timeout=60)
    # one task received and succeeded: the committed one; the rolled-back one never arrived
    assert worker.output().count("Task matchmaker.score_companies[") == 2
    assert Company.objects.get(pk=company_id).profile_version == 1


def test_a_lost_queue_heals_through_reconcile_and_the_run_completes(start_worker, settings):
    # given a full rescore enqueued in 15 chunks, whose messages the broker then loses
    settings.MATCHING_CHUNK_SIZE = 20
    _companies(300, seed=5)
    started = services.run_start()
    assert len(started.chunks) == 15
    assert queued_messages() == 15
    lose_the_queue()

    # when a worker starts, nothing is there to do until reconcile runs (as beat would, later)
    start_worker("healer", concurrency=2)
    assert not ScoringChunk.objects.filter(done_at__isnull=False).exists()
    reconciled = services.matching_reconcile(now=timezone.now() + datetime.timedelta(hours=1))
    assert sorted(reconciled.chunks) == sorted(chunk.pk for chunk in started.chunks)

    # then the run completes, every pair scored once, nothing pending
    def finished() -> bool:
        """the run to finish after the lost queue"""
        return ScoringRun.objects.filter(pk=started.run.pk, finished_at__isnull=False).exists()

    wait_until(finished, timeout=120)
    assert not ScoringChunk.objects.filter(done_at__isnull=True).exists()
    assert _stored_table() == _expected_table()
    assert Match.objects.count() == len(_expected_table())
