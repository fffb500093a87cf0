"""GET /api/v1/programs/{slug}/ocds/ and GET /api/v1/ocds/releases/: programs as OCDS release
packages, validated offline against the standard's 1.1.5 schemas (tests/data/ocds-1.1.5/)."""

import copy
import datetime
import functools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from rest_framework.test import APIClient

from programs.demo import PROGRAMS
from programs.models import (
    Agency,
    Criterion,
    Program,
    Requirement,
    RequirementGroup,
    Stage,
)
from programs.ocds import AWARD_CRITERIA_EXTENSION, LOTS_EXTENSION, REQUIREMENTS_EXTENSION
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion, sector

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
FEED_URL = "/api/v1/ocds/releases/"
SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "ocds-1.1.5"
DEMO_SLUGS = [demo.slug for demo in PROGRAMS]


def ocds_url(slug: str) -> str:
    return f"/api/v1/programs/{slug}/ocds/"


def at(year: int, month: int, day: int, hour: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=UTC)


# --- the validator -------------------------------------------------------------------------------

# jsonschema checks the formats it has a library for, and none is installed for these two: the
# checks the schemas ask for, written out. A datetime must carry its offset.
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value and datetime.datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def validator() -> Draft4Validator:
    """The release package schema, its $ref to the release schema's URL answered by the local
    copy: no network."""
    release = _schema("release-schema.json")
    registry: Registry[Any] = Registry().with_resource(
        release["id"], Resource.from_contents(release, default_specification=DRAFT4)
    )
    return Draft4Validator(
        _schema("release-package-schema.json"), registry=registry, format_checker=FORMATS
    )


def schema_errors(package: Any) -> list[str]:
    return sorted(
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator().iter_errors(package)
    )


# --- every demo program, and the feed ------------------------------------------------------------


@pytest.mark.parametrize("slug", DEMO_SLUGS)
def test_every_demo_program_is_a_valid_release_package(
    api_client: APIClient, demo: None, slug: str
) -> None:
    response = api_client.get(ocds_url(slug))

    assert response.status_code == 200
    package = response.json()
    assert schema_errors(package) == []
    (release,) = package["releases"]
    assert release["ocid"] == f"{settings.OCDS_OCID_PREFIX}-{slug}"
    assert package["uri"] == f"http://testserver{ocds_url(slug)}"
    # every demo program has gates, stages and a tender period
    assert release["tender"]["criteria"]
    assert release["tender"]["tenderPeriod"]["endDate"]
    assert len(release["tender"]["milestones"]) == len(
        next(demo for demo in PROGRAMS if demo.slug == slug).stages
    )


def test_the_feed_holds_every_open_demo_program_and_is_valid(
    api_client: APIClient, demo: None
) -> None:
    response = api_client.get(FEED_URL)

    assert response.status_code == 200
    package = response.json()
    assert schema_errors(package) == []
    assert [release["ocid"] for release in package["releases"]] == [
        f"{settings.OCDS_OCID_PREFIX}-{slug}" for slug in sorted(DEMO_SLUGS)
    ]
    assert package["extensions"] == [
        REQUIREMENTS_EXTENSION,
        LOTS_EXTENSION,
        AWARD_CRITERIA_EXTENSION,
    ]


def test_a_feed_release_is_the_programs_own_release(api_client: APIClient, demo: None) -> None:
    feed = api_client.get(FEED_URL).json()
    own = api_client.get(ocds_url("moscow-pilots")).json()

    (in_feed,) = [r for r in feed["releases"] if r["ocid"] == own["releases"][0]["ocid"]]
    assert in_feed == own["releases"][0]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda p: p.pop("publisher"), "'publisher' is a required property"),
        (lambda p: p["releases"][0]["tender"].update(status="open"), "'open' is not one of"),
        (
            lambda p: p["releases"][0]["tender"].update(awardCriteria={"criteria": []}),
            "is not of type 'string', 'null'",
        ),
        (
            lambda p: p["releases"][0]["tender"]["value"].update(amount="7680000.00"),
            "is not of type 'number', 'null'",
        ),
        (lambda p: p["releases"][0].update(date="2035-01-01T10:00:00"), "is not a 'date-time'"),
        (lambda p: p.update(releases=[]), "[] should be non-empty"),
    ],
)
def test_the_validator_rejects_a_broken_package(
    api_client: APIClient, demo: None, breakage: Any, expected: str
) -> None:
    # Guards the tests above: a validator that found nothing wrong with anything would pass them.
    package = api_client.get(ocds_url("procure-renewable-buildings")).json()
    assert schema_errors(package) == []
    broken = copy.deepcopy(package)

    breakage(broken)

    errors = schema_errors(broken)
    assert len(errors) == 1
    assert expected in errors[0]


# --- what is published ---------------------------------------------------------------------------


def test_a_draft_is_not_published(api_client: APIClient) -> None:
    ProgramFactory(slug="secret", status=Program.Status.DRAFT)

    response = api_client.get(ocds_url("secret"))
    feed = api_client.get(FEED_URL).json()

    assert response.status_code == 404
    assert response.json() == {"detail": "No published program has this slug."}
    assert feed["releases"] == []


def test_an_unknown_slug_is_not_found(api_client: APIClient) -> None:
    assert api_client.get(ocds_url("no-such-program")).status_code == 404


@pytest.mark.parametrize("status", [Program.Status.CLOSED, Program.Status.ARCHIVED])
def test_a_closed_program_is_published_as_complete_but_left_out_of_the_feed(
    api_client: APIClient, status: str
) -> None:
    ProgramFactory(slug="past", status=status)
    ProgramFactory(slug="current")

    own = api_client.get(ocds_url("past"))
    feed = api_client.get(FEED_URL).json()

    assert own.status_code == 200
    assert schema_errors(own.json()) == []
    assert own.json()["releases"][0]["tender"]["status"] == "complete"
    assert [release["tender"]["id"] for release in feed["releases"]] == ["current"]
    assert feed["releases"][0]["tender"]["status"] == "active"


def test_an_empty_feed_breaks_only_the_schemas_one_release_minimum(api_client: APIClient) -> None:
    # No program is open: aggregators still get a package (the choice documented in the API
    # schema), whose only fault is the schema's demand for at least one release.
    response = api_client.get(FEED_URL)

    assert response.status_code == 200
    assert response.json()["releases"] == []
    assert schema_errors(response.json()) == ["releases: [] should be non-empty"]


# --- one program in detail -----------------------------------------------------------------------


@pytest.fixture
def joint() -> Program:
    """A joint program with a budget, a past application stage, three gates and two weighted
    award criteria."""
    moscow = AgencyFactory(
        slug="moscow-innovation-agency",
        name="Moscow Agency of Innovations",
        city="Moscow",
        country="RU",
        time_zone="Europe/Moscow",
        website="https://innoagency.example",
    )
    eilat = AgencyFactory(
        slug="eilat", name="Eilat", city="Eilat", country="IL", time_zone="Asia/Jerusalem"
    )
    program = ProgramFactory(
        slug="joint",
        title="Joint pilots",
        summary="Pilots run by two cities.",
        owner=moscow,
        kind=Program.Kind.PRE_COMMERCIAL_PROCUREMENT,
        intake=Program.Intake.NEED_LED,
        budget_amount=Decimal("7680000"),
        budget_currency="EUR",
    )
    program.buyers.add(eilat)
    StageFactory(
        program=program,
        order=0,
        name="Application",
        description="Submit your proposal.",
        opens_at=at(2020, 1, 1, 6),
        closes_at=at(2020, 3, 1, 15),
    )
    StageFactory(
        program=program, order=1, name="Pilot", opens_at=at(2035, 6, 1), closes_at=at(2035, 9, 1)
    )
    add_criterion(
        program,
        label="Russian company or partner",
        groups=[[("country", "in", ["RU", "KZ"])], [("partner_countries", "contains", "RU")]],
    )
    add_criterion(
        program,
        label="R&D-stage solution with a demo",
        groups=[[("trl", "between", [3, 8]), ("has_demo", "is_true", None)]],
    )
    add_criterion(
        program,
        label="Works on energy or buildings",
        groups=[[("sectors", "overlaps", ["energy", "buildings"])]],
    )
    add_criterion(
        program,
        label="Product maturity",
        kind=Criterion.Kind.AWARD,
        weight=3,
        groups=[[("trl", "scale", [5, 9])]],
    )
    add_criterion(
        program,
        label="Has run pilots",
        kind=Criterion.Kind.AWARD,
        weight=1,
        groups=[[("prior_pilots", "gte", 1)]],
    )
    return program


def ids(criterion_label: str) -> tuple[str, list[str], list[str]]:
    """The OCDS ids of a criterion, its groups and its requirements, by primary key."""
    criterion = Criterion.objects.get(label=criterion_label)
    groups = RequirementGroup.objects.filter(criterion=criterion).order_by("order")
    requirements = Requirement.objects.filter(group__criterion=criterion).order_by(
        "group__order", "order"
    )
    return (
        f"criterion-{criterion.pk}",
        [f"group-{group.pk}" for group in groups],
        [f"requirement-{requirement.pk}" for requirement in requirements],
    )


def test_the_gates_are_criteria_with_their_requirement_values(
    api_client: APIClient, joint: Program
) -> None:
    russian, russian_groups, russian_requirements = ids("Russian company or partner")
    ready, ready_groups, ready_requirements = ids("R&D-stage solution with a demo")
    sectors, sectors_groups, sectors_requirements = ids("Works on energy or buildings")

    tender = api_client.get(ocds_url("joint")).json()["releases"][0]["tender"]

    assert tender["criteria"] == [
        {
            "id": russian,
            "title": "Russian company or partner",
            "description": "Registered in one of: Russia, Kazakhstan, or a partner registered "
            "in Russia",
            "relatesToTenderer": True,
            "requirementGroups": [
                {
                    "id": russian_groups[0],
                    "description": "Registered in one of: Russia, Kazakhstan",
                    "requirements": [
                        {
                            "id": russian_requirements[0],
                            "title": "Country of registration",
                            "description": "Registered in one of: Russia, Kazakhstan",
                            "dataType": "string",
                            "pattern": "^(RU|KZ)$",
                        }
                    ],
                },
                {
                    "id": russian_groups[1],
                    "description": "A partner registered in Russia",
                    "requirements": [
                        {
                            "id": russian_requirements[1],
                            "title": "Partner countries",
                            "description": "A partner registered in Russia",
                            "dataType": "string",
                            "expectedValue": "RU",
                        }
                    ],
                },
            ],
        },
        {
            "id": ready,
            "title": "R&D-stage solution with a demo",
            "description": "TRL between 3 and 8 and has a working demo",
            "relatesToTenderer": True,
            "requirementGroups": [
                {
                    "id": ready_groups[0],
                    "description": "TRL between 3 and 8 and has a working demo",
                    "requirements": [
                        {
                            "id": ready_requirements[0],
                            "title": "TRL",
                            "description": "TRL between 3 and 8",
                            "dataType": "integer",
                            "minValue": 3,
                            "maxValue": 8,
                        },
                        {
                            "id": ready_requirements[1],
                            "title": "Working demo",
                            "description": "Has a working demo",
                            "dataType": "boolean",
                            "expectedValue": True,
                        },
                    ],
                }
            ],
        },
        {
            "id": sectors,
            "title": "Works on energy or buildings",
            "description": "Works in at least one of: Energy, Buildings",
            "relatesToTenderer": True,
            "requirementGroups": [
                {
                    "id": sectors_groups[0],
                    "description": "Works in at least one of: Energy, Buildings",
                    "requirements": [
                        {
                            "id": sectors_requirements[0],
                            "title": "Sectors",
                            "description": "Works in at least one of: Energy, Buildings",
                            "dataType": "string",
                            "pattern": "^(energy|buildings)$",
                        }
                    ],
                }
            ],
        },
    ]


def test_the_award_criteria_carry_their_weights_on_the_programs_lot(
    api_client: APIClient, joint: Program
) -> None:
    tender = api_client.get(ocds_url("joint")).json()["releases"][0]["tender"]

    # core awardCriteria stays a codelist string; the weighted criteria hang on the one lot
    assert tender["awardCriteria"] == "qualityOnly"
    assert tender["lots"] == [
        {
            "id": "1",
            "awardCriteria": {
                "criteria": [
                    {
                        "type": "quality",
                        "name": "Product maturity",
                        "description": "Higher TRL scores more (from 5 to 9)",
                        "numbers": [{"number": 3.0, "weight": "pointsExact"}],
                    },
                    {
                        "type": "quality",
                        "name": "Has run pilots",
                        "description": "At least 1 prior pilot",
                        "numbers": [{"number": 1.0, "weight": "pointsExact"}],
                    },
                ]
            },
        }
    ]


def test_the_release_tells_the_tender_its_parties_and_stages(
    api_client: APIClient, joint: Program
) -> None:
    application, pilot = Stage.objects.filter(program=joint).order_by("order")

    package = api_client.get(ocds_url("joint")).json()

    assert schema_errors(package) == []
    release = package["releases"][0]
    tender = release["tender"]
    assert (release["tag"], release["initiationType"], release["language"]) == (
        ["tender"],
        "tender",
        "en",
    )
    assert release["parties"] == [
        {
            "id": "moscow-innovation-agency",
            "name": "Moscow Agency of Innovations",
            "roles": ["buyer", "procuringEntity"],
            "address": {"locality": "Moscow", "countryName": "Russia"},
            "contactPoint": {"url": "https://innoagency.example"},
        },
        {
            "id": "eilat",
            "name": "Eilat",
            "roles": ["buyer"],
            "address": {"locality": "Eilat", "countryName": "Israel"},
        },
    ]
    owner = {"id": "moscow-innovation-agency", "name": "Moscow Agency of Innovations"}
    assert release["buyer"] == tender["procuringEntity"] == owner
    assert {key: tender[key] for key in ("id", "title", "description", "status")} == {
        "id": "joint",
        "title": "Joint pilots",
        "description": "Pilots run by two cities.",
        "status": "active",
    }
    assert (tender["procurementMethod"], tender["procurementMethodDetails"]) == (
        "open",
        "Pre-commercial procurement / Need-led",
    )
    # an amount is a number, not the API's decimal string
    assert tender["value"] == {"amount": 7680000.0, "currency": "EUR"}
    # the application stage's window, in Moscow time
    assert tender["tenderPeriod"] == {
        "startDate": "2020-01-01T09:00:00+03:00",
        "endDate": "2020-03-01T18:00:00+03:00",
    }
    assert tender["milestones"] == [
        {
            "id": f"stage-{application.pk}",
            "title": "Application",
            "description": "Submit your proposal.",
            "type": "engagement",
            "status": "met",
            "dueDate": "2020-03-01T18:00:00+03:00",
            "dateMet": "2020-03-01T18:00:00+03:00",
        },
        {
            "id": f"stage-{pilot.pk}",
            "title": "Pilot",
            "type": "assessment",
            "status": "scheduled",
            "dueDate": "2035-09-01T03:00:00+03:00",
        },
    ]
    assert tender["documents"] == [
        {
            "id": "program-page",
            "documentType": "tenderNotice",
            "title": "Joint pilots",
            "url": "http://testserver/programs/joint/",
            "format": "text/html",
        }
    ]


def test_the_rules_read_as_the_program_api_words_them(
    api_client: APIClient, joint: Program
) -> None:
    detail = api_client.get(f"/api/v1/programs/{joint.slug}/").json()["criteria"]
    tender = api_client.get(ocds_url("joint")).json()["releases"][0]["tender"]

    gates = [criterion for criterion in detail if criterion["kind"] == "gate"]
    awards = [criterion for criterion in detail if criterion["kind"] == "award"]
    assert [c["description"] for c in tender["criteria"]] == [c["description"] for c in gates]
    assert [
        r["description"]
        for c in tender["criteria"]
        for g in c["requirementGroups"]
        for r in g["requirements"]
    ] == [r["description"] for c in gates for g in c["groups"] for r in g["requirements"]]
    assert [c["description"] for c in tender["lots"][0]["awardCriteria"]["criteria"]] == [
        c["description"] for c in awards
    ]


def test_the_package_is_in_the_release_language_whatever_the_request_asks(
    api_client: APIClient, joint: Program
) -> None:
    english = api_client.get(ocds_url("joint"))
    russian = api_client.get(ocds_url("joint"), HTTP_ACCEPT_LANGUAGE="ru")
    # The API's own words do follow the request (so the comparison below can fail).
    detail = api_client.get("/api/v1/programs/joint/", HTTP_ACCEPT_LANGUAGE="ru").json()

    assert (
        detail["criteria"][0]["description"]
        != "Registered in one of: Russia, Kazakhstan, or a partner registered in Russia"
    )
    assert russian.json() == english.json()


def test_a_release_keeps_its_id_until_the_program_changes(
    api_client: APIClient, joint: Program
) -> None:
    # given every row it shows last changed on New Year's Day 2024
    for model in (Program, Agency, Stage, Criterion, RequirementGroup, Requirement):
        model.objects.update(updated_at=at(2024, 1, 1))
    first = api_client.get(ocds_url("joint")).json()["releases"][0]
    again = api_client.get(ocds_url("joint")).json()["releases"][0]

    # when the program is edited
    joint.title = "Joint pilots, second call"
    joint.save()
    changed = api_client.get(ocds_url("joint")).json()["releases"][0]

    # then a new release, dated now
    assert again == first
    assert first["date"] == "2024-01-01T03:00:00+03:00"
    assert changed["id"] != first["id"]
    assert changed["id"].startswith("joint-")
    edited = datetime.datetime.fromisoformat(changed["date"])
    assert timezone.now() - edited < datetime.timedelta(minutes=1)


def test_a_program_without_budget_rules_or_stages_is_still_valid(api_client: APIClient) -> None:
    ProgramFactory(slug="bare")

    package = api_client.get(ocds_url("bare")).json()

    assert schema_errors(package) == []
    tender = package["releases"][0]["tender"]
    assert not {"value", "tenderPeriod", "milestones", "criteria", "lots", "awardCriteria"} & set(
        tender
    )
    assert "extensions" not in package


# --- queries -------------------------------------------------------------------------------------


def _program_with_everything(number: int) -> Program:
    program = ProgramFactory(slug=f"program-{number}")
    program.buyers.add(AgencyFactory(), AgencyFactory())
    program.sectors.add(sector("mobility"))
    StageFactory(program=program, order=0)
    StageFactory(program=program, order=1)
    add_criterion(
        program,
        label=f"Gate {number}",
        groups=[[("trl", "gte", 5), ("has_demo", "is_true", None)], [("country", "eq", "RU")]],
    )
    add_criterion(
        program,
        label=f"Award {number}",
        kind=Criterion.Kind.AWARD,
        weight=2,
        groups=[[("sectors", "overlap_ratio", ["mobility", "health"])]],
    )
    return program


@pytest.mark.parametrize("programs", [1, 3])
def test_the_feed_runs_seven_queries_however_many_programs(
    api_client: APIClient, django_assert_num_queries: Any, programs: int
) -> None:
    for number in range(programs):
        _program_with_everything(number)

    # 1. the open programs, their owners joined
    # 2. their criteria   3. the criteria's requirement groups   4. the groups' requirements
    # 5. their buyer agencies   6. their stages
    # 7. the sector names the rules' descriptions use
    with django_assert_num_queries(7):
        response = api_client.get(FEED_URL)

    assert len(response.json()["releases"]) == programs


def test_one_program_runs_the_same_seven_queries(
    api_client: APIClient, django_assert_num_queries: Any
) -> None:
    _program_with_everything(0)

    # the program and its owner, criteria, groups, requirements, buyers, stages, sector names
    with django_assert_num_queries(7):
        response = api_client.get(ocds_url("program-0"))

    assert response.status_code == 200


def test_program_content_in_other_languages_comes_as_ocds_language_variants(
    api_client: APIClient, demo: None
) -> None:
    package = api_client.get(ocds_url("taipei-needs-first")).json()

    tender = package["releases"][0]["tender"]
    assert tender["title"] == "Taipei needs-first challenges"
    assert tender["title_zh-Hant"] == "臺北市需求導向徵案"
    assert "title_ru" not in tender  # no Russian text: no variant
    assert tender["milestones"][0]["title_zh-Hant"] == "書面審查"
    assert schema_errors(package) == []
