"""A visitor switches the language with the switcher and reads deadlines in their own time."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from applicants.models import User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def demo_server(live_server, default_sectors):
    call_command("load_demo", verbosity=0)
    return live_server


def test_a_visitor_reads_moscows_program_in_russian_with_deadlines_in_their_own_time(
    demo_server, browser, artifacts
):
    # given a visitor in Berlin whose browser speaks English
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Berlin")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{demo_server.url}/programs/moscow-pilots/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Moscow Innovations Piloting Program")

    # when they choose Russian with the switcher
    page.get_by_label("Language").select_option("ru")
    page.locator("form.language button").click()

    # then the page, the program's own texts included, is in Russian
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Московская программа пилотирования инноваций"
    )
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # and each deadline, in Moscow's time, has the visitor's Berlin time beside it
    first = page.locator(".stages .local-time").first
    expect(first).to_have_text(re.compile(r"\(ваше время: .+\)"))
    page.screenshot(path=artifacts / "program-in-russian.png", full_page=True)
    context.close()
    assert errors == []


def test_no_local_time_is_added_where_the_browser_shares_the_programs_time(demo_server, browser):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Moscow")
    page = context.new_page()
    page.goto(f"{demo_server.url}/programs/moscow-pilots/")

    expect(page.locator(".stages time").first).to_be_visible()
    expect(page.locator(".local-time")).to_have_count(0)
    context.close()


def test_a_new_account_keeps_the_browsers_time_zone(demo_server, browser):
    # given a visitor in Taipei who signs up
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Taipei")
    page = context.new_page()
    page.goto(f"{demo_server.url}/accounts/signup/")
    page.get_by_label(re.compile(r"^Email")).fill("founder@example.tw")
    page.get_by_label(re.compile(r"^Password")).fill("a long and unguessable passphrase")
    page.get_by_label(re.compile(r"^Confirm password")).fill("a long and unguessable passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/companies/$"))
    context.close()

    # then deadlines will show them Taipei's time beside each program's
    assert User.objects.get(email="founder@example.tw").time_zone == "Asia/Taipei"
