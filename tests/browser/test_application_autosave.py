"""A vendor's draft application in a real browser: answers save as they are typed, a bad one is
named beside its field, and the page says so in its live region."""

import re

import pytest
from django.core.management import call_command

from applicants.applications import application_start
from applicants.models import Application, Company, CompanyMembership
from programs.models import Program, Question, Sector
from tests.factories import USER_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft(live_server, default_sectors) -> Application:
    call_command("load_demo", verbosity=0)
    taipei = Program.objects.select_related("owner").get(slug="taipei-bottom-up-poc")
    Question.objects.create(program=taipei, kind="short-text", label="Your idea in one sentence")
    Question.objects.create(program=taipei, kind="number", label="Budget (TWD)", order=1)
    owner = UserFactory(email="founder@mobility.example.tw")
    company = Company.objects.create(legal_name="Taipei Curbside", country="TW", trl=8)
    company.sectors.set(Sector.objects.filter(code="mobility"))
    CompanyMembership.objects.create(user=owner, company=company, role="owner")
    return application_start(company=company, user=owner, program=taipei)


def test_answers_save_as_they_are_typed_and_a_bad_one_is_named(live_server, page, draft):
    # given the vendor signed in on their draft
    page.goto(
        f"{live_server.url}/accounts/login/?next=/companies/{draft.company_id}/applications/{draft.pk}/"
    )
    page.get_by_label(re.compile(r"^Email")).fill("founder@mobility.example.tw")
    page.get_by_label(re.compile(r"^Password")).fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(rf"/applications/{draft.pk}/$"))
    status = page.locator("[data-autosave-status]")

    # when they type an answer, without pressing Save
    page.get_by_label(re.compile(r"^Your idea in one sentence")).fill(
        "Sensors for curbside parking"
    )

    # then the live region says it is saved, and it is
    status.filter(has_text=re.compile(r"^Saved$")).wait_for()
    draft.refresh_from_db()
    assert list(draft.answers.values()) == ["Sensors for curbside parking"]

    # when a number is not one, it is named beside its field and nothing more is saved
    budget = page.get_by_label(re.compile(r"^Budget"))
    budget.evaluate("input => { input.type = 'text'; }")
    budget.fill("a lot")
    status.filter(has_text="Not saved").wait_for()
    assert "Give a number" in page.locator("[data-autosave-error-for]").nth(1).inner_text()
    assert budget.get_attribute("aria-invalid") == "true"
