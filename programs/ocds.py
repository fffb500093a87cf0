"""Programs as open data: release packages of the Open Contracting Data Standard (OCDS 1.1).

Pure: dicts built from programs whose rows are prefetched (``programs.api_ocds`` loads them), with
no query, no clock (``now`` comes in) and no request (addresses come in). Texts are read in the
active language, which the API sets to the release's (``release_language``).

A published program is one contracting process, ocid ``<OCDS_OCID_PREFIX>-<slug>``, told by one
``tender`` release:

- ``parties``: the owner agency (buyer and procuring entity) and a joint program's buyer agencies;
  ``buyer`` and ``tender.procuringEntity`` name the owner.
- ``tender.tenderPeriod``: the window of the application stage, the first by order (applications
  are submitted to it: ``applicants.application_checks.application_stage``).
- ``tender.milestones``: every stage, due when it closes.
- ``tender.criteria`` (Requirements extension): the gates, criterion → requirement groups →
  requirements, as the engine reads them: a criterion is met when any of its groups is, a group
  when all of its requirements are. Award criteria are not there: a reader takes every criterion
  in that list for a condition to meet, and an award criterion only scores.
- ``tender.lots[0].awardCriteria`` (Lots and Award criteria breakdown extensions): the award
  criteria with their weights. That extension hangs them on a lot, so the program is published as
  its own single lot; core ``tender.awardCriteria`` is a codelist string, ``qualityOnly``.

Sectors are left out. They are the platform's own taxonomy of what vendors work on, not a
classification of what is bought: as ``items`` they would claim purchases that are not made,
under a private scheme no aggregator can match; the gates that ask for sectors carry them as
requirement values.
"""

import datetime
import functools
import hashlib
import json
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from django.conf import settings
from django.utils.translation import to_locale
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname

from matchmaker.engine import (
    FACTS,
    CriterionKind,
    CriterionSpec,
    FactType,
    GroupSpec,
    RequirementSpec,
    Wording,
    describe_criterion,
    describe_requirement,
    validate_requirement,
)
from programs.models import (
    Agency,
    Criterion,
    Program,
    Requirement,
    RequirementGroup,
    Stage,
    TimeStamped,
)
from programs.rules import ruleset_for

OCDS_VERSION: Final = "1.1"
PUBLISHER: Final = "Pilot Match"

_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/{}/master/extension.json"
)
REQUIREMENTS_EXTENSION: Final = _EXTENSION.format("ocds_requirements_extension")
LOTS_EXTENSION: Final = _EXTENSION.format("ocds_lots_extension")
AWARD_CRITERIA_EXTENSION: Final = _EXTENSION.format("ocds_awardCriteriaBreakdown_extension")

# The tender status codelist (closed). Closed and archived programs take no more applications:
# their tender is over, whatever stages still run, and an aggregator listing "active" tenders as
# open calls must not list them. Drafts are never published; the entry keeps the map total.
TENDER_STATUS: Final[Mapping[str, str]] = {
    Program.Status.DRAFT: "planning",
    Program.Status.OPEN: "active",
    Program.Status.CLOSED: "complete",
    Program.Status.ARCHIVED: "complete",
}

# Every kind of program is an open call: any company may apply, and the gates decide who is
# eligible, as an open procedure's selection criteria do.
PROCUREMENT_METHOD: Final = "open"

# The application stage's closing is the call's deadline: vendors engage with the program. Every
# later stage ends in a decision on who goes on (a review, a pitch, a pilot judged on its
# results): an assessment. The model has no kind of stage to say more.
APPLICATION_MILESTONE: Final = "engagement"
LATER_MILESTONE: Final = "assessment"

# The award criteria's weights are relative: a criterion counts in the 0-100 score in proportion
# to its weight, which is what eForms calls points (a criterion's share of the total points).
WEIGHT_KIND: Final = "pointsExact"

_DATA_TYPES: Final[Mapping[FactType, str]] = {
    FactType.INTEGER: "integer",
    FactType.BOOLEAN: "boolean",
    # Countries (ISO 3166-1 alpha-2) and sectors (the taxonomy's codes) are answered as codes.
    FactType.COUNTRY: "string",
    FactType.COUNTRIES: "string",
    FactType.SECTORS: "string",
}

UTC: Final = datetime.UTC


def release_language() -> str:
    """The language of the releases' texts: the one program content is written in first."""
    return settings.LANGUAGE_CODE


def ocid(program: Program) -> str:
    return f"{settings.OCDS_OCID_PREFIX}-{program.slug}"


# --- texts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """A text built rather than stored (a rule in plain words, a pair of choice labels), as
    ``texts`` reads it: ``text()`` builds it in the active language."""

    text: Callable[[], str]


def _translated_fields(model: type) -> frozenset[str]:
    try:
        return frozenset(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return frozenset()


def texts(obj: object, field: str, key: str) -> dict[str, str]:
    """The OCDS field ``key`` with the human-readable ``field`` of ``obj``; nothing when empty.

    Every text of a release comes through here: in the active language, the release's
    ``language``, and for program content written in other languages (``programs/translation.py``)
    its variants too, under the names OCDS gives them (``title_ru``, ``title_zh-Hant``: the field,
    an underscore, the BCP 47 tag). Built texts (``field`` names a method, as ``Built.text``) are
    in the release's language only.
    """
    value = getattr(obj, field)
    if callable(value):
        value = value()
    text = "" if value is None else str(value).strip()
    found = {key: text} if text else {}
    if field in _translated_fields(type(obj)):
        for code, _name in settings.LANGUAGES:
            if code == release_language():
                continue
            variant = (getattr(obj, build_localized_fieldname(field, code)) or "").strip()
            if variant and variant != text:
                found[f"{key}_{to_locale(code).replace('_', '-')}"] = variant
    return found


def _when(moment: datetime.datetime, zone: zoneinfo.ZoneInfo | datetime.timezone) -> str:
    """ISO 8601 with the offset of ``zone``: a deadline as the agency announced it."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


# --- parties -------------------------------------------------------------------------------------


def _reference(agency: Agency) -> dict[str, Any]:
    return {"id": agency.slug, **texts(agency, "name", "name")}


def _party(agency: Agency, roles: list[str]) -> dict[str, Any]:
    party: dict[str, Any] = {**_reference(agency), "roles": roles}
    address = {**texts(agency, "city", "locality"), **texts(agency.country, "name", "countryName")}
    if address:
        party["address"] = address
    if agency.website:
        party["contactPoint"] = {"url": agency.website}
    return party


def _parties(program: Program) -> list[dict[str, Any]]:
    owner = program.owner
    buyers = [agency for agency in program.buyers.all() if agency.pk != owner.pk]
    return [
        _party(owner, ["buyer", "procuringEntity"]),
        *(_party(agency, ["buyer"]) for agency in buyers),
    ]


# --- stages --------------------------------------------------------------------------------------


def _tender_period(stages: Sequence[Stage], zone: zoneinfo.ZoneInfo) -> dict[str, str]:
    period: dict[str, str] = {}
    if not stages:
        return period
    application = stages[0]
    if application.opens_at is not None:
        period["startDate"] = _when(application.opens_at, zone)
    if application.closes_at is not None:
        period["endDate"] = _when(application.closes_at, zone)
    return period


def _milestone(
    stage: Stage, zone: zoneinfo.ZoneInfo, now: datetime.datetime, *, application: bool
) -> dict[str, Any]:
    milestone: dict[str, Any] = {
        "id": f"stage-{stage.pk}",
        **texts(stage, "name", "title"),
        **texts(stage, "description", "description"),
        "type": APPLICATION_MILESTONE if application else LATER_MILESTONE,
        "status": "scheduled",
    }
    if stage.closes_at is not None:
        milestone["dueDate"] = _when(stage.closes_at, zone)
        if stage.closes_at <= now:
            milestone.update(status="met", dateMet=_when(stage.closes_at, zone))
    return milestone


# --- rules ---------------------------------------------------------------------------------------


def _fact_label(fact: str, words: Wording) -> str:
    known = FACTS.get(fact)
    return words.gettext(known.label) if known is not None else fact


def _alternatives(values: Sequence[Any]) -> str | None:
    """``values`` as regular-expression alternatives, or None when one is not a plain code or
    number (codes and numbers need no escaping, which dialects of regular expressions differ on).
    """
    tokens = [str(value) for value in values]
    if not all(token and token.replace("-", "").isalnum() and token.isascii() for token in tokens):
        return None
    return "|".join(tokens)


def _one_of(values: Sequence[Any]) -> dict[str, Any]:
    # The Requirements extension has one expected value; a response among several is a pattern.
    if len(values) == 1:
        return {"expectedValue": values[0]}
    alternatives = _alternatives(values)
    return {"pattern": f"^({alternatives})$"} if alternatives else {}


def _none_of(values: Sequence[Any]) -> dict[str, Any]:
    alternatives = _alternatives(values)
    return {"pattern": f"^(?!({alternatives})$)"} if alternatives else {}


def _requirement_values(spec: RequirementSpec) -> dict[str, Any]:
    """The requirement's type and values in the Requirements extension's fields.

    A fact holding a set (partner countries, sectors) is answered one element at a time: "a
    partner country" is expected to be RU, "a sector" to be one of a list. Where no field fits,
    only the description says it; a rule the engine would not run gets no values at all.
    """
    fact = FACTS.get(spec.fact)
    if fact is None:
        return {}
    values: dict[str, Any] = {"dataType": _DATA_TYPES[fact.type]}
    if validate_requirement(spec, kind=CriterionKind.GATE, vocabulary=None):
        return values
    value = spec.value
    match spec.operator:
        case "eq" | "contains":
            values["expectedValue"] = value
        case "in" | "overlaps":
            values.update(_one_of(value))
        case "ne":
            values.update(_none_of([value]))
        case "not_in":
            values.update(_none_of(value))
        case "gte":
            values["minValue"] = value
        case "lte":
            values["maxValue"] = value
        case "between":
            values.update(minValue=value[0], maxValue=value[1])
        case "is_true":
            values["expectedValue"] = True
        case "is_false":
            values["expectedValue"] = False
        # "present": any answer meets it.
    return values


def _requirement(row: Requirement, spec: RequirementSpec, words: Wording) -> dict[str, Any]:
    return {
        "id": f"requirement-{row.pk}",
        **texts(Built(functools.partial(_fact_label, spec.fact, words)), "text", "title"),
        **texts(Built(functools.partial(describe_requirement, spec, words)), "text", "description"),
        **_requirement_values(spec),
    }


def _group(
    row: RequirementGroup, spec: GroupSpec, criterion: CriterionSpec, words: Wording
) -> dict[str, Any]:
    # The group's rule is the criterion's with this group alone: its requirements joined by "and".
    alone = replace(criterion, groups=(spec,))
    group: dict[str, Any] = {
        "id": f"group-{row.pk}",
        **texts(Built(functools.partial(describe_criterion, alone, words)), "text", "description"),
    }
    requirements = [
        _requirement(requirement, requirement_spec, words)
        for requirement, requirement_spec in zip(
            row.requirements.all(), spec.requirements, strict=True
        )
    ]
    if requirements:  # the extension wants at least one; a group being edited may have none
        group["requirements"] = requirements
    return group


def _gate(row: Criterion, spec: CriterionSpec, words: Wording) -> dict[str, Any]:
    gate: dict[str, Any] = {
        "id": f"criterion-{row.pk}",
        **texts(row, "label", "title"),
        **texts(Built(functools.partial(describe_criterion, spec, words)), "text", "description"),
        # Gates judge the company that applies, not something it delivers.
        "relatesToTenderer": True,
    }
    groups = [
        _group(group, group_spec, spec, words)
        for group, group_spec in zip(row.groups.all(), spec.groups, strict=True)
    ]
    if groups:
        gate["requirementGroups"] = groups
    return gate


def _award(row: Criterion, spec: CriterionSpec, words: Wording) -> dict[str, Any]:
    return {
        # Every award criterion scores the proposal's fit, none its price or cost.
        "type": "quality",
        **texts(row, "label", "name"),
        **texts(Built(functools.partial(describe_criterion, spec, words)), "text", "description"),
        "numbers": [{"number": spec.weight, "weight": WEIGHT_KIND}],
    }


def _criteria(
    program: Program, words: Wording
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The gates in the Requirements extension's shape, the award criteria in the breakdown's."""
    gates, awards = [], []
    rows = program.criteria.all()
    for row, spec in zip(rows, ruleset_for(program).criteria, strict=True):
        if spec.kind is CriterionKind.GATE:
            gates.append(_gate(row, spec, words))
        else:
            awards.append(_award(row, spec, words))
    return gates, awards


# --- releases ------------------------------------------------------------------------------------


def _changed_at(
    program: Program, stages: Sequence[Stage], now: datetime.datetime
) -> datetime.datetime:
    """When the release's information was last recorded: the latest change to any row it shows,
    or the latest stage closing that made a milestone met."""
    rows: list[TimeStamped] = [program, program.owner, *program.buyers.all(), *stages]
    for criterion in program.criteria.all():
        rows.append(criterion)
        for group in criterion.groups.all():
            rows.extend([group, *group.requirements.all()])
    moments = [row.updated_at for row in rows]
    moments += [s.closes_at for s in stages if s.closes_at is not None and s.closes_at <= now]
    return max(moments)


def _tender(
    program: Program, stages: Sequence[Stage], *, now: datetime.datetime, site: str, words: Wording
) -> dict[str, Any]:
    zone = program.time_zone
    details = Built(lambda: f"{program.get_kind_display()} / {program.get_intake_display()}")
    tender: dict[str, Any] = {
        "id": program.slug,
        **texts(program, "title", "title"),
        **texts(program, "summary", "description"),
        "status": TENDER_STATUS[program.status],
        "procuringEntity": _reference(program.owner),
        "procurementMethod": PROCUREMENT_METHOD,
        **texts(details, "text", "procurementMethodDetails"),
        "submissionMethod": ["electronicSubmission"],
        "documents": [
            {
                # Where a vendor reads the program and applies.
                "id": "program-page",
                "documentType": "tenderNotice",
                **texts(program, "title", "title"),
                "url": f"{site}{program.get_absolute_url()}",
                "format": "text/html",
            }
        ],
    }
    if program.budget_amount is not None:
        tender["value"] = {
            "amount": float(program.budget_amount),
            "currency": program.budget_currency,
        }
    if period := _tender_period(stages, zone):
        tender["tenderPeriod"] = period
    if stages:
        tender["milestones"] = [
            _milestone(stage, zone, now, application=number == 0)
            for number, stage in enumerate(stages)
        ]
    gates, awards = _criteria(program, words)
    if gates:
        tender["criteria"] = gates
    if awards:
        tender["awardCriteria"] = "qualityOnly"
        # The whole program as its only lot.
        tender["lots"] = [{"id": "1", "awardCriteria": {"criteria": awards}}]
    return tender


def _release(
    program: Program, *, now: datetime.datetime, site: str, words: Wording
) -> tuple[dict[str, Any], datetime.datetime]:
    """The program's release and the moment it was last changed."""
    stages = list(program.stages.all())
    changed_at = _changed_at(program, stages, now)
    body = {
        "ocid": ocid(program),
        "date": _when(changed_at, program.time_zone),
        "tag": ["tender"],
        "initiationType": "tender",
        "language": release_language(),
        "parties": _parties(program),
        "buyer": _reference(program.owner),
        "tender": _tender(program, stages, now=now, site=site, words=words),
    }
    # A release's id names its content: the same program unchanged is the same release, and any
    # change (a row edited or deleted, a stage closed, a sector renamed) is a new one.
    content = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return {"ocid": body["ocid"], "id": f"{program.slug}-{digest}", **body}, changed_at


def _extensions(releases: Iterable[Mapping[str, Any]]) -> list[str]:
    used = set()
    for release in releases:
        tender = release["tender"]
        if "criteria" in tender:
            used.add(REQUIREMENTS_EXTENSION)
        if "lots" in tender:
            used.update({LOTS_EXTENSION, AWARD_CRITERIA_EXTENSION})
    order = [REQUIREMENTS_EXTENSION, LOTS_EXTENSION, AWARD_CRITERIA_EXTENSION]
    return [extension for extension in order if extension in used]


def release_package(
    programs: Iterable[Program],
    *,
    uri: str,
    site: str,
    now: datetime.datetime,
    words: Wording,
) -> dict[str, Any]:
    """A release package with one release per program, in the given order.

    Expects each program's owner joined and its buyers, stages (by order) and rules
    (``criteria__groups__requirements``) prefetched; ``words`` in the active language, ``uri``
    the package's own address and ``site`` the scheme and host of the program pages. The package
    is published as of its latest change (``now`` when it holds no program).
    """
    releases, changes = [], []
    for program in programs:
        release, changed_at = _release(program, now=now, site=site, words=words)
        releases.append(release)
        changes.append(changed_at)
    package: dict[str, Any] = {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _when(max(changes, default=now), UTC),
        "publisher": {"name": PUBLISHER, "uri": f"{site}/"},
    }
    if extensions := _extensions(releases):
        package["extensions"] = extensions
    package["releases"] = releases
    return package
