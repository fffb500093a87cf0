"""A Taipei vendor uses the service in Traditional Chinese, a Moscow staff member in Russian, a
visitor in either: no page they can open holds English words of our own.

The pages' visible text is scanned for English phrases (three words or more) after removing the
data they show (programs, stages, rules' words, sectors, agencies, companies, questions, answers,
partners, documents, reviews and notes in every language: a text missing in the reader's language
is shown in English by design) and the product's name.

Every page is fetched with the objects it names: a vendor with a partner, a document, a
colleague, partnership requests both ways, a draft and a submitted application to a Taipei
program with questions, and an invitation to another team; a Moscow program with a submitted
application, reviews, a note and a company that fits. ``test_every_html_page_is_covered`` keeps
the list complete: a new route is either fetched here or named below with why it is not.
"""

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from modeltranslation.translator import translator

from applicants import services
from applicants.applications import (
    application_add_note,
    application_advance,
    application_submit,
)
from applicants.invitations import invitation_token
from applicants.models import (
    Application,
    ApplicationEvent,
    Company,
    CompanyMembership,
    Document,
    Invitation,
    Partner,
    PartnershipRequest,
    Review,
    User,
)
from applicants.registration import verification_path
from matchmaker.models import Notification
from matchmaker.outbox import unsubscribe_token
from programs.models import (
    Criterion,
    Program,
    Question,
    RequirementGroup,
    Sector,
    StaffMembership,
)
from programs.reviews import review_assign, review_criteria, review_submit
from tests.applicants.applying import add_questions, complete_answers, ready_draft, staff_of, upload
from tests.factories import UserFactory
from tests.staff import make_company, make_staff, owner_of, submit
from tests.urlconf import all_routes
from tests.vendors import add_member

pytestmark = pytest.mark.django_db

ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}")

BASE_URL = "http://testserver/"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _answer_texts(answers: Any) -> set[str]:
    if not isinstance(answers, dict):
        return set()
    return {value for value in answers.values() if isinstance(value, str) and value}


def _data_texts() -> list[str]:
    texts: set[str] = {"Pilot Match"}
    # Every translated text (programs/translation.py), in every language.
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        for language in ("en", "zh_hant", "ru"):
            columns = [f"{field}_{language}" for field in fields]
            for row in model.objects.values_list(*columns):
                texts.update(value for value in row if value)
    texts.update(Company.objects.values_list("legal_name", flat=True))
    # What vendors and staff wrote: the options of choice questions, answers, partners,
    # documents, reviewers' comments and the notes on applications.
    for choices in Question.objects.values_list("choices", flat=True):
        texts.update(choice for choice in choices or [] if choice)
    for answers in Application.objects.values_list("answers", flat=True):
        texts.update(_answer_texts(answers))
    texts.update(Partner.objects.values_list("name", flat=True))
    texts.update(Document.objects.values_list("title", flat=True))
    texts.update(Review.objects.exclude(comment="").values_list("comment", flat=True))
    texts.update(ApplicationEvent.objects.exclude(note="").values_list("note", flat=True))
    return sorted(texts, key=len, reverse=True)


def english_left(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    data = _data_texts()
    for value in data:
        text = text.replace(value, " | ")
    # What is left of data cut short (a summary's first words) or listed by code (sectors in the
    # history), and the time zones' IANA names.
    codes = {
        word for code in Sector.objects.values_list("code", flat=True) for word in code.split("-")
    }
    codes.update(
        word for zone in zoneinfo.available_timezones() for word in re.split(r"[/_]", zone)
    )
    return [
        phrase
        for phrase in ENGLISH_PHRASE.findall(text)
        if not any(phrase in value for value in data)
        and not set(re.findall(r"[A-Za-z']+", phrase)) <= codes
    ]


def check(client: Client, url: str, *, status: int = 200) -> None:
    response = client.get(url)
    assert response.status_code == status, url
    left = english_left(response.content.decode())
    assert not left, f"{url}: {left[:10]}"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    # Documents are written to storage.
    settings.MEDIA_ROOT = tmp_path


# --- a Taipei vendor, in Traditional Chinese -----------------------------------------------------

TAIPEI_POC = "taipei-bottom-up-poc"
MOSCOW = "moscow-pilots"


@pytest.fixture
def vendor(demo: None) -> tuple[Client, Company]:
    company = make_company("Taipei Mobility", owner="vendor@mobility.tw", country="TW")
    user = owner_of(company)
    user.language = "zh-hant"
    user.time_zone = "Asia/Taipei"
    user.save()
    client = Client()
    client.force_login(user)
    return client, company


@dataclass(frozen=True)
class VendorWorld:
    """The vendor's company with something on every page, and what the other pages name."""

    client: Client
    company: Company
    partner: Partner
    document: Document
    own: CompanyMembership  # the vendor's place on the team
    colleague: CompanyMembership
    invitation: Invitation  # sent by the company, not accepted yet
    received: PartnershipRequest  # from a Moscow company
    draft: Application  # to the Taipei POC, with its questions answered
    submitted: Application  # another of the vendor's companies, moved on by Taipei's staff
    invited: Invitation  # the vendor, to another company's team

    def url(self, name: str, *objects: Any) -> str:
        """``name`` for the company and ``objects`` of it."""
        return reverse(name, args=[self.company.pk, *(target.pk for target in objects)])

    def application_url(self, name: str, application: Application) -> str:
        return reverse(name, args=[application.company_id, application.pk])


@pytest.fixture
def vendor_world(vendor: tuple[Client, Company]) -> VendorWorld:
    client, company = vendor
    user = owner_of(company)
    moscow_retail = make_company(
        "Moscow Retail", owner="owner@retail.ru", country="RU", sectors=("retail",)
    )
    bristol = make_company("Bristol Freight", owner="owner@freight.uk", country="GB")
    received = services.partnership_request_send(
        company=moscow_retail,
        user=owner_of(moscow_retail),
        to_company_id=company.pk,
        program_id=Program.objects.get(slug=MOSCOW).pk,
        base_url=BASE_URL,
    )
    services.partnership_request_send(
        company=company, user=user, to_company_id=bristol.pk, base_url=BASE_URL
    )
    questions = add_questions(Program.objects.get(slug=TAIPEI_POC))
    health = make_company("Taipei Health", owner=user.email, sectors=("health",))
    submitted = application_submit(
        application=ready_draft(health, user, questions), user=user, base_url=BASE_URL
    )
    application_advance(
        application=submitted,
        actor=staff_of("taipei-smart-city-office"),
        note="Welcome to the pilot: we will call you about the site.",
        base_url=BASE_URL,
    )
    return VendorWorld(
        client=client,
        company=company,
        partner=services.partner_add(
            company=company, user=user, name="Formosa Sensor Works", country="TW"
        ),
        document=upload(company, user, title="Parking pilot results"),
        own=user.company_memberships.get(company=company),
        colleague=add_member(company, "colleague@mobility.tw").company_memberships.get(),
        invitation=services.invitation_create(
            company=company, user=user, email="newcomer@mobility.tw"
        ),
        received=received,
        draft=ready_draft(company, user, questions),
        submitted=submitted,
        invited=services.invitation_create(
            company=moscow_retail, user=owner_of(moscow_retail), email=user.email
        ),
    )


COMPANY_SECTIONS = [
    "companies:identity",
    "companies:offering",
    "companies:partners",
    "companies:documents",
    "companies:visibility",
    "companies:team",
    "companies:preview",
    "companies:matches",
    "companies:partnership-requests",
    "companies:applications",
]


@pytest.mark.parametrize("page", COMPANY_SECTIONS)
def test_a_taipei_vendors_company_pages_are_in_chinese(
    vendor_world: VendorWorld, page: str
) -> None:
    check(vendor_world.client, vendor_world.url(page))


# Page (a route name, with what it shows when one route has several pages) → its URL.
VENDOR_PAGES: dict[str, Callable[[VendorWorld], str]] = {
    "companies:list": lambda w: reverse("companies:list"),
    "companies:create": lambda w: reverse("companies:create"),
    "companies:partner-edit": lambda w: w.url("companies:partner-edit", w.partner),
    "companies:partner-delete": lambda w: w.url("companies:partner-delete", w.partner),
    "companies:document-delete": lambda w: w.url("companies:document-delete", w.document),
    "companies:member-remove": lambda w: w.url("companies:member-remove", w.colleague),
    "companies:member-remove (leaving)": lambda w: w.url("companies:member-remove", w.own),
    "companies:invitation-cancel": lambda w: w.url("companies:invitation-cancel", w.invitation),
    "companies:partnership-respond": lambda w: w.url("companies:partnership-respond", w.received),
    "companies:application (draft)": lambda w: w.application_url("companies:application", w.draft),
    "companies:application (submitted)": lambda w: w.application_url(
        "companies:application", w.submitted
    ),
    "companies:application-withdraw (draft)": lambda w: w.application_url(
        "companies:application-withdraw", w.draft
    ),
    "companies:application-withdraw (submitted)": lambda w: w.application_url(
        "companies:application-withdraw", w.submitted
    ),
    "companies:apply (applied already)": lambda w: reverse("companies:apply", args=[TAIPEI_POC]),
    "companies:apply (can start)": lambda w: reverse("companies:apply", args=[MOSCOW]),
    "companies:invitation-accept": lambda w: reverse(
        "companies:invitation-accept", args=[invitation_token(w.invited)]
    ),
    "programs:list": lambda w: reverse("programs:list"),
    "programs:detail": lambda w: reverse("programs:detail", args=[TAIPEI_POC]),
    "accounts:profile": lambda w: reverse("accounts:profile"),
    "accounts:notifications": lambda w: reverse("accounts:notifications"),
    "accounts:password-change": lambda w: reverse("accounts:password-change"),
    "accounts:password-change-done": lambda w: reverse("accounts:password-change-done"),
}


@pytest.mark.parametrize("page", VENDOR_PAGES)
def test_a_taipei_vendors_other_pages_are_in_chinese(vendor_world: VendorWorld, page: str) -> None:
    check(vendor_world.client, VENDOR_PAGES[page](vendor_world))


def test_a_taipei_vendor_not_verified_yet_is_told_why_in_chinese(demo: None) -> None:
    user: User = UserFactory(email="unverified@mobility.tw", unverified=True, language="zh-hant")
    client = Client()
    client.force_login(user)
    check(client, reverse("accounts:verification-needed"))


# --- a Moscow staff member, in Russian -----------------------------------------------------------


@pytest.fixture
def staff(demo: None) -> Client:
    user: User = make_staff("staff@moscow.ru", "moscow-innovation-agency")
    user.language = "ru"
    user.save()
    client = Client()
    client.force_login(user)
    return client


@dataclass(frozen=True)
class StaffWorld:
    """The Moscow program with a submitted application (answers, a document, a colleague's
    review, an internal note), a review for the staff member, a company that fits and has not
    applied, and a reviewer on the agency's team."""

    client: Client
    program: Program
    application: Application
    review: Review  # the staff member's own, to score
    prospect: Company
    reviewer: StaffMembership

    def url(self, name: str, *objects: Any) -> str:
        return reverse(name, args=[self.program.slug, *(target.pk for target in objects)])

    def criterion(self, kind: str, number: int = 0) -> Criterion:
        return self.program.criteria.filter(kind=kind).order_by("order")[number]

    @property
    def two_options(self) -> Criterion:
        """The first gate: a Russian company, or a foreign one with a Russian partner."""
        return self.criterion(Criterion.Kind.GATE)

    @property
    def one_option(self) -> RequirementGroup:
        """The second gate's only option, with its only requirement."""
        return self.criterion(Criterion.Kind.GATE, 1).groups.get()


@pytest.fixture
def staff_world(staff: Client) -> StaffWorld:
    user = User.objects.get(email="staff@moscow.ru")
    program = Program.objects.get(slug=MOSCOW)
    questions = add_questions(program)
    applicant = make_company(
        "Moscow Retail", owner="owner@retail.ru", country="RU", sectors=("retail",)
    )
    deck = upload(applicant, owner_of(applicant), title="Retail pilot plan")
    application = submit(
        applicant,
        program,
        answers={
            **complete_answers(questions),
            str(questions.plan.pk): "Two weeks in the shops of one district.",
            str(questions.deck.pk): deck.pk,
        },
    )
    reviewer = make_staff("reviewer@moscow.ru", program.owner, StaffMembership.Role.REVIEWER)
    review_submit(
        review=review_assign(application=application, reviewer=reviewer, assigned_by=user),
        user=reviewer,
        scores={criterion.key: 7 for criterion in review_criteria(program)},
        comment="A clear plan and a demo that works.",
    )
    application_add_note(
        application=application, actor=user, note="Call them before the expert review."
    )
    return StaffWorld(
        client=staff,
        program=program,
        application=application,
        review=review_assign(application=application, reviewer=user, assigned_by=user),
        prospect=make_company(
            "Moscow Energy", owner="owner@energy.ru", country="RU", sectors=("energy",)
        ),
        reviewer=reviewer.staff_memberships.get(),
    )


STAFF_PROGRAM_PAGES = ["dashboard", "matches", "applications", "settings", "texts", "history"]


@pytest.mark.parametrize("page", STAFF_PROGRAM_PAGES)
def test_a_moscow_staff_members_pages_are_in_russian(staff_world: StaffWorld, page: str) -> None:
    check(staff_world.client, staff_world.url(f"staff:{page}"))


STAFF_PAGES: dict[str, Callable[[StaffWorld], str]] = {
    "staff:home": lambda w: reverse("staff:home"),
    "staff:reviews": lambda w: reverse("staff:reviews"),
    "staff:match-invite": lambda w: w.url("staff:match-invite", w.prospect),
    "staff:application": lambda w: w.url("staff:application", w.application),
    "staff:application-advance": lambda w: w.url("staff:application-advance", w.application),
    "staff:application-decline": lambda w: w.url("staff:application-decline", w.application),
    "staff:application-note": lambda w: w.url("staff:application-note", w.application),
    "staff:application-assign": lambda w: w.url("staff:application-assign", w.application),
    "staff:review": lambda w: w.url("staff:review", w.review),
    "staff:review-abstain": lambda w: w.url("staff:review-abstain", w.review),
    "staff:team": lambda w: reverse("staff:team", args=[w.program.owner.slug]),
    "staff:team-role": lambda w: reverse(
        "staff:team-role", args=[w.program.owner.slug, w.reviewer.pk]
    ),
    "staff:team-remove": lambda w: reverse(
        "staff:team-remove", args=[w.program.owner.slug, w.reviewer.pk]
    ),
    "staff:team-history": lambda w: reverse("staff:team-history", args=[w.program.owner.slug]),
    "rules:list": lambda w: w.url("rules:list"),
    "rules:criterion-add (gate)": lambda w: w.url("rules:criterion-add"),
    "rules:criterion-add (award)": lambda w: w.url("rules:criterion-add") + "?kind=award",
    "rules:criterion-edit (gate)": lambda w: w.url("rules:criterion-edit", w.two_options),
    "rules:criterion-edit (award)": lambda w: w.url(
        "rules:criterion-edit", w.criterion(Criterion.Kind.AWARD)
    ),
    "rules:criterion-delete": lambda w: w.url("rules:criterion-delete", w.two_options),
    "rules:group-add": lambda w: w.url("rules:group-add", w.two_options),
    "rules:group-delete": lambda w: w.url(
        "rules:group-delete", w.two_options.groups.order_by("order").first()
    ),
    "rules:group-delete (the only option)": lambda w: w.url("rules:group-delete", w.one_option),
    "rules:requirement-add": lambda w: w.url("rules:requirement-add", w.one_option),
    "rules:requirement-edit": lambda w: w.url(
        "rules:requirement-edit", w.one_option.requirements.get()
    ),
    "rules:requirement-delete (the only one)": lambda w: w.url(
        "rules:requirement-delete", w.one_option.requirements.get()
    ),
}


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_moscow_staff_members_other_pages_are_in_russian(
    staff_world: StaffWorld, page: str
) -> None:
    check(staff_world.client, STAFF_PAGES[page](staff_world))


# --- a visitor, in the language their browser asks for -------------------------------------------


@pytest.fixture
def reader(db: None) -> User:
    """Someone who got a mail: a verification link, an unsubscribe link, a password reset."""
    user: User = UserFactory(email="reader@example.com", unverified=True)
    return user


VISITOR_PAGES: dict[str, Callable[[User], str]] = {
    "programs:list": lambda u: reverse("programs:list"),
    "programs:detail": lambda u: reverse("programs:detail", args=[MOSCOW]),
    "accounts:login": lambda u: reverse("accounts:login"),
    "accounts:signup": lambda u: reverse("accounts:signup"),
    "accounts:password-reset": lambda u: reverse("accounts:password-reset"),
    "accounts:password-reset-done": lambda u: reverse("accounts:password-reset-done"),
    "accounts:password-reset-confirm (a damaged link)": lambda u: reverse(
        "accounts:password-reset-confirm", args=["MQ", "damaged-token"]
    ),
    "accounts:password-reset-complete": lambda u: reverse("accounts:password-reset-complete"),
    "accounts:unsubscribe": lambda u: reverse(
        "accounts:unsubscribe",
        args=[unsubscribe_token(user=u, kind=Notification.Kind.DEADLINE_REMINDER)],
    ),
    "accounts:verify": lambda u: verification_path(u),
}


@pytest.mark.parametrize("language", ["zh-hant", "ru"])
@pytest.mark.parametrize("page", VISITOR_PAGES)
def test_a_visitors_pages_are_in_their_language(
    demo: None, reader: User, language: str, page: str
) -> None:
    client = Client(headers={"accept-language": language})
    check(client, VISITOR_PAGES[page](reader))


@pytest.mark.parametrize("language", ["zh-hant", "ru"])
def test_the_password_reset_form_is_in_the_visitors_language(reader: User, language: str) -> None:
    client = Client(headers={"accept-language": language})
    link = reverse(
        "accounts:password-reset-confirm",
        args=[
            urlsafe_base64_encode(force_bytes(reader.pk)),
            default_token_generator.make_token(reader),
        ],
    )
    # Django moves the token into the session and the link to ".../set-password/".
    response = client.get(link)
    assert response.status_code == 302
    check(client, response["Location"])


@pytest.mark.parametrize("language", ["zh-hant", "ru"])
@pytest.mark.parametrize(
    ("link", "status"),
    [
        (lambda: reverse("accounts:unsubscribe", args=["damaged"]), 400),
        (lambda: reverse("accounts:verify", args=["MQ", "damaged-token"]), 400),
    ],
    ids=["accounts:unsubscribe", "accounts:verify"],
)
def test_a_damaged_link_is_explained_in_the_visitors_language(
    db: None, language: str, link: Callable[[], str], status: int
) -> None:
    check(Client(headers={"accept-language": language}), link(), status=status)


def _used(world: VendorWorld) -> Invitation:
    """The vendor's invitation, accepted, after which the vendor left that team."""
    user = owner_of(world.company)
    membership = services.invitation_accept(invitation=world.invited, user=user)
    services.membership_remove(membership=membership, user=user)
    return world.invited


def _someone_elses(world: VendorWorld) -> Invitation:
    company = world.invited.company
    return services.invitation_create(
        company=company, user=owner_of(company), email="someone-else@mobility.tw"
    )


@pytest.mark.parametrize("invitation", [_used, _someone_elses], ids=["used", "someone else's"])
def test_an_invitation_link_that_does_not_work_is_explained_in_chinese(
    vendor_world: VendorWorld, invitation: Callable[[VendorWorld], Invitation]
) -> None:
    token = invitation_token(invitation(vendor_world))
    check(vendor_world.client, reverse("companies:invitation-accept", args=[token]), status=404)


# --- every page ----------------------------------------------------------------------------------

# Routes with no page of their own for these readers, and why.
NOT_PAGES: dict[str, str] = {
    "home": "a redirect to the programs",
    "set_language": "POST only: the language menu's form",
    "api-schema": "the API's OpenAPI schema, for integrators",
    "api-docs": "the API's reference (Redoc), for integrators",
    "accounts:logout": "POST only (Django's LogoutView)",
    "accounts:resend-verification": "POST only: mails a new link, back to the page that asked",
    "accounts:calendar-feed": "an iCalendar feed",
    "accounts:calendar-reset": "POST only: a new feed address, back to the profile",
    "accounts:follow": "POST only: follows a program, back to its page",
    "programs:calendar": "an iCalendar file",
    "companies:document-download": "the PDF itself, as an attachment",
    "staff:applications-export": "a CSV file",
    "staff:application-document": "the applicant's PDF, as an attachment",
}

# Django's admin is for the platform's operators; the API answers JSON.
NOT_PAGE_NAMESPACES = ("admin:", "api:")


def _route(page: str) -> str:
    return page.split(" ")[0]


def test_every_html_page_is_covered() -> None:
    covered = {
        *COMPANY_SECTIONS,
        *(f"staff:{page}" for page in STAFF_PROGRAM_PAGES),
        *(_route(page) for page in (*VENDOR_PAGES, *STAFF_PAGES, *VISITOR_PAGES)),
        "accounts:verification-needed",
    }
    routes = {name for name in all_routes() if not name.startswith(NOT_PAGE_NAMESPACES)}

    assert routes - covered - set(NOT_PAGES) == set(), "New pages: fetch them in this file."
    assert (covered | set(NOT_PAGES)) - routes == set(), "These routes no longer exist."
    assert covered & set(NOT_PAGES) == set()


def test_the_scan_finds_english_left_in_a_page() -> None:
    with translation.override("ru"):
        assert english_left("<p>Сохранить</p><p>Save your profile now</p>") == [
            "Save your profile now"
        ]
