"""The eligibility preview: a company's facts against every open program, with the API's engine."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from applicants import selectors, services
from applicants.models import Company, User
from applicants.preview import eligibility_preview
from programs.models import Program, Sector
from tests.factories import ProgramFactory, UserFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor() -> User:
    user: User = UserFactory(email="vendor@example.com")
    return user


@pytest.fixture
def taiwanese(vendor: User) -> Company:
    """DESIGN's example: a Taiwanese mobility company at TRL 8 that works without partners."""
    company = services.company_create(
        user=vendor,
        legal_name="Taipei Parking Sensors",
        country="TW",
        trl=8,
        sectors=[Sector.objects.get(code="mobility")],
    )
    services.partners_declare_none(company=company, user=vendor)
    return company


def facts_of(company: Company) -> dict[str, Any]:
    return selectors.company_facts(selectors.company_profile(company.memberships.get().user).get())


def by_slug(previews: list[Any]) -> dict[str, Any]:
    return {preview.report.program: preview for preview in previews}


def card(page: str, slug: str) -> str:
    """The HTML of one program's entry on the preview page."""
    return page.split(f'data-program="{slug}"', 1)[1].split("data-program=", 1)[0]


def test_a_taiwanese_company_without_partners_is_not_eligible_for_moscow_and_told_why(
    demo: None, taiwanese: Company
) -> None:
    moscow = by_slug(eligibility_preview(facts=facts_of(taiwanese)))["moscow-pilots"]

    assert moscow.report.eligibility == "ineligible"
    [gate] = moscow.open_gates
    assert gate.outcome == "fail"
    assert gate.message == "Registered in Russia, or a partner registered in Russia"
    assert gate.fixes == ("Add a partner registered in Russia",)


def test_a_partner_in_russia_makes_the_company_eligible_for_moscow(
    demo: None, vendor: User, taiwanese: Company
) -> None:
    services.partner_add(company=taiwanese, user=vendor, name="Moscow Integrator", country="RU")

    moscow = by_slug(eligibility_preview(facts=facts_of(taiwanese)))["moscow-pilots"]

    assert moscow.report.eligibility == "eligible"
    assert moscow.open_gates == ()


def test_the_preview_covers_open_programs_only_best_fits_first(
    demo: None, taiwanese: Company
) -> None:
    Program.objects.filter(slug="bristol-5g-logistics").update(status=Program.Status.CLOSED)
    ProgramFactory(slug="a-draft", status=Program.Status.DRAFT)

    previews = eligibility_preview(facts=facts_of(taiwanese))

    assert [(p.report.program, p.report.eligibility) for p in previews] == [
        ("taipei-bottom-up-poc", "eligible"),
        ("taipei-needs-first", "eligible"),
        ("moscow-pilots", "ineligible"),
        ("procure-renewable-buildings", "ineligible"),
    ]


def test_an_unknown_fact_leaves_a_program_incomplete_with_a_request_for_it(demo: None) -> None:
    moscow = by_slug(eligibility_preview(facts={"country": "TW", "sectors": ["mobility"]}))[
        "moscow-pilots"
    ]

    assert moscow.report.eligibility == "incomplete"
    assert {fix for gate in moscow.open_gates for fix in gate.fixes} == {
        "Tell us your partner countries",
        "Tell us your TRL",
    }


def test_the_preview_agrees_with_the_eligibility_api_program_by_program(
    demo: None, taiwanese: Company, api_client: APIClient
) -> None:
    facts = facts_of(taiwanese)

    for preview in eligibility_preview(facts=facts):
        url = reverse("api:program-eligibility", kwargs={"slug": preview.report.program})
        answer = api_client.post(url, facts, format="json").json()
        assert answer["eligibility"] == preview.report.eligibility
        assert answer["score"] == preview.report.score
        assert [(c["outcome"], c["message"], c["fixes"]) for c in answer["criteria"]] == [
            (c.outcome, c.message, list(c.fixes)) for c in preview.report.criteria
        ]


def test_the_preview_takes_five_queries_however_many_programs_are_open(
    demo: None, django_assert_num_queries: Any
) -> None:
    for number in range(5):
        program = ProgramFactory(slug=f"extra-{number}")
        add_criterion(
            program, label="Ready", groups=[[("trl", "gte", 5)], [("has_demo", "is_true", None)]]
        )
    facts = {"country": "TW", "trl": 6}

    # 1 the open programs with their owner agencies
    # 2 their criteria, 3 the criteria's requirement groups, 4 the groups' requirements
    # 5 the sector names the plain-language wording uses
    with django_assert_num_queries(5):
        previews = eligibility_preview(facts=facts)

    assert len(previews) == 10


def test_with_no_open_program_the_preview_is_empty_after_one_query(
    db: None, django_assert_num_queries: Any
) -> None:
    ProgramFactory(status=Program.Status.CLOSED)

    # 1 the open programs: there are none, so nothing else is read
    with django_assert_num_queries(1):
        assert eligibility_preview(facts={}) == []


# --- the preview page, rendered on the server --------------------------------------------------


def test_the_preview_page_shows_moscow_ineligible_then_eligible_after_a_russian_partner(
    demo: None, client: Client, vendor: User, taiwanese: Company
) -> None:
    client.force_login(vendor)
    url = reverse("companies:preview", args=[taiwanese.pk])

    # given a Taiwanese company without partners
    before = card(client.get(url).content.decode(), "moscow-pilots")
    assert "Not eligible" in before
    assert "Add a partner registered in Russia" in before

    # when the vendor adds a partner registered in Russia through the partners form
    response = client.post(
        reverse("companies:partners", args=[taiwanese.pk]),
        {"action": "add", "name": "Moscow Integrator", "country": "RU"},
    )
    assert response.status_code == 302

    # then the same page shows Moscow as eligible, with nothing left to fix
    after = card(client.get(url).content.decode(), "moscow-pilots")
    assert "badge-eligible" in after
    assert ">Eligible<" in after
    assert "Add a partner registered in Russia" not in after


def test_every_section_page_shows_the_preview_beside_the_form(
    demo: None, client: Client, vendor: User, taiwanese: Company
) -> None:
    client.force_login(vendor)

    page = client.get(reverse("companies:partners", args=[taiwanese.pk])).content.decode()

    moscow = card(page, "moscow-pilots")
    assert 'data-eligibility="ineligible"' in moscow
    assert "Add a partner registered in Russia" in moscow
    # and what the live script starts from: the saved facts and the endpoint it calls
    assert '<script id="preview-facts" type="application/json">' in page
    assert '"partner_countries": []' in page
    assert 'data-endpoint="/api/v1/programs/__slug__/eligibility/"' in page
    assert "js/preview.js" in page


def test_the_preview_page_makes_a_fixed_number_of_queries(
    demo: None,
    client: Client,
    vendor: User,
    taiwanese: Company,
    django_assert_num_queries: Any,
) -> None:
    client.force_login(vendor)
    url = reverse("companies:preview", args=[taiwanese.pk])

    # 1 the session, 2 the user,
    # 3 the company with the viewer's role, pitch deck and team size, 4 its sectors, 5 partners,
    # 6 the open programs, 7 criteria, 8 groups, 9 requirements, 10 sector names for the wording
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200

    for number in range(3):
        program = ProgramFactory(slug=f"more-{number}")
        add_criterion(program, label="Ready", groups=[[("trl", "gte", 5)]])

    with django_assert_num_queries(10):
        response = client.get(url)
    assert len(response.context["previews"]) == 8
