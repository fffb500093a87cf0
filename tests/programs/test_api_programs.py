"""GET /api/v1/programs/ and GET /api/v1/programs/{slug}/."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from programs.models import Challenge, Criterion, Program
from programs.selectors import program_catalog
from tests.api_fuzz_data import call_documented, request_is_documented
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion, sector

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
LIST_URL = "/api/v1/programs/"


def detail_url(slug: str) -> str:
    return f"/api/v1/programs/{slug}/"


def at(year: int, month: int, day: int, hour: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=UTC)


def slugs(response: Any) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


@pytest.fixture
def moscow() -> Any:
    return AgencyFactory(
        slug="moscow-innovation-agency",
        name="Moscow Agency of Innovations",
        city="Moscow",
        country="RU",
        time_zone="Europe/Moscow",
    )


@pytest.fixture
def joint_program(moscow: Any) -> Program:
    """A program with every part the catalog shows: buyers, sectors, budget, stages."""
    program = ProgramFactory(
        slug="joint",
        title="Joint pilots",
        summary="Pilots run by two cities.",
        owner=moscow,
        kind=Program.Kind.PRE_COMMERCIAL_PROCUREMENT,
        intake=Program.Intake.NEED_LED,
        budget_amount=Decimal("7680000"),
        budget_currency="EUR",
        languages=["ru", "en"],
    )
    program.buyers.add(
        AgencyFactory(
            slug="eilat", name="Eilat", city="Eilat", country="IL", time_zone="Asia/Jerusalem"
        )
    )
    program.sectors.add(sector("mobility"), sector("energy"))
    StageFactory(program=program, order=0, opens_at=at(2035, 1, 1), closes_at=at(2035, 5, 31, 15))
    StageFactory(program=program, order=1, opens_at=at(2035, 6, 1), closes_at=at(2035, 9, 1, 15))
    return program


# --- the list --------------------------------------------------------------------------------


def test_list_item_shows_the_program_with_local_next_deadline(
    api_client: APIClient, joint_program: Program
) -> None:
    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "slug": "joint",
                "title": "Joint pilots",
                "summary": "Pilots run by two cities.",
                "kind": "pcp",
                "intake": "need-led",
                "status": "open",
                "owner": {
                    "slug": "moscow-innovation-agency",
                    "name": "Moscow Agency of Innovations",
                    "city": "Moscow",
                    "country": "RU",
                    "time_zone": "Europe/Moscow",
                },
                "buyers": [
                    {
                        "slug": "eilat",
                        "name": "Eilat",
                        "city": "Eilat",
                        "country": "IL",
                        "time_zone": "Asia/Jerusalem",
                    }
                ],
                "sectors": [
                    {"code": "energy", "name": "Energy"},
                    {"code": "mobility", "name": "Mobility"},
                ],
                "budget": {"amount": "7680000.00", "currency": "EUR"},
                "languages": ["ru", "en"],
                # 15:00 UTC is 18:00 in Moscow: the deadline as the agency announced it.
                "next_deadline": "2035-05-31T18:00:00+03:00",
                "rules_version": 1,
                "url": "http://testserver/api/v1/programs/joint/",
            }
        ],
    }


def test_list_shows_null_budget_and_deadline_when_a_program_has_neither(
    api_client: APIClient,
) -> None:
    ProgramFactory(slug="plain")

    item = api_client.get(LIST_URL).json()["results"][0]

    assert item["budget"] is None
    assert item["next_deadline"] is None


def test_list_leaves_out_drafts(api_client: APIClient) -> None:
    ProgramFactory(slug="public", status=Program.Status.OPEN)
    ProgramFactory(slug="closed", status=Program.Status.CLOSED)
    ProgramFactory(slug="archived", status=Program.Status.ARCHIVED)
    ProgramFactory(slug="secret", status=Program.Status.DRAFT)

    response = api_client.get(LIST_URL)

    assert sorted(slugs(response)) == ["archived", "closed", "public"]


def test_list_orders_by_next_deadline_then_title_within_a_status(api_client: APIClient) -> None:
    later = ProgramFactory(slug="later", title="A later")
    StageFactory(program=later, closes_at=at(2035, 9, 1))
    sooner = ProgramFactory(slug="sooner", title="Z sooner")
    StageFactory(program=sooner, closes_at=at(2035, 3, 1))
    past = ProgramFactory(slug="past-deadline", title="C past deadline")
    StageFactory(program=past, opens_at=at(2020, 1, 1), closes_at=at(2020, 3, 1))
    ProgramFactory(slug="no-deadline-b", title="B without deadline")
    ProgramFactory(slug="no-deadline-a", title="A without deadline")

    response = api_client.get(LIST_URL)

    assert slugs(response) == [
        "sooner",
        "later",
        "no-deadline-a",
        "no-deadline-b",
        "past-deadline",
    ]


def test_list_orders_programs_as_the_catalog_page_does(api_client: APIClient) -> None:
    for status, title in [("open", "B"), ("closed", "A"), ("archived", "C"), ("open", "A")]:
        ProgramFactory(slug=f"{status}-{title.lower()}", title=title, status=status)

    response = api_client.get(LIST_URL)

    assert slugs(response) == [program.slug for program in program_catalog()]
    assert slugs(response).index("open-a") < slugs(response).index("open-b")


def test_list_pages_by_twenty(api_client: APIClient) -> None:
    for number in range(21):
        ProgramFactory(slug=f"program-{number:02}", title=f"Program {number:02}")

    first = api_client.get(LIST_URL).json()
    second = api_client.get(LIST_URL, {"page": 2}).json()

    assert first["count"] == 21
    assert len(first["results"]) == 20
    assert first["next"] == "http://testserver/api/v1/programs/?page=2"
    assert [item["slug"] for item in second["results"]] == ["program-20"]


@pytest.mark.parametrize("programs", [1, 8])
def test_list_runs_four_queries_however_many_programs(
    api_client: APIClient, django_assert_num_queries: Any, programs: int
) -> None:
    for number in range(programs):
        program = ProgramFactory(slug=f"program-{number}")
        program.buyers.add(AgencyFactory(), AgencyFactory())
        program.sectors.add(sector("mobility"), sector("health"))
        StageFactory(program=program)

    # 1. the paginator's count
    # 2. the programs, their owners joined, the next deadline as a subquery
    # 3. the programs' sectors
    # 4. the programs' buyer agencies
    with django_assert_num_queries(4):
        response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == programs


# --- filters ---------------------------------------------------------------------------------


def test_list_filters_by_sector_code(api_client: APIClient) -> None:
    ProgramFactory(slug="moving").sectors.add(sector("mobility"))
    ProgramFactory(slug="healing").sectors.add(sector("health"))

    response = api_client.get(LIST_URL, {"sector": "mobility"})

    assert slugs(response) == ["moving"]


def test_list_filters_by_the_city_of_the_owner_or_a_buyer(
    api_client: APIClient, joint_program: Program
) -> None:
    ProgramFactory(slug="taipei-only")

    by_owner = api_client.get(LIST_URL, {"city": "moscow"})
    by_buyer = api_client.get(LIST_URL, {"city": "Eilat"})

    assert slugs(by_owner) == ["joint"]
    assert slugs(by_buyer) == ["joint"]


def test_list_filters_by_the_slug_of_the_owner_or_a_buyer(
    api_client: APIClient, joint_program: Program
) -> None:
    ProgramFactory(slug="elsewhere")

    response = api_client.get(LIST_URL, {"agency": "eilat"})

    assert slugs(response) == ["joint"]


def test_list_filters_by_status(api_client: APIClient) -> None:
    ProgramFactory(slug="open")
    ProgramFactory(slug="closed", status=Program.Status.CLOSED)

    response = api_client.get(LIST_URL, {"status": "closed"})

    assert slugs(response) == ["closed"]


def test_list_filters_by_kind_and_intake(api_client: APIClient) -> None:
    ProgramFactory(slug="pcp-need", kind=Program.Kind.PRE_COMMERCIAL_PROCUREMENT, intake="need-led")
    ProgramFactory(slug="pcp-proposal", kind=Program.Kind.PRE_COMMERCIAL_PROCUREMENT)
    ProgramFactory(slug="pilot-need", intake=Program.Intake.NEED_LED)

    response = api_client.get(LIST_URL, {"kind": "pcp", "intake": "need-led"})

    assert slugs(response) == ["pcp-need"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sector", "space-travel"),
        ("status", "draft"),  # drafts are never public, so not a status one may ask for
        ("status", "sleeping"),
        ("kind", "lottery"),
        ("intake", "walk-in"),
    ],
)
def test_list_rejects_an_unknown_filter_value_naming_the_filter(
    api_client: APIClient, field: str, value: str
) -> None:
    ProgramFactory()

    response = api_client.get(LIST_URL, {field: value})

    assert response.status_code == 400
    assert list(response.json()) == [field]


# --- the detail ------------------------------------------------------------------------------


@pytest.fixture
def detailed_program(joint_program: Program) -> Program:
    Challenge.objects.create(
        program=joint_program,
        title="Curbside parking data",
        description="Occupancy in real time.",
        sector=sector("mobility"),
        order=0,
    )
    add_criterion(
        joint_program,
        label="Russian company or partner",
        groups=[[("country", "in", ["RU"])], [("partner_countries", "contains", "RU")]],
    )
    add_criterion(
        joint_program,
        label="Product maturity",
        kind=Criterion.Kind.AWARD,
        weight=20,
        groups=[[("trl", "scale", [5, 9])]],
    )
    return joint_program


def test_detail_shows_stages_in_the_program_time_zone(
    api_client: APIClient, detailed_program: Program
) -> None:
    response = api_client.get(detail_url("joint"))

    assert response.status_code == 200
    stages = response.json()["stages"]
    assert [(stage["order"], stage["opens_at"], stage["closes_at"]) for stage in stages] == [
        (0, "2035-01-01T03:00:00+03:00", "2035-05-31T18:00:00+03:00"),
        (1, "2035-06-01T03:00:00+03:00", "2035-09-01T18:00:00+03:00"),
    ]
    assert set(stages[0]) == {
        "order",
        "name",
        "description",
        "opens_at",
        "closes_at",
        "budget",
        "max_participants",
    }


def test_detail_shows_a_stage_budget_as_a_decimal_string(
    api_client: APIClient, joint_program: Program
) -> None:
    StageFactory(
        program=joint_program, order=5, budget_amount=Decimal("1500.5"), max_participants=3
    )

    stage = api_client.get(detail_url("joint")).json()["stages"][-1]

    assert (stage["budget"], stage["max_participants"]) == ("1500.50", 3)


def test_detail_has_everything_the_list_item_has(
    api_client: APIClient, detailed_program: Program
) -> None:
    item = api_client.get(LIST_URL).json()["results"][0]
    detail = api_client.get(detail_url("joint")).json()

    assert {key: detail[key] for key in item} == item


def test_detail_shows_challenges_with_their_sector(
    api_client: APIClient, detailed_program: Program
) -> None:
    response = api_client.get(detail_url("joint"))

    assert response.json()["challenges"] == [
        {
            "title": "Curbside parking data",
            "description": "Occupancy in real time.",
            "sector": {"code": "mobility", "name": "Mobility"},
        }
    ]


def test_detail_shows_rules_as_structured_data_with_plain_language(
    api_client: APIClient, detailed_program: Program
) -> None:
    gate, award = detailed_program.criteria.order_by("order")

    criteria = api_client.get(detail_url("joint")).json()["criteria"]

    assert criteria == [
        {
            "key": str(gate.pk),
            "kind": "gate",
            "label": "Russian company or partner",
            "weight": None,
            "help_text": "",
            "description": "Registered in Russia, or a partner registered in Russia",
            "groups": [
                {
                    "requirements": [
                        {
                            "fact": "country",
                            "operator": "in",
                            "value": ["RU"],
                            "hint": "",
                            "description": "Registered in Russia",
                        }
                    ]
                },
                {
                    "requirements": [
                        {
                            "fact": "partner_countries",
                            "operator": "contains",
                            "value": "RU",
                            "hint": "",
                            "description": "A partner registered in Russia",
                        }
                    ]
                },
            ],
        },
        {
            "key": str(award.pk),
            "kind": "award",
            "label": "Product maturity",
            "weight": 20.0,
            "help_text": "",
            "description": "Higher TRL scores more (from 5 to 9)",
            "groups": [
                {
                    "requirements": [
                        {
                            "fact": "trl",
                            "operator": "scale",
                            "value": [5, 9],
                            "hint": "",
                            "description": "Higher TRL scores more (from 5 to 9)",
                        }
                    ]
                }
            ],
        },
    ]


def test_detail_of_a_closed_program_is_shown(api_client: APIClient) -> None:
    ProgramFactory(slug="past", status=Program.Status.CLOSED)

    assert api_client.get(detail_url("past")).status_code == 200


def test_detail_of_a_draft_is_not_found(api_client: APIClient) -> None:
    ProgramFactory(slug="secret", status=Program.Status.DRAFT)

    assert api_client.get(detail_url("secret")).status_code == 404


def test_detail_of_an_unknown_slug_is_not_found(api_client: APIClient) -> None:
    assert api_client.get(detail_url("no-such-program")).status_code == 404


def test_detail_url_in_the_list_leads_to_the_detail(
    api_client: APIClient, joint_program: Program
) -> None:
    url = api_client.get(LIST_URL).json()["results"][0]["url"]

    assert url == "http://testserver" + reverse("api:program-detail", kwargs={"slug": "joint"})
    assert api_client.get(url).json()["slug"] == "joint"


@pytest.mark.parametrize("size", [1, 4])
def test_detail_runs_nine_queries_however_large_the_program(
    api_client: APIClient, django_assert_num_queries: Any, moscow: Any, size: int
) -> None:
    program = ProgramFactory(slug="big", owner=moscow)
    for number in range(size):
        program.buyers.add(AgencyFactory())
        program.sectors.add(sector(["mobility", "health", "energy", "retail"][number]))
        StageFactory(program=program, order=number)
        Challenge.objects.create(
            program=program, title=f"Need {number}", sector=sector("health"), order=number
        )
        add_criterion(
            program,
            label=f"Rule {number}",
            groups=[[("trl", "gte", 5), ("has_demo", "is_true", None)], [("country", "eq", "RU")]],
        )

    # 1. the program, its owner joined
    # 2. its criteria   3. their requirement groups   4. their requirements
    # 5. its buyer agencies   6. its sectors   7. its stages
    # 8. its challenges, their sectors joined
    # 9. the sector names the rules' descriptions use
    with django_assert_num_queries(9):
        response = api_client.get(detail_url("big"))

    assert response.status_code == 200
    assert len(response.json()["criteria"]) == size


# --- found by the fuzzer (tests/test_api_fuzz.py) ------------------------------------------------


@pytest.mark.parametrize("name", ["kind", "intake", "status", "page"])
def test_an_empty_filter_is_no_filter_as_the_schema_says(name: str) -> None:
    # ?kind= is how the catalog page's form sends "any kind"; the schema called it invalid.
    ProgramFactory(slug="open")
    ProgramFactory(slug="closed", status=Program.Status.CLOSED)
    query = {name: ""}

    response = call_documented("/api/v1/programs/", "GET", query=query)

    assert request_is_documented("/api/v1/programs/", "GET", query=query)
    assert response.json()["count"] == 2
