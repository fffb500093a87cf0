"""The staff's matches page: who is listed, in what order, filters, pages, and its query count."""

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants.models import Company, User
from matchmaker.models import Match
from programs.models import ApplyInvitation, Program, StaffMembership
from tests.staff import make_company, make_staff, store_match, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def moscow(demo: None) -> Program:
    return Program.objects.get(slug="moscow-pilots")


@pytest.fixture
def admin(moscow: Program) -> User:
    return make_staff("admin@mos.example", "moscow-innovation-agency")


@pytest.fixture
def signed_in(client: Client, admin: User) -> Client:
    client.force_login(admin)
    return client


def page(client: Client, program: Program, **filters: Any) -> Any:
    return client.get(reverse("staff:matches", args=[program.slug]), filters)


def listed(response: Any) -> list[str]:
    """The companies' names in the order the page lists them."""
    return re.findall(r'<tr data-company="\d+">\s*<th scope="row">\s*([^<\n]+)', _text(response))


def _text(response: Any) -> str:
    content: str = response.content.decode()
    return content


def company(
    name: str, eligibility: str, score: float | None, program: Program, **kw: Any
) -> Company:
    made = make_company(name, score=False, **kw)
    store_match(made, program, eligibility, score)
    return made


def test_the_page_lists_eligible_companies_then_incomplete_ones_best_score_first(
    signed_in: Client, moscow: Program
) -> None:
    company("Low eligible", "eligible", 40, moscow)
    company("High eligible", "eligible", 90, moscow)
    company("Incomplete", "incomplete", 95, moscow)
    company("Near miss", "ineligible", 99, moscow)

    response = page(signed_in, moscow)

    assert response.status_code == 200
    assert listed(response) == ["High eligible", "Low eligible", "Incomplete"]


def test_only_companies_that_agreed_to_be_found_or_applied_are_listed(
    signed_in: Client, moscow: Program
) -> None:
    company("Visible", "eligible", 50, moscow)
    company("Private", "eligible", 60, moscow, discoverable=False)
    applied = company("Private but applied", "eligible", 70, moscow, discoverable=False)
    submit(applied, moscow)

    response = page(signed_in, moscow)

    assert listed(response) == ["Private but applied", "Visible"]
    assert "Private</th>" not in _text(response)


def test_a_company_that_applied_links_to_its_application(
    signed_in: Client, moscow: Program
) -> None:
    applied = company("Applied", "eligible", 70, moscow)
    application = submit(applied, moscow)

    response = page(signed_in, moscow)

    assert reverse("staff:application", args=[moscow.slug, application.pk]) in _text(response)


def test_the_real_scorer_fills_the_list(signed_in: Client, moscow: Program) -> None:
    # A Russian retailer passes every gate; a Taiwanese one without declared partners is
    # incomplete (the partner gate cannot be decided); one with no partners is a near miss.
    make_company("Moscow Retail", country="RU", sectors=("retail",), prior_pilots=2)
    make_company("Taipei Undeclared", sectors=("retail",), partners_declared=False)
    make_company("Taipei Alone", sectors=("retail",))

    response = page(signed_in, moscow)

    assert listed(response) == ["Moscow Retail", "Taipei Undeclared"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"eligibility": "eligible"}, ["Energy RU", "Retail RU"]),
        ({"eligibility": "incomplete"}, ["Retail DE"]),
        ({"min_score": "60"}, ["Energy RU", "Retail DE"]),
        ({"sector": "retail"}, ["Retail RU", "Retail DE"]),
        ({"country": "DE"}, ["Retail DE"]),
        ({"country": "RU", "min_score": "70"}, ["Energy RU"]),
    ],
)
def test_the_filters_narrow_the_list(
    signed_in: Client, moscow: Program, filters: dict[str, str], expected: list[str]
) -> None:
    company("Retail RU", "eligible", 50, moscow, country="RU", sectors=("retail",))
    company("Energy RU", "eligible", 80, moscow, country="RU", sectors=("energy",))
    company("Retail DE", "incomplete", 65, moscow, country="DE", sectors=("retail",))

    assert listed(page(signed_in, moscow, **filters)) == expected


@pytest.mark.parametrize("filters", [{"min_score": "101"}, {"sector": "space"}, {"country": "XX"}])
def test_a_bad_filter_lists_nothing_and_says_which(
    signed_in: Client, moscow: Program, filters: dict[str, str]
) -> None:
    company("Retail RU", "eligible", 50, moscow, country="RU", sectors=("retail",))

    response = page(signed_in, moscow, **filters)

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["filter"].errors.keys() == filters.keys()
    assert 'class="error"' in _text(response)


def test_the_list_comes_25_to_a_page(signed_in: Client, moscow: Program) -> None:
    for number in range(27):
        company(f"Company {number:02}", "eligible", 50, moscow)

    first = page(signed_in, moscow)
    second = page(signed_in, moscow, page=2)

    assert len(listed(first)) == 25
    assert listed(second) == ["Company 25", "Company 26"]


def test_an_agency_admin_sees_invite_buttons_and_a_reviewer_does_not(
    client: Client, moscow: Program, admin: User
) -> None:
    listed_company = company("Visible", "eligible", 50, moscow)
    invite = reverse("staff:match-invite", args=[moscow.slug, listed_company.pk])
    reviewer = make_staff(
        "reviewer@mos.example", "moscow-innovation-agency", StaffMembership.Role.REVIEWER
    )

    client.force_login(admin)
    as_admin = _text(page(client, moscow))
    client.force_login(reviewer)
    as_reviewer = _text(page(client, moscow))

    assert invite in as_admin
    assert invite not in as_reviewer
    assert "Not applied yet" in as_reviewer


@pytest.mark.parametrize("companies", [2, 8])
def test_the_page_makes_a_fixed_number_of_queries(
    signed_in: Client, moscow: Program, django_assert_num_queries: Any, companies: int
) -> None:
    for number in range(companies):
        made = company(f"Company {number}", "eligible", 50 + number, moscow)
        if number % 2:
            submit(made, moscow)

    # 1 the session, 2 the user, 3 their roles in their agencies, 4 the program among them
    # (their role there follows), 5 every sector (the filter's options and the rows' sector
    # names), 6 the sector filtered by (its code checked), 7 the page of matches with companies,
    # applications, recent invitations and (narrowed to a sector) the list's count, 8 which
    # sectors the page's companies work in.
    with django_assert_num_queries(8):
        response = page(signed_in, moscow, sector="mobility")

    assert len(listed(response)) == companies
    assert Match.objects.count() == companies


def row(response: Any, company: Company) -> str:
    """The HTML of one company's row."""
    html = _text(response)
    start = html.index(f'<tr data-company="{company.pk}">')
    return html[start : html.index("</tr>", start)]


def test_a_row_shows_the_companys_country_sectors_by_name_readiness_and_score(
    signed_in: Client, moscow: Program
) -> None:
    made = company(
        "Grid Co", "incomplete", 61.6, moscow, country="DE", sectors=("retail", "energy"), trl=6
    )

    cells = re.sub(r"\s+", " ", row(page(signed_in, moscow), made))

    assert '<span class="meta">Germany</span>' in cells
    assert '<li class="tag">Energy</li><li class="tag">Retail</li>' in cells
    assert '<span class="badge badge-incomplete">Incomplete</span>' in cells
    assert "<td>62</td>" in cells
    assert "TRL 6" in cells and "Working demo" in cells


def test_a_list_narrowed_to_a_sector_or_country_keeps_the_lists_order(
    signed_in: Client, moscow: Program
) -> None:
    # given companies of equal score (sorted by name) on both sides of the filters
    for name in ("Delta", "Alpha", "Charlie", "Bravo"):
        company(f"{name} RU", "eligible", 50, moscow, country="RU", sectors=("retail",))
        company(f"{name} DE", "eligible", 50, moscow, country="DE", sectors=("energy",))
    company("Top RU", "eligible", 90, moscow, country="RU", sectors=("retail",))

    by_sector = listed(page(signed_in, moscow, sector="retail"))
    by_country = listed(page(signed_in, moscow, country="RU"))

    everyone = listed(page(signed_in, moscow))
    assert by_sector == by_country == [name for name in everyone if name.endswith("RU")]
    assert by_sector == ["Top RU", "Alpha RU", "Bravo RU", "Charlie RU", "Delta RU"]


def test_an_invitation_within_the_week_is_shown_instead_of_the_button(
    signed_in: Client, moscow: Program, admin: User
) -> None:
    invited = company("Invited", "eligible", 50, moscow)
    long_ago = company("Invited long ago", "eligible", 45, moscow)
    other = company("Other", "eligible", 40, moscow)
    ApplyInvitation.objects.create(program=moscow, company=invited, invited_by=admin)
    old = ApplyInvitation.objects.create(program=moscow, company=long_ago, invited_by=admin)
    ApplyInvitation.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - ApplyInvitation.INTERVAL - datetime.timedelta(hours=1)
    )

    response = page(signed_in, moscow)

    assert "Invited on" in row(response, invited)
    assert "Invite to apply" not in row(response, invited)
    for uninvited in (long_ago, other):
        invite = reverse("staff:match-invite", args=[moscow.slug, uninvited.pk])
        assert invite in row(response, uninvited)


@pytest.mark.parametrize("companies", [2, 8])
def test_the_whole_list_makes_a_fixed_number_of_queries(
    signed_in: Client, moscow: Program, django_assert_num_queries: Any, companies: int
) -> None:
    for number in range(companies):
        company(f"Company {number}", "eligible", 50 + number, moscow)

    # 1 the session, 2 the user, 3 their roles in their agencies, 4 the program among them
    # (their role there follows), 5 every sector, 6 the paginator's count, 7 the page of
    # matches, 8 the sectors of the page's companies.
    with django_assert_num_queries(8):
        response = page(signed_in, moscow)

    assert len(listed(response)) == companies


def test_a_narrowed_list_past_its_last_page_shows_the_last_page(
    signed_in: Client, moscow: Program
) -> None:
    for number in range(27):
        company(f"Company {number:02}", "eligible", 50, moscow, sectors=("retail",))

    second = page(signed_in, moscow, sector="retail", page=2)
    past = page(signed_in, moscow, sector="retail", page=9)
    not_a_number = page(signed_in, moscow, sector="retail", page="x")

    assert listed(second) == listed(past) == ["Company 25", "Company 26"]
    assert len(listed(not_a_number)) == 25
    assert "27 companies" in _text(second)
    assert "Page 2 of 2" in _text(past)
