"""GET /api/v1/staff/programs/{slug}/applications/ and .../matches/: the workspace's lists."""

import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applicants.models import Application, User
from applicants.services import api_token_issue
from programs.models import Program, StaffMembership
from programs.reviews import review_assign, review_criteria, review_submit
from tests.api_fuzz_data import call_documented, request_is_documented
from tests.factories import UserFactory
from tests.staff import make_company, make_staff, store_match, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def taipei(demo: None) -> Program:
    return Program.objects.get(slug="taipei-bottom-up-poc")


@pytest.fixture
def admin(taipei: Program) -> User:
    return make_staff("admin@taipei.example", "taipei-smart-city-office")


def api(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
    return client


def applications(slug: str = "taipei-bottom-up-poc") -> str:
    return f"/api/v1/staff/programs/{slug}/applications/"


def matches(slug: str = "taipei-bottom-up-poc") -> str:
    return f"/api/v1/staff/programs/{slug}/matches/"


def test_the_applications_come_with_scores_and_submission_time_in_the_programs_zone(
    taipei: Program, admin: User
) -> None:
    application = submit(
        make_company("Curb Co"),
        taipei,
        submitted_at=datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC),
    )
    reviewer = make_staff("r@taipei.example", "taipei-smart-city-office", "reviewer")
    review = review_assign(application=application, reviewer=reviewer, assigned_by=admin)
    (overall,) = review_criteria(taipei)
    review_submit(review=review, user=reviewer, scores={overall.key: 7}, comment="Good.")

    body = api(admin).get(applications()).json()

    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": application.pk,
            "company": {
                "id": application.company_id,
                "legal_name": "Curb Co",
                "country": "TW",
            },
            "stage": {"id": application.stage_id, "order": 0, "name": "Proof of concept"},
            "status": "submitted",
            "submitted_at": "2026-03-02T00:30:00+08:00",
            "eligibility_at_submission": "eligible",
            "automatic_score": None,  # Taipei's POC track has no award criteria
            "mean_review_score": 70.0,
            "reviews_submitted": 1,
        }
    ]


def test_the_applications_take_the_pages_filters(taipei: Program, admin: User) -> None:
    first = submit(
        make_company("First"), taipei, submitted_at=timezone.now() - datetime.timedelta(1)
    )
    second = submit(make_company("Second"), taipei)
    Application.objects.filter(pk=second.pk).update(status=Application.Status.DECLINED)
    client = api(admin)

    def ids(**filters: Any) -> list[int]:
        return [row["id"] for row in client.get(applications(), filters).json()["results"]]

    assert ids() == [second.pk, first.pk]
    assert ids(sort="oldest") == [first.pk, second.pk]
    assert ids(status="declined") == [second.pk]
    assert ids(stage=first.stage_id, status="submitted") == [first.pk]
    assert ids(eligibility="incomplete") == []


def test_a_bad_filter_is_a_400_naming_it(taipei: Program, admin: User) -> None:
    response = api(admin).get(applications(), {"status": "draft", "sort": "random"})

    assert response.status_code == 400
    assert sorted(response.json()) == ["sort", "status"]


def test_the_matches_list_the_companies_staff_may_see_best_first(
    taipei: Program, admin: User
) -> None:
    low = make_company("Low", score=False)
    store_match(low, taipei, "eligible", 40)
    high = make_company("High", score=False, sectors=("health",))
    store_match(high, taipei, "eligible", 80)
    store_match(make_company("Private", score=False, discoverable=False), taipei, "eligible", 90)
    store_match(make_company("Near", score=False), taipei, "ineligible", 99)

    body = api(admin).get(matches()).json()
    filtered = api(admin).get(matches(), {"min_score": 50, "sector": "health"}).json()

    assert [row["company"]["legal_name"] for row in body["results"]] == ["High", "Low"]
    assert body["results"][0]["sectors"] == ["health"]
    assert (body["results"][0]["application_id"], body["results"][0]["invited_at"]) == (None, None)
    assert [row["company"]["id"] for row in filtered["results"]] == [high.pk]


def test_the_lists_come_25_to_a_page(taipei: Program, admin: User) -> None:
    for number in range(26):
        store_match(make_company(f"Co {number}", score=False), taipei, "eligible", 50)

    body = api(admin).get(matches()).json()

    assert (body["count"], len(body["results"])) == (26, 25)
    assert body["next"].endswith("?page=2")


# --- tenancy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [applications(), matches()])
def test_another_agencys_staff_gets_the_same_404_as_for_a_program_that_does_not_exist(
    taipei: Program, path: str
) -> None:
    moscow = make_staff("admin@mos.example", "moscow-innovation-agency")
    client = api(moscow)

    taipeis = client.get(path)
    missing = client.get(path.replace("taipei-bottom-up-poc", "no-such-program"))

    assert taipeis.status_code == 404
    assert (taipeis.status_code, taipeis.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize("path", [applications(), matches()])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_vendor_gets_403_on_every_method(taipei: Program, path: str, method: str) -> None:
    vendor: User = UserFactory(email="vendor@example.com")

    assert getattr(api(vendor), method)(path).status_code == 403


@pytest.mark.parametrize("path", [applications(), matches()])
def test_an_anonymous_client_gets_401(taipei: Program, path: str) -> None:
    response = api(None).get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_reviewer_reads_the_lists_and_a_session_works_too(taipei: Program) -> None:
    reviewer = make_staff(
        "r@taipei.example", "taipei-smart-city-office", StaffMembership.Role.REVIEWER
    )
    client = APIClient()
    client.force_login(reviewer)

    assert client.get(applications()).status_code == 200
    assert client.get(matches()).status_code == 200


def test_a_buyer_agencys_staff_reads_the_joint_programs_applications(demo: None) -> None:
    nuremberg = make_staff("staff@nuremberg.example", "nuremberg")

    response = api(nuremberg).get(applications("procure-renewable-buildings"))

    assert response.status_code == 200


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 7])
def test_the_applications_make_a_fixed_number_of_queries(
    taipei: Program, admin: User, django_assert_num_queries: Any, count: int
) -> None:
    for number in range(count):
        submit(make_company(f"Co {number}"), taipei)
    client = api(admin)
    first_stage = taipei.stages.get(order=0).pk

    # 1 the token with its user, 2 their roles in their agencies (the permission; the tenancy
    # check reuses them), 3 the program among them, 4 the stage filtered by (it must be the
    # program's), 5 the page's count, 6 the page of applications with companies and stages,
    # 7 their submitted reviews, 8 the award criteria for the review weights.
    with django_assert_num_queries(8):
        response = client.get(applications(), {"stage": first_stage})

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [2, 7])
def test_the_matches_make_a_fixed_number_of_queries(
    taipei: Program, admin: User, django_assert_num_queries: Any, count: int
) -> None:
    for number in range(count):
        store_match(make_company(f"Co {number}", score=False), taipei, "eligible", 50)
    client = api(admin)

    # 1 the token with its user, 2 their roles in their agencies (the permission; the tenancy
    # check reuses them), 3 the program among them, 4 the page's count, 5 the page of matches
    # with companies, applications and invitations, 6 the companies' sectors.
    with django_assert_num_queries(6):
        response = client.get(matches())

    assert response.json()["count"] == count


# --- found by the fuzzer (tests/test_api_fuzz.py) ------------------------------------------------


@pytest.mark.parametrize(
    ("listing", "name"),
    [
        *[("applications", name) for name in ["status", "eligibility", "sort", "stage", "page"]],
        *[("matches", name) for name in ["eligibility", "min_score", "page"]],
    ],
)
def test_an_empty_filter_is_no_filter_as_the_schema_says(
    taipei: Program, admin: User, listing: str, name: str
) -> None:
    # ?status= is how the workspace's filter forms send "any"; the schema called it invalid.
    submit(make_company("Curb Co"), taipei)
    path = f"/api/v1/staff/programs/{{slug}}/{listing}/"
    query = {name: ""}

    response = call_documented(
        path,
        "GET",
        token=api_token_issue(user=admin).key,
        path_parameters={"slug": taipei.slug},
        query=query,
    )

    assert request_is_documented(path, "GET", query=query)
    assert response.json()["count"] == 1
