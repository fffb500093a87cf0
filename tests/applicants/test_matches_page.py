"""The vendor's "My matches" page: ranking, plain words, deadlines, what changed, empty states."""

import datetime
import re
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applicants import services
from applicants.models import Company, CompanyMembership, User
from matchmaker.services import companies_score
from programs.models import Program, Sector, Stage
from programs.selectors import clear_compiled_cache
from programs.services import program_bump_rules_version
from tests.factories import ProgramFactory, UserFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor() -> User:
    user: User = UserFactory(email="vendor@example.com")
    return user


def register(user: User, *, partners_declared: bool = True, **facts: Any) -> Company:
    """A Taiwanese mobility company at TRL 8 with a demo and two pilots, through the services
    as the vendor's forms would save it; ``partners_declared`` says "we have no partners"."""
    fields: dict[str, Any] = {
        "legal_name": "Taipei Mobility",
        "country": "TW",
        "founded_year": 2016,
        "employees": 25,
        "trl": 8,
        "has_demo": True,
        "prior_pilots": 2,
        **facts,
    }
    sectors = Sector.objects.filter(code__in=fields.pop("sectors", ["mobility"]))
    company = services.company_create(user=user, sectors=sectors, **fields)
    if partners_declared:
        services.partners_declare_none(company=company, user=user)
    return company


def scored(company: Company) -> Company:
    companies_score(company_ids=[company.pk])
    company.refresh_from_db()
    return company


@pytest.fixture
def company(demo: None, vendor: User) -> Company:
    return scored(register(vendor))


@pytest.fixture
def signed_in(client: Client, vendor: User) -> Client:
    client.force_login(vendor)
    return client


def page_url(company: Company) -> str:
    return reverse("companies:matches", args=[company.pk])


def listed(response: Any) -> list[str]:
    """The programs' slugs in the order the page lists them."""
    return re.findall(
        r'<li class="card match" id="program-[^"]+" data-program="([^"]+)"', text(response)
    )


def text(response: Any) -> str:
    content: str = response.content.decode()
    return content


def card(response: Any, slug: str) -> str:
    """The HTML of one program's card."""
    html = text(response)
    start = html.index(f'data-program="{slug}"')
    end = html.find('<li class="card match"', start)
    return html[start : end if end != -1 else len(html)]


def changes(response: Any) -> dict[str, str]:
    """Program slug → the change label the page shows on it."""
    return {
        slug: re.sub(r"\s+", " ", label).strip()
        for slug, label in re.findall(
            r'data-program="([^"]+)">\s*<h3 class="card-title">.*?'
            r'(?:<span class="change [^"]*" data-change="[^"]*">([^<]*)</span>|</h3>)',
            text(response),
            flags=re.S,
        )
        if label
    }


# --- ranking and words ---------------------------------------------------------------------------


def test_the_page_lists_eligible_programs_first_then_incomplete_then_near_misses_by_score(
    demo: None, vendor: User, signed_in: Client
) -> None:
    # given partners not declared yet: moscow-pilots' partner gate cannot be decided
    company = scored(register(vendor, partners_declared=False))

    response = signed_in.get(page_url(company))

    assert listed(response) == [
        "taipei-bottom-up-poc",  # eligible, no score; by title
        "taipei-needs-first",  # eligible, no score
        "moscow-pilots",  # incomplete
        "procure-renewable-buildings",  # near miss, score 60
        "bristol-5g-logistics",  # near miss, no score: last
    ]


def test_moscow_is_a_near_miss_for_a_taiwanese_company_without_partners_with_the_fix_in_words(
    company: Company, signed_in: Client
) -> None:
    moscow = card(signed_in.get(page_url(company)), "moscow-pilots")

    assert 'class="badge badge-ineligible"' in moscow
    assert "Not eligible" in moscow
    assert "Score 72 of 100" in moscow
    assert "Russian company or foreign company with a Russian partner" in moscow
    assert "Registered in Russia, or a partner registered in Russia" in moscow
    assert "<li>Add a partner registered in Russia</li>" in moscow
    # every criterion has its mark: the failed gate ✗, the others ✓
    assert moscow.count('class="outcome outcome-fail"') == 1
    assert moscow.count('class="outcome outcome-pass"') == 6
    assert f'href="{Program.objects.get(slug="moscow-pilots").get_absolute_url()}"' in moscow


def test_each_card_words_its_own_outcomes_in_the_readers_language(
    demo: None, vendor: User, client: Client
) -> None:
    # given two companies whose Moscow gates went differently, seen one after the other (the
    # criteria's words are kept for the process once rendered)
    alone = scored(register(vendor))
    partnered = scored(register(vendor, legal_name="Partnered", partners_declared=False))
    services.partner_add(company=partnered, user=vendor, name="Moscow Integrator", country="RU")
    partnered = scored(partnered)
    client.force_login(vendor)

    first = card(client.get(page_url(alone)), "moscow-pilots")
    second = card(client.get(page_url(partnered)), "moscow-pilots")
    again = card(client.get(page_url(alone)), "moscow-pilots")

    fail = 'class="outcome outcome-fail"'
    assert "<li>Add a partner registered in Russia</li>" in first
    assert "<li>Add a partner registered in Russia</li>" in again
    assert again.count(fail) == first.count(fail) == 1
    assert 'class="fixes"' not in second
    assert second.count(fail) == 0
    # and in Russian, the same outcomes in other words
    User.objects.filter(pk=vendor.pk).update(language="ru")
    russian = card(client.get(page_url(alone), HTTP_ACCEPT_LANGUAGE="ru"), "moscow-pilots")
    assert russian.count(fail) == 1
    assert "Add a partner registered in Russia" not in russian


def test_an_eligible_program_shows_its_badge_and_no_fixes(
    company: Company, signed_in: Client
) -> None:
    taipei = card(signed_in.get(page_url(company)), "taipei-bottom-up-poc")

    assert 'class="badge badge-eligible"' in taipei
    assert 'class="fixes"' not in taipei


def test_a_program_without_award_criteria_shows_a_dash_for_its_score(
    company: Company, signed_in: Client
) -> None:
    taipei = card(signed_in.get(page_url(company)), "taipei-bottom-up-poc")

    assert '<span aria-hidden="true">—</span>' in taipei
    assert "of 100" not in taipei


def test_the_deadline_is_shown_in_the_programs_time_zone_with_a_countdown(
    company: Company, signed_in: Client
) -> None:
    # given the application stage closing at 18:00 Moscow time, between two and three days ahead
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    soon = timezone.now().astimezone(moscow) + datetime.timedelta(days=2)
    closes = soon.replace(hour=18, minute=0, second=0, microsecond=0)
    if closes <= soon:
        closes += datetime.timedelta(days=1)
    Stage.objects.filter(program__slug="moscow-pilots", name="Application").update(closes_at=closes)

    html = card(signed_in.get(page_url(company)), "moscow-pilots")

    # then it reads in Moscow's time (15:00 UTC would be "3 p.m."), with the zone named
    assert f'<time datetime="{closes.isoformat()}">' in html
    assert f"{closes.day}, {closes.year}, 6 p.m. (Europe/Moscow)" in html
    assert "Next deadline (Application):" in html
    assert re.search(r"— in 2\s+days", html)


def test_a_vendor_elsewhere_sees_their_own_time_beside_the_deadline(
    company: Company, vendor: User, signed_in: Client
) -> None:
    # given Moscow's application stage closing at 18:00 Moscow time, read from Taipei (UTC+8)
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    soon = timezone.now().astimezone(moscow) + datetime.timedelta(days=2)
    closes = soon.replace(hour=18, minute=0, second=0, microsecond=0)
    Stage.objects.filter(program__slug="moscow-pilots", name="Application").update(closes_at=closes)
    vendor.time_zone = "Asia/Taipei"
    vendor.save(update_fields=["time_zone"])

    html = card(signed_in.get(page_url(company)), "moscow-pilots")

    assert "6 p.m. (Europe/Moscow)</time>" in html
    assert re.search(r'<span class="local-time">\(your time: [^)]*, 11 p\.m\.\)</span>', html)


def test_a_program_with_no_stage_ahead_says_there_is_no_upcoming_deadline(
    company: Company, signed_in: Client
) -> None:
    now = timezone.now()
    Stage.objects.filter(program__slug="moscow-pilots").update(
        opens_at=now - datetime.timedelta(days=10), closes_at=now - datetime.timedelta(days=1)
    )

    html = card(signed_in.get(page_url(company)), "moscow-pilots")

    assert "No upcoming deadline" in html


def test_a_match_computed_from_an_older_profile_is_marked_updating(
    company: Company, vendor: User, signed_in: Client
) -> None:
    # given a profile change whose rescore has not run yet (the worker is not running)
    services.company_update(company=company, user=vendor, trl=9)

    response = signed_in.get(page_url(company))

    assert "Updating…" in card(response, "moscow-pilots")
    assert "Your latest profile changes are being scored" in text(response)


def test_a_match_computed_from_older_rules_is_marked_updating_alone(
    company: Company, signed_in: Client
) -> None:
    program_bump_rules_version(program_id=Program.objects.get(slug="moscow-pilots").pk)

    response = signed_in.get(page_url(company))

    assert "Updating…" in card(response, "moscow-pilots")
    assert "Updating…" not in card(response, "taipei-bottom-up-poc")
    assert "Your latest profile changes are being scored" not in text(response)


def test_a_closed_program_is_not_listed(company: Company, signed_in: Client) -> None:
    Program.objects.filter(slug="bristol-5g-logistics").update(status=Program.Status.CLOSED)

    response = signed_in.get(page_url(company))

    assert "bristol-5g-logistics" not in listed(response)


# --- empty states --------------------------------------------------------------------------------


def test_a_profile_not_scored_yet_is_told_that_scoring_is_in_progress(
    demo: None, vendor: User, signed_in: Client
) -> None:
    company = register(vendor)  # saved, its scoring still waiting for a worker

    response = signed_in.get(page_url(company))

    assert listed(response) == []
    assert "We are checking your profile against every open program right now" in text(response)


def test_a_scored_profile_without_matches_is_pointed_to_what_to_complete(
    demo: None, vendor: User, signed_in: Client
) -> None:
    # given a profile that misses every open program by two conditions or more, and whose
    # identity section is not complete (no year founded)
    company = scored(
        register(vendor, sectors=["agriculture-food"], trl=1, has_demo=False, founded_year=None)
    )

    response = signed_in.get(page_url(company))

    assert listed(response) == []
    assert "No open program fits your profile yet" in text(response)
    assert f'href="{reverse("companies:identity", args=[company.pk])}">Complete Identity' in text(
        response
    )
    assert reverse("companies:preview", args=[company.pk]) in text(response)


# --- what changed since the last visit ----------------------------------------------------------


def test_on_a_first_visit_every_program_is_new(company: Company, signed_in: Client) -> None:
    response = signed_in.get(page_url(company))

    assert "Your first look at your matches" in text(response)
    assert set(changes(response).values()) == {"New"}
    assert len(changes(response)) == 5


def test_the_visit_is_remembered_for_the_member(
    company: Company, vendor: User, signed_in: Client
) -> None:
    signed_in.get(page_url(company))

    membership = CompanyMembership.objects.get(company=company, user=vendor)
    moscow = Program.objects.get(slug="moscow-pilots")
    assert membership.matches_seen[str(moscow.pk)] == ["ineligible", 71.88]
    assert membership.matches_seen_at is not None


def test_a_second_visit_without_changes_says_nothing_changed(
    company: Company, signed_in: Client
) -> None:
    signed_in.get(page_url(company))

    response = signed_in.get(page_url(company))

    assert changes(response) == {}
    assert "Nothing changed since your last visit" in text(response)


def test_a_reload_within_a_minute_that_saw_the_same_writes_nothing(
    company: Company, vendor: User, signed_in: Client
) -> None:
    signed_in.get(page_url(company))
    first = CompanyMembership.objects.get(company=company, user=vendor).matches_seen_at
    assert first is not None

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get(page_url(company))

    assert "Nothing changed since your last visit, 0" in text(response)
    assert not [query for query in queries if query["sql"].startswith("UPDATE")]
    assert CompanyMembership.objects.get(company=company, user=vendor).matches_seen_at == first


def test_a_visit_a_minute_later_is_recorded_even_when_nothing_changed(
    company: Company, vendor: User, signed_in: Client
) -> None:
    signed_in.get(page_url(company))
    earlier = timezone.now() - services.SEEN_AGAIN_WITHIN
    CompanyMembership.objects.filter(company=company, user=vendor).update(matches_seen_at=earlier)

    signed_in.get(page_url(company))

    assert CompanyMembership.objects.get(company=company, user=vendor).matches_seen_at > earlier


def test_adding_a_russian_partner_shows_moscow_as_now_eligible_on_the_next_visit(
    company: Company, vendor: User, signed_in: Client
) -> None:
    # given a first visit with moscow-pilots a near miss
    signed_in.get(page_url(company))
    # when the vendor adds a partner registered in Russia and the profile is rescored
    services.partner_add(company=company, user=vendor, name="Moscow Integrator", country="RU")
    scored(company)

    response = signed_in.get(page_url(company))

    # then moscow-pilots is eligible, says so, and is now listed among the eligible ones
    assert changes(response) == {"moscow-pilots": "Now eligible"}
    assert 'class="badge badge-eligible"' in card(response, "moscow-pilots")
    assert "1 program changed since your last visit" in text(response)
    assert listed(response).index("moscow-pilots") < listed(response).index(
        "procure-renewable-buildings"
    )


def test_losing_a_gate_shows_no_longer_eligible(
    company: Company, vendor: User, signed_in: Client
) -> None:
    signed_in.get(page_url(company))
    services.company_update(company=company, user=vendor, trl=5)  # Taipei's POC asks for 6
    scored(company)

    response = signed_in.get(page_url(company))

    assert changes(response) == {
        "taipei-bottom-up-poc": "No longer eligible",
        # TRL also counts towards these scores
        "moscow-pilots": "Score down from 72",
        "procure-renewable-buildings": "Score down from 60",
    }


def test_a_score_change_shows_the_score_seen_last_time(
    company: Company, vendor: User, signed_in: Client
) -> None:
    signed_in.get(page_url(company))  # moscow-pilots scored 72, procuRE 60
    services.company_update(company=company, user=vendor, has_demo=False)
    scored(company)

    response = signed_in.get(page_url(company))

    # Without a demo procuRE misses two gates and drops out; Moscow's demo award is lost.
    assert changes(response)["moscow-pilots"] == "Score down from 72"
    assert "Score 47 of 100" in card(response, "moscow-pilots")


def test_a_program_that_dropped_out_is_named(
    company: Company, vendor: User, signed_in: Client
) -> None:
    signed_in.get(page_url(company))
    Program.objects.filter(slug="bristol-5g-logistics").update(status=Program.Status.CLOSED)

    response = signed_in.get(page_url(company))

    assert "No longer among your matches" in text(response)
    assert "West of England 5G logistics testbed" in text(response)
    # and only once: the next visit has nothing more to say about it
    assert "No longer among your matches" not in text(signed_in.get(page_url(company)))


def test_each_member_has_their_own_last_visit(
    company: Company, signed_in: Client, client: Client
) -> None:
    signed_in.get(page_url(company))
    colleague: User = UserFactory(email="colleague@example.com")
    CompanyMembership.objects.create(
        user=colleague, company=company, role=CompanyMembership.Role.MEMBER
    )
    other = Client()
    other.force_login(colleague)

    response = other.get(page_url(company))

    assert set(changes(response).values()) == {"New"}


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def many(demo: None, vendor: User) -> Company:
    """The Taiwanese company with 20 more programs it is eligible for (TRL 5 or more): 22
    eligible programs, then moscow-pilots, procuRE and Bristol's near misses; 25 in all."""
    for number in range(20):
        program = ProgramFactory(slug=f"extra-{number:02}", title=f"Extra program {number:02}")
        add_criterion(program, label="Ready enough", groups=[[("trl", "gte", 5)]])
    return scored(register(vendor))


EXTRA = [f"extra-{number:02}" for number in range(20)]
SECOND_PAGE = [
    "taipei-bottom-up-poc",
    "taipei-needs-first",
    "moscow-pilots",
    "procure-renewable-buildings",
    "bristol-5g-logistics",
]


def test_the_matches_come_twenty_to_a_page_in_one_order(many: Company, signed_in: Client) -> None:
    first = signed_in.get(page_url(many))
    second = signed_in.get(page_url(many), {"page": 2})

    assert listed(first) == EXTRA  # eligible, no score: by title
    assert listed(second) == SECOND_PAGE
    assert "Page 1 of 2 (25 programs)" in text(first)
    assert 'rel="next" href="?page=2"' in text(first)
    assert 'rel="prev" href="?page=1"' in text(second)
    assert '<ol class="cards match-list" start="21">' in text(second)


def test_a_page_past_the_last_shows_the_last_and_a_bad_one_the_first(
    many: Company, signed_in: Client
) -> None:
    assert listed(signed_in.get(page_url(many), {"page": 9})) == SECOND_PAGE
    assert listed(signed_in.get(page_url(many), {"page": "x"})) == EXTRA


def test_a_short_list_has_no_pages(company: Company, signed_in: Client) -> None:
    assert 'class="pagination"' not in text(signed_in.get(page_url(company)))


def test_programs_on_another_page_stay_new_until_that_page_is_shown(
    many: Company, vendor: User, signed_in: Client
) -> None:
    # given a first visit that showed the first page only
    signed_in.get(page_url(many))

    # when the first page is shown again
    again = signed_in.get(page_url(many))

    # then the five programs of the second page are still new to the member, and it says where
    assert changes(again) == {}
    assert "5 programs changed since your last visit" in text(again)
    assert re.search(
        r'5 of them are marked on other pages:\s*<a href="\?page=2">page 2</a>', text(again)
    )
    # and the second page marks them, once
    assert changes(signed_in.get(page_url(many), {"page": 2})) == dict.fromkeys(SECOND_PAGE, "New")
    assert changes(signed_in.get(page_url(many), {"page": 2})) == {}
    assert "Nothing changed since your last visit" in text(signed_in.get(page_url(many)))
    seen = CompanyMembership.objects.get(company=many, user=vendor).matches_seen
    assert len(seen) == 25


def test_a_change_on_another_page_is_marked_there_and_a_dropped_program_named_at_once(
    many: Company, vendor: User, signed_in: Client
) -> None:
    # given both pages seen, with moscow-pilots scored 72 and procuRE 60
    signed_in.get(page_url(many))
    signed_in.get(page_url(many), {"page": 2})
    # when the company says it has no demo: Moscow's score drops, procuRE drops out
    services.company_update(company=many, user=vendor, has_demo=False)
    scored(many)

    first = signed_in.get(page_url(many))

    # then the first page names the dropped program and points to the change on page 2
    assert "No longer among your matches" in text(first)
    assert "procuRE: renewable energy for existing buildings" in text(first)
    assert "1 program changed since your last visit" in text(first)
    assert "1 of them is marked on another page" in text(first)
    # and the second page still marks it, until it has been shown
    second = signed_in.get(page_url(many), {"page": 2})
    assert changes(second) == {"moscow-pilots": "Score down from 72"}
    assert "No longer among your matches" not in text(second)
    assert changes(signed_in.get(page_url(many), {"page": 2})) == {}


# --- navigation, isolation, queries -------------------------------------------------------------


def test_the_company_list_and_the_section_pages_link_to_my_matches(
    company: Company, signed_in: Client
) -> None:
    link = f'href="{page_url(company)}"'

    assert link in text(signed_in.get(reverse("companies:list")))
    assert link in text(signed_in.get(reverse("companies:identity", args=[company.pk])))


def test_the_matches_page_marks_itself_current_in_the_navigation(
    company: Company, signed_in: Client
) -> None:
    response = signed_in.get(page_url(company))

    assert f'href="{page_url(company)}" aria-current="page"' in text(response)


def test_another_vendor_gets_404_and_nothing_is_recorded(
    company: Company, vendor: User, client: Client
) -> None:
    client.force_login(UserFactory(email="rival@example.com"))

    response = client.get(page_url(company))

    assert response.status_code == 404
    assert "Taipei Mobility" not in text(response)
    assert CompanyMembership.objects.get(company=company, user=vendor).matches_seen_at is None


def test_an_anonymous_visitor_is_sent_to_sign_in(company: Company, client: Client) -> None:
    response = client.get(page_url(company))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("suitors", [1, 4])
@pytest.mark.parametrize("compiled", [True, False], ids=["rules-compiled", "rules-cold"])
def test_the_page_makes_a_fixed_number_of_queries(
    company: Company,
    signed_in: Client,
    django_assert_num_queries: Any,
    suitors: int,
    compiled: bool,
) -> None:
    # given partner suggestions to show and a program that dropped out since the last visit
    for number in range(suitors):
        owner: User = UserFactory(email=f"owner{number}@example.ru")
        services.company_create(
            user=owner,
            legal_name=f"Moscow Integrator {number}",
            country="RU",
            sectors=Sector.objects.filter(code__in=["mobility", "retail"]),
            discoverable=True,
        )
    signed_in.get(page_url(company))
    Program.objects.filter(slug="bristol-5g-logistics").update(status=Program.Status.CLOSED)
    if not compiled:
        clear_compiled_cache()  # as in a fresh worker process

    # 1 the session, 2 the user,
    # 3 the company with the viewer's role, a pitch deck on file, the team's size and the
    #   partnership requests waiting, 4 its sectors, 5 its partners,
    # 6 the viewer's membership (what they saw last time),
    # 7 every match's program, eligibility and score (the pages, what changed),
    # 8 the sector names the wording uses,
    # 9 the page's matches with their programs, owners, next deadlines and stages,
    # (10-13 only when rules are not compiled in this process: programs, criteria, groups,
    #  requirements),
    # then the company's applications (Apply or Continue on each program),
    # the partner suggestions ranked per country, their shared sectors,
    # the programs that dropped out, and the update recording this visit.
    with django_assert_num_queries(14 if compiled else 18):
        response = signed_in.get(page_url(company))

    assert response.status_code == 200
    assert "Moscow Integrator 0" in card(response, "moscow-pilots")
    assert "West of England 5G logistics testbed" in text(response)
