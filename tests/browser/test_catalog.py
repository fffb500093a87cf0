import pytest
from django.core.management import call_command

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def demo_server(live_server, default_sectors):
    call_command("load_demo", verbosity=0)
    return live_server


def test_a_visitor_filters_the_catalog_and_reads_a_programs_rules(demo_server, page, artifacts):
    # given the catalog with the demo programs
    page.goto(f"{demo_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "City programs open to companies"
    assert page.get_by_role("link", name="Moscow Innovations Piloting Program").is_visible()
    page.screenshot(path=artifacts / "catalog-list.png", full_page=True)

    # when they filter by a sector with the keyboard-friendly form
    page.get_by_label("Sector", exact=True).select_option("energy")
    page.get_by_role("button", name="Filter").click()

    # then only the programs in that sector remain
    titles = page.locator(".card-title").all_inner_texts()
    assert sorted(titles) == [
        "Moscow Innovations Piloting Program",
        "procuRE: renewable energy for existing buildings",
    ]

    # and a program's page states its rules in plain words, with its stages
    page.get_by_role("link", name="procuRE: renewable energy for existing buildings").click()
    assert page.get_by_role("heading", name="Who can take part").is_visible()
    assert page.get_by_text("TRL between 3 and 8").first.is_visible()
    assert page.get_by_role("heading", name="Phase III: pilots").is_visible()
    page.screenshot(path=artifacts / "catalog-detail.png", full_page=True)


def test_the_catalog_fits_a_phone_screen(demo_server, browser, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{demo_server.url}/programs/moscow-pilots/")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=artifacts / "catalog-detail-phone.png", full_page=True)
    context.close()

    assert overflow <= 0
