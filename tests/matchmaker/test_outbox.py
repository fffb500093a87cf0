"""matchmaker.outbox: keys, enqueue, and the sender with a real SMTP server on the other side."""

import datetime
import logging
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from applicants.models import User
from matchmaker import tasks
from matchmaker.models import EmailOptOut, Notification
from matchmaker.outbox import enqueue, notification_key, send_due
from matchmaker.outbox import sender as sender_module
from tests.factories import UserFactory
from tests.smtp import SmtpServer, free_port

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
Status = Notification.Status
INVITATION = Kind.COMPANY_INVITATION


def invite(
    recipient: User | None,
    *,
    key: str | None = None,
    kind: str = INVITATION,
    to_email: str | None = None,
) -> Notification | None:
    """A company invitation (a kind users may switch off) through the real templates."""
    to: User | str = recipient if recipient is not None else (to_email or "")
    return enqueue(
        kind=kind,
        key=key or notification_key(kind, to, "test", timezone.now()),
        template="company-invitation",
        context={
            "company": {"legal_name": "Acme Mobility"},
            "inviter": {"email": "owner@example.com"},
            "role": "Member",
            "link": "https://pilots.example/companies/invitations/abc/",
        },
        recipient=recipient,
        to_email=to_email,
    )


def pending(count: int) -> list[Notification]:
    rows = []
    for index in range(count):
        row = invite(UserFactory(email=f"vendor{index}@example.com"))
        assert row is not None
        rows.append(row)
    return rows


def status(row: Notification) -> str:
    row.refresh_from_db()
    return row.status


@pytest.fixture
def woken() -> Any:
    """Records wake-ups of the sender task instead of sending them to the broker."""
    with mock.patch.object(tasks.send_outbox, "delay") as delay:
        yield delay


# --- keys ----------------------------------------------------------------------------------------


def test_a_key_names_the_kind_the_user_and_the_parts_with_datetimes_in_utc() -> None:
    user = UserFactory()
    taipei = datetime.timezone(datetime.timedelta(hours=8))
    deadline = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=taipei)

    key = notification_key(Kind.DEADLINE_REMINDER, user, user, deadline, 3)

    assert key == (f"deadline-reminder:user:{user.pk}:user:{user.pk}:2026-12-01T09:00:00+00:00:3")


def test_a_key_for_an_address_without_an_account_uses_the_address_in_lower_case() -> None:
    assert notification_key(INVITATION, " New@Example.COM ", 7) == (
        "company-invitation:new@example.com:7"
    )


def test_the_same_arguments_give_the_same_key_and_others_another() -> None:
    user = UserFactory()

    assert notification_key(INVITATION, user, 1) == notification_key(INVITATION, user, 1)
    assert notification_key(INVITATION, user, 1) != notification_key(INVITATION, user, 2)


def test_a_key_refuses_a_naive_datetime_and_an_unsaved_object() -> None:
    with pytest.raises(ValueError, match="aware"):
        notification_key(INVITATION, "a@example.com", datetime.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="unsaved"):
        notification_key(INVITATION, User(email="x@example.com"))


def test_an_over_long_key_fits_the_column_and_stays_unique() -> None:
    first = notification_key(INVITATION, "a@example.com", "x" * 400, 1)
    second = notification_key(INVITATION, "a@example.com", "x" * 400, 2)

    assert len(first) == len(second) == 300
    assert first != second
    assert first == notification_key(INVITATION, "a@example.com", "x" * 400, 1)


# --- enqueue -------------------------------------------------------------------------------------


def test_enqueue_stores_a_pending_mail_rendered_in_the_recipients_language(woken: Any) -> None:
    user = UserFactory(email="vendor@example.com", language="ru")

    row = invite(user)

    assert row is not None
    row.refresh_from_db()
    assert (row.status, row.kind, row.to_email, row.recipient) == (
        Status.PENDING,
        INVITATION,
        "vendor@example.com",
        user,
    )
    assert row.subject == "Присоединяйтесь к команде Acme Mobility в Pilot Match"
    assert "owner@example.com приглашает вас в команду компании Acme Mobility" in row.body_text
    assert '<html lang="ru">' in row.body_html
    assert row.attempts == 0


def test_enqueue_adds_one_click_unsubscribe_headers_and_links_for_optional_mail(
    woken: Any,
) -> None:
    user = UserFactory()

    row = invite(user)

    assert row is not None
    unsubscribe = row.headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/accounts/unsubscribe/")
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe.strip("<>")
    assert link in row.body_text
    assert f'href="{link}"' in row.body_html
    assert "http://127.0.0.1:8000/accounts/notifications/" in row.body_text
    assert "Stop emails about invitations to join a company" in row.body_text


def test_transactional_mail_and_mail_to_an_address_carry_no_unsubscribe(woken: Any) -> None:
    verification = enqueue(
        kind=Kind.VERIFY_EMAIL,
        key="verify-email:test",
        template="verify-email",
        context={"user": UserFactory(), "verify_url": "https://x.example/v/", "valid_days": 3},
        recipient=UserFactory(),
    )
    stranger = invite(None, to_email="stranger@example.com")

    assert verification is not None and stranger is not None
    for row in (verification, stranger):
        assert row.headers == {}
        assert "/accounts/unsubscribe/" not in row.body_text
        assert "/accounts/unsubscribe/" not in row.body_html


def test_enqueue_twice_with_one_key_stores_one_row(woken: Any) -> None:
    user = UserFactory()

    first = invite(user, key="company-invitation:same")
    second = invite(user, key="company-invitation:same")

    assert first is not None
    assert second is None
    assert Notification.objects.count() == 1


def test_enqueue_wakes_the_sender_only_after_commit(
    woken: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(UserFactory())
    assert not woken.called

    for callback in callbacks:
        callback()

    woken.assert_called_once_with()


def test_a_rolled_back_enqueue_leaves_no_row_and_wakes_nobody(
    woken: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invite(user)
        raise RuntimeError

    assert callbacks == []
    assert not woken.called
    assert not Notification.objects.exists()


def test_a_user_who_switched_a_kind_off_gets_nothing_stored(woken: Any) -> None:
    user = UserFactory()
    EmailOptOut.objects.create(user=user, kind=INVITATION)

    assert invite(user) is None
    assert not Notification.objects.exists()


def test_transactional_mail_ignores_an_opt_out(woken: Any) -> None:
    user = UserFactory(unverified=True)
    # The settings page never offers it; a row like this could only come from elsewhere.
    EmailOptOut.objects.create(user=user, kind=Kind.VERIFY_EMAIL)

    row = enqueue(
        kind=Kind.VERIFY_EMAIL,
        key=notification_key(Kind.VERIFY_EMAIL, user, timezone.now()),
        template="verify-email",
        context={"user": user, "verify_url": "https://x.example/v/", "valid_days": 3},
        recipient=user,
    )

    assert row is not None


def test_enqueue_refuses_an_unknown_kind_and_a_mail_to_nobody() -> None:
    with pytest.raises(ValueError):
        enqueue(kind="spam", key="k", template="verify-email", context={}, to_email="a@b.c")
    with pytest.raises(ValueError, match="recipient or an address"):
        invite(None)


# --- sending -------------------------------------------------------------------------------------


def test_the_sender_sends_text_and_html_with_headers_over_one_connection(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    rows = pending(3)

    report = send_due()

    assert (report.sent, report.retrying, report.failed) == (3, 0, 0)
    assert smtp_settings.handler.sessions == 1
    messages = sorted(smtp_settings.messages, key=lambda message: str(message["To"]))
    assert [str(message["To"]) for message in messages] == [
        "vendor0@example.com",
        "vendor1@example.com",
        "vendor2@example.com",
    ]
    for message in messages:
        assert message.get_content_type() == "multipart/alternative"
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
        # A long header is folded; a client reads it without the folding space.
        assert (
            str(message["List-Unsubscribe"])
            .strip()
            .startswith("<http://127.0.0.1:8000/accounts/unsubscribe/")
        )
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == (Status.SENT, 1, "")
        assert row.sent_at is not None


def test_running_the_sender_again_sends_nothing_more(smtp_settings: SmtpServer, woken: Any) -> None:
    pending(2)

    first = tasks.send_outbox()
    second = tasks.send_outbox()

    assert first["sent"] == 2
    assert second == {"sent": 0, "retrying": 0, "failed": 0, "suppressed": 0, "duplicates": 0}
    assert len(smtp_settings.messages) == 2


def test_the_sender_task_is_acknowledged_late_under_its_stable_name() -> None:
    assert tasks.send_outbox.name == "matchmaker.send_outbox"
    assert tasks.send_outbox.acks_late is True
    assert tasks.send_outbox.reject_on_worker_lost is True


def test_a_limit_sends_that_many_and_leaves_the_rest_pending(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    rows = pending(3)

    report = send_due(limit=2)

    assert report.sent == 2
    assert [status(row) for row in rows] == [Status.SENT, Status.SENT, Status.PENDING]


def test_mail_not_yet_due_waits(smtp_settings: SmtpServer, woken: Any) -> None:
    (row,) = pending(1)
    Notification.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )

    assert send_due().sent == 0
    assert smtp_settings.messages == []


def test_a_transient_refusal_is_retried_later_with_a_growing_backoff(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    # given a mailbox that is busy, next to one that is fine
    smtp_settings.refuse("busy@example.com", "451 4.3.0 Mailbox busy, try again later")
    busy = invite(UserFactory(email="busy@example.com"))
    fine = invite(UserFactory(email="fine@example.com"))
    assert busy is not None and fine is not None

    # when the sender runs
    before = timezone.now()
    report = send_due()

    # then the busy one waits a minute; the other went out on the same connection
    assert (report.sent, report.retrying) == (1, 1)
    assert status(fine) == Status.SENT
    busy.refresh_from_db()
    assert (busy.status, busy.attempts) == (Status.PENDING, 1)
    assert "451" in busy.last_error
    assert before + datetime.timedelta(seconds=59) < busy.next_attempt_at
    assert busy.next_attempt_at < timezone.now() + datetime.timedelta(seconds=61)
    assert smtp_settings.handler.sessions == 1

    # when it is due again and still busy, the wait doubles
    Notification.objects.filter(pk=busy.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    send_due()
    busy.refresh_from_db()
    assert (busy.status, busy.attempts) == (Status.PENDING, 2)
    assert before + datetime.timedelta(seconds=119) < busy.next_attempt_at

    # and once the mailbox takes mail, it is sent
    smtp_settings.handler.refuse.clear()
    Notification.objects.filter(pk=busy.pk).update(next_attempt_at=timezone.now())
    assert send_due().sent == 1
    assert status(busy) == Status.SENT


def test_a_permanent_refusal_fails_the_mail_at_once_with_an_error_logged(
    smtp_settings: SmtpServer, woken: Any, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_settings.refuse("gone@example.com", "550 5.1.1 No such user here")
    gone = invite(UserFactory(email="gone@example.com"))
    assert gone is not None

    with caplog.at_level(logging.ERROR, logger="matchmaker.outbox"):
        report = send_due()

    assert report.failed == 1
    gone.refresh_from_db()
    assert (gone.status, gone.attempts) == (Status.FAILED, 1)
    assert "550" in gone.last_error
    assert any(gone.key in record.getMessage() for record in caplog.records)
    assert smtp_settings.messages == []
    assert send_due().failed == 0  # a failed mail is not tried again


def test_a_mail_refused_for_the_last_allowed_time_fails(
    smtp_settings: SmtpServer, woken: Any, settings: Any
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    smtp_settings.refuse("busy@example.com", "452 4.2.2 Mailbox full")
    busy = invite(UserFactory(email="busy@example.com"))
    assert busy is not None

    send_due()
    Notification.objects.filter(pk=busy.pk).update(next_attempt_at=timezone.now())
    report = send_due()

    assert report.failed == 1
    assert status(busy) == Status.FAILED


def test_an_unreachable_server_puts_every_mail_back_for_later(settings: Any, woken: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    rows = pending(2)

    report = send_due()

    assert report.retrying == 2
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.PENDING, 1)
        assert row.last_error.startswith("ConnectionRefusedError")


def test_a_closed_connection_is_opened_again_for_the_rest_of_the_batch(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    # A 421 answer makes smtplib close the connection.
    smtp_settings.refuse("first@example.com", "421 4.3.2 Service shutting down")
    first = invite(UserFactory(email="first@example.com"))
    second = invite(UserFactory(email="second@example.com"))
    assert first is not None and second is not None

    report = send_due()

    assert (report.sent, report.retrying) == (1, 1)
    assert (status(first), status(second)) == (Status.PENDING, Status.SENT)
    assert smtp_settings.handler.sessions == 2


def test_mail_switched_off_after_it_was_written_is_not_sent(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    user = UserFactory()
    row = invite(user)
    assert row is not None
    EmailOptOut.objects.create(user=user, kind=INVITATION)

    report = send_due()

    assert report.suppressed == 1
    assert status(row) == Status.SUPPRESSED
    assert smtp_settings.messages == []


def test_the_file_backend_writes_one_file_per_mail(
    settings: Any, tmp_path: Path, woken: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    pending(2)

    assert send_due().sent == 2

    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    assert {"vendor0@example.com", "vendor1@example.com"} == {
        address
        for path in files
        for address in ("vendor0@example.com", "vendor1@example.com")
        if f"To: {address}" in path.read_text()
    }


def test_the_locmem_backend_receives_the_mail(woken: Any) -> None:
    pending(1)

    send_due()

    (message,) = mail.outbox
    assert message.to == ["vendor0@example.com"]
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]


def test_a_stop_in_mid_batch_keeps_the_mail_being_sent_and_releases_the_rest(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    first, second, third = pending(3)
    build = sender_module._message

    def stop_at_the_second(row: Notification, backend: Any) -> Any:
        if row.pk == second.pk:
            raise KeyboardInterrupt  # e.g. a time limit: nothing the sender handles
        return build(row, backend)

    with (
        mock.patch.object(sender_module, "_message", stop_at_the_second),
        pytest.raises(KeyboardInterrupt),
    ):
        send_due()

    assert status(first) == Status.SENT
    # It may have gone out: it stays claimed, and is sent again once its lease is over.
    assert status(second) == Status.SENDING
    third.refresh_from_db()
    assert (third.status, third.attempts) == (Status.PENDING, 0)


# --- claims --------------------------------------------------------------------------------------


def test_an_abandoned_mail_is_sent_again_once_with_a_possible_duplicate_warning(
    smtp_settings: SmtpServer, woken: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given a mail a worker claimed, and perhaps sent, before it died
    (row,) = pending(1)
    lease = datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING,
        claimed_at=timezone.now() - lease - datetime.timedelta(seconds=1),
        attempts=1,
    )

    # when a sender runs after the lease
    with caplog.at_level(logging.WARNING, logger="matchmaker.outbox"):
        report = send_due()

    # then it is sent once more, and the log says it may be a duplicate
    assert (report.sent, report.duplicates) == (1, 1)
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("possible duplicate" in message and row.key in message for message in warnings)
    assert len(smtp_settings.messages) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)

    # and never again
    assert send_due().sent == 0
    assert len(smtp_settings.messages) == 1


def test_a_mail_being_sent_within_its_lease_is_left_alone(
    smtp_settings: SmtpServer, woken: Any
) -> None:
    (row,) = pending(1)
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, claimed_at=timezone.now())

    assert send_due().sent == 0
    assert status(row) == Status.SENDING
    assert smtp_settings.messages == []


def test_two_senders_that_read_the_same_rows_never_both_claim_one(
    smtp_settings: SmtpServer, woken: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional claim (SQLite's, where FOR UPDATE does nothing), with a second sender
    getting in between the first one's read and its update."""
    monkeypatch.setattr(connection.features, "has_select_for_update_skip_locked", False)
    rows = pending(3)
    take = sender_module._take
    competitor: dict[str, Any] = {}

    def take_after_a_competitor(row: Notification, now: datetime.datetime) -> bool:
        if not competitor:
            competitor["report"] = None  # the competitor's own claims go straight through
            competitor["report"] = send_due()
        return take(row, now)

    monkeypatch.setattr(sender_module, "_take", take_after_a_competitor)

    report = send_due()

    assert competitor["report"].sent == 3
    assert report.sent == 0
    assert len(smtp_settings.messages) == 3
    assert {status(row) for row in rows} == {Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_mail_exactly_once(
    smtp_settings: SmtpServer, settings: Any
) -> None:
    """Two threads, each with its own database connection (SKIP LOCKED on PostgreSQL, the
    conditional claim on SQLite), overlapping on small batches of slow sends."""
    # given
    with mock.patch.object(tasks.send_outbox, "delay"):
        rows = pending(12)
    smtp_settings.handler.delay = 0.02
    settings.OUTBOX_BATCH_SIZE = 2
    start = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(send_due())
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    assert errors == []
    ids = [str(message["Message-ID"]) for message in smtp_settings.messages]
    assert len(ids) == 12
    assert len(set(ids)) == 12
    assert sorted(report.sent for report in reports)[0] > 0  # both took part
    assert sum(report.sent for report in reports) == 12
    assert {status(row) for row in rows} == {Status.SENT}


# --- the admin -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["notification", "emailoptout"])
def test_operators_read_the_outbox_in_the_admin_but_cannot_change_it(
    admin_client: Any, woken: Any, model: str
) -> None:
    user = UserFactory()
    row = invite(user)
    assert row is not None
    optout = EmailOptOut.objects.create(user=user, kind=Kind.NEW_MATCHES)
    pk = row.pk if model == "notification" else optout.pk

    listed = admin_client.get(f"/admin/matchmaker/{model}/?kind__exact=company-invitation")
    detail = admin_client.get(f"/admin/matchmaker/{model}/{pk}/change/")
    add = admin_client.get(f"/admin/matchmaker/{model}/add/")
    delete = admin_client.get(f"/admin/matchmaker/{model}/{pk}/delete/")

    assert (listed.status_code, detail.status_code) == (200, 200)
    assert (add.status_code, delete.status_code) == (403, 403)
    assert user.email in detail.content.decode()
    assert Notification.objects.filter(pk=row.pk, status=Status.PENDING).exists()
