"""The demo programs (DESIGN §7), as data, and the service that loads them.

Facts come from the CTALK 2021 source (shared/seeds/PROGRAMS.md); rules marked "assumed" are our
modelling. Stage windows are relative to the day of loading so the demo is always live; the
Moscow application stage closes within three days so reminders can be seen at once.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from modeltranslation.utils import build_localized_fieldname

from matchmaker.engine import CriterionKind, CriterionSpec, GroupSpec, RequirementSpec
from matchmaker.services import program_rules_changed
from programs.demo_translations import AGENCY_TEXTS, PROGRAM_TEXTS
from programs.models import (
    Agency,
    Challenge,
    Criterion,
    Program,
    Requirement,
    RequirementGroup,
    Sector,
    Stage,
)
from programs.rules import ruleset_for
from programs.selectors import program_with_rules
from programs.services import program_bump_rules_version

TAIPEI_DOMAINS = [
    "government-services",
    "buildings",
    "mobility",
    "education",
    "health",
    "public-safety",
    "environment",
    "economy",
]
MOSCOW_SECTORS = [
    "retail",
    "energy",
    "telecom",
    "health",
    "education",
    "environment",
    "public-safety",
    "mobility",
]


@dataclass(frozen=True)
class DemoAgency:
    slug: str
    name: str
    city: str
    country: str
    time_zone: str
    website: str = ""


@dataclass(frozen=True)
class DemoStage:
    name: str
    opens_day: int
    closes_day: int
    description: str = ""
    max_participants: int | None = None
    budget: Decimal | None = None


@dataclass(frozen=True)
class DemoChallenge:
    title: str
    description: str
    sector: str


@dataclass(frozen=True)
class DemoProgram:
    slug: str
    title: str
    summary: str
    owner: str
    kind: str
    intake: str
    sectors: list[str]
    stages: list[DemoStage]
    criteria: list[CriterionSpec]
    buyers: list[str] = field(default_factory=list)
    challenges: list[DemoChallenge] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["en"])
    budget: tuple[Decimal, str] | None = None
    website: str = ""


def gate(label: str, *groups: list[RequirementSpec], help_text: str = "") -> CriterionSpec:
    return CriterionSpec(
        key="",
        label=label,
        kind=CriterionKind.GATE,
        weight=1.0,
        groups=tuple(GroupSpec(requirements=tuple(group)) for group in groups),
        help_text=help_text,
    )


def award(label: str, weight: float, *groups: list[RequirementSpec]) -> CriterionSpec:
    return CriterionSpec(
        key="",
        label=label,
        kind=CriterionKind.AWARD,
        weight=weight,
        groups=tuple(GroupSpec(requirements=tuple(group)) for group in groups),
    )


def req(fact: str, operator: str, value: Any = None, hint: str = "") -> RequirementSpec:
    return RequirementSpec(fact=fact, operator=operator, value=value, hint=hint)


AGENCIES = [
    DemoAgency(
        "moscow-innovation-agency",
        "Moscow Agency of Innovations",
        "Moscow",
        "RU",
        "Europe/Moscow",
    ),
    DemoAgency(
        "taipei-smart-city-office",
        "Taipei Smart City Project Management Office",
        "Taipei",
        "TW",
        "Asia/Taipei",
    ),
    DemoAgency("eilat", "Eilat Municipality", "Eilat", "IL", "Asia/Jerusalem"),
    DemoAgency("barcelona", "Barcelona City Council", "Barcelona", "ES", "Europe/Madrid"),
    DemoAgency(
        "istanbul", "Istanbul Metropolitan Municipality", "Istanbul", "TR", "Europe/Istanbul"
    ),
    DemoAgency("velenje", "Municipality of Velenje", "Velenje", "SI", "Europe/Ljubljana"),
    DemoAgency(
        "vila-nova-de-gaia",
        "Municipality of Vila Nova de Gaia",
        "Vila Nova de Gaia",
        "PT",
        "Europe/Lisbon",
    ),
    DemoAgency("nuremberg", "City of Nuremberg", "Nuremberg", "DE", "Europe/Berlin"),
    DemoAgency("invest-bristol-bath", "Invest Bristol and Bath", "Bristol", "GB", "Europe/London"),
]

PROGRAMS = [
    DemoProgram(
        slug="moscow-pilots",
        title="Moscow Innovations Piloting Program",
        summary=(
            "Test your product in Moscow's city services. Open to companies from any country: "
            "a foreign company applies together with a partner registered in Russia. Last year "
            "the program started more than 120 pilots in 18 industries, with companies of every "
            "size. Applications go to the Moscow Agency of Innovations, which also runs pitch "
            "sessions for proposals."
        ),
        owner="moscow-innovation-agency",
        kind=Program.Kind.PILOTING,
        intake=Program.Intake.PROPOSAL_LED,
        sectors=MOSCOW_SECTORS,
        languages=["ru", "en"],
        stages=[
            DemoStage("Application", -30, 2, "Submit your proposal to the agency."),
            DemoStage("Expert review", 3, 30, "Experts and city departments assess proposals."),
            DemoStage("Pitch", 31, 45, "Selected companies pitch to the city."),
            DemoStage("Pilot", 46, 226, "The product is tested in city services."),
            DemoStage("Results", 227, 257, "The pilot's results are assessed and published."),
        ],
        criteria=[
            gate(
                "Russian company or foreign company with a Russian partner",
                [req("country", "in", ["RU"])],
                [
                    req(
                        "partner_countries",
                        "contains",
                        "RU",
                        hint="Foreign companies apply together with a partner registered in "
                        "Russia.",
                    )
                ],
            ),
            gate(
                "Prototype or product ready to pilot",
                [req("trl", "gte", 5, hint="A working prototype (TRL 5) at least.")],
                help_text="Assumed: a pilot needs at least a prototype validated in a relevant "
                "environment.",
            ),
            gate(
                "Works in an industry the program pilots",
                [req("sectors", "overlaps", MOSCOW_SECTORS)],
            ),
            award("Has run pilots before", 25, [req("prior_pilots", "gte", 1)]),
            award("Has a working demo", 25, [req("has_demo", "is_true")]),
            award(
                "Fit with the program's industries",
                25,
                [req("sectors", "overlap_ratio", MOSCOW_SECTORS)],
            ),
            award("Product maturity", 25, [req("trl", "scale", [5, 9])]),
        ],
    ),
    DemoProgram(
        slug="procure-renewable-buildings",
        title="procuRE: renewable energy for existing buildings",
        summary=(
            "A pre-commercial procurement by six buyer cities, led by Eilat, under the EU Horizon "
            "programme: EUR 7.68 million for R&D of solutions that reduce the off-site energy "
            "supply of existing buildings, trialled in schools and offices. The buyers group "
            "defines the problem and the award criteria; suppliers propose solutions and must "
            "present their plan and a demo."
        ),
        owner="eilat",
        buyers=["barcelona", "istanbul", "velenje", "vila-nova-de-gaia", "nuremberg"],
        kind=Program.Kind.PRE_COMMERCIAL_PROCUREMENT,
        intake=Program.Intake.NEED_LED,
        sectors=["energy", "buildings"],
        languages=["en"],
        budget=(Decimal("7680000"), "EUR"),
        challenges=[
            DemoChallenge(
                "Reduce the off-site energy supply of existing buildings",
                "Solutions that cut the energy existing public buildings draw from outside, "
                "trialled in schools and offices of the six buyer cities.",
                "energy",
            ),
        ],
        stages=[
            DemoStage(
                "Open market consultation",
                -20,
                10,
                "Suppliers present their plan and a demo to the buyers group.",
            ),
            DemoStage("Call for tenders", 11, 70, "Submit a tender to the buyers group."),
            DemoStage("Phase I: concept design", 71, 160, max_participants=10),
            DemoStage("Phase II: prototypes", 161, 340, max_participants=6),
            DemoStage("Phase III: pilots", 341, 560, max_participants=3),
        ],
        criteria=[
            gate(
                "Works on energy or buildings",
                [req("sectors", "overlaps", ["energy", "buildings"])],
            ),
            gate(
                "Can present a demo",
                [req("has_demo", "is_true", hint="Suppliers must present a demo to the buyers.")],
            ),
            gate(
                "R&D-stage solution",
                [
                    req(
                        "trl",
                        "between",
                        [3, 8],
                        hint="Pre-commercial procurement buys R&D, not finished products.",
                    )
                ],
            ),
            award(
                "Fit with the challenge",
                40,
                [req("sectors", "overlap_ratio", ["energy", "buildings"])],
            ),
            award("Technology readiness", 20, [req("trl", "scale", [3, 8])]),
            award("Has run pilots before", 20, [req("prior_pilots", "gte", 1)]),
            award("Team of five or more", 20, [req("employees", "gte", 5)]),
        ],
    ),
    DemoProgram(
        slug="taipei-bottom-up-poc",
        title="Taipei bottom-up proof of concept",
        summary=(
            "Propose a proof of concept directly to the Taipei City Government, which hosts the "
            "test. A proposal starts as a POC, may grow into a small-scale pilot, and only then "
            "becomes policy. Failure is accepted as part of innovation: the Smart City Project "
            "Management Office has handled more than 260 projects."
        ),
        owner="taipei-smart-city-office",
        kind=Program.Kind.POC_TRACK,
        intake=Program.Intake.PROPOSAL_LED,
        sectors=TAIPEI_DOMAINS,
        languages=["zh-hant", "en"],
        stages=[
            DemoStage("Proof of concept", -60, 20, "Test the idea on a real site in the city."),
            DemoStage("Small-scale pilot", 21, 200, "Grow a successful POC into a pilot."),
            DemoStage("Policy", 201, 380, "A proven pilot becomes city policy."),
        ],
        criteria=[
            gate(
                "Works in one of the eight smart-city domains",
                [req("sectors", "overlaps", TAIPEI_DOMAINS)],
            ),
            gate(
                "Ready for a real-site demonstration",
                [req("trl", "gte", 6, hint="Assumed: a demonstration in a real environment.")],
            ),
        ],
    ),
    DemoProgram(
        slug="taipei-needs-first",
        title="Taipei needs-first challenges",
        summary=(
            "City agencies state their needs first; the Smart City Project Management Office then "
            "looks for companies whose services meet them. The 1+7 Taipei Smart City Promotion "
            "Team confirms each need is real. Projects run POC, small pilot, then policy."
        ),
        owner="taipei-smart-city-office",
        kind=Program.Kind.CHALLENGE_CALL,
        intake=Program.Intake.NEED_LED,
        sectors=["mobility", "education", "health"],
        languages=["zh-hant", "en"],
        challenges=[
            DemoChallenge(
                "Curbside parking data",
                "Real-time data on curbside parking occupancy to guide drivers and pricing.",
                "mobility",
            ),
            DemoChallenge(
                "Remote learning",
                "Tools that extend the CooC-Cloud remote learning platform for schools.",
                "education",
            ),
            DemoChallenge(
                "Community telemedicine",
                "Zero-contact consultations between community clinics and patients at home.",
                "health",
            ),
        ],
        stages=[
            DemoStage("Written review", -15, 25),
            DemoStage("Field and expert review", 26, 60),
            DemoStage("Field test", 61, 240),
            DemoStage("Policy assessment", 241, 330),
        ],
        criteria=[
            gate(
                "Works in a challenge's domain",
                [req("sectors", "overlaps", ["mobility", "education", "health"])],
            ),
            gate(
                "Prototype ready for a field test",
                [
                    req(
                        "trl",
                        "gte",
                        5,
                        hint="Assumed: a prototype validated in a relevant environment.",
                    )
                ],
            ),
        ],
    ),
    DemoProgram(
        slug="bristol-5g-logistics",
        title="West of England 5G logistics testbed",
        summary=(
            "Invest Bristol and Bath invites companies to test road and cargo tracking on the "
            "region's 5G testbeds, in a top-three UK region for AI, IoT and blockchain "
            "investment, with a 2030 carbon target. Citizen trust and cyber security matter."
        ),
        owner="invest-bristol-bath",
        kind=Program.Kind.CHALLENGE_CALL,
        intake=Program.Intake.PROPOSAL_LED,
        sectors=["logistics", "telecom"],
        languages=["en"],
        stages=[
            DemoStage("Expression of interest", -10, 40),
            DemoStage("Testbed trial", 41, 220),
        ],
        criteria=[
            gate(
                "Works on logistics or telecoms",
                [req("sectors", "overlaps", ["logistics", "telecom"])],
            ),
            gate(
                "Ready to trial on a testbed",
                [req("trl", "gte", 5, hint="Assumed: a prototype ready for a live testbed.")],
            ),
        ],
    ),
]

# Stages close at the end of a working day in the program's own time zone.
_CLOSING_TIME = datetime.time(18, 0)
_OPENING_TIME = datetime.time(9, 0)


def _local(day: datetime.date, time: datetime.time, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=zone)


def _comparable(criteria: Any) -> list[tuple[Any, ...]]:
    # Keys are database ids on one side and blank on the other; compare what staff edit.
    return [
        (
            c.label,
            str(c.kind),
            float(c.weight) if c.kind == CriterionKind.AWARD else 0.0,
            c.help_text,
            c.groups,
        )
        for c in criteria
    ]


def _store_rules(program: Program, criteria: list[CriterionSpec]) -> bool:
    """Replace the program's rules with ``criteria`` when they differ; True when changed."""
    current = ruleset_for(program_with_rules().get(pk=program.pk))
    if _comparable(current.criteria) == _comparable(criteria):
        return False
    program.criteria.all().delete()
    for order, spec in enumerate(criteria):
        criterion = Criterion(
            program=program,
            kind=spec.kind,
            label=spec.label,
            weight=Decimal(str(spec.weight)) if spec.kind == CriterionKind.AWARD else Decimal(1),
            help_text=spec.help_text,
            order=order,
        )
        criterion.full_clean()
        criterion.save()
        for group_order, group_spec in enumerate(spec.groups):
            group = RequirementGroup.objects.create(criterion=criterion, order=group_order)
            for requirement_order, requirement_spec in enumerate(group_spec.requirements):
                requirement = Requirement(
                    group=group,
                    fact=requirement_spec.fact,
                    operator=requirement_spec.operator,
                    value=requirement_spec.value,
                    hint=requirement_spec.hint,
                    order=requirement_order,
                )
                requirement.full_clean()
                requirement.save()
    return True


def _translations(texts: dict[str, dict[str, Any]], **fields: Any) -> dict[str, str]:
    """The per-language columns of ``fields`` from ``texts`` (language → texts): each keyword
    names a model field and gives a function picking its text from one language's texts."""
    return {
        build_localized_fieldname(name, language): pick(language_texts)
        for language, language_texts in texts.items()
        for name, pick in fields.items()
    }


def _store_rule_translations(program: Program, texts: dict[str, dict[str, Any]]) -> None:
    """Criterion labels, help texts and requirement hints in the program's other languages.

    Words only: they never change what the rules decide, so they are written in place.
    """
    criteria = list(program_with_rules().get(pk=program.pk).criteria.all())
    for index, criterion in enumerate(criteria):
        labels = {
            language: language_texts["criteria"][index]
            for language, language_texts in texts.items()
        }
        for name, value in _translations(
            labels, label=lambda t: t["label"], help_text=lambda t: t["help_text"]
        ).items():
            setattr(criterion, name, value)
        criterion.save()
        for group_index, group in enumerate(criterion.groups.all()):
            for requirement_index, requirement in enumerate(group.requirements.all()):
                for language, criterion_texts in labels.items():
                    hint = criterion_texts["hints"][group_index][requirement_index]
                    setattr(requirement, build_localized_fieldname("hint", language), hint)
                requirement.save()


def _load_program(demo: DemoProgram, agencies: dict[str, Agency], today: datetime.date) -> bool:
    owner = agencies[demo.owner]
    amount, currency = demo.budget if demo.budget else (None, "")
    program, created = Program.objects.update_or_create(
        slug=demo.slug,
        defaults={
            "owner": owner,
            "title": demo.title,
            "summary": demo.summary,
            **_translations(
                PROGRAM_TEXTS.get(demo.slug, {}),
                title=lambda t: t["title"],
                summary=lambda t: t["summary"],
            ),
            "kind": demo.kind,
            "intake": demo.intake,
            "status": Program.Status.OPEN,
            "budget_amount": amount,
            "budget_currency": currency,
            "languages": demo.languages,
            "website": demo.website,
        },
    )
    program.buyers.set([agencies[slug] for slug in demo.buyers])
    program.sectors.set(Sector.objects.filter(code__in=demo.sectors))

    texts = PROGRAM_TEXTS.get(demo.slug, {})
    zone = zoneinfo.ZoneInfo(owner.time_zone)
    changed = created
    program.stages.filter(order__gte=len(demo.stages)).delete()
    for order, stage in enumerate(demo.stages):
        opens_at = _local(today + datetime.timedelta(days=stage.opens_day), _OPENING_TIME, zone)
        closes_at = _local(today + datetime.timedelta(days=stage.closes_day), _CLOSING_TIME, zone)
        _stage, stage_created = Stage.objects.update_or_create(
            program=program,
            order=order,
            defaults={
                "name": stage.name,
                "description": stage.description,
                **_translations(
                    texts,
                    name=lambda t, order=order: t["stages"][order]["name"],
                    description=lambda t, order=order: t["stages"][order]["description"],
                ),
                "opens_at": opens_at,
                "closes_at": closes_at,
                "max_participants": stage.max_participants,
                "budget_amount": stage.budget,
            },
        )
        changed = changed or stage_created

    program.challenges.exclude(title__in=[c.title for c in demo.challenges]).delete()
    for order, challenge in enumerate(demo.challenges):
        Challenge.objects.update_or_create(
            program=program,
            title=challenge.title,
            defaults={
                "description": challenge.description,
                **_translations(
                    texts,
                    title=lambda t, order=order: t["challenges"][order]["title"],
                    description=lambda t, order=order: t["challenges"][order]["description"],
                ),
                "sector": Sector.objects.get(code=challenge.sector),
                "agency": owner,
                "order": order,
            },
        )
    rules_changed = _store_rules(program, demo.criteria)
    _store_rule_translations(program, texts)
    if rules_changed and not created:
        program_bump_rules_version(program_id=program.pk)
    elif created:
        # A new open program is scored for every company once this transaction commits.
        program_rules_changed(program_id=program.pk)
    return changed or rules_changed


@dataclass(frozen=True)
class DemoLoadResult:
    agencies: int
    programs: int
    changed: list[str]


def demo_load(*, today: datetime.date | None = None) -> DemoLoadResult:
    """Create or update the demo agencies and programs; running it again never duplicates.

    Stage windows move with ``today`` (by default the current date in UTC).
    """
    today = today or timezone.now().date()
    # The demo is written in English: the plain field names are the English columns.
    with translation.override("en"), transaction.atomic():
        agencies = {}
        for demo_agency in AGENCIES:
            agency, _created = Agency.objects.update_or_create(
                slug=demo_agency.slug,
                defaults={
                    "name": demo_agency.name,
                    "city": demo_agency.city,
                    **_translations(
                        AGENCY_TEXTS.get(demo_agency.slug, {}),
                        name=lambda t: t["name"],
                        city=lambda t: t["city"],
                    ),
                    "country": demo_agency.country,
                    "time_zone": demo_agency.time_zone,
                    "website": demo_agency.website,
                },
            )
            agencies[agency.slug] = agency
        changed = [demo.slug for demo in PROGRAMS if _load_program(demo, agencies, today)]
    return DemoLoadResult(agencies=len(agencies), programs=len(PROGRAMS), changed=changed)
