"""Tenant isolation, generated from the URLconf: another vendor's objects answer 404 everywhere.

Every route that takes an argument (an id, a slug, a token) is found by walking the URLconf, and
must be in one of two tables below: ``VENDOR_OBJECT_ROUTES`` says how to point it at vendor A's
objects, ``NOT_VENDOR_OBJECTS`` says why it addresses nothing a vendor owns. A new view with an
argument fails ``test_every_route_with_an_argument_is_in_a_table`` until someone decides which it
is, so no object URL ships without these checks.

For each vendor object route and every method (GET, POST, PUT, PATCH, DELETE):
- vendor B, and agency staff, asking for A's object get 404, or 405 when nobody may use that
  method there; and the database is exactly as before;
- B asking through B's own company for A's partner, document, colleague or invitation gets the
  same (the classic "my company id, your child id" hole);
- anonymous clients get 401 from the API and a redirect to the login page from the site.
The table is checked against the rightful user, who must reach each object: a wrong fill would
otherwise make every 404 above pass for the wrong reason.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from applicants.applications import application_start
from applicants.invitations import invitation_token
from applicants.models import Application, Company, Document, PartnershipRequest, Review, User
from applicants.services import api_token_issue, company_create, document_upload
from programs.models import (
    Agency,
    Criterion,
    Program,
    Requirement,
    RequirementGroup,
    StaffMembership,
)
from programs.reviews import review_assign, review_criteria
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion
from tests.staff import make_company, make_staff, owner_of
from tests.staff import submit as staff_submit
from tests.urlconf import Route, all_routes
from tests.vendors import (
    TINY_PDF,
    Vendor,
    changed_tables,
    database_snapshot,
    make_user,
    make_vendor,
    table_rows,
)

pytestmark = pytest.mark.django_db

# --- the tables ----------------------------------------------------------------------------------

# URL name → {URL argument: the vendor object it names}. "company" is the object the others
# belong to; the rest are a Tenant's attributes below.
VENDOR_OBJECT_ROUTES: dict[str, dict[str, str]] = {
    "api:company-detail": {"id": "company"},
    "api:company-matches": {"id": "company"},
    "api:application-detail": {"id": "application"},
    "api:application-submit": {"id": "application"},
    "api:application-withdraw": {"id": "application"},
    "companies:identity": {"pk": "company"},
    "companies:offering": {"pk": "company"},
    "companies:partners": {"pk": "company"},
    "companies:partner-edit": {"pk": "company", "partner_pk": "partner"},
    "companies:partner-delete": {"pk": "company", "partner_pk": "partner"},
    "companies:documents": {"pk": "company"},
    "companies:document-download": {"pk": "company", "document_pk": "document"},
    "companies:document-delete": {"pk": "company", "document_pk": "document"},
    "companies:visibility": {"pk": "company"},
    "companies:team": {"pk": "company"},
    "companies:member-remove": {"pk": "company", "membership_pk": "membership"},
    "companies:invitation-cancel": {"pk": "company", "invitation_pk": "invitation"},
    "companies:preview": {"pk": "company"},
    "companies:matches": {"pk": "company"},
    "companies:partnership-requests": {"pk": "company"},
    "companies:partnership-respond": {"pk": "company", "request_pk": "partnership_request"},
    "companies:invitation-accept": {"token": "invitation_token"},
    "companies:applications": {"pk": "company"},
    "companies:application": {"pk": "company", "application_pk": "application"},
    "companies:application-withdraw": {"pk": "company", "application_pk": "application"},
}

# Routes that only act (POST): the rightful user reaches their object with a POST, which must
# answer the action's result or its refusal, not 404 or 405.
ACTION_ROUTES = frozenset({"api:application-submit", "api:application-withdraw"})

# Who may rightfully reach a route's object; the company's owner unless named here.
RIGHTFUL_USER: dict[str, str] = {
    # An invitation is for the address it was sent to, not for the team that sent it.
    "companies:invitation-accept": "invitee",
}

# URL name → why its argument names nothing a vendor owns.
NOT_VENDOR_OBJECTS: dict[str, str] = {
    "programs:detail": "a published program of the public catalog, by slug",
    "api:program-detail": "a published program of the public catalog, by slug",
    "api:program-eligibility": "an anonymous check against a published program",
    "api:program-ocds": "a published program as open data, public like its page",
    "accounts:verify": "a signed one-time link for the account it was mailed to",
    "accounts:password-reset-confirm": "Django's signed one-time reset link",
    "accounts:unsubscribe": "a signed link that names its own user and kind of mail, for mail "
    "clients without a session (tested in tests/applicants/test_preferences.py)",
    "companies:apply": "a published program by slug; the company is chosen in the form, among "
    "the user's own (tested in tests/applicants/test_application_views.py)",
    "programs:calendar": "a published program's deadlines, public like its page",
    "accounts:calendar-feed": "a secret feed address, the token its only credential (tested in "
    "tests/applicants/test_calendar.py)",
    "accounts:follow": "a published program by slug, followed by the signed-in user alone "
    "(tested in tests/applicants/test_follows.py)",
}

# Django's admin is for platform operators; its own staff check guards every URL (see
# test_the_admin_sends_a_vendor_to_its_login_page), and its routes are generated per model.
EXCLUDED_NAMESPACES = ("admin:",)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# What a hostile client sends: valid-looking writes, so a view that leaked would change something.
API_BODY = {"legal_name": "Taken over", "discoverable": True, "partners": []}
FORM_BODY = {
    "legal_name": "Taken over",
    "country": "RU",
    "name": "Taken over",
    "email": "attacker@example.com",
    "role": "owner",
    "discoverable": "on",
    "description": "Taken over",
    "confirm": "yes",
}


# --- the URLconf ---------------------------------------------------------------------------------


def routes_with_arguments() -> dict[str, Route]:
    """Every route of the URLconf whose URL carries an argument, outside the admin."""
    return {
        name: route
        for name, route in all_routes().items()
        if (route.arguments or route.positional) and not name.startswith(EXCLUDED_NAMESPACES)
    }


def test_every_route_with_an_argument_is_in_a_table() -> None:
    discovered = set(routes_with_arguments())
    known = set(VENDOR_OBJECT_ROUTES) | set(NOT_VENDOR_OBJECTS) | set(STAFF_OBJECT_ROUTES)

    assert discovered - known == set(), (
        "New routes take an argument: add each to VENDOR_OBJECT_ROUTES (how to point it at "
        "vendor A's object) or to NOT_VENDOR_OBJECTS (why it names nothing a vendor owns)."
    )
    assert known - discovered == set(), "These table entries name routes that no longer exist."


def test_the_tables_do_not_overlap() -> None:
    assert set(VENDOR_OBJECT_ROUTES) & set(NOT_VENDOR_OBJECTS) == set()


@pytest.mark.parametrize("name", sorted(VENDOR_OBJECT_ROUTES))
def test_the_table_fills_every_argument_of_the_route(name: str) -> None:
    route = routes_with_arguments()[name]

    assert not route.positional
    assert set(VENDOR_OBJECT_ROUTES[name]) == route.arguments


def test_the_walk_finds_routes_inside_includes() -> None:
    # Guards the walk: without recursion or namespaces it would find nothing to check.
    routes = routes_with_arguments()

    assert routes["api:company-detail"].arguments == {"id"}
    assert routes["programs:detail"].arguments == {"slug"}


# --- the tenants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """A vendor's objects, as URL arguments name them."""

    vendor: Vendor

    def __getattr__(self, name: str) -> Any:
        return getattr(self.vendor, name)

    @property
    def invitation_token(self) -> str:
        return invitation_token(self.vendor.invitation)

    @property
    def application(self) -> Application:
        """The company's draft application (see ``world``)."""
        return Application.objects.get(company=self.vendor.company)

    @property
    def partnership_request(self) -> PartnershipRequest:
        """The request another company sent this one (see ``world``)."""
        return PartnershipRequest.objects.get(to_company=self.vendor.company)


@dataclass(frozen=True)
class World:
    a: Tenant
    b: Tenant
    invitee: User
    staff: User


@pytest.fixture(autouse=True)
def _media_and_fast_passwords(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world() -> World:
    a = Tenant(make_vendor("Acme"))
    b = Tenant(make_vendor("Globex", country="DE"))
    # Each is asked to partner by a third company, so the request names neither of them: a
    # request from B would be B's to see as its sender.
    for tenant in (a, b):
        suitor = company_create(
            user=make_user(f"suitor@{tenant.company.pk}.example"),
            legal_name=f"Suitor of {tenant.company.legal_name}",
            country="RU",
        )
        PartnershipRequest.objects.create(from_company=suitor, to_company=tenant.company)
    # Each has a draft application to an open program.
    program = ProgramFactory()
    StageFactory(program=program, order=0)
    for tenant in (a, b):
        application_start(company=tenant.company, user=tenant.vendor.user, program=program)
    invitee = make_user(a.vendor.invitation.email)
    staff = make_user("reviewer@agency.example")
    StaffMembership.objects.create(
        user=staff, agency=AgencyFactory(), role=StaffMembership.Role.REVIEWER
    )
    return World(a, b, invitee, staff)


def url(name: str, owner: Tenant, child_owner: Tenant | None = None) -> str:
    """``name`` pointed at ``owner``'s objects; with ``child_owner``, at ``owner``'s company but
    ``child_owner``'s partner, document, colleague or invitation."""
    arguments = {}
    for argument, attribute in VENDOR_OBJECT_ROUTES[name].items():
        tenant = owner if attribute == "company" or child_owner is None else child_owner
        value = getattr(tenant, attribute)
        arguments[argument] = getattr(value, "pk", value)
    return reverse(name, kwargs=arguments)


def client_for(user: AbstractBaseUser | None, *, api: bool) -> Client:
    """A signed-in client: by token for the API (as integrators are), by session for pages."""
    client: Client
    if api:
        client = APIClient()
        if user is not None:
            assert isinstance(user, User)
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
    else:
        client = Client()
        if user is not None:
            client.force_login(user)
    return client


def send(client: Client, method: str, path: str, *, api: bool) -> Any:
    if method == "GET":
        return client.get(path)
    if api:
        return client.generic(method, path, json.dumps(API_BODY), "application/json")
    return client.generic(method, path, urlencode(FORM_BODY), "application/x-www-form-urlencoded")


def rightful_user(name: str, world: World) -> User:
    return world.invitee if RIGHTFUL_USER.get(name) == "invitee" else world.a.vendor.user


def check_refused(name: str, world: World, intruder: User, path: str) -> list[str]:
    """Sends every method as ``intruder``; returns what went wrong, empty when nothing did."""
    api = name.startswith("api:")
    client = client_for(intruder, api=api)
    problems = []
    for method in METHODS:
        before = database_snapshot()
        status = send(client, method, path, api=api).status_code
        if changes := changed_tables(before, database_snapshot()):
            problems.append(f"{method} changed the database: {changes}")
        if status == 405:
            # Only where nobody may use the method: the rightful user is told the same.
            rightful = client_for(rightful_user(name, world), api=api)
            if send(rightful, method, path, api=api).status_code != 405:
                problems.append(f"{method} answered 405, not 404, though the method is allowed")
        elif status != 404:
            problems.append(f"{method} answered {status}")
    return problems


# --- the checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VENDOR_OBJECT_ROUTES))
def test_the_rightful_user_reaches_the_object_each_route_is_pointed_at(
    world: World, name: str
) -> None:
    api = name.startswith("api:")
    client = client_for(rightful_user(name, world), api=api)

    if name in ACTION_ROUTES:
        response = client.post(url(name, world.a), {}, format="json")
        assert response.status_code in (200, 400)
    else:
        response = client.get(url(name, world.a))
        assert response.status_code == 200


@pytest.mark.parametrize("role", ["vendor", "staff"])
@pytest.mark.parametrize("name", sorted(VENDOR_OBJECT_ROUTES))
def test_another_tenant_gets_404_on_every_method_and_changes_nothing(
    world: World, name: str, role: str
) -> None:
    intruder = world.b.vendor.user if role == "vendor" else world.staff

    assert check_refused(name, world, intruder, url(name, world.a)) == []


CHILD_ROUTES = sorted(
    name
    for name, arguments in VENDOR_OBJECT_ROUTES.items()
    if "company" in arguments.values() and len(arguments) > 1
)


@pytest.mark.parametrize("name", CHILD_ROUTES)
def test_a_vendor_cannot_reach_anothers_objects_through_its_own_company(
    world: World, name: str
) -> None:
    path = url(name, world.b, child_owner=world.a)

    assert check_refused(name, world, world.b.vendor.user, path) == []


@pytest.mark.parametrize("name", sorted(VENDOR_OBJECT_ROUTES))
def test_anonymous_clients_are_sent_to_sign_in_and_change_nothing(world: World, name: str) -> None:
    api = name.startswith("api:")
    client = client_for(None, api=api)
    path = url(name, world.a)
    login = resolve_url(settings.LOGIN_URL)
    problems = []

    for method in METHODS:
        before = database_snapshot()
        response = send(client, method, path, api=api)
        if changes := changed_tables(before, database_snapshot()):
            problems.append(f"{method} changed the database: {changes}")
        if api and response.status_code != 401:
            problems.append(f"{method} answered {response.status_code}, not 401")
        if not api and not (
            response.status_code == 302 and response["Location"].startswith(f"{login}?next=")
        ):
            problems.append(f"{method} answered {response.status_code}, not a login redirect")

    assert problems == []


def test_the_api_tells_a_stranger_nothing_it_would_not_tell_about_a_missing_company(
    world: World,
) -> None:
    client = client_for(world.b.vendor.user, api=True)

    someone_elses = client.get(url("api:company-detail", world.a))
    missing = client.get(reverse("api:company-detail", kwargs={"id": 999_999}))

    assert (someone_elses.status_code, someone_elses.content) == (404, missing.content)


def test_the_admin_sends_a_vendor_to_its_login_page(world: World) -> None:
    client = client_for(world.b.vendor.user, api=False)
    path = reverse("admin:applicants_user_change", args=[world.a.vendor.user.pk])

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- staff routes --------------------------------------------------------------------------------
#
# Every staff route (the workspace ``staff:``, the rule builder ``rules:``, the staff API
# ``api:staff-``) is in one of two tables. ``STAFF_OBJECT_ROUTES`` says how to point a route at
# Taipei's objects; ``STAFF_ROUTES_WITHOUT_OBJECTS`` lists the pages of one's own workspace. For
# every route and method: Moscow's staff (admin or reviewer) asking for Taipei's objects get 404
# (405 only where Taipei's own staff get it too) and change nothing; a vendor — even the
# applicant's owner — gets 403; anonymous clients are sent to sign in (401 from the API).

# URL name → {URL argument: the attribute of a StaffTenant it names}.
STAFF_OBJECT_ROUTES: dict[str, dict[str, str]] = {
    "staff:dashboard": {"slug": "program"},
    "staff:settings": {"slug": "program"},
    "staff:texts": {"slug": "program"},
    "staff:matches": {"slug": "program"},
    "staff:match-invite": {"slug": "program", "company_pk": "prospect"},
    "staff:applications": {"slug": "program"},
    "staff:applications-export": {"slug": "program"},
    "staff:application": {"slug": "program", "pk": "application"},
    "staff:application-document": {
        "slug": "program",
        "pk": "application",
        "document_pk": "document",
    },
    "staff:application-advance": {"slug": "program", "pk": "application"},
    "staff:application-decline": {"slug": "program", "pk": "application"},
    "staff:application-note": {"slug": "program", "pk": "application"},
    "staff:application-assign": {"slug": "program", "pk": "application"},
    "staff:review": {"slug": "program", "pk": "review"},
    "staff:review-abstain": {"slug": "program", "pk": "review"},
    "api:staff-program-applications": {"slug": "program"},
    "api:staff-program-matches": {"slug": "program"},
    "rules:list": {"slug": "program"},
    "rules:criterion-add": {"slug": "program"},
    "rules:criterion-edit": {"slug": "program", "criterion_pk": "criterion"},
    "rules:criterion-delete": {"slug": "program", "criterion_pk": "criterion"},
    "rules:group-add": {"slug": "program", "criterion_pk": "criterion"},
    "rules:group-delete": {"slug": "program", "group_pk": "group"},
    "rules:requirement-add": {"slug": "program", "group_pk": "group"},
    "rules:requirement-edit": {"slug": "program", "requirement_pk": "requirement"},
    "rules:requirement-delete": {"slug": "program", "requirement_pk": "requirement"},
    "staff:team": {"agency": "agency"},
    "staff:team-role": {"agency": "agency", "pk": "membership"},
    "staff:team-remove": {"agency": "agency", "pk": "membership"},
    "staff:history": {"slug": "program"},
    "staff:team-history": {"agency": "agency"},
}

# The staff member's own workspace: vendors get 403; other agencies' staff see only their own.
STAFF_ROUTES_WITHOUT_OBJECTS = ("staff:home", "staff:reviews")

# A review is its reviewer's; every other route is the agency admin's.
STAFF_RIGHTFUL_REVIEWER = frozenset({"staff:review", "staff:review-abstain"})

# What an agency admin alone may do: a reviewer of the same agency gets 403 and changes nothing.
STAFF_ADMIN_ONLY = frozenset(
    {
        "staff:settings",
        "staff:texts",
        "staff:match-invite",
        "staff:application-advance",
        "staff:application-decline",
        "staff:application-note",
        "staff:application-assign",
        "staff:team",
        "staff:team-role",
        "staff:team-remove",
        "staff:history",
        "staff:team-history",
        # The rule builder, every page of it.
        *(name for name in STAFF_OBJECT_ROUTES if name.startswith("rules:")),
    }
)


def is_staff_route(name: str) -> bool:
    return name.startswith(("staff:", "rules:", "api:staff-"))


def test_every_staff_route_is_in_a_staff_table() -> None:
    discovered = {name for name in all_routes() if is_staff_route(name)}
    known = set(STAFF_OBJECT_ROUTES) | set(STAFF_ROUTES_WITHOUT_OBJECTS)

    assert discovered - known == set(), (
        "New staff routes: add each to STAFF_OBJECT_ROUTES (how to point it at Taipei's "
        "objects) or to STAFF_ROUTES_WITHOUT_OBJECTS (a page of one's own workspace)."
    )
    assert known - discovered == set(), "These staff table entries name routes that do not exist."


def test_a_staff_route_left_out_of_the_tables_fails_the_check(monkeypatch: Any) -> None:
    # Guards the check above: a new staff view nobody put in a table cannot ship unchecked.
    monkeypatch.delitem(STAFF_OBJECT_ROUTES, "staff:application-advance")

    with pytest.raises(AssertionError, match="New staff routes"):
        test_every_staff_route_is_in_a_staff_table()


def test_the_staff_and_vendor_tables_do_not_overlap() -> None:
    assert set(STAFF_OBJECT_ROUTES) & (set(VENDOR_OBJECT_ROUTES) | set(NOT_VENDOR_OBJECTS)) == set()


@pytest.mark.parametrize("name", sorted(STAFF_OBJECT_ROUTES))
def test_the_staff_table_fills_every_argument_of_the_route(name: str) -> None:
    route = all_routes()[name]

    assert not route.positional
    assert set(STAFF_OBJECT_ROUTES[name]) == route.arguments


@dataclass(frozen=True)
class StaffTenant:
    """An agency, its staff, a program with rules, and what its routes name: an application
    with a document and a review, and a company that fits but has not applied."""

    admin: User
    reviewer: User
    program: Program
    application: Application
    document: Document
    review: Review
    prospect: Company
    criterion: Criterion
    group: RequirementGroup
    requirement: Requirement

    @property
    def agency(self) -> Agency:
        return self.program.owner

    @property
    def membership(self) -> StaffMembership:
        """The reviewer's place in the agency's team."""
        return StaffMembership.objects.get(user=self.reviewer, agency=self.agency)

    def value(self, attribute: str) -> Any:
        target = getattr(self, attribute)
        return target.slug if attribute in ("program", "agency") else target.pk


@dataclass(frozen=True)
class StaffWorld:
    taipei: StaffTenant
    moscow: StaffTenant
    vendor: User  # the owner of the company that applied to Taipei's program


_CITIES = {"taipei": ("TW", "Asia/Taipei"), "moscow": ("RU", "Europe/Moscow")}


def _staff_program(city: str) -> Program:
    country, zone = _CITIES[city]
    agency = AgencyFactory(
        slug=f"{city}-agency",
        name=f"{city.title()} Agency",
        city=city.title(),
        country=country,
        time_zone=zone,
    )
    program = ProgramFactory(slug=f"{city}-pilots", title=f"{city.title()} pilots", owner=agency)
    StageFactory(program=program, order=0, name="Proof of concept")
    StageFactory(program=program, order=1, name="Pilot")
    add_criterion(
        program, label="Works in mobility", groups=[[("sectors", "overlaps", ["mobility"])]]
    )
    add_criterion(
        program,
        label="Ready",
        kind=Criterion.Kind.AWARD,
        weight=2,
        groups=[[("trl", "gte", 6)]],
    )
    return program


def _staff_tenant(program: Program) -> StaffTenant:
    city = program.owner.city.lower()
    admin = make_staff(f"admin@{city}.example", program.owner)
    reviewer = make_staff(f"reviewer@{city}.example", program.owner, StaffMembership.Role.REVIEWER)
    applicant = make_company(f"{program.owner.city} Mobility", owner=f"owner@{city}-mobility.test")
    document = document_upload(
        company=applicant,
        user=owner_of(applicant),
        kind=Document.Kind.PITCH_DECK,
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", TINY_PDF, content_type="application/pdf"),
    )
    application = staff_submit(applicant, program)
    criterion = program.criteria.get(kind=Criterion.Kind.GATE)
    group = criterion.groups.get()
    return StaffTenant(
        admin=admin,
        reviewer=reviewer,
        program=program,
        application=application,
        document=document,
        review=review_assign(application=application, reviewer=reviewer, assigned_by=admin),
        prospect=make_company(
            f"{program.owner.city} Prospect", owner=f"owner@{city}-prospect.test"
        ),
        criterion=criterion,
        group=group,
        requirement=group.requirements.get(),
    )


@pytest.fixture
def staff_world() -> StaffWorld:
    # Both programs first, so that each company is scored against both.
    taipei, moscow = _staff_program("taipei"), _staff_program("moscow")
    tenant = _staff_tenant(taipei)
    return StaffWorld(
        taipei=tenant, moscow=_staff_tenant(moscow), vendor=owner_of(tenant.application.company)
    )


def staff_url(name: str, tenant: StaffTenant) -> str:
    """``name`` pointed at ``tenant``'s objects (a route without objects takes none)."""
    arguments = STAFF_OBJECT_ROUTES.get(name, {})
    return reverse(
        name, kwargs={arg: tenant.value(attribute) for arg, attribute in arguments.items()}
    )


def staff_rightful(name: str, tenant: StaffTenant) -> User:
    return tenant.reviewer if name in STAFF_RIGHTFUL_REVIEWER else tenant.admin


def staff_snapshot() -> dict[str, list[dict[str, Any]]]:
    """``database_snapshot`` plus the catalog's and the matcher's tables (rules, stages,
    invitations to apply, matches): everything a staff route could change."""
    models = [
        *apps.get_app_config("programs").get_models(),
        *apps.get_app_config("matchmaker").get_models(),
    ]
    return {**database_snapshot(), **table_rows(models)}


def test_a_snapshot_reads_the_same_rows_whatever_the_active_language(
    staff_world: StaffWorld,
) -> None:
    # A request leaves its language active; a snapshot taken before it must not differ from one
    # taken after only because of that.
    with translation.override("ru"):
        in_russian = staff_snapshot()

    assert staff_snapshot() == in_russian


def staff_form_body(tenant: StaffTenant) -> dict[str, Any]:
    """A POST that would succeed on each staff form of ``tenant``'s objects if the view let it
    through: a decision on the stage the application is at, a reviewer, scores, a rule."""
    keys = [criterion.key for criterion in review_criteria(tenant.program)]
    return {
        "stage": tenant.application.stage_id,
        "note": "Taken over",
        "reason": "Taken over",
        "comment": "Taken over",
        "reviewers": [tenant.admin.pk],
        **{f"score_{key}": 10 for key in keys},
        "label": "Taken over",
        "kind": "gate",
        "weight": "1",
        "fact": "trl",
        "operator": "gte",
        "value": "1",
        # The rule builder's requirement fields carry a prefix.
        "requirement-fact": "trl",
        "requirement-operator": "gte",
        "requirement-value": "1",
        "action": "save",
        "confirm": "yes",
    }


def staff_send(client: Client, method: str, path: str, *, api: bool, body: dict[str, Any]) -> Any:
    if method == "GET":
        return client.get(path)
    if api:
        return client.generic(method, path, json.dumps(API_BODY), "application/json")
    return client.generic(
        method, path, urlencode(body, doseq=True), "application/x-www-form-urlencoded"
    )


def check_staff_route(
    name: str, world: StaffWorld, intruder: User | None, *, expected: int
) -> list[str]:
    """Sends every method to ``name`` pointed at Taipei's objects as ``intruder`` (None:
    anonymous); returns what went wrong. 405 passes where Taipei's own staff get it too."""
    api = name.startswith("api:")
    path = staff_url(name, world.taipei)
    body = staff_form_body(world.taipei)
    client = client_for(intruder, api=api)
    problems = []
    for method in METHODS:
        before = staff_snapshot()
        response = staff_send(client, method, path, api=api, body=body)
        if changes := changed_tables(before, staff_snapshot()):
            problems.append(f"{method} changed the database: {changes}")
        if mail.outbox:
            problems.append(f"{method} sent mail")
        status = response.status_code
        if intruder is None and not api:
            login = resolve_url(settings.LOGIN_URL)
            if not (status == 302 and response["Location"].startswith(f"{login}?next=")):
                problems.append(f"{method} answered {status}, not a login redirect")
            continue
        if status == 405 and expected == 404:
            rightful = client_for(staff_rightful(name, world.taipei), api=api)
            if (
                staff_send(
                    rightful, "GET" if method == "HEAD" else method, path, api=api, body={}
                ).status_code
                != 405
            ):
                problems.append(f"{method} answered 405, not 404, though the method is allowed")
        elif status != expected:
            problems.append(f"{method} answered {status}, not {expected}")
    return problems


@pytest.mark.parametrize("name", sorted(STAFF_OBJECT_ROUTES))
def test_the_programs_own_staff_reach_each_staff_route(staff_world: StaffWorld, name: str) -> None:
    # Guards the table: a wrong fill would make every 404 below pass for the wrong reason.
    api = name.startswith("api:")
    client = client_for(staff_rightful(name, staff_world.taipei), api=api)

    response = client.get(staff_url(name, staff_world.taipei))

    assert response.status_code == 200


@pytest.mark.parametrize("role", ["admin", "reviewer"])
@pytest.mark.parametrize("name", sorted(STAFF_OBJECT_ROUTES))
def test_another_agencys_staff_get_404_on_every_method_and_change_nothing(
    staff_world: StaffWorld, name: str, role: str
) -> None:
    intruder = getattr(staff_world.moscow, role)

    assert check_staff_route(name, staff_world, intruder, expected=404) == []


@pytest.mark.parametrize("name", sorted(STAFF_OBJECT_ROUTES) + list(STAFF_ROUTES_WITHOUT_OBJECTS))
def test_a_vendor_gets_403_on_every_staff_route_and_method(
    staff_world: StaffWorld, name: str
) -> None:
    assert check_staff_route(name, staff_world, staff_world.vendor, expected=403) == []


@pytest.mark.parametrize("name", sorted(STAFF_OBJECT_ROUTES) + list(STAFF_ROUTES_WITHOUT_OBJECTS))
def test_anonymous_clients_are_sent_to_sign_in_from_every_staff_route(
    staff_world: StaffWorld, name: str
) -> None:
    expected = 401 if name.startswith("api:") else 302

    assert check_staff_route(name, staff_world, None, expected=expected) == []


@pytest.mark.parametrize("name", sorted(STAFF_ADMIN_ONLY))
def test_a_reviewer_gets_403_on_an_admin_action_and_changes_nothing(
    staff_world: StaffWorld, name: str
) -> None:
    client = client_for(staff_world.taipei.reviewer, api=False)
    path = staff_url(name, staff_world.taipei)
    before = staff_snapshot()

    statuses = {
        method: staff_send(
            client, method, path, api=False, body=staff_form_body(staff_world.taipei)
        ).status_code
        for method in ("GET", "POST")
    }

    assert statuses == {"GET": 403, "POST": 403}
    assert staff_snapshot() == before


@pytest.mark.parametrize("name", STAFF_ROUTES_WITHOUT_OBJECTS)
def test_another_agencys_staff_see_nothing_of_taipei_on_their_own_pages(
    staff_world: StaffWorld, name: str
) -> None:
    client = client_for(staff_world.moscow.admin, api=False)
    own = client_for(staff_world.taipei.reviewer, api=False)

    theirs = client.get(reverse(name)).content.decode()
    taipeis = own.get(reverse(name)).content.decode()

    # Taipei's program, its applicant and its prospect
    for taipei_name in ("Taipei pilots", "Taipei Mobility", "Taipei Prospect"):
        assert taipei_name not in theirs
    assert "Moscow pilots" in theirs or name == "staff:reviews"
    assert "Taipei" in taipeis  # the check above could not pass for want of content
