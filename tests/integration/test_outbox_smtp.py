"""The outbox with a real worker and a real SMTP server: each mail arrives once, and a sender
that died between sending and marking costs at most one duplicate, logged."""

import datetime
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.utils import timezone

from matchmaker.models import Notification
from matchmaker.outbox import enqueue, notification_key
from matchmaker.tasks import send_outbox
from tests.factories import UserFactory
from tests.integration.conftest import Worker, wait_until
from tests.smtp import SmtpServer

pytestmark = pytest.mark.integration

Kind = Notification.Kind
Status = Notification.Status
MAILS = 5


def write_mail(index: int) -> Notification:
    user = UserFactory(email=f"vendor{index}@example.com")
    kind = Kind.PARTNERSHIP_REQUEST
    row = enqueue(
        kind=kind,
        key=notification_key(kind, user, "request", index),
        template="partnership-request",
        context={
            "asker": {"legal_name": "Taipei Mobility", "country": {"name": "Taiwan"}},
            "asked": {"legal_name": f"Company {index}"},
            "link": f"https://pilots.example/companies/{index}/partnerships/",
        },
        recipient=user,
    )
    assert row is not None
    return row


def message_ids(smtp: SmtpServer) -> Counter[str]:
    return Counter(str(message["Message-ID"]) for message in smtp.messages)


def test_a_worker_sends_each_mail_once_and_a_dead_sender_costs_one_logged_duplicate(
    start_worker: Callable[..., Worker], smtp_server: SmtpServer
) -> None:
    # given a worker whose mail goes to the SMTP server of this test
    worker = start_worker(EMAIL_HOST=smtp_server.host, EMAIL_PORT=str(smtp_server.port))

    # when mail is written down (each commit wakes the sender through the broker)
    rows = [write_mail(index) for index in range(MAILS)]

    # then each arrives exactly once, in text and HTML, with the one-click unsubscribe headers
    def all_sent() -> bool:
        """every mail marked sent"""
        return Notification.objects.filter(status=Status.SENT).count() == MAILS

    wait_until(all_sent, timeout=30)
    assert len(smtp_server.messages) == MAILS
    assert set(message_ids(smtp_server).values()) == {1}
    assert sorted(str(message["To"]) for message in smtp_server.messages) == [
        f"vendor{index}@example.com" for index in range(MAILS)
    ]
    for message in smtp_server.messages:
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
        assert "/accounts/unsubscribe/" in str(message["List-Unsubscribe"])
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    # when a sender dies after sending one of them but before marking it sent
    crashed = rows[2]
    lease = datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    Notification.objects.filter(pk=crashed.pk).update(
        status=Status.SENDING,
        claimed_at=timezone.now() - lease - datetime.timedelta(minutes=1),
        sent_at=None,
    )
    send_outbox.delay()  # the beat's sweep

    # then exactly one more copy of it arrives, and the worker's log says why
    def resent() -> bool:
        """the abandoned mail marked sent again"""
        return Notification.objects.filter(pk=crashed.pk, status=Status.SENT).exists()

    wait_until(resent, timeout=30)
    counts = message_ids(smtp_server)
    assert sum(counts.values()) == MAILS + 1
    assert sorted(counts.values()) == [1] * (MAILS - 1) + [2]
    (duplicate,) = smtp_server.messages[MAILS:]
    assert str(duplicate["To"]) == "vendor2@example.com"
    output = worker.wait_for("possible duplicate")
    assert crashed.key in output.split("possible duplicate", 1)[1]
