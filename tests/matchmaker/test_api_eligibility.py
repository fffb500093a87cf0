"""POST /api/v1/programs/{slug}/eligibility/."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from matchmaker.api import (
    EXAMPLE_BAD_FACTS,
    EXAMPLE_BAD_FACTS_ERRORS,
    EXAMPLE_FACTS,
    EXAMPLE_REPORT,
)
from programs.models import Program
from tests.factories import ProgramFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    # The eligibility throttle counts in the cache, which outlives a test; without this the
    # suite's checks would add up to a 429 somewhere.
    cache.clear()


TAIWAN_MOBILITY = {"country": "TW", "partner_countries": [], "sectors": ["mobility"], "trl": 8}


def check(client: APIClient, slug: str, body: Any) -> Any:
    return client.post(f"/api/v1/programs/{slug}/eligibility/", body, format="json")


def by_label(response: Any) -> dict[str, dict[str, Any]]:
    return {criterion["label"]: criterion for criterion in response.json()["criteria"]}


@pytest.fixture
def program() -> Program:
    program = ProgramFactory(slug="pilots")
    add_criterion(program, label="Ready to pilot", groups=[[("trl", "gte", 5)]])
    add_criterion(
        program,
        label="Has a demo",
        kind="award",
        weight=1,
        groups=[[("has_demo", "is_true", None)]],
    )
    return program


# --- the examples of the design, against the demo programs -------------------------------------


def test_a_taiwanese_company_without_partners_is_told_to_find_a_russian_one(
    api_client: APIClient, demo: None
) -> None:
    response = check(api_client, "moscow-pilots", TAIWAN_MOBILITY)

    assert response.status_code == 200
    assert response.json()["eligibility"] == "ineligible"
    partner_gate = by_label(response)["Russian company or foreign company with a Russian partner"]
    assert partner_gate["outcome"] == "fail"
    assert partner_gate["fixes"] == ["Add a partner registered in Russia"]


def test_the_same_company_is_eligible_for_the_taipei_poc_track(
    api_client: APIClient, demo: None
) -> None:
    response = check(api_client, "taipei-bottom-up-poc", TAIWAN_MOBILITY)

    assert response.json()["eligibility"] == "eligible"


def test_a_partner_registered_in_russia_makes_it_eligible_for_moscow(
    api_client: APIClient, demo: None
) -> None:
    response = check(api_client, "moscow-pilots", {**TAIWAN_MOBILITY, "partner_countries": ["RU"]})

    assert response.json()["eligibility"] == "eligible"


def test_without_a_trl_the_taipei_check_is_incomplete_on_that_gate_alone(
    api_client: APIClient, demo: None
) -> None:
    facts = {key: value for key, value in TAIWAN_MOBILITY.items() if key != "trl"}

    response = check(api_client, "taipei-bottom-up-poc", facts)

    assert response.json()["eligibility"] == "incomplete"
    open_questions = {
        label: criterion["fixes"]
        for label, criterion in by_label(response).items()
        if criterion["outcome"] != "pass"
    }
    assert open_questions == {"Ready for a real-site demonstration": ["Tell us your TRL"]}


def test_a_finished_product_is_ineligible_for_pre_commercial_procurement(
    api_client: APIClient, demo: None
) -> None:
    facts = {**TAIWAN_MOBILITY, "sectors": ["energy"], "has_demo": True, "trl": 9}

    response = check(api_client, "procure-renewable-buildings", facts)

    assert response.json()["eligibility"] == "ineligible"
    rd_gate = by_label(response)["R&D-stage solution"]
    assert rd_gate["outcome"] == "fail"
    assert rd_gate["fixes"] == ["TRL must be between 3 and 8 — yours is 9"]


def test_the_documented_example_is_what_the_api_answers(api_client: APIClient, demo: None) -> None:
    response = check(api_client, "moscow-pilots", EXAMPLE_FACTS)

    def without_keys(report: dict[str, Any]) -> dict[str, Any]:
        # Criterion keys are database ids, which differ between databases.
        criteria = [{**criterion, "key": None} for criterion in report["criteria"]]
        return {**report, "criteria": criteria}

    assert without_keys(response.json()) == without_keys(EXAMPLE_REPORT)


def test_the_documented_bad_facts_example_is_what_the_api_answers(
    api_client: APIClient, demo: None
) -> None:
    response = check(api_client, "moscow-pilots", EXAMPLE_BAD_FACTS)

    assert response.status_code == 400
    assert response.json() == EXAMPLE_BAD_FACTS_ERRORS


# --- the answer ------------------------------------------------------------------------------


def test_the_answer_has_the_documented_shape(api_client: APIClient, program: Program) -> None:
    criterion = program.criteria.get(label="Ready to pilot")

    response = check(api_client, "pilots", {"trl": 3, "has_demo": True})

    assert response.json() == {
        "program": "pilots",
        "eligibility": "ineligible",
        "score": 100.0,
        "rules_version": 1,
        "criteria": [
            {
                "key": str(criterion.pk),
                "label": "Ready to pilot",
                "kind": "gate",
                "outcome": "fail",
                "message": "TRL at least 5",
                "fixes": ["TRL must be at least 5 — yours is 3"],
            },
            {
                "key": str(program.criteria.get(label="Has a demo").pk),
                "label": "Has a demo",
                "kind": "award",
                "outcome": "pass",
                "message": "Has a working demo",
                "fixes": [],
            },
        ],
    }


def test_a_program_without_award_criteria_has_no_score(api_client: APIClient) -> None:
    add_criterion(ProgramFactory(slug="gates-only"), label="TRL", groups=[[("trl", "gte", 5)]])

    response = check(api_client, "gates-only", {"trl": 6})

    assert response.json()["score"] is None


def test_an_empty_body_is_checked_with_every_fact_unknown(
    api_client: APIClient, program: Program
) -> None:
    response = check(api_client, "pilots", {})

    assert response.status_code == 200
    assert response.json()["eligibility"] == "incomplete"


def test_a_null_fact_is_unknown_not_invalid(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"trl": None, "has_demo": None, "country": None})

    assert response.status_code == 200
    assert by_label(response)["Ready to pilot"]["outcome"] == "unknown"


def test_an_empty_partner_list_is_known_but_an_absent_one_is_not(api_client: APIClient) -> None:
    add_criterion(
        ProgramFactory(slug="partners"),
        label="Russian partner",
        groups=[[("partner_countries", "contains", "RU")]],
    )

    none = check(api_client, "partners", {"partner_countries": []})
    absent = check(api_client, "partners", {})

    assert none.json()["eligibility"] == "ineligible"
    assert absent.json()["eligibility"] == "incomplete"


def test_a_closed_program_can_still_be_checked(api_client: APIClient, program: Program) -> None:
    program.status = Program.Status.CLOSED
    program.save(update_fields=["status"])

    response = check(api_client, "pilots", {"trl": 6})

    assert response.status_code == 200
    assert response.json()["eligibility"] == "eligible"


def test_a_signed_in_browser_needs_no_csrf_token(program: Program) -> None:
    user = get_user_model().objects.create_user(
        email="vendor@example.com", password="x-long-password"
    )
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = check(client, "pilots", {"trl": 6})

    assert response.status_code == 200


# --- programs that cannot be checked ---------------------------------------------------------


def test_an_unknown_program_is_not_found(api_client: APIClient) -> None:
    assert check(api_client, "no-such-program", {"trl": 6}).status_code == 404


def test_a_draft_program_is_not_found(api_client: APIClient, program: Program) -> None:
    program.status = Program.Status.DRAFT
    program.save(update_fields=["status"])

    assert check(api_client, "pilots", {"trl": 6}).status_code == 404


# --- bad facts -------------------------------------------------------------------------------


def test_an_unknown_country_code_is_rejected(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"country": "XX"})

    assert response.status_code == 400
    assert response.json() == {"country": ['"XX" is not a valid choice.']}


def test_a_lower_case_country_code_is_rejected(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"country": "ru"})

    assert response.status_code == 400
    assert list(response.json()) == ["country"]


def test_an_unknown_partner_country_is_rejected_by_position(
    api_client: APIClient, program: Program
) -> None:
    response = check(api_client, "pilots", {"partner_countries": ["RU", "ZZ"]})

    assert response.status_code == 400
    assert response.json() == {"partner_countries": {"1": ['"ZZ" is not a valid choice.']}}


def test_a_single_country_where_a_list_belongs_is_rejected(
    api_client: APIClient, program: Program
) -> None:
    response = check(api_client, "pilots", {"partner_countries": "RU"})

    assert response.status_code == 400
    assert list(response.json()) == ["partner_countries"]


@pytest.mark.parametrize("trl", [0, 10])
def test_a_trl_outside_one_to_nine_is_rejected(
    api_client: APIClient, program: Program, trl: int
) -> None:
    response = check(api_client, "pilots", {"trl": trl})

    assert response.status_code == 400
    assert list(response.json()) == ["trl"]


def test_an_unknown_sector_is_rejected(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"sectors": ["mobility", "space-travel"]})

    assert response.status_code == 400
    assert response.json() == {"sectors": {"1": ["“space-travel” is not a known sector code."]}}


def test_a_trl_written_as_a_string_is_rejected(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"trl": "5"})

    assert response.status_code == 400
    assert response.json() == {"trl": ["A valid integer is required."]}


@pytest.mark.parametrize("trl", [5.0, 5.5, True])
def test_a_trl_that_is_not_a_json_integer_is_rejected(
    api_client: APIClient, program: Program, trl: Any
) -> None:
    response = check(api_client, "pilots", {"trl": trl})

    assert response.status_code == 400
    assert list(response.json()) == ["trl"]


def test_one_as_has_demo_is_rejected(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"has_demo": 1})

    assert response.status_code == 400
    assert response.json() == {"has_demo": ["Must be a valid boolean."]}


@pytest.mark.parametrize("has_demo", ["true", "yes", 0])
def test_has_demo_must_be_a_json_boolean(
    api_client: APIClient, program: Program, has_demo: Any
) -> None:
    response = check(api_client, "pilots", {"has_demo": has_demo})

    assert response.status_code == 400
    assert list(response.json()) == ["has_demo"]


def test_a_negative_number_of_employees_is_rejected(
    api_client: APIClient, program: Program
) -> None:
    response = check(api_client, "pilots", {"employees": -1})

    assert response.status_code == 400
    assert list(response.json()) == ["employees"]


def test_an_unknown_key_is_rejected_by_name(api_client: APIClient, program: Program) -> None:
    response = check(api_client, "pilots", {"trl": 6, "trl_level": 6})

    assert response.status_code == 400
    assert list(response.json()) == ["trl_level"]
    assert "trl" in response.json()["trl_level"][0]


@pytest.mark.parametrize("body", [[{"trl": 6}], "trl", 6])
def test_a_body_that_is_not_an_object_is_rejected(
    api_client: APIClient, program: Program, body: Any
) -> None:
    response = check(api_client, "pilots", body)

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_every_bad_fact_is_named_at_once(api_client: APIClient, program: Program) -> None:
    response = check(
        api_client,
        "pilots",
        {
            "country": "XX",
            "partner_countries": ["RU"],
            "sectors": ["nowhere"],
            "trl": "5",
            "has_demo": 1,
            "employees": 12,
            "founded_year": 1500,
            "shoe_size": 44,
        },
    )

    assert response.status_code == 400
    assert sorted(response.json()) == [
        "country",
        "founded_year",
        "has_demo",
        "sectors",
        "shoe_size",
        "trl",
    ]


def test_a_form_encoded_body_is_refused(api_client: APIClient, program: Program) -> None:
    response = api_client.post(
        "/api/v1/programs/pilots/eligibility/", {"trl": "6"}, format="multipart"
    )

    assert response.status_code == 415


# --- rate limit ------------------------------------------------------------------------------


def test_the_third_check_in_a_minute_is_throttled_at_two_a_minute(
    api_client: APIClient, program: Program, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"eligibility": "2/minute"},
    }

    answers = [check(api_client, "pilots", {"trl": 6}).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_the_answer_is_worded_in_the_request_language(api_client: APIClient) -> None:
    add_criterion(
        ProgramFactory(slug="partners"),
        label="Russian partner",
        groups=[[("partner_countries", "contains", "RU")]],
    )

    # LocaleMiddleware leaves its language active in this thread; override puts English back.
    with translation.override("en"):
        response = api_client.post(
            "/api/v1/programs/partners/eligibility/",
            {"partner_countries": []},
            format="json",
            headers={"accept-language": "ru"},
        )

    # Our phrases and django-countries' names, both in Russian.
    assert response.json()["criteria"][0]["fixes"] == ["Добавьте партнёра из страны: Россия"]


def test_a_check_with_compiled_rules_runs_three_queries(
    api_client: APIClient, program: Program, django_assert_num_queries: Any
) -> None:
    check(api_client, "pilots", {})

    # 1. the program by slug   2. the sector codes the facts are checked against
    # 3. the sector names the answer is worded with; the rules stay compiled in the process
    with django_assert_num_queries(3):
        response = check(api_client, "pilots", {"sectors": ["mobility", "health"], "trl": 6})

    assert response.status_code == 200
