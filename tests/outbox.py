"""The outbox's sender, run in-process: mail as it leaves for the mail server.

``sent_mail`` is pytest-django's ``mailoutbox`` with the sender wired in: where a commit would
wake the ``matchmaker.send_outbox`` task on a worker, the test process runs ``send_due`` itself.
So a test sees the whole path (a row written in the transaction, the wake-up after commit, the
claim, the message sent) without a broker or a worker.
"""

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.mail import EmailMessage

from matchmaker.outbox import send_due
from matchmaker.tasks import send_outbox


@pytest.fixture
def sent_mail(mailoutbox: list[EmailMessage]) -> Iterator[list[EmailMessage]]:
    def run_sender(*args: Any, **kwargs: Any) -> None:
        send_due()

    with mock.patch.object(send_outbox, "delay", run_sender):
        yield mailoutbox
