import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from programs.demo import demo_load
from programs.models import Agency, Challenge, Criterion, Program, Requirement, Stage

pytestmark = pytest.mark.django_db

DEMO_SLUGS = {
    "moscow-pilots",
    "procure-renewable-buildings",
    "taipei-bottom-up-poc",
    "taipei-needs-first",
    "bristol-5g-logistics",
}
AGENCY_SLUGS = {
    "moscow-innovation-agency",
    "taipei-smart-city-office",
    "eilat",
    "barcelona",
    "istanbul",
    "velenje",
    "vila-nova-de-gaia",
    "nuremberg",
    "invest-bristol-bath",
}


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Agency, Program, Stage, Challenge, Criterion, Requirement)
    }


def test_load_demo_creates_the_five_programs_and_their_agencies():
    call_command("load_demo", verbosity=0)

    assert set(Program.objects.values_list("slug", flat=True)) == DEMO_SLUGS
    assert set(Agency.objects.values_list("slug", flat=True)) == AGENCY_SLUGS
    assert set(Program.objects.values_list("status", flat=True)) == {Program.Status.OPEN}


def test_procure_is_owned_by_eilat_with_five_buyer_cities_and_its_budget():
    demo_load()

    procure = Program.objects.get(slug="procure-renewable-buildings")
    assert procure.owner.slug == "eilat"
    assert set(procure.buyers.values_list("slug", flat=True)) == {
        "barcelona",
        "istanbul",
        "velenje",
        "vila-nova-de-gaia",
        "nuremberg",
    }
    assert procure.budget_amount == 7_680_000
    assert procure.budget_currency == "EUR"
    assert list(procure.stages.values_list("name", flat=True)) == [
        "Open market consultation",
        "Call for tenders",
        "Phase I: concept design",
        "Phase II: prototypes",
        "Phase III: pilots",
    ]


def test_taipei_needs_first_carries_the_agency_challenges():
    demo_load()

    titles = set(
        Challenge.objects.filter(program__slug="taipei-needs-first").values_list("title", flat=True)
    )
    assert {"Curbside parking data", "Remote learning", "Community telemedicine"} <= titles


def test_moscow_gate_accepts_a_russian_company_or_a_russian_partner():
    demo_load()

    gate = Criterion.objects.get(
        program__slug="moscow-pilots",
        label="Russian company or foreign company with a Russian partner",
    )
    groups = [
        list(group.requirements.values_list("fact", "operator", "value"))
        for group in gate.groups.all()
    ]
    assert groups == [[("country", "in", ["RU"])], [("partner_countries", "contains", "RU")]]


def test_running_it_again_updates_and_never_duplicates():
    demo_load()
    before = _counts()
    versions = dict(Program.objects.values_list("slug", "rules_version"))

    call_command("load_demo", verbosity=0)

    assert _counts() == before
    # Unchanged rules keep their version, so nothing is rescored for nothing.
    assert dict(Program.objects.values_list("slug", "rules_version")) == versions


def test_a_changed_rule_is_restored_and_bumps_the_rules_version():
    demo_load()
    requirement = Requirement.objects.get(
        group__criterion__program__slug="taipei-bottom-up-poc", fact="trl"
    )
    requirement.value = 2
    requirement.save()

    demo_load()

    program = Program.objects.get(slug="taipei-bottom-up-poc")
    assert program.rules_version == 2
    assert Requirement.objects.get(group__criterion__program=program, fact="trl").value == 6


def test_deadlines_are_relative_to_the_day_of_loading():
    today = timezone.now().date()
    demo_load(today=today)
    first = Stage.objects.get(program__slug="moscow-pilots", order=0).closes_at

    demo_load(today=today + datetime.timedelta(days=7))

    later = Stage.objects.get(program__slug="moscow-pilots", order=0).closes_at
    assert later - first == datetime.timedelta(days=7)


def test_some_stage_closes_within_three_days_so_reminders_show_at_once():
    now = timezone.now()
    demo_load()

    assert Stage.objects.filter(
        closes_at__gt=now, closes_at__lte=now + datetime.timedelta(days=3)
    ).exists()


def test_every_demo_stage_closes_at_six_pm_in_its_programs_time_zone():
    demo_load()

    for stage in Stage.objects.select_related("program__owner"):
        local = timezone.localtime(stage.closes_at, stage.program.time_zone)
        assert (local.hour, local.minute) == (18, 0), stage
