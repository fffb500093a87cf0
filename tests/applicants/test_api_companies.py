"""/api/v1/companies/: an integrator's own companies, read and written."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from applicants.models import Company, CompanyMembership, Partner
from applicants.selectors import company_facts
from applicants.services import company_create
from programs.models import Sector
from tests.api_fuzz_data import call_documented, request_is_documented
from tests.vendors import Vendor, add_member, database_snapshot, make_user, make_vendor

pytestmark = pytest.mark.django_db

LIST = "/api/v1/companies/"


def detail(company: Company) -> str:
    return f"/api/v1/companies/{company.pk}/"


@pytest.fixture(autouse=True)
def _media_and_fast_passwords(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def acme() -> Vendor:
    return make_vendor("Acme")


@pytest.fixture
def globex() -> Vendor:
    return make_vendor("Globex", country="DE")


# --- reading -----------------------------------------------------------------------------------


def test_a_company_reads_as_documented(acme: Vendor) -> None:
    company = acme.company

    response = acme.api().get(detail(company))

    assert response.status_code == 200
    body = response.json()
    assert datetime.datetime.fromisoformat(body.pop("created_at")) == company.created_at
    assert datetime.datetime.fromisoformat(body.pop("updated_at")) == company.updated_at
    assert body == {
        "id": company.pk,
        "legal_name": "Acme Ltd",
        "country": "TW",
        "registration_id": "",
        "website": "",
        "founded_year": None,
        "employees": None,
        "sectors": [],
        "trl": None,
        "has_demo": None,
        "demo_url": "",
        "description": "",
        "prior_pilots": None,
        "discoverable": False,
        "partners": [{"name": "Acme Partner", "country": "RU"}],
        "partners_declared": True,
        "profile_version": company.profile_version,
        "role": "owner",
    }


def test_the_list_shows_my_companies_only_with_my_role_in_each(
    acme: Vendor, globex: Vendor
) -> None:
    joined = make_vendor("Initech").company
    CompanyMembership.objects.create(
        user=acme.user, company=joined, role=CompanyMembership.Role.MEMBER
    )

    response = acme.api().get(LIST)

    assert response.status_code == 200
    assert [(item["legal_name"], item["role"]) for item in response.json()["results"]] == [
        ("Acme Ltd", "owner"),
        ("Initech Ltd", "member"),
    ]
    assert response.json()["count"] == 2


def test_the_list_is_paginated_by_twenty(acme: Vendor) -> None:
    for number in range(21):
        company_create(user=acme.user, legal_name=f"Subsidiary {number:02}", country="TW")

    first = acme.api().get(LIST).json()
    second = acme.api().get(first["next"]).json()

    assert first["count"] == 22
    assert len(first["results"]) == 20
    assert len(second["results"]) == 2
    assert second["next"] is None


@pytest.mark.parametrize("companies", [1, 6])
def test_the_list_costs_five_queries_however_many_companies(
    acme: Vendor, django_assert_num_queries: Any, companies: int
) -> None:
    mobility, energy = Sector.objects.get(code="mobility"), Sector.objects.get(code="energy")
    for number in range(companies - 1):
        company = company_create(
            user=acme.user,
            legal_name=f"Subsidiary {number}",
            country="TW",
            sectors=[mobility, energy],
        )
        Partner.objects.create(company=company, name="Partner", country="RU")
    client = acme.api()  # creates the token outside the count

    with django_assert_num_queries(5):
        # 1. the token and its user (TokenAuthentication)
        # 2. the count of my companies (pagination)
        # 3. the page of companies, my role in each as a subquery
        # 4. their sectors
        # 5. their partners
        response = client.get(LIST)

    assert len(response.json()["results"]) == companies


def test_a_member_reads_the_company_with_their_role(acme: Vendor) -> None:
    member = add_member(acme.company, "colleague@example.com")
    client = APIClient()
    client.force_authenticate(member)

    response = client.get(detail(acme.company))

    assert response.json()["role"] == "member"


def test_another_vendors_company_is_not_found_and_stays_as_it_was(
    acme: Vendor, globex: Vendor
) -> None:
    client = acme.api()
    before = database_snapshot()

    statuses = [
        client.get(detail(globex.company)).status_code,
        client.patch(detail(globex.company), {"legal_name": "Mine"}, format="json").status_code,
        client.delete(detail(globex.company)).status_code,
    ]

    assert statuses == [404, 404, 404]
    assert database_snapshot() == before


@pytest.mark.parametrize("company_id", ["abc", "1.0", "-1", "999999", "9" * 30])
def test_an_id_that_is_no_company_of_mine_is_a_json_404(acme: Vendor, company_id: str) -> None:
    response = acme.api().get(f"/api/v1/companies/{company_id}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "You have no company with this id."}


def test_anonymous_clients_are_asked_for_a_token(api_client: APIClient, acme: Vendor) -> None:
    response = api_client.get(LIST)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_that_is_not_valid_is_refused(api_client: APIClient, acme: Vendor) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    response = api_client.get(detail(acme.company))

    assert response.status_code == 401


# --- creating ----------------------------------------------------------------------------------


def test_registering_a_company_makes_me_its_owner(acme: Vendor) -> None:
    response = acme.api().post(LIST, {"legal_name": "New Co", "country": "TW"}, format="json")

    assert response.status_code == 201
    company = Company.objects.get(legal_name="New Co")
    assert response["Location"] == f"http://testserver/api/v1/companies/{company.pk}/"
    assert response.json()["role"] == "owner"
    assert company.memberships.get().user == acme.user
    assert response.json()["profile_version"] == 1
    assert response.json()["partners_declared"] is False


def test_a_company_is_registered_with_every_fact_the_engine_reads(acme: Vendor) -> None:
    response = acme.api().post(
        LIST,
        {
            "legal_name": "Full Co",
            "country": "TW",
            "registration_id": "TW-42",
            "website": "https://full.example",
            "founded_year": 2016,
            "employees": 25,
            "sectors": ["mobility", "energy"],
            "trl": 8,
            "has_demo": True,
            "demo_url": "https://full.example/demo",
            "description": "Curbside sensors.",
            "prior_pilots": 2,
            "discoverable": True,
            "partners": [{"name": "Moscow Integrator", "country": "RU"}],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["partners_declared"] is True
    company = Company.objects.get(pk=response.json()["id"])
    assert company_facts(company) == {
        "country": "TW",
        "partner_countries": ["RU"],
        "sectors": ["energy", "mobility"],
        "trl": 8,
        "has_demo": True,
        "employees": 25,
        "founded_year": 2016,
        "prior_pilots": 2,
    }


def test_registering_needs_a_legal_name_and_a_country(acme: Vendor) -> None:
    response = acme.api().post(LIST, {"trl": 5}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"legal_name", "country"}
    assert Company.objects.count() == 1


# --- changing ----------------------------------------------------------------------------------


def patch(vendor: Vendor, body: Any, **kwargs: Any) -> Any:
    return vendor.api().patch(detail(vendor.company), body, format="json", **kwargs)


def test_a_new_name_changes_no_fact_and_keeps_the_profile_version(acme: Vendor) -> None:
    version = acme.company.profile_version

    response = patch(acme, {"legal_name": "Acme Holdings"})

    assert response.status_code == 200
    assert response.json()["legal_name"] == "Acme Holdings"
    assert response.json()["profile_version"] == version


def test_a_changed_fact_raises_the_profile_version(acme: Vendor) -> None:
    version = acme.company.profile_version

    response = patch(acme, {"trl": 6})

    assert response.json()["trl"] == 6
    assert response.json()["profile_version"] == version + 1
    acme.company.refresh_from_db()
    assert acme.company.profile_version == version + 1


def test_only_the_given_fields_change(acme: Vendor) -> None:
    patch(acme, {"trl": 6, "employees": 12})

    response = patch(acme, {"employees": 13})

    assert (response.json()["trl"], response.json()["employees"]) == (6, 13)


def test_null_makes_a_fact_unknown_again(acme: Vendor) -> None:
    patch(acme, {"trl": 6, "has_demo": True})

    response = patch(acme, {"trl": None, "has_demo": None})

    assert (response.json()["trl"], response.json()["has_demo"]) == (None, None)


def test_sectors_are_replaced_by_the_given_list(acme: Vendor) -> None:
    patch(acme, {"sectors": ["energy", "buildings"]})

    response = patch(acme, {"sectors": ["mobility"]})

    assert response.json()["sectors"] == ["mobility"]


def test_partners_are_replaced_by_the_given_list(acme: Vendor) -> None:
    response = patch(
        acme,
        {
            "partners": [
                {"name": "Tallinn Labs", "country": "EE"},
                {"name": "Kyiv", "country": "UA"},
            ]
        },
    )

    assert response.json()["partners"] == [
        {"name": "Kyiv", "country": "UA"},
        {"name": "Tallinn Labs", "country": "EE"},
    ]
    assert set(acme.company.partners.values_list("name", flat=True)) == {"Kyiv", "Tallinn Labs"}


def test_an_empty_partner_list_declares_that_there_are_none(acme: Vendor) -> None:
    company = company_create(user=acme.user, legal_name="Solo", country="TW")
    assert "partner_countries" not in company_facts(company)

    response = acme.api().patch(detail(company), {"partners": []}, format="json")

    assert response.json()["partners_declared"] is True
    assert response.json()["profile_version"] == 2
    company.refresh_from_db()
    assert company_facts(company)["partner_countries"] == []


def test_any_member_may_change_the_company(acme: Vendor) -> None:
    client = APIClient()
    client.force_authenticate(add_member(acme.company, "colleague@example.com"))

    response = client.patch(detail(acme.company), {"description": "Updated."}, format="json")

    assert response.status_code == 200
    acme.company.refresh_from_db()
    assert acme.company.description == "Updated."


def test_a_browser_session_must_send_its_csrf_token_to_change_a_company(acme: Vendor) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(acme.user)

    response = browser.patch(
        detail(acme.company), {"legal_name": "Forged"}, content_type="application/json"
    )

    assert response.status_code == 403
    acme.company.refresh_from_db()
    assert acme.company.legal_name == "Acme Ltd"


# --- bad input ---------------------------------------------------------------------------------

BAD_FIELDS = [
    ("country", {"country": "XX"}),
    ("country", {"country": "ru"}),
    ("country", {"country": None}),
    ("trl", {"trl": 0}),
    ("trl", {"trl": 10}),
    ("trl", {"trl": "5"}),
    ("trl", {"trl": 5.0}),
    ("trl", {"trl": True}),
    ("sectors", {"sectors": ["mobility", "space"]}),
    ("sectors", {"sectors": "mobility"}),
    ("sectors", {"sectors": None}),
    ("founded_year", {"founded_year": 1700}),
    ("founded_year", {"founded_year": 2101}),
    ("employees", {"employees": -1}),
    ("employees", {"employees": 2**31}),
    ("prior_pilots", {"prior_pilots": "two"}),
    ("has_demo", {"has_demo": "yes"}),
    ("has_demo", {"has_demo": 1}),
    ("discoverable", {"discoverable": None}),
    ("legal_name", {"legal_name": ""}),
    ("legal_name", {"legal_name": 42}),
    ("legal_name", {"legal_name": "x" * 201}),
    ("website", {"website": "not a url"}),
    ("demo_url", {"demo_url": "javascript:alert(1)"}),
    ("partners", {"partners": [{"name": "Moscow Integrator", "country": "XX"}]}),
    ("partners", {"partners": {"name": "Moscow Integrator", "country": "RU"}}),
    ("partners", {"partners": [{"country": "RU"}]}),
    ("partners", {"partners": ["Moscow Integrator"]}),
    ("partners", {"partners": [{"name": "Moscow Integrator", "country": "RU", "x": 1}]}),
    ("partners", {"partners": None}),
]


@pytest.mark.parametrize(("field", "body"), BAD_FIELDS)
def test_a_bad_field_in_a_change_is_named_and_nothing_is_saved(
    acme: Vendor, field: str, body: dict[str, Any]
) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.patch(detail(acme.company), {"description": "New", **body}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert database_snapshot() == before


@pytest.mark.parametrize(("field", "body"), BAD_FIELDS)
def test_a_bad_field_in_a_registration_is_named_and_nothing_is_saved(
    acme: Vendor, field: str, body: dict[str, Any]
) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.post(LIST, {"legal_name": "New Co", "country": "TW", **body}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert database_snapshot() == before


def test_every_bad_field_is_named_at_once_with_the_item_at_fault(acme: Vendor) -> None:
    response = patch(
        acme,
        {
            "trl": "5",
            "sectors": ["mobility", "space"],
            "partners": [{"name": "Fine", "country": "RU"}, {"name": "Bad", "country": "XX"}],
        },
    )

    assert response.json() == {
        "trl": ["A valid integer is required."],
        "sectors": {"1": ["“space” is not a known sector code."]},
        "partners": {"1": {"country": ['"XX" is not a valid choice.']}},
    }


def test_a_form_encoded_change_is_refused_as_not_json(acme: Vendor) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.patch(detail(acme.company), {"trl": 5}, format="multipart")

    assert response.status_code == 415
    assert database_snapshot() == before


def test_a_body_that_is_not_valid_json_is_a_400(acme: Vendor) -> None:
    client = acme.api()
    before = database_snapshot()

    response = client.post(LIST, '{"legal_name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert database_snapshot() == before


@pytest.mark.parametrize("body", [[], "company", 42])
def test_a_body_that_is_not_an_object_is_a_400(acme: Vendor, body: Any) -> None:
    response = patch(acme, body)

    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}


# --- deleting ----------------------------------------------------------------------------------


def test_the_owner_deletes_the_company_with_its_partners(acme: Vendor) -> None:
    response = acme.api().delete(detail(acme.company))

    assert response.status_code == 204
    assert not Company.objects.filter(pk=acme.company.pk).exists()
    assert not Partner.objects.filter(pk=acme.partner.pk).exists()


def test_a_member_who_is_not_an_owner_cannot_delete_the_company(acme: Vendor) -> None:
    client = APIClient()
    client.force_authenticate(add_member(acme.company, "colleague@example.com"))
    before = database_snapshot()

    response = client.delete(detail(acme.company))

    assert response.status_code == 403
    assert database_snapshot() == before


def test_a_vendor_without_companies_lists_none(api_client: APIClient) -> None:
    api_client.force_authenticate(make_user("new@example.com"))

    response = api_client.get(LIST)

    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# --- found by the fuzzer (tests/test_api_fuzz.py) ------------------------------------------------


def test_a_company_without_links_reads_as_the_schema_says(acme: Vendor) -> None:
    # The schema promised a URL in website and demo_url, where a company without links has "".
    response = call_documented(
        "/api/v1/companies/{id}/", "GET", token=acme.token, path_parameters={"id": acme.company.pk}
    )

    assert (response.json()["website"], response.json()["demo_url"]) == ("", "")


@pytest.mark.parametrize(
    "body",
    [
        {"legal_name": " " + "x" * 200},
        {"website": "https://acme.example/" + "x" * 179 + " "},
        {"partners": [{"name": "\x1e" + "x" * 200, "country": "RU"}]},
    ],
)
def test_a_text_over_its_limit_is_refused_even_when_trimming_would_bring_it_under(
    acme: Vendor, body: dict[str, Any]
) -> None:
    # The schema's maxLength counts the text as sent, and the API counted it trimmed (of
    # spaces, or of a control character Python counts as whitespace).
    assert not request_is_documented("/api/v1/companies/{id}/", "PATCH", body=body)
    client = acme.api()
    before = database_snapshot()

    response = client.patch(detail(acme.company), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == list(body)
    assert database_snapshot() == before


def test_a_company_without_a_country_reads_with_a_null_country(acme: Vendor) -> None:
    # A company saved before the country was required (or by the benchmark's generator) has
    # none: the list and the company answered 500, the encoder handed a Country("") object.
    Company.objects.filter(pk=acme.company.pk).update(country="")

    listed = call_documented("/api/v1/companies/", "GET", token=acme.token)
    read = call_documented(
        "/api/v1/companies/{id}/", "GET", token=acme.token, path_parameters={"id": acme.company.pk}
    )

    assert [company["country"] for company in listed.json()["results"]] == [None]
    assert read.json()["country"] is None
