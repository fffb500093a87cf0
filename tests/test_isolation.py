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
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from applicants.invitations import invitation_token
from applicants.models import PartnershipRequest, User
from applicants.services import api_token_issue, company_create
from programs.models import StaffMembership
from tests.factories import AgencyFactory
from tests.urlconf import Route, all_routes
from tests.vendors import Vendor, database_snapshot, make_user, make_vendor

pytestmark = pytest.mark.django_db

# --- the tables ----------------------------------------------------------------------------------

# URL name → {URL argument: the vendor object it names}. "company" is the object the others
# belong to; the rest are a Tenant's attributes below.
VENDOR_OBJECT_ROUTES: dict[str, dict[str, str]] = {
    "api:company-detail": {"id": "company"},
    "api:company-matches": {"id": "company"},
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
}

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
    "accounts:verify": "a signed one-time link for the account it was mailed to",
    "accounts:password-reset-confirm": "Django's signed one-time reset link",
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
    known = set(VENDOR_OBJECT_ROUTES) | set(NOT_VENDOR_OBJECTS)

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
        if database_snapshot() != before:
            problems.append(f"{method} changed the database")
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
        if database_snapshot() != before:
            problems.append(f"{method} changed the database")
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
