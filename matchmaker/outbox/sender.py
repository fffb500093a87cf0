"""Sending what the outbox holds: claim due rows, send them over one connection, mark each.

A claim turns rows ``sending`` (with ``claimed_at`` and one more attempt) in a short transaction
of its own, so the slow part, talking to the mail server, holds no lock. Two senders never claim
one row: PostgreSQL skips rows another claim has locked (``FOR UPDATE SKIP LOCKED``); SQLite,
where ``FOR UPDATE`` does nothing, takes each row with an update conditional on what it read.

A row stays ``sending`` only if its sender died between claiming and marking: once
``OUTBOX_LEASE_SECONDS`` are over, it is claimed again and sent, with a WARNING "possible
duplicate", since the dead sender may have sent it already. The lease is longer than a task may
run, so a living sender's claim is never taken from it.
"""

import contextlib
import datetime
import logging
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from matchmaker.models import EmailOptOut, Notification

logger = logging.getLogger(__name__)

Status = Notification.Status

# The first retry waits a minute, each next one twice as long, never more than an hour.
BACKOFF_FIRST = datetime.timedelta(minutes=1)
BACKOFF_MAX = datetime.timedelta(hours=1)
_ERROR_MAX = 2000  # characters of an error kept in ``last_error``
# What a mail server or the network can answer: a refusal, a dropped connection, a timeout.
_SEND_ERRORS = (smtplib.SMTPException, OSError)


@dataclass
class SendReport:
    """What one ``send_due`` did: mails sent, put back for a later attempt, given up, and not
    sent because the user switched their kind off; ``duplicates`` counts the mails taken up
    again after their sender died (possible duplicates, also counted by how they ended)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class _Claim:
    row: Notification
    # The row was found ``sending`` with its lease over: its sender died, perhaps after sending.
    abandoned: bool


# --- claiming --------------------------------------------------------------------------------


def _due(now: datetime.datetime) -> Q:
    lease = datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=now - lease
    )


def _take(row: Notification, now: datetime.datetime) -> bool:
    """Claims ``row`` if it is still as read; False when another sender got there first."""
    return bool(
        Notification.objects.filter(
            pk=row.pk, status=row.status, claimed_at=row.claimed_at, attempts=row.attempts
        ).update(status=Status.SENDING, claimed_at=now, attempts=row.attempts + 1)
    )


def _claim(*, size: int, now: datetime.datetime) -> list[_Claim]:
    due = Notification.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            rows = list(due.select_for_update(skip_locked=True)[:size])
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
        else:
            rows = [row for row in due[:size] if _take(row, now)]
    claims = []
    for row in rows:
        claims.append(_Claim(row=row, abandoned=row.status == Status.SENDING))
        row.status, row.claimed_at, row.attempts = Status.SENDING, now, row.attempts + 1
    return claims


# --- marking ---------------------------------------------------------------------------------


def _mark(row: Notification, **fields: object) -> bool:
    """Ends this sender's claim on ``row``; False if the claim was no longer ours."""
    return bool(
        Notification.objects.filter(
            pk=row.pk, status=Status.SENDING, claimed_at=row.claimed_at
        ).update(**fields)
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_ERROR_MAX]


def _is_permanent(error: Exception) -> bool:
    """5xx answers and mail that cannot be built are final; everything else may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code >= 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    # A header with a newline in it, an address the mail library refuses.
    return isinstance(error, ValueError)


def _give_up(row: Notification, reason: str, report: SendReport) -> None:
    _mark(row, status=Status.FAILED, last_error=reason)
    report.failed += 1
    logger.error("outbox: gave up on %s after %d attempt(s): %s", row.key, row.attempts, reason)


def _retry_or_give_up(row: Notification, error: Exception, report: SendReport) -> None:
    reason = _describe(error)
    if _is_permanent(error) or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _give_up(row, reason, report)
        return
    wait = min(BACKOFF_FIRST * 2 ** (row.attempts - 1), BACKOFF_MAX)
    _mark(
        row,
        status=Status.PENDING,
        next_attempt_at=timezone.now() + wait,
        last_error=reason,
    )
    report.retrying += 1
    logger.warning(
        "outbox: %s not sent (attempt %d), retrying in %s: %s", row.key, row.attempts, wait, reason
    )


# --- sending ---------------------------------------------------------------------------------


def _message_id(row: Notification) -> str:
    # The same for every copy of one notification, so a mail system that saw the first copy
    # may drop a duplicate; the creation time keeps ids apart across databases.
    return f"<outbox.{row.pk}.{int(row.created_at.timestamp())}@{DNS_NAME}>"


def _message(row: Notification, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        to=[row.to_email],
        headers={**row.headers, "Message-ID": _message_id(row)},
        connection=backend,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def _opted_out(rows: list[Notification]) -> set[tuple[int, str]]:
    """(user, kind) pairs of ``rows`` switched off since they were written down."""
    pairs = {
        (row.recipient_id, row.kind)
        for row in rows
        if row.recipient_id is not None and row.kind not in Notification.TRANSACTIONAL
    }
    if not pairs:
        return set()
    found = EmailOptOut.objects.filter(
        user_id__in={user for user, _kind in pairs}, kind__in={kind for _user, kind in pairs}
    ).values_list("user_id", "kind")
    return set(found) & pairs


def _triage(claims: list[_Claim], report: SendReport) -> list[Notification]:
    """The claimed rows to send now; settles the others."""
    opted_out = _opted_out([claim.row for claim in claims])
    todo = []
    for claim in claims:
        row = claim.row
        if claim.abandoned:
            if row.attempts > settings.OUTBOX_MAX_ATTEMPTS:
                _give_up(row, "its senders stopped while sending it, every time", report)
                continue
            report.duplicates += 1
            logger.warning(
                "outbox: possible duplicate: %s was claimed and never marked sent (its sender "
                "may have died after sending it); sending it again",
                row.key,
            )
        if (row.recipient_id, row.kind) in opted_out:
            _mark(row, status=Status.SUPPRESSED)
            report.suppressed += 1
            continue
        todo.append(row)
    return todo


def _reconnect(backend: BaseEmailBackend) -> None:
    with contextlib.suppress(*_SEND_ERRORS):
        backend.close()
    backend.open()


def _is_dropped(error: Exception) -> bool:
    """The connection broke, or the server closed it with a 421 (rather than refusing one
    mail and going on): open a new one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


def _release(rows: list[Notification]) -> None:
    for row in rows:
        _mark(row, status=Status.PENDING, attempts=row.attempts - 1)


def _send_batch(claims: list[_Claim], report: SendReport) -> None:
    todo = _triage(claims, report)
    if not todo:
        return
    backend = get_connection()
    # The file backend writes whatever one connection sends into one file; a new connection
    # per message keeps one file per mail in var/mail/. Every other backend is reused.
    reuse = not isinstance(backend, FileBackend)
    # Those per-message connections stay referenced until the batch ends: the file backend names
    # its file by the second and the connection's id(), which a freed connection would hand on.
    per_message: list[BaseEmailBackend] = []
    if reuse:
        try:
            backend.open()
        except _SEND_ERRORS as error:
            # The server is unreachable: no mail's fault, each is tried again later.
            for row in todo:
                _retry_or_give_up(row, error, report)
            return
    settled = 0  # rows of ``todo`` marked one way or another
    sending: Notification | None = None
    try:
        for row in todo:
            sending = row
            try:
                if not reuse:
                    per_message.append(get_connection())
                _message(row, backend if reuse else per_message[-1]).send()
            except (*_SEND_ERRORS, ValueError) as error:
                _retry_or_give_up(row, error, report)
                sending = None
                settled += 1
                # A refusal leaves the session usable; a dropped connection does not.
                if reuse and settled < len(todo) and _is_dropped(error):
                    try:
                        _reconnect(backend)
                    except _SEND_ERRORS as reconnect_error:
                        for rest in todo[settled:]:
                            _retry_or_give_up(rest, reconnect_error, report)
                        settled = len(todo)
                        break
                continue
            if _mark(row, status=Status.SENT, sent_at=timezone.now(), last_error=""):
                report.sent += 1
            else:
                logger.warning("outbox: %s was sent, but another sender had claimed it", row.key)
            sending = None
            settled += 1
    finally:
        # Something unexpected (a time limit) stopped the batch: the row being sent stays
        # claimed, as it may have gone out; the untouched rest goes back without a penalty.
        _release([row for row in todo[settled:] if row is not sending])
        if reuse:
            with contextlib.suppress(*_SEND_ERRORS):
                backend.close()


def send_due(*, limit: int | None = None) -> SendReport:
    """Sends every due mail, ``limit`` at most, batch by batch; returns what happened.

    Stops claiming new batches after half the task's soft time limit: the next wake-up or the
    beat's sweep carries on with the rest.
    """
    report = SendReport()
    started = time.monotonic()
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    handled = 0
    while limit is None or handled < limit:
        size = settings.OUTBOX_BATCH_SIZE
        if limit is not None:
            size = min(size, limit - handled)
        claims = _claim(size=size, now=timezone.now())
        if not claims:
            break
        handled += len(claims)
        _send_batch(claims, report)
        if time.monotonic() - started > budget:
            break
    if handled:
        logger.info(
            "outbox: %d sent, %d to retry, %d failed, %d suppressed, %d possible duplicates",
            report.sent,
            report.retrying,
            report.failed,
            report.suppressed,
            report.duplicates,
        )
    return report
