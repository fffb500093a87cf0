"""Two beats, three ticks (DESIGN §12): each deadline reminder reaches a real SMTP server once.

Two ``manage.py send_reminders`` processes tick at the same moment, three times over, against
the test database; a real worker, woken by each committed outbox row, sends the mail to an
aiosmtpd server in this process.
"""

import datetime
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.utils import timezone

from applicants.models import Application, CompanyMembership, Follow
from matchmaker.models import Notification
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, UserFactory
from tests.integration.conftest import ROOT, Worker, _test_database_url, wait_until
from tests.smtp import SmtpServer, smtp_server  # noqa: F401  (the fixture)
from tests.staff import make_company, owner_of, store_match

pytestmark = pytest.mark.integration

ROUNDS = 3
TICKS_AT_ONCE = 2


def _tick_at_once(count: int) -> list[str]:
    """``count`` ``send_reminders`` processes started together; their outputs."""
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1"}
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_reminders"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = []
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
        outputs.append(output)
    return outputs


def _counts(outputs: list[str]) -> tuple[int, int]:
    """Reminders queued and found already sent, over the ticks' summary lines."""
    queued = already = 0
    for output in outputs:
        match = re.search(r"(\d+) reminders? queued .*; (\d+) already sent", output)
        assert match, output
        queued += int(match.group(1))
        already += int(match.group(2))
    return queued, already


def test_two_beats_ticking_three_times_deliver_each_reminder_once(
    default_sectors: None,
    start_worker: Callable[..., Worker],
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    # given an application deadline in two and a half days (the 3-day reminder is due), three
    # drafting companies (one with a colleague) and a follower whose company fits
    agency = AgencyFactory(slug="moscow", city="Moscow", country="RU", time_zone="Europe/Moscow")
    program = ProgramFactory(slug="moscow-pilots", title="Moscow pilots", owner=agency)
    deadline = timezone.now() + datetime.timedelta(days=2, hours=12)
    StageFactory(program=program, order=0, name="Application", closes_at=deadline)
    for n in range(3):
        company = make_company(f"Drafter {n}", owner=f"owner{n}@drafter.test", score=False)
        Application.objects.create(company=company, program=program, created_by=owner_of(company))
    CompanyMembership.objects.create(
        user=UserFactory(email="colleague@drafter.test"), company=company, role="member"
    )
    fits = make_company("Fits", owner="owner@fits.test", score=False)
    store_match(fits, program, "eligible", 80)
    Follow.objects.create(user=owner_of(fits), program=program)
    recipients = 5
    start_worker(EMAIL_HOST=smtp_server.host, EMAIL_PORT=str(smtp_server.port))

    # when two beats tick at the same moment, three times
    outputs: list[str] = []
    for _ in range(ROUNDS):
        outputs += _tick_at_once(TICKS_AT_ONCE)

    # then each reminder was queued by exactly one tick ...
    assert _counts(outputs) == (recipients, ROUNDS * TICKS_AT_ONCE * recipients - recipients)
    rows = list(Notification.objects.filter(kind=Notification.Kind.DEADLINE_REMINDER))
    assert len({row.key for row in rows}) == len(rows) == recipients

    # ... and the worker delivered each to the SMTP server once
    def all_sent() -> bool:
        """every reminder marked sent and received"""
        sent = Notification.objects.filter(status=Notification.Status.SENT).count()
        return sent == recipients and len(smtp_server.messages) >= recipients

    wait_until(all_sent, timeout=120)
    time.sleep(2)  # a duplicate would arrive now
    messages = smtp_server.messages
    assert sorted(str(message["To"]) for message in messages) == sorted(
        row.to_email for row in rows
    )
    ids = Counter(str(message["Message-ID"]) for message in messages)
    assert set(ids.values()) == {1}
    assert {int(message_id.split(".")[1]) for message_id in ids} == {row.pk for row in rows}
    subjects = {str(message["Subject"]) for message in messages}
    assert subjects == {
        "Moscow pilots: 3 days left to submit your application",
        "Moscow pilots: 3 days left to apply",
    }
