"""Celery tasks of the catalog: beat's deadline reminders and new-matches digests.

Both are idempotent (every mail's outbox key is unique, so a repeated or concurrent tick queues
nothing twice), hence acknowledged late and retried on transient database errors like the
matching tasks.
"""

from celery import shared_task

from matchmaker.tasks import IDEMPOTENT
from programs import reminders


@shared_task(name="programs.send_reminders", **IDEMPOTENT)
def send_reminders_task() -> dict[str, int]:
    """Beat: queues the deadline reminders due now."""
    return reminders.send_reminders().as_dict()


@shared_task(name="programs.send_digests", **IDEMPOTENT)
def send_digests_task() -> dict[str, int]:
    """Beat: queues the new-matches digests due now."""
    report = reminders.send_digests()
    return {"users": report.users, "queued": report.queued, "programs": report.programs}
