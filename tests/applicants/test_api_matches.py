"""GET /api/v1/companies/{id}/matches/: a company's stored matches, for its members only."""

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from applicants import services
from applicants.models import Company, User
from matchmaker.models import Match
from matchmaker.services import companies_score
from programs.models import Program, Sector
from programs.selectors import clear_compiled_cache
from tests.factories import UserFactory
from tests.vendors import add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor() -> User:
    user: User = UserFactory(email="vendor@example.tw")
    return user


@pytest.fixture
def company(demo: None, vendor: User) -> Company:
    """The Moscow example: a Taiwanese mobility company without partners, scored."""
    company = services.company_create(
        user=vendor,
        legal_name="Taipei Mobility",
        country="TW",
        sectors=Sector.objects.filter(code="mobility"),
        trl=8,
        has_demo=True,
        prior_pilots=2,
        employees=25,
    )
    services.partners_declare_none(company=company, user=vendor)
    companies_score(company_ids=[company.pk])
    company.refresh_from_db()
    return company


def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token_issue(user=user).key}")
    return client


def url(company: Company | int) -> str:
    return f"/api/v1/companies/{getattr(company, 'pk', company)}/matches/"


def test_the_matches_come_best_first_paginated(company: Company, vendor: User) -> None:
    body = api(vendor).get(url(company)).json()

    assert body["count"] == 5
    assert (body["next"], body["previous"]) == (None, None)
    assert [(m["program"], m["eligibility"], m["score"]) for m in body["results"]] == [
        ("taipei-bottom-up-poc", "eligible", None),
        ("taipei-needs-first", "eligible", None),
        ("moscow-pilots", "ineligible", 71.88),
        ("procure-renewable-buildings", "ineligible", 60.0),
        ("bristol-5g-logistics", "ineligible", None),
    ]


def test_moscow_reads_as_a_near_miss_with_its_fix(company: Company, vendor: User) -> None:
    body = api(vendor).get(url(company)).json()
    moscow = next(m for m in body["results"] if m["program"] == "moscow-pilots")
    program = Program.objects.get(slug="moscow-pilots")
    match = Match.objects.get(company=company, program=program)

    assert moscow["program_title"] == "Moscow Innovations Piloting Program"
    assert (moscow["rules_version"], moscow["profile_version"]) == (
        program.rules_version,
        company.profile_version,
    )
    assert moscow["stale"] is False
    assert datetime.datetime.fromisoformat(moscow["computed_at"]) == match.computed_at
    assert moscow["criteria"][0] == {
        "key": moscow["criteria"][0]["key"],
        "label": "Russian company or foreign company with a Russian partner",
        "kind": "gate",
        "outcome": "fail",
        "message": "Registered in Russia, or a partner registered in Russia",
        "fixes": ["Add a partner registered in Russia"],
    }
    assert [c["outcome"] for c in moscow["criteria"]] == ["fail"] + ["pass"] * 6


def test_the_next_deadline_is_given_in_the_programs_time_zone(
    company: Company, vendor: User
) -> None:
    body = api(vendor).get(url(company)).json()
    deadlines = {m["program"]: m["next_deadline"] for m in body["results"]}

    assert deadlines["moscow-pilots"].endswith("T18:00:00+03:00")
    assert deadlines["taipei-bottom-up-poc"].endswith("T18:00:00+08:00")


def test_a_match_behind_the_profile_is_flagged_stale(company: Company, vendor: User) -> None:
    services.company_update(company=company, user=vendor, trl=9)

    body = api(vendor).get(url(company)).json()

    assert {m["stale"] for m in body["results"]} == {True}


def test_a_member_reads_the_matches_with_a_session_too(company: Company) -> None:
    colleague = add_member(company, "colleague@example.tw")
    client = APIClient()
    client.force_login(colleague)

    response = client.get(url(company))

    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_a_company_not_scored_yet_has_an_empty_list(demo: None, vendor: User) -> None:
    company = services.company_create(user=vendor, legal_name="New Co", country="TW")

    body = api(vendor).get(url(company)).json()

    assert (body["count"], body["results"]) == (0, [])


def test_another_vendor_gets_the_same_404_as_for_a_missing_company(company: Company) -> None:
    rival = api(UserFactory(email="rival@example.com"))

    someone_elses = rival.get(url(company))
    missing = rival.get(url(999_999))
    malformed = rival.get(url("12abc"))
    too_long = rival.get(url("9" * 30))

    assert someone_elses.status_code == 404
    assert someone_elses.content == missing.content == malformed.content == too_long.content


def test_an_anonymous_client_is_asked_for_a_token(company: Company) -> None:
    response = APIClient().get(url(company))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_page_past_the_end_is_a_404(company: Company, vendor: User) -> None:
    assert api(vendor).get(url(company) + "?page=2").status_code == 404


@pytest.mark.parametrize("compiled", [True, False], ids=["rules-compiled", "rules-cold"])
def test_the_list_makes_a_fixed_number_of_queries(
    company: Company, vendor: User, django_assert_num_queries: Any, compiled: bool
) -> None:
    client = api(vendor)  # creates the token outside the count
    if not compiled:
        clear_compiled_cache()  # as in a fresh web process

    # 1 the token and its user (TokenAuthentication), 2 the company, if I am on its team,
    # 3 the count of its matches (pagination), 4 the page of matches with programs, owners,
    # next deadlines and stages, (5-8 only when rules are not compiled in this process:
    # programs, criteria, groups, requirements), then the sector names the wording uses
    with django_assert_num_queries(5 if compiled else 9):
        response = client.get(url(company))

    assert len(response.json()["results"]) == 5
