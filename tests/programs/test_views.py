import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import Program, Sector
from tests.factories import AgencyFactory, ProgramFactory, StageFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("programs:list")


def _titles(response) -> list[str]:
    return [program.title for program in response.context["page"]]


def test_the_list_shows_published_programs_soonest_deadline_first(client):
    now = timezone.now()
    later = ProgramFactory(title="Later")
    StageFactory(program=later, closes_at=now + datetime.timedelta(days=20))
    sooner = ProgramFactory(title="Sooner")
    StageFactory(program=sooner, closes_at=now + datetime.timedelta(days=2))
    # A past deadline does not count as the next one.
    StageFactory(
        program=later,
        closes_at=now - datetime.timedelta(days=1),
        opens_at=now - datetime.timedelta(days=9),
    )
    ProgramFactory(title="No deadline")
    ProgramFactory(title="Secret draft", status=Program.Status.DRAFT)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert _titles(response) == ["Sooner", "Later", "No deadline"]
    assert "Secret draft" not in response.content.decode()


def test_the_list_filters_by_sector(client):
    mobility = ProgramFactory(title="Mobility program")
    mobility.sectors.add(Sector.objects.get(code="mobility"))
    ProgramFactory(title="Other program")

    response = client.get(LIST_URL, {"sector": "mobility"})

    assert _titles(response) == ["Mobility program"]


def test_the_list_filters_by_the_city_of_the_owner_or_a_buyer(client):
    eilat = AgencyFactory(slug="eilat-x", city="Eilat", country="IL", time_zone="Asia/Jerusalem")
    nuremberg = AgencyFactory(
        slug="nbg-x", city="Nuremberg", country="DE", time_zone="Europe/Berlin"
    )
    joint = ProgramFactory(title="Joint", owner=eilat)
    joint.buyers.add(nuremberg)
    ProgramFactory(title="Taipei only")

    assert _titles(client.get(LIST_URL, {"city": "nuremberg"})) == ["Joint"]
    assert _titles(client.get(LIST_URL, {"city": "Eilat"})) == ["Joint"]


def test_the_list_filters_by_status(client):
    ProgramFactory(title="Open one")
    ProgramFactory(title="Closed one", status=Program.Status.CLOSED)

    assert _titles(client.get(LIST_URL, {"status": "closed"})) == ["Closed one"]


def test_an_unknown_filter_value_shows_an_error_next_to_the_field_and_no_programs(client):
    ProgramFactory(title="Open one")

    response = client.get(LIST_URL, {"sector": "space-mining"})

    assert response.status_code == 200
    assert _titles(response) == []
    assert response.context["filter"].errors["sector"]
    assert 'class="error"' in response.content.decode()


def test_the_list_page_makes_a_fixed_number_of_queries(client, django_assert_num_queries):
    for index in range(3):
        program = ProgramFactory(title=f"Program {index}")
        program.sectors.add(*Sector.objects.all()[:3])
        program.buyers.add(AgencyFactory())
        StageFactory(program=program)

    # 1 count for the paginator, 2 the programs with owner and next deadline, 3 their sectors,
    # 4 their buyers, 5 the sectors of the filter form.
    with django_assert_num_queries(5):
        client.get(LIST_URL)

    for index in range(3, 10):
        program = ProgramFactory(title=f"Program {index}")
        program.sectors.add(*Sector.objects.all()[:3])
        program.buyers.add(AgencyFactory())
    with django_assert_num_queries(5):
        response = client.get(LIST_URL)
    assert len(_titles(response)) == 10


def test_the_list_paginates(client):
    for index in range(25):
        ProgramFactory(title=f"Program {index:02}")

    first = client.get(LIST_URL, {"status": "open"})
    second = client.get(LIST_URL, {"status": "open", "page": 2})

    assert len(_titles(first)) == 20
    assert len(_titles(second)) == 5
    assert "status=open&amp;page=2" in first.content.decode()


def test_the_detail_page_states_every_rule_in_plain_words(client, demo):
    response = client.get(reverse("programs:detail", kwargs={"slug": "moscow-pilots"}))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Registered in Russia, or a partner registered in Russia" in page
    assert "Moscow Agency of Innovations" in page
    for stage in ("Application", "Expert review", "Pitch", "Pilot", "Results"):
        assert stage in page


def test_the_detail_page_shows_deadlines_in_the_programs_time_zone(client, demo):
    program = Program.objects.get(slug="taipei-bottom-up-poc")
    stage = program.stages.get(order=0)
    local = timezone.localtime(stage.closes_at, program.time_zone)

    response = client.get(program.get_absolute_url())

    assert local.isoformat() in response.content.decode()
    assert "Asia/Taipei" in response.content.decode()


def test_the_detail_page_shows_joint_buyers_and_budget(client, demo):
    response = client.get(
        reverse("programs:detail", kwargs={"slug": "procure-renewable-buildings"})
    )

    page = response.content.decode()
    for city in ("Eilat", "Barcelona", "Istanbul", "Velenje", "Vila Nova de Gaia", "Nuremberg"):
        assert city in page
    assert "EUR" in page
    assert "7,680,000" in page


def test_the_detail_page_makes_a_fixed_number_of_queries(client, demo, django_assert_num_queries):
    url = reverse("programs:detail", kwargs={"slug": "procure-renewable-buildings"})
    # program+owner, criteria, groups, requirements, buyers, sectors, stages, challenges with
    # sector, and the sector names for the plain-language rules.
    with django_assert_num_queries(9):
        client.get(url)


def test_a_draft_or_unknown_program_is_not_found(client):
    draft = ProgramFactory(status=Program.Status.DRAFT)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("programs:detail", kwargs={"slug": "nope"})).status_code == 404


def test_the_home_page_leads_to_the_catalog(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == LIST_URL


def test_open_programs_come_before_closed_and_archived_ones(client):
    ProgramFactory(title="A archived", status=Program.Status.ARCHIVED)
    ProgramFactory(title="B closed", status=Program.Status.CLOSED)
    ProgramFactory(title="C open")

    assert _titles(client.get(LIST_URL)) == ["C open", "B closed", "A archived"]
