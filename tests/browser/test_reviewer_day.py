"""A Taipei staff member's day in a real browser (issue 5): sign in, open the dashboard of the
bottom-up POC, filter the matches, review an application and move it on; then take a POC from
submission to policy while its vendor watches every step on their timeline."""

import re
from typing import Any

import pytest
from django.core.management import call_command

from applicants.applications import application_start, application_submit
from applicants.models import Application, Company, User
from programs.models import Program
from tests.factories import USER_PASSWORD
from tests.staff import make_company, owner_of, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL = "pmo.admin@taipei.example.tw"
ADMIN_PASSWORD = "Taipei-smart-city-2026!"
PROGRAM = "taipei-bottom-up-poc"


@pytest.fixture
def demo_server(live_server: Any, default_sectors: None) -> Any:
    call_command("load_demo", verbosity=0)
    # Taipei's agency admin, onboarded as operators onboard staff.
    call_command(
        "create_user",
        "--email",
        ADMIN_EMAIL,
        "--password",
        ADMIN_PASSWORD,
        "--agency",
        "taipei-smart-city-office",
        "--role",
        "admin",
        stdout=open("/dev/null", "w"),  # noqa: SIM115 - silence the command's report
    )
    return live_server


@pytest.fixture
def taipei(demo_server: Any) -> Program:
    return Program.objects.get(slug=PROGRAM)


def sign_in(page: Any, server: Any, email: str, password: str) -> None:
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(email)
    page.get_by_label(re.compile(r"^Password")).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def companies_in_table(page: Any) -> list[str]:
    names: list[str] = page.locator("tbody th[scope=row]").evaluate_all(
        "cells => cells.map(cell => cell.firstChild.textContent.trim())"
    )
    return names


def assert_no_sideways_scroll(page: Any) -> None:
    """The page is no wider than the screen; tables scroll inside their own region."""
    # What sticks out past the right edge, outside a table's scrolling region, to say why.
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                 && !(el.parentElement && el.parentElement.closest('.table-scroll')))
        .map(el => `${el.tagName}.${el.className}`)"""
    )
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits, (page.url, wide[:10])


def test_a_taipei_admin_filters_matches_reviews_an_application_and_advances_it(
    demo_server: Any, taipei: Program, page: Any, artifacts: Any
) -> None:
    # given companies the scorer matched with Taipei's POC track, two of which applied
    curb = make_company("Curbside Data Co", sectors=("mobility",), trl=8)
    make_company("Clinic Link", sectors=("health",), trl=7)
    make_company("School Cloud", sectors=("education",), trl=9)
    make_company("Too Early Labs", sectors=("mobility",), trl=3)  # fails the TRL gate
    application = submit(curb, taipei)
    submit(Company.objects.get(legal_name="Clinic Link"), taipei)

    # when the admin signs in, the header links to the staff workspace
    sign_in(page, demo_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Staff workspace").click()
    page.get_by_role("link", name="Taipei bottom-up proof of concept").click()

    # then the dashboard shows the funnel, the score chart and the counts
    page.wait_for_url(re.compile(rf"/staff/programs/{PROGRAM}/$"))
    funnel = page.locator(".funnel-step").first
    assert "Proof of concept" in funnel.inner_text()
    assert "2 reached" in funnel.inner_text()
    # Taipei's POC track has gates but no award criteria: nobody has a score to chart.
    assert "3 companies fit, without a score" in page.inner_text("main")
    assert page.locator('[data-eligibility="eligible"] dd').inner_text() == "3"
    page.screenshot(path=artifacts / "staff-dashboard.png", full_page=True)

    # when they filter the matches by sector
    page.get_by_role("link", name="Matches").click()
    assert companies_in_table(page) == ["Clinic Link", "Curbside Data Co", "School Cloud"]
    page.get_by_label("Sector").select_option(label="Health")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"sector=health"))
    assert companies_in_table(page) == ["Clinic Link"]

    # and open the curbside company's application from the list
    page.get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="Curbside Data Co").click()
    page.wait_for_url(re.compile(rf"/applications/{application.pk}/$"))
    assert "When submitted" in page.inner_text("main")

    # and assign themselves, then write the review
    page.get_by_label(ADMIN_EMAIL).check()
    page.get_by_role("button", name="Assign reviewers").click()
    page.get_by_role("link", name="My reviews").click()
    page.get_by_role("link", name="Curbside Data Co").click()
    page.get_by_label(re.compile(r"^Overall assessment")).fill("8")
    page.get_by_label(re.compile(r"^Comment")).fill(
        "Real-site data from 40 curbs; ready for a pilot."
    )
    page.get_by_role("button", name="Submit review").click()
    assert "Your review of Curbside Data Co is saved." in page.inner_text("main")

    # then the application shows the mean review score beside the automatic score
    page.goto(f"{demo_server.url}/staff/programs/{PROGRAM}/applications/{application.pk}/")
    assert page.locator("#review-score").inner_text().strip() == "80"

    # when they move it to the next stage
    page.get_by_label(re.compile(r"^Note to the company")).fill("Welcome to the small-scale pilot.")
    page.get_by_role("button", name="Move to Small-scale pilot").first.click()

    # then it is there, with the step in its history
    assert "Curbside Data Co moved to Small-scale pilot." in page.inner_text("main")
    assert page.locator("article.staff-application").get_attribute("data-stage") == (
        "Small-scale pilot"
    )
    application.refresh_from_db()
    assert application.stage is not None and application.stage.name == "Small-scale pilot"

    # and every page of the day fits a 375-pixel phone without sideways scrolling
    page.set_viewport_size({"width": 375, "height": 800})
    for path in ["", "matches/", "applications/", f"applications/{application.pk}/"]:
        page.goto(f"{demo_server.url}/staff/programs/{PROGRAM}/{path}")
        assert_no_sideways_scroll(page)
    page.goto(f"{demo_server.url}/staff/programs/{PROGRAM}/")
    page.screenshot(path=artifacts / "staff-dashboard-375.png", full_page=True)


def test_a_taipei_admin_takes_a_poc_to_policy_and_the_vendor_sees_every_step(
    demo_server: Any, taipei: Program, browser: Any, artifacts: Any
) -> None:
    # given a vendor who applied through the vendor's own services
    company = make_company("Curbside Data Co", sectors=("mobility",), trl=8)
    vendor: User = owner_of(company)
    draft = application_start(company=company, user=vendor, program=taipei)
    application = application_submit(application=draft, user=vendor)
    assert application.status == Application.Status.SUBMITTED

    # when Taipei's admin advances it twice, with a note each time
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = staff.new_page()
    sign_in(page, demo_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    detail = f"{demo_server.url}/staff/programs/{PROGRAM}/applications/{application.pk}/"
    for stage, note in [
        ("Small-scale pilot", "The POC worked on Xinyi Road."),
        ("Policy", "The pilot becomes city policy."),
    ]:
        page.goto(detail)
        page.get_by_label(re.compile(r"^Note to the company")).fill(note)
        page.get_by_role("button", name=f"Move to {stage}").first.click()
        assert f"moved to {stage}" in page.inner_text("main")
    staff_history = page.locator(".staff-timeline-event").evaluate_all(
        "items => items.map(item => item.dataset.kind)"
    )
    page.screenshot(path=artifacts / "staff-application-policy.png", full_page=True)
    staff.close()

    # then the vendor's own application page shows every step, with the staff's notes
    own = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = own.new_page()
    sign_in(page, demo_server, vendor.email, USER_PASSWORD)
    page.goto(f"{demo_server.url}/companies/{company.pk}/applications/{application.pk}/")
    events = page.locator(".timeline-entry").evaluate_all(
        "items => items.map(item => item.dataset.event)"
    )
    timeline = page.locator(".timeline").inner_text()
    page.screenshot(path=artifacts / "vendor-timeline-policy.png", full_page=True)
    own.close()

    assert staff_history == ["created", "submitted", "advanced", "advanced"]
    assert events == ["created", "submitted", "advanced", "advanced"]
    assert "The POC worked on Xinyi Road." in timeline
    assert "The pilot becomes city policy." in timeline
    application.refresh_from_db()
    assert (application.status, application.stage.name) == ("submitted", "Policy")
