"""Agency admins' edits to a program's gates and award criteria, and the impact of an edit.

Every write validates through the engine (``full_clean`` runs ``requirement_errors``; a whole
criterion goes through ``validate_criterion``), happens in one transaction with the program row
locked, and calls ``program_bump_rules_version`` exactly once, which rescores the program for
every company after commit. A refused change raises ``ValidationError``, writes nothing and
bumps nothing; an update that changes nothing saves and bumps nothing either.

``RuleDraft`` applies the same changes to an in-memory copy of the rules, so ``impact_preview``
evaluates exactly the rules a save would produce against every company, without saving anything.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Self

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils.translation import gettext as _

from applicants.models import Application, Company
from matchmaker.engine import (
    CompiledProgram,
    CriterionKind,
    CriterionSpec,
    Eligibility,
    GroupSpec,
    RequirementSpec,
    RuleSet,
    compile_ruleset,
    describe_problem,
    describe_requirement,
    validate_criterion,
)
from matchmaker.models import Match
from matchmaker.scoring import load_company_facts
from programs.models import Criterion, Program, Requirement, RequirementGroup
from programs.rules import requirement_errors, ruleset_for, sector_names, vocabulary, wording
from programs.services import program_bump_rules_version

RULES_PREFETCH: Final = "criteria__groups__requirements"
"""Criteria, their groups and requirements in three queries, each in its model's order."""

Errors = dict[str, list[str]]


def with_rules(program: Program) -> Program:
    """``program`` with its rules prefetched (three queries), as ``RuleDraft`` expects it."""
    prefetch_related_objects([program], RULES_PREFETCH)
    return program


# --- the draft -----------------------------------------------------------------------------------


@dataclass
class _Group:
    row: RequirementGroup | None  # None for a group the draft adds
    requirements: list[tuple[Requirement | None, RequirementSpec]]


@dataclass
class _Criterion:
    row: Criterion | None
    spec: CriterionSpec  # its groups are rebuilt from ``groups``
    groups: list[_Group]


class RuleDraft:
    """A program's rules as engine specs, tied to their rows, to apply one change to in memory.

    Built from a program with its rules prefetched (``with_rules``). Each change method returns
    the draft, so ``RuleDraft(program).update_requirement(pk, spec).criteria()`` is the ruleset
    that saving that change would leave.
    """

    NEW_KEY: Final = "new"  # the key of a criterion the draft adds; saved ones use their pk

    def __init__(self, program: Program) -> None:
        self.program = program
        self._criteria: list[_Criterion] = []
        # ruleset_for walks the same prefetched rows in the same order, so the zips line up.
        for row, spec in zip(program.criteria.all(), ruleset_for(program).criteria, strict=True):
            groups = [
                _Group(group, list(zip(group.requirements.all(), specs.requirements, strict=True)))
                for group, specs in zip(row.groups.all(), spec.groups, strict=True)
            ]
            self._criteria.append(_Criterion(row, spec, groups))

    def criteria(self) -> tuple[CriterionSpec, ...]:
        return tuple(self._spec(criterion) for criterion in self._criteria)

    def criterion(self, key: str) -> CriterionSpec:
        for criterion in self._criteria:
            if criterion.spec.key == key:
                return self._spec(criterion)
        raise LookupError(key)

    @staticmethod
    def _spec(criterion: _Criterion) -> CriterionSpec:
        return dataclasses.replace(
            criterion.spec,
            groups=tuple(
                GroupSpec(tuple(spec for _row, spec in group.requirements))
                for group in criterion.groups
            ),
        )

    # Finding rows. A row that is not in the draft was removed (or never was this program's).

    def criterion_row(self, criterion_id: int) -> Criterion:
        return self._find_criterion(criterion_id).row  # type: ignore[return-value]

    def group_row(self, group_id: int) -> RequirementGroup:
        return self._find_group(group_id)[1].row  # type: ignore[return-value]

    def requirement_row(self, requirement_id: int) -> Requirement:
        group, index = self._find_requirement(requirement_id)
        return group.requirements[index][0]  # type: ignore[return-value]

    def group_count(self, criterion_id: int) -> int:
        return len(self._find_criterion(criterion_id).groups)

    def requirement_count(self, group_id: int) -> int:
        return len(self._find_group(group_id)[1].requirements)

    def _find_criterion(self, criterion_id: int) -> _Criterion:
        for criterion in self._criteria:
            if criterion.row is not None and criterion.row.pk == criterion_id:
                return criterion
        raise _gone()

    def _find_group(self, group_id: int) -> tuple[_Criterion, _Group]:
        for criterion in self._criteria:
            for group in criterion.groups:
                if group.row is not None and group.row.pk == group_id:
                    return criterion, group
        raise _gone()

    def _find_requirement(self, requirement_id: int) -> tuple[_Group, int]:
        for criterion in self._criteria:
            for group in criterion.groups:
                for index, (row, _spec) in enumerate(group.requirements):
                    if row is not None and row.pk == requirement_id:
                        return group, index
        raise _gone()

    # Changes.

    def add_criterion(
        self,
        *,
        kind: str,
        label: str,
        weight: Decimal | None,
        help_text: str,
        requirement: RequirementSpec,
    ) -> Self:
        spec = CriterionSpec(
            key=self.NEW_KEY,
            label=label,
            kind=CriterionKind(kind),
            weight=_weight(weight),
            groups=(),
            help_text=help_text,
        )
        self._criteria.append(_Criterion(None, spec, [_Group(None, [(None, requirement)])]))
        return self

    def update_criterion(
        self, criterion_id: int, *, kind: str, label: str, weight: Decimal | None, help_text: str
    ) -> Self:
        criterion = self._find_criterion(criterion_id)
        criterion.spec = dataclasses.replace(
            criterion.spec,
            kind=CriterionKind(kind),
            label=label,
            weight=_weight(weight),
            help_text=help_text,
        )
        return self

    def remove_criterion(self, criterion_id: int) -> Self:
        self._criteria.remove(self._find_criterion(criterion_id))
        return self

    def add_group(self, criterion_id: int, requirement: RequirementSpec) -> Self:
        self._find_criterion(criterion_id).groups.append(_Group(None, [(None, requirement)]))
        return self

    def remove_group(self, group_id: int) -> Self:
        criterion, group = self._find_group(group_id)
        criterion.groups.remove(group)
        return self

    def add_requirement(self, group_id: int, requirement: RequirementSpec) -> Self:
        self._find_group(group_id)[1].requirements.append((None, requirement))
        return self

    def update_requirement(self, requirement_id: int, requirement: RequirementSpec) -> Self:
        group, index = self._find_requirement(requirement_id)
        group.requirements[index] = (group.requirements[index][0], requirement)
        return self

    def remove_requirement(self, requirement_id: int) -> Self:
        group, index = self._find_requirement(requirement_id)
        del group.requirements[index]
        return self


def _weight(weight: Decimal | None) -> float:
    return float(weight) if weight is not None else 1.0


def _gone() -> ValidationError:
    return ValidationError(
        _("This rule was changed or removed meanwhile. Reload the rules and try again."),
        code="gone",
    )


# --- validation ----------------------------------------------------------------------------------


def criterion_errors(
    spec: CriterionSpec,
    *,
    names: Mapping[str, str] | None = None,
    requirement_fields: bool = False,
) -> Errors:
    """The engine's problems with a whole criterion, as errors of the criterion's form.

    A weight problem goes to ``weight``. A requirement's problem goes to its own field (``fact``,
    ``operator``, ``value``) with ``requirement_fields`` — a new criterion's one requirement is on
    the same form — and otherwise to ``kind``, naming the requirement: changing a criterion's
    kind is what makes an award-only requirement wrong in a gate.
    """
    names = sector_names() if names is None else names
    words = wording(names)
    errors: Errors = {}
    for problem in validate_criterion(spec, vocabulary(names.keys())):
        message = describe_problem(problem, words)
        if problem.field == "weight":
            field = "weight"
        elif len(problem.location) == 3:
            if requirement_fields:
                field = problem.field
            else:
                _key, group, index = problem.location
                requirement = spec.groups[int(group)].requirements[int(index)]
                field = "kind"
                message = _("“%(requirement)s”: %(problem)s") % {
                    "requirement": describe_requirement(requirement, words),
                    "problem": message,
                }
        else:
            field = NON_FIELD_ERRORS
        errors.setdefault(field, []).append(message)
    return errors


def _merge(errors: Errors, more: Errors) -> Errors:
    for field, messages in more.items():
        errors.setdefault(field, []).extend(messages)
    return errors


def _model_errors(instance: Criterion | Requirement, *, exclude: Sequence[str]) -> Errors:
    """Field checks of the model (lengths, choices) for fields the engine has not refused."""
    try:
        instance.clean_fields(exclude=list(exclude))
    except ValidationError as error:
        return dict(error.message_dict)
    return {}


def _requirement(group: RequirementGroup | None, spec: RequirementSpec, order: int) -> Requirement:
    return Requirement(
        group=group,
        fact=spec.fact,
        operator=spec.operator,
        value=spec.value,
        hint=spec.hint,
        order=order,
    )


def _next_order(orders: Sequence[int]) -> int:
    return max(orders, default=-1) + 1


# --- services ------------------------------------------------------------------------------------


def _check_kind_and_weight(kind: str, weight: Decimal | None) -> None:
    if kind not in Criterion.Kind.values:
        raise ValidationError({"kind": [_("Choose a gate or an award criterion.")]})
    if kind == Criterion.Kind.AWARD and weight is None:
        raise ValidationError({"weight": [_("Give the award criterion a weight.")]})


def _locked_draft(program_id: int) -> RuleDraft:
    """The program's rules under a lock on its row, so concurrent edits apply one at a time."""
    program = Program.objects.select_for_update(of=("self",)).get(pk=program_id)
    return RuleDraft(with_rules(program))


def _bump(draft: RuleDraft) -> int:
    return program_bump_rules_version(program_id=draft.program.pk)


def criterion_create(
    *,
    program: Program,
    kind: str,
    label: str,
    weight: Decimal | None,
    help_text: str,
    requirement: RequirementSpec,
) -> int:
    """Adds a criterion with its first requirement (a criterion without one would fail every
    company). Returns the new rules version."""
    _check_kind_and_weight(kind, weight)
    with transaction.atomic():
        draft = _locked_draft(program.pk).add_criterion(
            kind=kind, label=label, weight=weight, help_text=help_text, requirement=requirement
        )
        errors = criterion_errors(draft.criterion(RuleDraft.NEW_KEY), requirement_fields=True)
        criterion = Criterion(
            program=draft.program,
            kind=kind,
            label=label,
            # Scoring ignores a gate's weight; it keeps the model's default.
            weight=weight if kind == Criterion.Kind.AWARD and weight is not None else Decimal(1),
            help_text=help_text,
            order=_next_order([c.order for c in draft.program.criteria.all()]),
        )
        row = _requirement(None, requirement, 0)
        _merge(errors, _model_errors(criterion, exclude=["program", *errors]))
        _merge(errors, _model_errors(row, exclude=["group", *errors]))
        if errors:
            raise ValidationError(errors)
        criterion.save()
        row.group = RequirementGroup.objects.create(criterion=criterion, order=0)
        row.full_clean()
        row.save()
        return _bump(draft)


def criterion_update(
    *, criterion: Criterion, kind: str, label: str, weight: Decimal | None, help_text: str
) -> int | None:
    """Changes a criterion's kind, label, weight or help text. Returns the new rules version, or
    None when nothing changed."""
    _check_kind_and_weight(kind, weight)
    with transaction.atomic():
        draft = _locked_draft(criterion.program_id)
        row = draft.criterion_row(criterion.pk)
        if kind == Criterion.Kind.GATE:
            weight = row.weight  # scoring ignores a gate's weight: keep what is stored
        draft.update_criterion(row.pk, kind=kind, label=label, weight=weight, help_text=help_text)
        errors = criterion_errors(draft.criterion(str(row.pk)))
        changes = {"kind": kind, "label": label, "weight": weight, "help_text": help_text}
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        for name in changed:
            setattr(row, name, changes[name])
        _merge(errors, _model_errors(row, exclude=["program", *errors]))
        if errors:
            raise ValidationError(errors)
        if not changed:
            return None
        row.full_clean()
        row.save(update_fields=[*changed, "updated_at"])
        return _bump(draft)


def criterion_delete(*, criterion: Criterion) -> int:
    """Removes a criterion with its groups and requirements. Returns the new rules version."""
    with transaction.atomic():
        draft = _locked_draft(criterion.program_id)
        draft.criterion_row(criterion.pk).delete()
        return _bump(draft)


def group_add(*, criterion: Criterion, requirement: RequirementSpec) -> int:
    """Adds an option to a criterion — it passes when any option passes — with its first
    requirement (an option without one would pass every company). Returns the new version."""
    with transaction.atomic():
        draft = _locked_draft(criterion.program_id)
        row = draft.criterion_row(criterion.pk)
        draft.add_group(row.pk, requirement)
        errors = requirement_errors(
            fact=requirement.fact,
            operator=requirement.operator,
            value=requirement.value,
            hint=requirement.hint,
            kind=row.kind,
        )
        new = _requirement(None, requirement, 0)
        _merge(errors, _model_errors(new, exclude=["group", *errors]))
        if errors:
            raise ValidationError(errors)
        new.group = RequirementGroup.objects.create(
            criterion=row, order=_next_order([group.order for group in row.groups.all()])
        )
        new.full_clean()
        new.save()
        return _bump(draft)


def group_delete(*, group: RequirementGroup) -> int:
    """Removes an option with its requirements; a criterion's only option cannot go (the
    criterion would fail every company): remove the criterion instead."""
    with transaction.atomic():
        draft = _locked_draft(group.criterion.program_id)
        row = draft.group_row(group.pk)
        if draft.group_count(row.criterion_id) == 1:
            raise ValidationError(
                _("This is the criterion's only option. Remove the criterion instead."),
                code="only_group",
            )
        row.delete()
        return _bump(draft)


def requirement_add(*, group: RequirementGroup, requirement: RequirementSpec) -> int:
    """Adds a requirement to an option (all of an option's requirements must pass)."""
    with transaction.atomic():
        draft = _locked_draft(group.criterion.program_id)
        row = draft.group_row(group.pk)
        draft.add_requirement(row.pk, requirement)
        new = _requirement(row, requirement, _next_order([r.order for r in row.requirements.all()]))
        new.full_clean()
        new.save()
        return _bump(draft)


def requirement_update(*, requirement: Requirement, spec: RequirementSpec) -> int | None:
    """Changes a requirement's fact, operator, value or hint. Returns the new rules version, or
    None when nothing changed."""
    with transaction.atomic():
        draft = _locked_draft(requirement.group.criterion.program_id)
        row = draft.requirement_row(requirement.pk)
        changes = {
            "fact": spec.fact,
            "operator": spec.operator,
            "value": spec.value,
            "hint": spec.hint,
        }
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        for name in changed:
            setattr(row, name, changes[name])
        row.full_clean()
        if not changed:
            return None
        row.save(update_fields=[*changed, "updated_at"])
        return _bump(draft)


def requirement_delete(*, requirement: Requirement) -> int:
    """Removes a requirement; an option's only requirement cannot go (the option would pass
    every company): remove the option instead."""
    with transaction.atomic():
        draft = _locked_draft(requirement.group.criterion.program_id)
        row = draft.requirement_row(requirement.pk)
        if draft.requirement_count(row.group_id) == 1:
            raise ValidationError(
                _("This is the option's only requirement. Remove the option instead."),
                code="only_requirement",
            )
        row.delete()
        return _bump(draft)


# --- impact --------------------------------------------------------------------------------------

EXAMPLES: Final = 10

# Which changes of eligibility staff most need to see first.
_CONCERN: Final = {
    (Eligibility.ELIGIBLE, Eligibility.INELIGIBLE): 0,
    (Eligibility.ELIGIBLE, Eligibility.INCOMPLETE): 1,
    (Eligibility.INCOMPLETE, Eligibility.INELIGIBLE): 2,
    (Eligibility.INELIGIBLE, Eligibility.ELIGIBLE): 3,
    (Eligibility.INCOMPLETE, Eligibility.ELIGIBLE): 4,
    (Eligibility.INELIGIBLE, Eligibility.INCOMPLETE): 5,
}


@dataclass(frozen=True, slots=True)
class ChangedCompany:
    name: str
    now: Eligibility
    after: Eligibility

    @property
    def now_label(self) -> str:
        return str(Match.Eligibility(self.now.value).label)

    @property
    def after_label(self) -> str:
        return str(Match.Eligibility(self.after.value).label)


@dataclass(frozen=True, slots=True)
class Impact:
    """What a proposed ruleset does to every company, next to the current rules.

    Both sides are the same in-memory evaluation of the same companies, so the counts are exact
    and comparable; after the save's rescore the stored matches hold the ``after`` counts.
    """

    total: int
    eligible_now: int
    eligible_after: int
    incomplete_now: int
    incomplete_after: int
    became_eligible: int
    no_longer_eligible: int
    changed: int  # companies whose eligibility changes, in any direction
    scores_changed: int  # companies whose score changes (award criteria and weights)
    # Up to EXAMPLES companies whose eligibility changes, named only when they agreed to be
    # found or applied to this program; the others are only counted.
    examples: tuple[ChangedCompany, ...]

    @property
    def unnamed(self) -> int:
        return self.changed - len(self.examples)


def _compiled(program: Program, criteria: Sequence[CriterionSpec], version: int) -> CompiledProgram:
    return compile_ruleset(RuleSet(program=program.slug, version=version, criteria=tuple(criteria)))


def impact_preview(*, program: Program, criteria_specs: Sequence[CriterionSpec]) -> Impact:
    """Evaluates the program's current rules and ``criteria_specs`` against every company.

    Nothing is saved. ``criteria_specs`` must be valid (the forms and ``RuleDraft`` make sure);
    ``compile_ruleset`` raises ``InvalidRuleSetError`` otherwise. Expects the program's rules
    prefetched (``with_rules``). Queries: three for the companies' facts, one for the names of
    the companies staff may see.
    """
    companies = load_company_facts(Company.objects.all())
    current = _compiled(program, ruleset_for(program).criteria, program.rules_version)
    proposed = _compiled(program, criteria_specs, program.rules_version + 1)
    counts = dict.fromkeys(
        ("eligible_now", "eligible_after", "incomplete_now", "incomplete_after", "scores"), 0
    )
    changes: dict[int, tuple[Eligibility, Eligibility]] = {}
    for company in companies:
        now, score_now = current.eligibility_and_score(company.facts)
        after, score_after = proposed.eligibility_and_score(company.facts)
        counts["eligible_now"] += now is Eligibility.ELIGIBLE
        counts["eligible_after"] += after is Eligibility.ELIGIBLE
        counts["incomplete_now"] += now is Eligibility.INCOMPLETE
        counts["incomplete_after"] += after is Eligibility.INCOMPLETE
        counts["scores"] += score_now != score_after
        if now is not after:
            changes[company.id] = (now, after)
    return Impact(
        total=len(companies),
        eligible_now=counts["eligible_now"],
        eligible_after=counts["eligible_after"],
        incomplete_now=counts["incomplete_now"],
        incomplete_after=counts["incomplete_after"],
        became_eligible=sum(after is Eligibility.ELIGIBLE for _now, after in changes.values()),
        no_longer_eligible=sum(now is Eligibility.ELIGIBLE for now, _after in changes.values()),
        changed=len(changes),
        scores_changed=counts["scores"],
        examples=_examples(program, changes) if changes else (),
    )


def _examples(
    program: Program, changes: Mapping[int, tuple[Eligibility, Eligibility]]
) -> tuple[ChangedCompany, ...]:
    # Staff may see a company that agreed to be found, or that applied to this program: submitted
    # an application (a draft is the vendor's own until then), as the staff workspace counts it.
    applied = Application.objects.filter(program=program, submitted_at__isnull=False)
    visible = Company.objects.filter(
        Q(discoverable=True) | Q(pk__in=applied.values("company_id"))
    ).values_list("pk", "legal_name")
    named = [ChangedCompany(name, *changes[pk]) for pk, name in visible if pk in changes]
    named.sort(key=lambda change: (_CONCERN[change.now, change.after], change.name))
    return tuple(named[:EXAMPLES])
