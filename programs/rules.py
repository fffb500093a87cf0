"""The bridge between rules stored as rows and the pure engine.

Builds engine specs from prefetched rows, validates a requirement when it is saved, and gives the
engine's wording the translations and names (countries, sectors) that only Django knows.
"""

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext, ngettext
from django_countries import countries

from matchmaker.engine import (
    FACTS,
    OPERATORS_BY_TYPE,
    CriterionKind,
    CriterionSpec,
    GroupSpec,
    RequirementSpec,
    RuleSet,
    Vocabulary,
    Wording,
    describe_problem,
    validate_requirement,
)

if TYPE_CHECKING:
    from programs.models import Program


def sector_names() -> dict[str, str]:
    from programs.models import Sector

    return dict(Sector.objects.values_list("code", "name"))


def vocabulary(sectors: Iterable[str] | None = None) -> Vocabulary:
    """The codes a rule may name: every ISO 3166-1 country and every sector on file."""
    sector_codes = sectors if sectors is not None else sector_names().keys()
    return Vocabulary(
        countries=frozenset(code for code, _name in countries),
        sectors=frozenset(sector_codes),
    )


def wording(sectors: Mapping[str, str] | None = None) -> Wording:
    """Plain-language wording in the active language, with country and sector names."""
    names = sectors if sectors is not None else sector_names()
    return Wording(
        gettext=gettext,
        ngettext=ngettext,
        country_name=lambda code: str(countries.name(code)) or code,
        sector_name=lambda code: names.get(code, code),
    )


def requirement_errors(
    *, fact: str, operator: str, value: Any, hint: str, kind: str | None
) -> dict[str, list[str]]:
    """Field errors for a requirement, in the words staff see; empty when it is valid."""
    spec = RequirementSpec(fact=fact, operator=operator, value=value, hint=hint)
    names = sector_names()
    problems = validate_requirement(
        spec,
        kind=CriterionKind(kind) if kind else CriterionKind.GATE,
        vocabulary=vocabulary(names.keys()),
    )
    words = wording(names)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field = problem.field if problem.field in {"fact", "operator", "value"} else "value"
        errors.setdefault(field, []).append(describe_problem(problem, words))
    return errors


def fact_choices() -> list[tuple[str, str]]:
    return [(name, gettext(fact.label)) for name, fact in FACTS.items()]


def operator_choices() -> list[tuple[str, str]]:
    """Every operator once, in registry order; the engine checks it fits the chosen fact."""
    names = dict.fromkeys(
        operator for operators in OPERATORS_BY_TYPE.values() for operator in operators
    )
    return [(name, name) for name in names]


def ruleset_for(program: "Program") -> RuleSet:
    """The engine's view of a program's rules.

    Expects ``criteria__groups__requirements`` prefetched; otherwise it costs a query per
    criterion and group.
    """
    return RuleSet(
        program=program.slug,
        version=program.rules_version,
        criteria=tuple(
            CriterionSpec(
                key=str(criterion.pk),
                label=criterion.label,
                kind=CriterionKind(criterion.kind),
                weight=float(criterion.weight),
                help_text=criterion.help_text,
                groups=tuple(
                    GroupSpec(
                        requirements=tuple(
                            RequirementSpec(
                                fact=requirement.fact,
                                operator=requirement.operator,
                                value=requirement.value,
                                hint=requirement.hint,
                            )
                            for requirement in group.requirements.all()
                        )
                    )
                    for group in criterion.groups.all()
                ),
            )
            for criterion in program.criteria.all()
        ),
    )
