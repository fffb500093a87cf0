"""A new vendor's first visit, in a real browser: sign up, verify, build a profile, and watch
moscow-pilots turn eligible as a Russian partner is added (issue 3)."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from applicants.models import Company, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Taipei-mobility-2026!"


@pytest.fixture
def demo_server(live_server, default_sectors):
    call_command("load_demo", verbosity=0)
    return live_server


def _moscow(page):
    return page.locator('.preview-item[data-program="moscow-pilots"]')


def test_a_new_vendor_goes_from_sign_up_to_an_eligible_moscow_pilot(
    demo_server, page, sent_mail, artifacts
):
    # given a visitor who signs up
    page.goto(f"{demo_server.url}/accounts/signup/")
    page.get_by_label(re.compile(r"^Email")).fill("founder@mobility.example.tw")
    page.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Confirm password")).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/companies/$"))

    # when they follow the link in the verification email
    assert len(sent_mail) == 1
    link = re.search(r"https?://\S+/accounts/verify/\S+/", sent_mail[0].body).group(0)
    page.goto(link.replace("http://testserver", demo_server.url))
    assert User.objects.get(email="founder@mobility.example.tw").is_verified

    # and register a Taiwanese mobility company at TRL 8
    page.goto(f"{demo_server.url}/companies/")
    page.get_by_role("link", name="Register a company").first.click()
    page.get_by_label(re.compile(r"^Legal name")).fill("Taipei Curbside Data Co.")
    page.get_by_label(re.compile(r"^Country of registration")).select_option("TW")
    page.get_by_role("button", name="Register the company").click()
    page.get_by_label("Mobility").check()
    page.get_by_label(re.compile(r"^\s*8 — ")).check()
    page.get_by_role("button", name="Save offering").click()

    # and say they have no partners
    company = Company.objects.get(legal_name="Taipei Curbside Data Co.")
    page.goto(f"{demo_server.url}/companies/{company.pk}/partners/")
    page.get_by_role("button", name="We have no partners").click()

    # then the preview says moscow-pilots needs a partner registered in Russia
    moscow = _moscow(page)
    assert moscow.get_attribute("data-eligibility") == "ineligible"
    assert "Add a partner registered in Russia" in moscow.inner_text()
    page.screenshot(path=artifacts / "profile-partners-before.png", full_page=True)

    # when they start adding a partner in Russia, the preview updates before saving
    page.get_by_label(re.compile(r"^Name")).fill("Moscow Transit Partner LLC")
    page.get_by_label(re.compile(r"^Country of registration")).select_option("RU")
    # (expect() polls from Playwright's own isolated script: the page's Content Security
    # Policy forbids the eval that wait_for_function would need)
    expect(_moscow(page)).to_have_attribute("data-eligibility", "eligible", timeout=10_000)

    # and once saved, the server-rendered preview agrees
    page.get_by_role("button", name="Add partner").click()
    page.wait_for_load_state()
    assert _moscow(page).get_attribute("data-eligibility") == "eligible"
    assert "Moscow Transit Partner LLC" in page.inner_text("main")
    page.screenshot(path=artifacts / "profile-partners-after.png", full_page=True)
