"""An agency admin tightens a gate in a real browser: the inputs follow the fact without a
round trip, and the impact is previewed live, before anything is saved."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from applicants.models import Company
from programs.models import Agency, Program, Requirement, StaffMembership
from tests.vendors import PASSWORD, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _moscow_trl_gate() -> Requirement:
    return Requirement.objects.get(
        group__criterion__program__slug="moscow-pilots", fact="trl", operator="gte"
    )


@pytest.fixture
def demo_server(live_server, default_sectors):
    call_command("load_demo", verbosity=0)
    for name, trl in [("Early", 4), ("Prototype", 5), ("Mature", 8)]:
        company = Company.objects.create(legal_name=name, country="RU", trl=trl, discoverable=True)
        company.sectors.set(Program.objects.get(slug="moscow-pilots").sectors.all())
    admin = make_user("admin@mos.example")
    StaffMembership.objects.create(
        user=admin,
        agency=Agency.objects.get(slug="moscow-innovation-agency"),
        role=StaffMembership.Role.ADMIN,
    )
    return live_server


def test_an_admin_previews_a_stricter_trl_gate_live_and_saves_it(demo_server, page, artifacts):
    # given an agency admin signed in, on the Moscow program's rules
    page.goto(f"{demo_server.url}/accounts/login/?next=/staff/programs/moscow-pilots/rules/")
    page.get_by_label("Email").fill("admin@mos.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Rules of Moscow")

    # when they edit the TRL gate, the inputs fit the fact and need no round trip
    page.get_by_role("link", name="Edit TRL at least 5").click()
    # (the script removes the no-script button once it runs)
    expect(page.get_by_role("button", name="Update the inputs")).to_have_count(0)
    page.get_by_label("Condition").select_option("between")
    assert page.get_by_label("From").is_visible()
    assert page.get_by_label("To", exact=True).is_visible()
    page.get_by_label("Fact about the company").select_option("has_demo")
    assert page.get_by_text("This condition takes no value.").is_visible()
    page.get_by_label("Fact about the company").select_option("trl")
    page.get_by_label("Condition").select_option("gte")

    # and typing a stricter bound previews its impact at once, saving nothing
    page.get_by_label("Number").fill("7")
    summary = page.locator(".impact-summary")
    summary.filter(has_text="(now 2)").wait_for()
    assert "With this change 1 of 3 companies are eligible (now 2)." in summary.inner_text()
    assert page.get_by_text("Prototype: Eligible → Ineligible").is_visible()
    page.screenshot(path=artifacts / "rule-builder-preview.png", full_page=True)
    assert _moscow_trl_gate().value == 5

    # then saving it bumps the rules version, and the rules read the new gate
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Saved. The rules are now at version 2").is_visible()
    assert page.get_by_text("TRL at least 7").first.is_visible()
    assert Program.objects.get(slug="moscow-pilots").rules_version == 2
    assert _moscow_trl_gate().value == 7
