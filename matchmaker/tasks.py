"""Celery tasks of the matching domain: ids in, one service call, stable names.

Every scoring task is idempotent (version-guarded upserts; chunks marked done with their
results), so they are acknowledged late and re-queued if their worker dies mid-task. Retries
are only for named transient database errors, with backoff and a cap.
"""

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from matchmaker import outbox, services
from programs.models import Program

# Transient: a dropped connection, a failover, SQLite's "database is locked".
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
IDEMPOTENT: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="matchmaker.ping")
def ping() -> str:
    """Answers ``pong``: lets operators and tests prove a worker consumes from the broker."""
    return "pong"


@shared_task(name="matchmaker.score_companies", **IDEMPOTENT)
def score_companies_task(company_ids: list[int]) -> int:
    """Scores a few companies against every open program (a saved profile, a reconcile)."""
    return services.companies_score(company_ids=company_ids).pairs


@shared_task(name="matchmaker.score_program", **IDEMPOTENT)
def score_program_task(program_id: int) -> int:
    """Rescores one program for every company, fanned out in chunks; clears it if not open."""
    status = Program.objects.filter(pk=program_id).values_list("status", flat=True).first()
    if status is None:
        return 0
    if status != Program.Status.OPEN:
        return services.program_matches_clear(program_id=program_id)
    return len(services.run_start(program_id=program_id).chunks)


@shared_task(name="matchmaker.rescore_all", **IDEMPOTENT)
def rescore_all_task() -> int:
    """Rescores every company against every open program, fanned out in chunks."""
    return len(services.run_start().chunks)


@shared_task(name="matchmaker.score_chunk", **IDEMPOTENT)
def score_chunk_task(chunk_id: int) -> int:
    """Scores one chunk of a run; a chunk already done is skipped."""
    result = services.chunk_score(chunk_id=chunk_id)
    return result.pairs if result else 0


@shared_task(name="matchmaker.clear_program_matches", **IDEMPOTENT)
def clear_program_matches_task(program_id: int) -> int:
    return services.program_matches_clear(program_id=program_id)


@shared_task(name="matchmaker.reconcile", **IDEMPOTENT)
def reconcile_task() -> dict[str, int]:
    """Beat: re-enqueues whatever scoring a lost message or a dead worker left undone."""
    result = services.matching_reconcile()
    return {
        "programs": len(result.programs),
        "closed_programs": len(result.closed_programs),
        "companies": len(result.companies),
        "chunks": len(result.chunks),
    }


@shared_task(name="matchmaker.send_outbox", **IDEMPOTENT)
def send_outbox() -> dict[str, int]:
    """Sends the outbox's due mail. Woken after each commit that wrote mail, and swept by the
    beat; idempotent, since only claimed rows are sent and each is marked once sent."""
    return asdict(outbox.send_due())
