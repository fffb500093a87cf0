"""The workspace's home, a program's dashboard, and the header's link to them."""

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from applicants.models import Application, User
from programs.models import Agency, Program, StaffMembership, Stage
from programs.reviews import review_assign
from programs.staff_dashboard import program_dashboard
from programs.staff_views.workspace import histogram_chart
from tests.factories import USER_PASSWORD, ProgramFactory, UserFactory
from tests.staff import make_company, make_staff, store_match, submit

pytestmark = pytest.mark.django_db

HOME = reverse("staff:home")


@pytest.fixture
def taipei(demo: None) -> Program:
    return Program.objects.get(slug="taipei-bottom-up-poc")


@pytest.fixture
def admin(taipei: Program) -> User:
    return make_staff("admin@taipei.example", "taipei-smart-city-office")


def dashboard_url(program: Program) -> str:
    return reverse("staff:dashboard", args=[program.slug])


def text(response: Any) -> str:
    content: str = response.content.decode()
    return content


# --- home ----------------------------------------------------------------------------------------


def test_home_lists_the_programs_of_the_users_agencies_only(client: Client, admin: User) -> None:
    client.force_login(admin)

    response = client.get(HOME)

    assert response.status_code == 200
    assert [program.slug for program in response.context["programs"]] == [
        "taipei-bottom-up-poc",
        "taipei-needs-first",
    ]
    assert "Moscow" not in text(response)


def test_a_buyer_agencys_staff_sees_the_joint_program(client: Client, demo: None) -> None:
    client.force_login(make_staff("staff@barcelona.example", "barcelona"))

    response = client.get(HOME)

    assert [program.slug for program in response.context["programs"]] == [
        "procure-renewable-buildings"
    ]


def test_home_links_the_teams_the_user_manages_only(
    client: Client, taipei: Program, admin: User
) -> None:
    other = Agency.objects.exclude(pk=taipei.owner_id).order_by("pk").first()
    assert other is not None
    StaffMembership.objects.create(user=admin, agency=other, role=StaffMembership.Role.REVIEWER)
    client.force_login(admin)

    response = client.get(HOME)

    assert [agency.pk for agency in response.context["admin_agencies"]] == [taipei.owner_id]
    assert f"/staff/agencies/{other.slug}/team/" not in response.content.decode()


def test_home_shows_the_role_counts_and_reviews_waiting(
    client: Client, taipei: Program, admin: User
) -> None:
    reviewer = make_staff(
        "reviewer@taipei.example", "taipei-smart-city-office", StaffMembership.Role.REVIEWER
    )
    application = submit(make_company("Curb Co"), taipei)
    review_assign(application=application, reviewer=reviewer, assigned_by=admin)
    client.force_login(reviewer)

    response = client.get(HOME)

    card = response.context["programs"][0]
    assert (card.is_admin, card.applications_open, card.applications_total) == (False, 1, 1)
    assert card.matches_total == 1  # Curb Co is eligible
    assert "1 review waits for you" in text(response)


def test_home_makes_a_fixed_number_of_queries(
    client: Client, taipei: Program, admin: User, django_assert_num_queries: Any
) -> None:
    submit(make_company("Curb Co"), taipei)
    client.force_login(admin)

    # 1 the session, 2 the user, 3 their roles in their agencies (whether they are staff at all,
    # read once for the page), 4 how many programs they have (the pages), 5 the page's programs
    # with their counts, role and next deadline, 6 the reviews waiting for them and 7 the
    # agencies whose team they manage.
    with django_assert_num_queries(7):
        response = client.get(HOME)

    assert len(response.context["programs"]) == 2
    assert "Team of Taipei" in text(response)


def test_home_shows_the_programs_a_page_at_a_time_each_with_its_counts(
    client: Client, taipei: Program, admin: User, django_assert_num_queries: Any
) -> None:
    # given 30 programs: 28 more before Taipei's two by title
    for number in range(28):
        ProgramFactory(owner=taipei.owner, slug=f"extra-{number:02}", title=f"A {number:02}")
    submit(make_company("Curb Co"), taipei)
    client.force_login(admin)

    first = client.get(HOME)
    with django_assert_num_queries(7):  # the same queries on every page
        second = client.get(HOME, {"page": 2})

    assert [p.slug for p in first.context["programs"]] == [f"extra-{n:02}" for n in range(25)]
    assert [p.slug for p in second.context["programs"]] == [
        "extra-25",
        "extra-26",
        "extra-27",
        "taipei-bottom-up-poc",
        "taipei-needs-first",
    ]
    card = second.context["programs"][3]
    assert (card.matches_total, card.applications_open, card.applications_total) == (1, 1, 1)
    assert "Page 1 of 2" in text(first)
    assert 'rel="next" href="?page=2"' in text(first)


def test_a_vendor_gets_403_and_a_visitor_is_sent_to_sign_in(client: Client) -> None:
    anonymous = client.get(HOME)
    client.force_login(UserFactory(email="vendor@example.com"))
    vendor = client.get(HOME)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert vendor.status_code == 403


def test_the_header_links_staff_to_their_workspace_once_they_sign_in(
    client: Client, admin: User
) -> None:
    vendor: User = UserFactory(email="vendor@example.com")
    catalog = reverse("programs:list")

    login = reverse("accounts:login")

    client.post(login, {"username": vendor.email, "password": USER_PASSWORD})
    as_vendor = text(client.get(catalog))
    client.post(reverse("accounts:logout"))
    client.post(login, {"username": admin.email, "password": USER_PASSWORD})
    as_staff = text(client.get(catalog))

    assert f'href="{HOME}"' not in as_vendor
    assert f'href="{HOME}">Staff workspace</a>' in as_staff


def test_the_header_link_costs_no_query(
    client: Client, admin: User, django_assert_num_queries: Any
) -> None:
    client.force_login(admin)

    # The same queries as the catalog for anyone signed in: 1 the session, 2 the user, then the
    # catalog's own (3 count, 4 programs, 5 sectors, 6 buyers, 7 the filter's sectors).
    with django_assert_num_queries(7):
        response = client.get(reverse("programs:list"))

    assert "Staff workspace" in text(response)


# --- the dashboard -------------------------------------------------------------------------------


def test_the_funnel_counts_applications_that_reached_each_stage(
    client: Client, taipei: Program, admin: User
) -> None:
    _poc, pilot, policy = list(taipei.stages.order_by("order"))
    at_poc = [submit(make_company(f"POC {number}"), taipei) for number in range(3)]
    Application.objects.filter(pk=at_poc[0].pk).update(status="declined")
    Application.objects.filter(pk=at_poc[1].pk).update(stage=pilot)
    Application.objects.filter(pk=at_poc[2].pk).update(stage=policy, status="completed")
    submit(make_company("Fresh"), taipei)
    client.force_login(admin)

    response = client.get(dashboard_url(taipei))

    steps = [
        (step.stage.name, step.reached, step.here, step.declined, step.completed)
        for step in response.context["dashboard"].funnel
    ]
    assert steps == [
        ("Proof of concept", 4, 1, 1, 0),
        ("Small-scale pilot", 2, 1, 0, 0),
        ("Policy", 1, 0, 0, 1),
    ]
    html = text(response)
    assert "4 reached · 1 here now · 1 declined here" in html
    assert '<rect class="funnel-bar" width="50"' in html  # the pilot's bar: half the first's


def test_the_score_histogram_bins_eligible_and_incomplete_matches_by_tens(
    taipei: Program,
) -> None:
    for number, (eligibility, score) in enumerate(
        [
            ("eligible", 5),
            ("eligible", 15),
            ("eligible", 19.9),
            ("eligible", 100),
            ("incomplete", 15),
            ("incomplete", None),
            ("ineligible", 50),
        ]
    ):
        store_match(make_company(f"Co {number}", score=False), taipei, eligibility, score)

    data = program_dashboard(taipei, now=datetime.datetime.now(tz=datetime.UTC))

    assert [(item.low, item.eligible, item.incomplete) for item in data.histogram] == [
        (0, 1, 0),
        (10, 2, 1),
        (20, 0, 0),
        (30, 0, 0),
        (40, 0, 0),
        (50, 0, 0),
        (60, 0, 0),
        (70, 0, 0),
        (80, 0, 0),
        (90, 1, 0),
    ]
    assert data.unscored == 1
    assert [(value, count) for value, _label, count in data.eligibility] == [
        ("eligible", 4),
        ("incomplete", 2),
        ("ineligible", 1),
    ]


def test_the_histograms_tallest_bar_fills_the_plot() -> None:
    from programs.staff_dashboard import HistogramBin

    chart = histogram_chart(
        [HistogramBin(low=0, high=9, eligible=3, incomplete=1), HistogramBin(10, 19, 1, 0)]
    )

    tallest = chart.bars[0]
    assert chart.top == 4
    assert tallest.incomplete_y == chart.plot_top
    assert tallest.eligible_y + tallest.eligible_height == chart.baseline


def test_the_dashboard_draws_the_chart_with_a_table_of_its_numbers(
    client: Client, taipei: Program, admin: User
) -> None:
    store_match(make_company("Scored", score=False), taipei, "eligible", 42)
    client.force_login(admin)

    html = text(client.get(dashboard_url(taipei)))

    assert re.search(r'<svg [^>]*role="img" aria-labelledby="chart-title chart-desc"', html)
    assert "<caption" in html and '<th scope="row">40–49</th><td>1</td><td>0</td>' in html


def test_the_dashboard_shows_deadlines_in_the_programs_time_zone(
    client: Client, taipei: Program, admin: User
) -> None:
    stage = Stage.objects.get(program=taipei, order=1)
    stage.opens_at = datetime.datetime(2030, 1, 1, 0, 0, tzinfo=datetime.UTC)
    stage.closes_at = datetime.datetime(2030, 1, 31, 16, 0, tzinfo=datetime.UTC)
    stage.save()
    client.force_login(admin)

    html = text(client.get(dashboard_url(taipei)))

    # 16:00 UTC is midnight in Taipei (UTC+8).
    assert "Feb. 1, 2030, midnight" in html
    assert "In the program's time zone, Asia/Taipei." in html


def test_staff_elsewhere_see_their_own_time_beside_each_deadline(
    client: Client, taipei: Program, admin: User
) -> None:
    # given an admin working from Berlin on a Taipei program
    stage = Stage.objects.get(program=taipei, order=1)
    stage.opens_at = datetime.datetime(2030, 1, 1, 0, 0, tzinfo=datetime.UTC)
    stage.closes_at = datetime.datetime(2030, 1, 31, 16, 0, tzinfo=datetime.UTC)
    stage.save()
    admin.time_zone = "Europe/Berlin"
    admin.save(update_fields=["time_zone"])
    client.force_login(admin)

    dashboard = text(client.get(dashboard_url(taipei)))
    home = text(client.get(HOME))

    # then midnight in Taipei reads 5 p.m. the day before in Berlin (UTC+1 in winter)
    assert (
        'Feb. 1, 2030, midnight</time> <span class="local-time">(your time: Jan. 31, 2030, 5 p.m.)'
        in dashboard
    )
    assert "(your time: Jan. 1, 2030, 1 a.m.)" in dashboard  # it opens at 8 a.m. in Taipei
    assert re.search(r"Asia/Taipei\)</time> <span class=\"local-time\">\(your time: ", home)


def test_the_dashboard_makes_a_fixed_number_of_queries(
    client: Client, taipei: Program, admin: User, django_assert_num_queries: Any
) -> None:
    for number in range(3):
        submit(make_company(f"Co {number}"), taipei)
    client.force_login(admin)

    # 1 the session, 2 the user, 3 their roles in their agencies, 4 the program among them
    # (their role there follows), 5 its stages, 6 the applications counted by stage and status,
    # 7 the matches counted by eligibility and score decile.
    with django_assert_num_queries(7):
        response = client.get(dashboard_url(taipei))

    assert response.context["dashboard"].applications_total == 3
