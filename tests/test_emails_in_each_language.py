"""A Taipei vendor reads every mail of the service in Traditional Chinese, a Moscow vendor in
Russian: subject, plain text and HTML, with no English phrase of our own left.

Each kind of mail is produced by the service or page that sends it in the product (sign-up,
Django's password reset page, the team page, the services for partnership requests, invitations
to apply, submission and decisions, the reminder and digest ticks, a schedule change) to a
recipient whose account's language is theirs, and read as it leaves the outbox (``sent_mail``:
the sender runs after commit). The scan is ``english_left`` of the pages' test: the data a mail
shows (programs, stages, companies, questions, notes ... in every language) is removed first.

Mail goes to vendors and to people invited or signing up; staff get the account mails (the
verification link, the password reset) like anyone. ``test_every_kind_of_mail_is_covered`` keeps
the list complete: a new template in ``templates/emails`` or a new ``Notification.Kind`` fails it
until it is produced here.
"""

import datetime
import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applicants import services
from applicants.applications import (
    application_advance,
    application_decline,
    application_start,
    application_submit,
)
from applicants.follows import program_follow
from applicants.models import Application, Company, User
from matchmaker.models import Match, Notification
from matchmaker.outbox import send_due
from programs.apply_invitations import apply_invitation_send
from programs.models import Program, Stage
from programs.reminders import send_digests, send_reminders
from programs.reminders.schedule import StageSchedule, program_schedule_update
from tests.applicants.applying import add_questions, ready_draft
from tests.factories import USER_PASSWORD, UserFactory
from tests.staff import make_company, make_staff, owner_of, store_match
from tests.test_pages_in_each_language import english_left

pytestmark = pytest.mark.django_db

BASE_URL = "http://testserver/"
# The only mail that does not go through the outbox: Django's PasswordResetView sends it.
PASSWORD_RESET = "password-reset"
# What staff write to the vendor with a decision (data: removed by the scan like any note).
NOTE = "Welcome to the next stage: we will call you about the site."
_OUTBOX_MESSAGE_ID = re.compile(r"<outbox\.(\d+)\.\d+@[^>]+>")


@dataclass(frozen=True)
class Reader:
    """Who the mail is for: their language and their city's agency, program and companies."""

    language: str
    city: str
    country: str
    sector: str
    time_zone: str
    domain: str
    agency: str
    program_slug: str
    script: re.Pattern[str]  # letters of the language, which every part of the mail holds

    @property
    def program(self) -> Program:
        return Program.objects.get(slug=self.program_slug)

    @property
    def other(self) -> "Reader":
        return MOSCOW if self is TAIPEI else TAIPEI


TAIPEI = Reader(
    language="zh-hant",
    city="Taipei",
    country="TW",
    sector="mobility",
    time_zone="Asia/Taipei",
    domain="mobility.tw",
    agency="taipei-smart-city-office",
    program_slug="taipei-bottom-up-poc",
    script=re.compile(r"[\u4e00-\u9fff]"),
)
MOSCOW = Reader(
    language="ru",
    city="Moscow",
    country="RU",
    sector="retail",
    time_zone="Europe/Moscow",
    domain="retail.ru",
    agency="moscow-innovation-agency",
    program_slug="moscow-pilots",
    script=re.compile(r"[А-Яа-яЁё]"),
)
READERS = {reader.language: reader for reader in (TAIPEI, MOSCOW)}


@dataclass(frozen=True)
class Mail:
    kind: str  # the outbox row's kind, or PASSWORD_RESET
    to: list[str]
    subject: str
    text: str
    html: str


def _mail(message: EmailMessage) -> Mail:
    found = _OUTBOX_MESSAGE_ID.fullmatch(message.extra_headers.get("Message-ID", ""))
    kind = Notification.objects.get(pk=found[1]).kind if found else PASSWORD_RESET
    bodies = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return Mail(
        kind=kind,
        to=list(message.to),
        subject=message.subject,
        text=message.body,
        html=bodies[0] if bodies else "",
    )


class Outbox:
    """Mail as it leaves: ``sending()`` around what sends it, then ``to(address)``."""

    def __init__(self, sent_mail: list[EmailMessage], capture: Callable[..., Any]) -> None:
        self._sent_mail = sent_mail
        self._capture = capture
        self.sent: list[Mail] = []

    @contextmanager
    def sending(self) -> Iterator[None]:
        # Mail the setting up queued (a receipt before a decision ...) leaves first, unread.
        send_due()
        self._sent_mail.clear()
        with self._capture(execute=True):
            yield
        self.sent = [_mail(message) for message in self._sent_mail]

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.sent if mail.to == [address]]


@pytest.fixture
def outbox(sent_mail: list[EmailMessage], django_capture_on_commit_callbacks: Any) -> Outbox:
    return Outbox(sent_mail, django_capture_on_commit_callbacks)


@pytest.fixture(autouse=True)
def _private_cache(settings: Any) -> Iterator[None]:
    # The verification mail's rate limit lives in the cache, keyed by user id: ids come back in
    # the next test, so each test has a cache of its own.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-emails-in-each-language",
        }
    }
    cache.clear()
    yield
    cache.clear()


# --- builders ------------------------------------------------------------------------------------


def vendor(reader: Reader, name: str = "Owner", **facts: Any) -> tuple[Company, User]:
    """A company of the reader's city, scored against the demo programs, and its owner, who
    reads in the reader's language and time zone."""
    company = make_company(
        f"{reader.city} {name}",
        owner=f"{name.lower()}@{reader.domain}",
        country=reader.country,
        sectors=(reader.sector,),
        **facts,
    )
    owner = owner_of(company)
    User.objects.filter(pk=owner.pk).update(language=reader.language, time_zone=reader.time_zone)
    owner.refresh_from_db()
    return company, owner


def application_stage(program: Program) -> Stage:
    stage = Stage.objects.filter(program=program).order_by("order").first()
    assert stage is not None and stage.closes_at is not None
    return stage


def staff(reader: Reader) -> User:
    return make_staff(f"staff@{reader.domain}", reader.agency)


def submitted(reader: Reader) -> tuple[Application, User]:
    """The vendor's application to their city's program, submitted with every answer."""
    company, owner = vendor(reader)
    draft = ready_draft(company, owner, add_questions(reader.program))
    return application_submit(application=draft, user=owner, base_url=BASE_URL), owner


# --- each kind of mail, sent: the address it went to ---------------------------------------------


def verify_email(reader: Reader, outbox: Outbox) -> str:
    # Signing up in the reader's language keeps it on the new account.
    email = f"newcomer@{reader.domain}"
    client = Client(headers={"accept-language": reader.language})
    with outbox.sending():
        response = client.post(
            reverse("accounts:signup"),
            {
                "email": email,
                "password1": USER_PASSWORD,
                "password2": USER_PASSWORD,
                "time_zone": reader.time_zone,
            },
        )
    assert response.status_code == 302
    assert User.objects.get(email=email).language == reader.language
    return email


def password_reset(reader: Reader, outbox: Outbox) -> str:
    # Asked from an English browser: the mail is in the account's language all the same.
    user: User = UserFactory(email=f"forgetful@{reader.domain}", language=reader.language)
    client = Client(headers={"accept-language": "en"})
    with outbox.sending():
        response = client.post(reverse("accounts:password-reset"), {"email": user.email})
    assert response.status_code == 302
    return user.email


def company_invitation(reader: Reader, outbox: Outbox) -> str:
    # The invitee has an account: their language, not the inviter's (English here).
    company, owner = vendor(reader.other)
    User.objects.filter(pk=owner.pk).update(language="en")
    invitee: User = UserFactory(
        email=f"colleague@{reader.domain}", language=reader.language, time_zone=reader.time_zone
    )
    with outbox.sending():
        services.invitation_send(
            company=company, user=owner, email=invitee.email, base_url=BASE_URL
        )
    return invitee.email


def company_invitation_to_a_new_address(reader: Reader, outbox: Outbox) -> str:
    # No account yet: the mail speaks the language of the owner inviting from the team page.
    company, owner = vendor(reader)
    client = Client()
    client.force_login(owner)
    email = f"newcomer@{reader.domain}"
    with outbox.sending():
        response = client.post(
            reverse("companies:team", args=[company.pk]), {"email": email, "role": "owner"}
        )
    assert response.status_code == 302
    assert not User.objects.filter(email=email).exists()
    return email


def partnership_request(reader: Reader, outbox: Outbox) -> str:
    # A company of the other city asks, for its own city's program.
    asker, asking = vendor(reader.other, "Asker", website="https://asker.example")
    asked, owner = vendor(reader)
    with outbox.sending():
        services.partnership_request_send(
            company=asker,
            user=asking,
            to_company_id=asked.pk,
            program_id=reader.other.program.pk,
            base_url=BASE_URL,
        )
    return owner.email


def _invite_to_apply(reader: Reader, outbox: Outbox, *, incomplete: bool = False) -> str:
    """The agency's admin invites the vendor's company, found among the program's matches."""
    company, owner = vendor(reader)
    program = reader.program
    if incomplete:
        store_match(company, program, "incomplete", None)
    match = Match.objects.get(company=company, program=program)
    assert match.eligibility == ("incomplete" if incomplete else "eligible")
    with outbox.sending():
        apply_invitation_send(
            program=program, company=company, user=staff(reader), base_url=BASE_URL
        )
    return owner.email


def apply_invitation(reader: Reader, outbox: Outbox) -> str:
    return _invite_to_apply(reader, outbox)


def apply_invitation_to_an_incomplete_profile(reader: Reader, outbox: Outbox) -> str:
    # The mail asks to complete the profile first.
    return _invite_to_apply(reader, outbox, incomplete=True)


def application_submitted(reader: Reader, outbox: Outbox) -> str:
    company, owner = vendor(reader)
    draft = ready_draft(company, owner, add_questions(reader.program))
    with outbox.sending():
        application_submit(application=draft, user=owner, base_url=BASE_URL)
    return owner.email


def application_advanced(reader: Reader, outbox: Outbox) -> str:
    application, owner = submitted(reader)
    with outbox.sending():
        application_advance(
            application=application, actor=staff(reader), note=NOTE, base_url=BASE_URL
        )
    return owner.email


def application_declined(reader: Reader, outbox: Outbox) -> str:
    application, owner = submitted(reader)
    with outbox.sending():
        application_decline(
            application=application, actor=staff(reader), note=NOTE, base_url=BASE_URL
        )
    return owner.email


def application_completed(reader: Reader, outbox: Outbox) -> str:
    application, owner = submitted(reader)
    actor = staff(reader)
    for _stage in range(Stage.objects.filter(program=application.program).count() - 1):
        application = application_advance(application=application, actor=actor)
    with outbox.sending():
        application = application_advance(
            application=application, actor=actor, note=NOTE, base_url=BASE_URL
        )
    assert application.status == Application.Status.COMPLETED
    return owner.email


def deadline_reminder_to_a_draft(reader: Reader, outbox: Outbox) -> str:
    # A draft with its questions unanswered, by a company short of the program's readiness
    # gate: the reminder lists what is missing.
    company, owner = vendor(reader, trl=4)
    program = reader.program
    add_questions(program)
    application_start(company=company, user=owner, program=program)
    closes_at = application_stage(program).closes_at
    assert closes_at is not None
    with outbox.sending():
        report = send_reminders(now=closes_at - datetime.timedelta(days=3))
    assert report.drafts == 1
    return owner.email


def deadline_reminder_to_a_follower(reader: Reader, outbox: Outbox) -> str:
    # A follower whose company fits and has not applied.
    _company, owner = vendor(reader)
    program = reader.program
    program_follow(user=owner, program=program)
    closes_at = application_stage(program).closes_at
    assert closes_at is not None
    with outbox.sending():
        report = send_reminders(now=closes_at - datetime.timedelta(days=3))
    assert report.followers == 1
    return owner.email


def _move_the_deadline(
    reader: Reader, outbox: Outbox, move: Callable[[datetime.datetime], datetime.datetime | None]
) -> str:
    """The agency's admin changes the application deadline on the program's settings; the
    vendor has a draft."""
    company, owner = vendor(reader)
    program = reader.program
    application_start(company=company, user=owner, program=program)
    stage = application_stage(program)
    assert stage.closes_at is not None
    schedule = StageSchedule(
        stage_id=stage.pk,
        opens_at=stage.opens_at,
        closes_at=move(stage.closes_at),
        max_participants=stage.max_participants,
    )
    # The program is rescored after the commit, by a worker.
    with mock.patch("matchmaker.tasks.score_program_task.delay"), outbox.sending():
        change = program_schedule_update(
            program=program,
            actor=staff(reader),
            stages=[schedule],
            reminder_offsets=program.reminder_offsets,
        )
    assert change.mails == 1
    return owner.email


def deadline_moved_later(reader: Reader, outbox: Outbox) -> str:
    return _move_the_deadline(reader, outbox, lambda closes: closes + datetime.timedelta(days=7))


def deadline_moved_earlier(reader: Reader, outbox: Outbox) -> str:
    return _move_the_deadline(reader, outbox, lambda closes: closes - datetime.timedelta(days=1))


def deadline_removed(reader: Reader, outbox: Outbox) -> str:
    return _move_the_deadline(reader, outbox, lambda closes: None)


def new_matches(reader: Reader, outbox: Outbox) -> str:
    # The vendor's company fits their city's programs: two in Taipei, one in Moscow.
    _company, owner = vendor(reader)
    User.objects.filter(pk=owner.pk).update(digest=User.Digest.DAILY)
    with outbox.sending():
        report = send_digests()
    assert report.queued == 1
    return owner.email


# Mail (its kind, then what it says when a kind says several things) → how it is sent.
CASES: dict[str, Callable[[Reader, Outbox], str]] = {
    "verify-email": verify_email,
    "password-reset": password_reset,
    "company-invitation (an account)": company_invitation,
    "company-invitation (a new address)": company_invitation_to_a_new_address,
    "partnership-request": partnership_request,
    "apply-invitation": apply_invitation,
    "apply-invitation (incomplete profile)": apply_invitation_to_an_incomplete_profile,
    "application-submitted": application_submitted,
    "application-decision (advanced)": application_advanced,
    "application-decision (declined)": application_declined,
    "application-decision (completed)": application_completed,
    "deadline-reminder (a draft)": deadline_reminder_to_a_draft,
    "deadline-reminder (a follower)": deadline_reminder_to_a_follower,
    "deadline-changed (later)": deadline_moved_later,
    "deadline-changed (earlier)": deadline_moved_earlier,
    "deadline-changed (removed)": deadline_removed,
    "new-matches": new_matches,
}


def _kind(case: str) -> str:
    return case.split(" ")[0]


def _as_html(text: str) -> str:
    """A subject or a plain-text body as the scan reads HTML (``<`` and ``&`` escaped)."""
    return html.escape(text)


@pytest.mark.parametrize("language", READERS)
@pytest.mark.parametrize("case", CASES)
def test_every_mail_reaches_the_reader_in_their_language(
    demo: None, outbox: Outbox, case: str, language: str
) -> None:
    reader = READERS[language]

    address = CASES[case](reader, outbox)

    mails = outbox.to(address)
    assert mails, f"{case}: no mail to {address}"
    assert {mail.kind for mail in mails} == {_kind(case)}
    for mail in mails:
        parts = {
            "subject": _as_html(mail.subject),
            "text": _as_html(mail.text),
            "html": mail.html,
        }
        for part, content in parts.items():
            assert reader.script.search(content), f"{case}, {part}: not in {language}: {content}"
            left = english_left(content)
            assert not left, f"{case}, {part}: {left[:10]}"


# --- every kind ----------------------------------------------------------------------------------


def test_every_kind_of_mail_is_covered() -> None:
    kinds = {_kind(case) for case in CASES}
    templates = {
        path.name.removesuffix("-subject.txt")
        for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*-subject.txt")
    }

    assert kinds == {*Notification.Kind, PASSWORD_RESET}, "New kinds of mail: send them here."
    assert templates == kinds, "New mail templates: send them here."


def test_the_scan_finds_english_left_in_a_plain_text_mail() -> None:
    with translation.override("ru"):
        text = "Сохранить <профиль> & выйти\n\nSave your profile now\n"
        assert english_left(_as_html(text)) == ["Save your profile now"]
        assert english_left(_as_html("Сохранить <Save your profile> & выйти")) == [
            "Save your profile"
        ]
