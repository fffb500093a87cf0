"""The impact preview of a rule change: its counts are the counts the rescore then stores.

"With this change N of M companies are eligible (now K)": K is what is stored before the change,
N what is stored once the save's rescore has run — checked here through the services and
through the pages, with the rescore run synchronously, chunk by chunk, as the workers run it.
"""

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from applicants.models import Application, Company, Partner
from matchmaker.engine import Eligibility, RequirementSpec
from matchmaker.models import Match
from matchmaker.services import chunk_score, run_start
from programs import rule_builder
from programs.models import Program, Requirement, Sector, StaffMembership
from programs.rule_builder import RuleDraft, impact_preview, with_rules
from tests.factories import ProgramFactory, add_criterion
from tests.vendors import make_user

pytestmark = pytest.mark.django_db

MakeCompany = Callable[..., Company]


@pytest.fixture
def make_company(db: None) -> MakeCompany:
    """A company with these facts; ``partners`` lists partner countries (and declares them)."""

    def make(
        name: str,
        *,
        sectors: Iterable[str] = ("mobility",),
        partners: Iterable[str] | None = None,
        **fields: Any,
    ) -> Company:
        company = Company.objects.create(legal_name=name, **{"country": "RU", **fields})
        company.sectors.set(Sector.objects.filter(code__in=list(sectors)))
        if partners is not None:
            for index, country in enumerate(partners):
                Partner.objects.create(company=company, name=f"Partner {index}", country=country)
            Company.objects.filter(pk=company.pk).update(partners_declared=True)
        return company

    return make


@pytest.fixture
def companies(make_company: MakeCompany) -> dict[str, Company]:
    """Companies whose standing in Moscow's program moves in every direction when its TRL gate
    goes from 5 to 7 (see each comment: now → after)."""
    return {
        "mature": make_company("Mature", trl=8),  # eligible → eligible
        "prototype": make_company("Prototype", trl=5, sectors=["health"]),  # eligible → not
        "foreign": make_company(  # eligible → not
            "Foreign with a partner", country="TW", partners=["RU"], trl=6, sectors=["energy"]
        ),
        "undeclared": make_company("Partners untold", country="TW", trl=9),  # incomplete → same
        "no_trl": make_company("TRL untold", trl=None),  # incomplete → incomplete
        "no_sectors": make_company("Sectors untold", trl=6, sectors=[]),  # incomplete → not
        "german": make_company("German", country="DE", partners=[], trl=9),  # ineligible
        "seven": make_company("Seven", trl=7, sectors=["retail"]),  # eligible → eligible
        "early": make_company("Early", trl=4),  # ineligible → ineligible
    }


def _rescore(program: Program) -> None:
    """What the workers do after a rules change: a run over every company, chunk by chunk."""
    started = run_start(program_id=program.pk, enqueue=False)
    for chunk in started.chunks:
        chunk_score(chunk_id=chunk.pk)


def _stored(program: Program, eligibility: str) -> int:
    return Match.objects.filter(program=program, eligibility=eligibility).count()


def _moscow() -> Program:
    return with_rules(Program.objects.get(slug="moscow-pilots"))


def _trl_gate(program: Program) -> Requirement:
    return Requirement.objects.get(group__criterion__program=program, fact="trl", operator="gte")


def test_the_previews_counts_are_the_counts_stored_after_the_rescore(demo, companies, settings):
    # given: Moscow's matches stored for its current rules, over several chunks
    settings.MATCHING_CHUNK_SIZE = 4
    moscow = _moscow()
    _rescore(moscow)
    trl = _trl_gate(moscow)
    change = RequirementSpec("trl", "gte", 7, "A system prototype (TRL 7) at least.")

    # when: staff preview raising the TRL gate from 5 to 7, then save it
    impact = impact_preview(
        program=moscow,
        criteria_specs=RuleDraft(moscow).update_requirement(trl.pk, change).criteria(),
    )
    now = (_stored(moscow, "eligible"), _stored(moscow, "incomplete"))
    rule_builder.requirement_update(requirement=trl, spec=change)
    _rescore(Program.objects.get(pk=moscow.pk))

    # then: "now" was what was stored before, and what is stored now is what the preview said
    assert (impact.eligible_now, impact.incomplete_now) == now == (4, 3)
    assert (impact.eligible_after, impact.incomplete_after) == (
        _stored(moscow, "eligible"),
        _stored(moscow, "incomplete"),
    )
    assert (impact.eligible_after, impact.incomplete_after) == (2, 2)
    assert impact.total == Company.objects.count() == 9
    assert (impact.changed, impact.became_eligible, impact.no_longer_eligible) == (3, 0, 2)


def test_the_promise_holds_through_the_pages(demo, companies, client):
    # given: an agency admin of Moscow's agency, and Moscow's matches stored
    moscow = _moscow()
    _rescore(moscow)
    admin = make_user("admin@mos.example")
    StaffMembership.objects.create(user=admin, agency=moscow.owner, role=StaffMembership.Role.ADMIN)
    client.force_login(admin)
    url = reverse(
        "rules:requirement-edit",
        kwargs={"slug": moscow.slug, "requirement_pk": _trl_gate(moscow).pk},
    )
    form = {"requirement-fact": "trl", "requirement-operator": "gte", "requirement-value": "7"}
    eligible_before = _stored(moscow, "eligible")

    # when: the admin previews, then saves, and the rescore runs
    preview = client.post(url, {**form, "action": "preview"})
    impact = preview.context["page"].impact
    saved = client.post(url, {**form, "action": "save"})
    _rescore(Program.objects.get(pk=moscow.pk))

    # then
    assert f"With this change <strong>{impact.eligible_after}</strong> of 9 companies" in (
        preview.content.decode()
    )
    assert f"(now {eligible_before})" in preview.content.decode()
    assert saved.status_code == 302
    assert impact.eligible_now == eligible_before
    assert impact.eligible_after == _stored(moscow, "eligible") == 2


def test_a_preview_saves_nothing(demo, companies):
    moscow = _moscow()
    trl = _trl_gate(moscow)
    version = moscow.rules_version

    impact_preview(
        program=moscow,
        criteria_specs=RuleDraft(moscow)
        .update_requirement(trl.pk, RequirementSpec("trl", "gte", 9))
        .criteria(),
    )

    assert Program.objects.get(pk=moscow.pk).rules_version == version
    assert _trl_gate(moscow).value == 5


def test_only_companies_that_applied_or_may_be_found_are_named(demo, companies):
    # given: one company agreed to be found, one applied, one only drafted an application
    moscow = _moscow()
    Company.objects.filter(pk=companies["prototype"].pk).update(discoverable=True)
    Application.objects.create(
        company=companies["foreign"],
        program=moscow,
        status=Application.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    Application.objects.create(company=companies["no_sectors"], program=moscow)
    trl = _trl_gate(moscow)

    # when
    impact = impact_preview(
        program=moscow,
        criteria_specs=RuleDraft(moscow)
        .update_requirement(trl.pk, RequirementSpec("trl", "gte", 7))
        .criteria(),
    )

    # then: the draft applicant is counted, not named
    assert [(c.name, c.now, c.after) for c in impact.examples] == [
        ("Foreign with a partner", Eligibility.ELIGIBLE, Eligibility.INELIGIBLE),
        ("Prototype", Eligibility.ELIGIBLE, Eligibility.INELIGIBLE),
    ]
    assert impact.unnamed == 1
    assert impact.examples[0].now_label == "Eligible"


def test_at_most_ten_companies_are_named_those_losing_eligibility_first(make_company):
    program = with_rules(ProgramFactory())
    add_criterion(program, label="Ready", groups=[[("trl", "gte", 5)]])
    program = with_rules(Program.objects.get(pk=program.pk))
    for number in range(12):
        make_company(f"Gaining {number:02}", trl=4, discoverable=True)
    make_company("Losing", trl=5, discoverable=True)
    gate = Requirement.objects.get()

    impact = impact_preview(
        program=program,
        criteria_specs=RuleDraft(program)
        .update_requirement(gate.pk, RequirementSpec("trl", "between", [1, 4]))
        .criteria(),
    )

    assert impact.changed == 13
    assert [c.name for c in impact.examples][:3] == ["Losing", "Gaining 00", "Gaining 01"]
    assert len(impact.examples) == 10
    assert impact.unnamed == 3


def test_a_weight_change_moves_scores_not_eligibility(demo, companies):
    moscow = _moscow()
    pilots = moscow.criteria.get(label="Has run pilots before")
    Company.objects.update(prior_pilots=2)

    impact = impact_preview(
        program=moscow,
        criteria_specs=RuleDraft(moscow)
        .update_criterion(
            pilots.pk, kind="award", label=pilots.label, weight=pilots.weight * 4, help_text=""
        )
        .criteria(),
    )

    assert impact.changed == 0
    assert impact.eligible_after == impact.eligible_now
    assert impact.scores_changed > 0


def test_the_preview_reads_every_company_in_a_fixed_number_of_queries(
    demo, companies, make_company, django_assert_num_queries
):
    moscow = _moscow()
    specs = (
        RuleDraft(moscow)
        .update_requirement(_trl_gate(moscow).pk, RequirementSpec("trl", "gte", 7))
        .criteria()
    )
    for number in range(20):
        make_company(f"More {number}", trl=5 + number % 5, partners=["RU"])

    # companies, their sectors, their partners; the companies staff may see by name
    with django_assert_num_queries(4):
        impact_preview(program=moscow, criteria_specs=specs)
