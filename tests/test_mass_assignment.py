"""Mass assignment: no company endpoint lets a vendor write what the system owns.

System fields (ids, versions, declarations, roles, memberships, timestamps, verification) and
anything belonging to another company are refused with a 400 naming the field, and the request
changes nothing, not even the valid fields sent with it.
"""

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from applicants.models import Company, CompanyMembership
from tests.urlconf import all_routes
from tests.vendors import Vendor, add_member, database_snapshot, make_vendor

pytestmark = pytest.mark.django_db

LIST = "/api/v1/companies/"

# The company API's write operations. A new one must be added here, and so checked below.
WRITE_ENDPOINTS = {("api:company-list", "POST"), ("api:company-detail", "PATCH")}

READ_ONLY = "This field is read-only."

# Fields a company's representation shows but only the system writes.
SHOWN_SYSTEM_FIELDS: dict[str, Any] = {
    "id": 424242,
    "profile_version": 99,
    "partners_declared": False,
    "role": "owner",
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
}
# Fields it does not show at all: refused as unknown. DESIGN §12 names status, score,
# eligibility and agency; the rest are the models' own system fields.
HIDDEN_SYSTEM_FIELDS: dict[str, Any] = {
    "memberships": [{"user": 1, "role": "owner"}],
    "members": ["intruder@example.com"],
    "owner": 1,
    "user": 1,
    "scored_profile_version": 99,
    "email_verified_at": "2000-01-01T00:00:00Z",
    "verified": True,
    "status": "accepted",
    "score": 100,
    "eligibility": "eligible",
    "agency": 1,
    "pk": 1,
}


@pytest.fixture(autouse=True)
def _media_and_fast_passwords(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def acme() -> Vendor:
    return make_vendor("Acme")


@pytest.fixture
def globex() -> Vendor:
    return make_vendor("Globex", country="DE")


def detail(company: Company) -> str:
    return f"/api/v1/companies/{company.pk}/"


def test_the_checks_below_cover_every_company_write_endpoint() -> None:
    endpoints = {
        (name, method)
        for name, route in all_routes().items()
        if name.startswith("api:company")
        for method in route.methods() & {"POST", "PUT", "PATCH"}
    }

    assert endpoints == WRITE_ENDPOINTS


@pytest.mark.parametrize("field", sorted(SHOWN_SYSTEM_FIELDS))
def test_a_shown_system_field_is_refused_as_read_only_in_a_change(acme: Vendor, field: str) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.patch(
        detail(acme.company),
        {"legal_name": "Renamed", "trl": 9, field: SHOWN_SYSTEM_FIELDS[field]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {field: [READ_ONLY]}
    assert database_snapshot() == before


@pytest.mark.parametrize("field", sorted(HIDDEN_SYSTEM_FIELDS))
def test_a_hidden_system_field_is_refused_as_unknown_in_a_change(acme: Vendor, field: str) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.patch(
        detail(acme.company),
        {"legal_name": "Renamed", field: HIDDEN_SYSTEM_FIELDS[field]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith("Unknown field.")
    assert database_snapshot() == before


@pytest.mark.parametrize("field", sorted({**SHOWN_SYSTEM_FIELDS, **HIDDEN_SYSTEM_FIELDS}))
def test_a_system_field_is_refused_by_name_in_a_registration(acme: Vendor, field: str) -> None:
    client = acme.api()
    before = database_snapshot()
    value = {**SHOWN_SYSTEM_FIELDS, **HIDDEN_SYSTEM_FIELDS}[field]

    response = client.post(
        LIST, {"legal_name": "New Co", "country": "TW", field: value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert database_snapshot() == before


def test_a_registration_cannot_take_over_an_existing_company_by_its_id(
    acme: Vendor, globex: Vendor
) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.post(
        LIST,
        {"id": globex.company.pk, "legal_name": "Globex Ltd", "country": "DE"},
        format="json",
    )

    assert response.status_code == 400
    assert database_snapshot() == before


def test_a_member_cannot_make_themselves_owner(acme: Vendor) -> None:
    member = add_member(acme.company, "ambitious@example.com")
    client = APIClient()
    client.force_authenticate(member)

    response = client.patch(detail(acme.company), {"role": "owner"}, format="json")

    assert response.json() == {"role": [READ_ONLY]}
    membership = CompanyMembership.objects.get(user=member, company=acme.company)
    assert membership.role == CompanyMembership.Role.MEMBER
    assert client.delete(detail(acme.company)).status_code == 403


@pytest.mark.parametrize(
    "extra",
    [
        {"company": "other"},
        {"linked_company": "other"},
        {"id": "other partner"},
        {"company_id": "other"},
    ],
)
def test_a_partner_cannot_reach_into_another_company(
    acme: Vendor, globex: Vendor, extra: dict[str, str]
) -> None:
    # given a partner written with a key pointing at another company or its partner
    references = {"other": globex.company.pk, "other partner": globex.partner.pk}
    key, value = next(iter(extra.items()))
    partner = {"name": "Sneaky", "country": "RU", key: references.get(value, value)}
    client = acme.api()
    before = database_snapshot()

    # when
    response = client.patch(detail(acme.company), {"partners": [partner]}, format="json")

    # then the key is named, and neither company changed
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["partners"]
    assert list(errors["partners"]["0"]) == [key]
    assert errors["partners"]["0"][key][0].startswith("Unknown field.")
    assert database_snapshot() == before


def test_another_vendors_company_cannot_be_written_through_its_id(
    acme: Vendor, globex: Vendor
) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.patch(
        detail(globex.company), {"legal_name": "Ours now", "partners": []}, format="json"
    )

    assert response.status_code == 404
    assert database_snapshot() == before


def test_the_profile_version_rises_by_the_system_not_by_the_vendor(acme: Vendor) -> None:
    client = acme.api()
    version = acme.company.profile_version

    refused = client.patch(detail(acme.company), {"trl": 7, "profile_version": 1}, format="json")
    accepted = client.patch(detail(acme.company), {"trl": 7}, format="json")

    assert refused.status_code == 400
    assert accepted.json()["profile_version"] == version + 1


def test_partners_stay_declared_once_written(acme: Vendor) -> None:
    client = acme.api()

    response = client.patch(detail(acme.company), {"partners_declared": False}, format="json")

    assert response.status_code == 400
    acme.company.refresh_from_db()
    assert acme.company.partners_declared is True


# --- applications --------------------------------------------------------------------------------

# The applications API's write operations. A new one must be added here, and so checked below.
APPLICATION_WRITE_ENDPOINTS = {
    ("api:application-list", "POST"),
    ("api:application-detail", "PATCH"),
    ("api:application-submit", "POST"),
    ("api:application-withdraw", "POST"),
}
# What only the system or the program's staff decide: shown (read-only) or not (unknown).
APPLICATION_SYSTEM_FIELDS: dict[str, Any] = {
    "status": "completed",
    "stage": {"order": 4, "name": "Pilot"},
    "eligibility_at_submission": {"eligibility": "eligible", "score": 100},
    "submitted_at": "2000-01-01T00:00:00Z",
    "decided_at": "2000-01-01T00:00:00Z",
    "score": 100,
    "eligibility": "eligible",
    "agency": 1,
    "events": [{"kind": "advanced"}],
    "created_by": 1,
}


def test_the_checks_below_cover_every_application_write_endpoint() -> None:
    endpoints = {
        (name, method)
        for name, route in all_routes().items()
        if name.startswith("api:application")
        for method in route.methods() & {"POST", "PUT", "PATCH"}
    }

    assert endpoints == APPLICATION_WRITE_ENDPOINTS


@pytest.fixture
def draft(acme: Vendor) -> Any:
    from applicants.applications import application_start
    from tests.factories import ProgramFactory, StageFactory

    program = ProgramFactory(slug="open-call")
    StageFactory(program=program, order=0)
    return application_start(company=acme.company, user=acme.user, program=program)


def _application_write(client: APIClient, name: str, draft: Any, body: dict[str, Any]) -> Any:
    if name == "api:application-list":
        return client.post(
            "/api/v1/applications/",
            {"company": draft.company_id, "program": "open-call", **body},
            format="json",
        )
    if name == "api:application-detail":
        return client.patch(
            f"/api/v1/applications/{draft.pk}/", {"answers": {}, **body}, format="json"
        )
    action = name.removeprefix("api:application-")
    return client.post(f"/api/v1/applications/{draft.pk}/{action}/", body, format="json")


@pytest.mark.parametrize("field", sorted(APPLICATION_SYSTEM_FIELDS))
@pytest.mark.parametrize("name", sorted(name for name, _method in APPLICATION_WRITE_ENDPOINTS))
def test_no_application_endpoint_lets_a_vendor_set_what_the_program_decides(
    acme: Vendor, draft: Any, name: str, field: str
) -> None:
    client = acme.api()
    before = database_snapshot()

    response = _application_write(client, name, draft, {field: APPLICATION_SYSTEM_FIELDS[field]})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert database_snapshot() == before


# --- email settings ------------------------------------------------------------------------------


def test_the_email_settings_form_writes_only_the_users_opt_outs_and_digest(acme: Vendor) -> None:
    from django.test import Client
    from django.urls import reverse

    from matchmaker.models import EmailOptOut
    from matchmaker.outbox import OPTIONAL_KINDS

    client = Client()
    client.force_login(acme.user)
    before = database_snapshot()

    response = client.post(
        reverse("accounts:notifications"),
        {
            # every kind left on and the digest as it is: a save that changes nothing...
            **{kind.value: "on" for kind in OPTIONAL_KINDS},
            "digest": acme.user.digest,
            # ...with what only the system, or nobody, may set
            "verify-email": "",
            "email_verified_at": "",
            "digest_sent_at": "2000-01-01T00:00:00Z",
            "calendar_token": "chosen-by-the-vendor",
            "is_staff": "on",
            "language": "ru",
            "user": 1,
        },
    )

    assert response.status_code == 302
    assert database_snapshot() == before
    assert not EmailOptOut.objects.exists()
