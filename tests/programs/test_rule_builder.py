"""The rule builder's services: every save validates through the engine, writes in one
transaction and bumps the rules version exactly once; a refused save changes nothing."""

from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from matchmaker.engine import RequirementSpec
from programs import rule_builder
from programs.models import Criterion, Program, Requirement, RequirementGroup
from programs.rule_builder import RuleDraft, with_rules
from tests.factories import ProgramFactory, add_criterion

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    program = ProgramFactory(slug="moscow-like")
    add_criterion(
        program,
        label="Russian company or a Russian partner",
        groups=[[("country", "in", ["RU"])], [("partner_countries", "contains", "RU")]],
    )
    add_criterion(program, label="Ready to pilot", groups=[[("trl", "gte", 5)]])
    add_criterion(
        program,
        label="Maturity",
        kind=Criterion.Kind.AWARD,
        weight=25,
        groups=[[("trl", "scale", [5, 9]), ("has_demo", "is_true", None)]],
    )
    return program


def _version(program: Program) -> int:
    return Program.objects.values_list("rules_version", flat=True).get(pk=program.pk)


def _rules(program: Program) -> list[tuple[Any, ...]]:
    """Everything staff can change, to check a refused save left it as it was."""
    return list(
        Requirement.objects.filter(group__criterion__program=program)
        .order_by("pk")
        .values_list(
            "pk",
            "fact",
            "operator",
            "value",
            "hint",
            "group_id",
            "group__criterion__kind",
            "group__criterion__label",
            "group__criterion__weight",
        )
    ) + list(RequirementGroup.objects.filter(criterion__program=program).values_list("pk"))


def _requirement(program: Program, fact: str, operator: str) -> Requirement:
    return Requirement.objects.get(group__criterion__program=program, fact=fact, operator=operator)


@pytest.fixture
def bumps() -> Any:
    """Counts the calls of ``program_bump_rules_version`` made by the services."""
    with mock.patch.object(
        rule_builder,
        "program_bump_rules_version",
        wraps=rule_builder.program_bump_rules_version,
    ) as spy:
        yield spy


# --- saves bump once -----------------------------------------------------------------------------


def test_updating_a_requirement_saves_it_and_bumps_the_version_once(program, bumps):
    trl = _requirement(program, "trl", "gte")
    before = _version(program)

    version = rule_builder.requirement_update(
        requirement=trl, spec=RequirementSpec("trl", "gte", 7, "TRL 7: a system prototype.")
    )

    trl.refresh_from_db()
    assert (trl.operator, trl.value, trl.hint) == ("gte", 7, "TRL 7: a system prototype.")
    assert version == _version(program) == before + 1
    assert bumps.call_count == 1


def test_an_update_that_changes_nothing_saves_and_bumps_nothing(program, bumps):
    trl = _requirement(program, "trl", "gte")
    before = _version(program)

    version = rule_builder.requirement_update(
        requirement=trl, spec=RequirementSpec("trl", "gte", 5, "")
    )

    assert version is None
    assert _version(program) == before
    assert bumps.call_count == 0


def test_the_rescore_is_enqueued_only_after_commit(program, django_capture_on_commit_callbacks):
    trl = _requirement(program, "trl", "gte")

    with mock.patch("matchmaker.tasks.score_program_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            rule_builder.requirement_update(requirement=trl, spec=RequirementSpec("trl", "gte", 6))
        assert delay.call_count == 0
        for callback in callbacks:
            callback()

    delay.assert_called_once_with(program.pk)


@pytest.mark.parametrize(
    "save",
    [
        pytest.param(
            lambda p: rule_builder.criterion_create(
                program=p,
                kind="gate",
                label="Has a demo",
                weight=None,
                help_text="",
                requirement=RequirementSpec("has_demo", "is_true", None),
            ),
            id="criterion_create",
        ),
        pytest.param(
            lambda p: rule_builder.criterion_update(
                criterion=Criterion.objects.get(program=p, label="Maturity"),
                kind="award",
                label="Maturity",
                weight=Decimal(40),
                help_text="",
            ),
            id="criterion_update",
        ),
        pytest.param(
            lambda p: rule_builder.criterion_delete(
                criterion=Criterion.objects.get(program=p, label="Ready to pilot")
            ),
            id="criterion_delete",
        ),
        pytest.param(
            lambda p: rule_builder.group_add(
                criterion=Criterion.objects.get(program=p, label="Ready to pilot"),
                requirement=RequirementSpec("prior_pilots", "gte", 1),
            ),
            id="group_add",
        ),
        pytest.param(
            lambda p: rule_builder.group_delete(
                group=RequirementGroup.objects.filter(criterion__program=p).first()
            ),
            id="group_delete",
        ),
        pytest.param(
            lambda p: rule_builder.requirement_add(
                group=_requirement(p, "trl", "gte").group,
                requirement=RequirementSpec("employees", "gte", 5),
            ),
            id="requirement_add",
        ),
        pytest.param(
            lambda p: rule_builder.requirement_delete(
                requirement=_requirement(p, "has_demo", "is_true")
            ),
            id="requirement_delete",
        ),
    ],
)
def test_every_saved_change_bumps_the_version_exactly_once(program, bumps, save):
    before = _version(program)

    version = save(program)

    assert version == _version(program) == before + 1
    assert bumps.call_count == 1


def test_a_new_criterion_comes_with_its_first_requirement(program):
    rule_builder.criterion_create(
        program=program,
        kind="award",
        label="Partner in Kazakhstan",
        weight=Decimal(10),
        help_text="Partners open doors.",
        requirement=RequirementSpec("partner_countries", "contains", "KZ", "Find a partner."),
    )

    criterion = Criterion.objects.get(program=program, label="Partner in Kazakhstan")
    requirement = Requirement.objects.get(group__criterion=criterion)
    assert (criterion.kind, criterion.weight, criterion.order) == ("award", Decimal(10), 3)
    assert (requirement.fact, requirement.operator, requirement.value) == (
        "partner_countries",
        "contains",
        "KZ",
    )


def test_a_gate_keeps_the_default_weight_whatever_was_posted(program):
    rule_builder.criterion_create(
        program=program,
        kind="gate",
        label="Demo",
        weight=Decimal(-3),
        help_text="",
        requirement=RequirementSpec("has_demo", "is_true", None),
    )

    assert Criterion.objects.get(label="Demo").weight == Decimal(1)


# --- refused saves change nothing ----------------------------------------------------------------

BAD_REQUIREMENTS = [
    pytest.param(RequirementSpec("revenue", "gte", 5), "fact", "Unknown fact", id="unknown-fact"),
    pytest.param(
        RequirementSpec("trl", "approx", 5), "operator", "Unknown operator", id="unknown-operator"
    ),
    pytest.param(
        RequirementSpec("country", "gte", "RU"), "operator", "does not fit", id="mismatch"
    ),
    pytest.param(
        RequirementSpec("trl", "gte", 12), "value", "TRL must be between 1 and 9", id="trl-range"
    ),
    pytest.param(
        RequirementSpec("trl", "between", [7, 5]),
        "value",
        "must not be above the upper bound",
        id="low-above-high",
    ),
    pytest.param(
        RequirementSpec("country", "in", ["RU", "XX"]),
        "value",
        "“XX” is not a country code",
        id="unknown-country",
    ),
    pytest.param(
        RequirementSpec("sectors", "overlaps", ["space-mining"]),
        "value",
        "“space-mining” is not a sector code",
        id="unknown-sector",
    ),
    pytest.param(
        RequirementSpec("trl", "scale", [5, 9]),
        "operator",
        "only scores award criteria",
        id="award-only-on-a-gate",
    ),
    pytest.param(
        RequirementSpec("trl", "gte", "five"), "value", "Enter a whole number", id="not-a-number"
    ),
    pytest.param(
        RequirementSpec("trl", "gte", 5, "x" * 301), "hint", "at most 300", id="hint-too-long"
    ),
]


@pytest.mark.parametrize(("spec", "field", "message"), BAD_REQUIREMENTS)
def test_a_bad_requirement_is_refused_with_the_engines_message_and_changes_nothing(
    program, bumps, spec, field, message
):
    trl = _requirement(program, "trl", "gte")
    before = (_rules(program), _version(program))

    with pytest.raises(ValidationError) as update:
        rule_builder.requirement_update(requirement=trl, spec=spec)
    with pytest.raises(ValidationError) as add:
        rule_builder.requirement_add(group=trl.group, requirement=spec)
    with pytest.raises(ValidationError) as option:
        rule_builder.group_add(criterion=trl.group.criterion, requirement=spec)

    for refused in (update, add, option):
        assert message in " ".join(refused.value.message_dict[field])
    assert (_rules(program), _version(program)) == before
    assert bumps.call_count == 0


@pytest.mark.parametrize(("spec", "field", "message"), BAD_REQUIREMENTS)
def test_a_new_criterion_with_a_bad_requirement_is_not_created(
    program, bumps, spec, field, message
):
    criteria = Criterion.objects.count()

    with pytest.raises(ValidationError) as refused:
        rule_builder.criterion_create(
            program=program, kind="gate", label="New", weight=None, help_text="", requirement=spec
        )

    assert message in " ".join(refused.value.message_dict[field])
    assert Criterion.objects.count() == criteria
    assert bumps.call_count == 0


def test_a_negative_award_weight_is_refused_in_the_engines_words(program, bumps):
    maturity = Criterion.objects.get(label="Maturity")
    before = (_rules(program), _version(program))

    with pytest.raises(ValidationError) as refused:
        rule_builder.criterion_update(
            criterion=maturity, kind="award", label="Maturity", weight=Decimal(-1), help_text=""
        )

    assert refused.value.message_dict["weight"] == ["The weight must be zero or more."]
    assert (_rules(program), _version(program)) == before
    assert bumps.call_count == 0


def test_an_award_needs_a_weight(program):
    with pytest.raises(ValidationError) as refused:
        rule_builder.criterion_create(
            program=program,
            kind="award",
            label="New",
            weight=None,
            help_text="",
            requirement=RequirementSpec("has_demo", "is_true", None),
        )

    assert "weight" in refused.value.message_dict


def test_turning_an_award_with_a_scale_into_a_gate_is_refused_naming_the_requirement(
    program, bumps
):
    maturity = Criterion.objects.get(label="Maturity")

    with pytest.raises(ValidationError) as refused:
        rule_builder.criterion_update(
            criterion=maturity, kind="gate", label="Maturity", weight=None, help_text=""
        )

    (message,) = refused.value.message_dict["kind"]
    assert "Higher TRL scores more (from 5 to 9)" in message
    assert "only scores award criteria" in message
    assert Criterion.objects.get(pk=maturity.pk).kind == "award"
    assert bumps.call_count == 0


def test_an_unknown_kind_is_refused(program):
    with pytest.raises(ValidationError) as refused:
        rule_builder.criterion_create(
            program=program,
            kind="bonus",
            label="New",
            weight=None,
            help_text="",
            requirement=RequirementSpec("has_demo", "is_true", None),
        )

    assert "kind" in refused.value.message_dict


def test_an_options_only_requirement_cannot_be_removed(program, bumps):
    trl = _requirement(program, "trl", "gte")

    with pytest.raises(ValidationError) as refused:
        rule_builder.requirement_delete(requirement=trl)

    assert "Remove the option instead" in refused.value.messages[0]
    assert Requirement.objects.filter(pk=trl.pk).exists()
    assert bumps.call_count == 0


def test_a_criterions_only_option_cannot_be_removed(program, bumps):
    group = _requirement(program, "trl", "gte").group

    with pytest.raises(ValidationError) as refused:
        rule_builder.group_delete(group=group)

    assert "Remove the criterion instead" in refused.value.messages[0]
    assert RequirementGroup.objects.filter(pk=group.pk).exists()
    assert bumps.call_count == 0


def test_a_rule_removed_meanwhile_is_reported_not_resurrected(program, bumps):
    trl = _requirement(program, "trl", "gte")
    Requirement.objects.filter(pk=trl.pk).delete()

    with pytest.raises(ValidationError) as refused:
        rule_builder.requirement_update(requirement=trl, spec=RequirementSpec("trl", "gte", 7))

    assert "changed or removed meanwhile" in refused.value.messages[0]
    assert not Requirement.objects.filter(pk=trl.pk).exists()
    assert bumps.call_count == 0


# --- the draft -----------------------------------------------------------------------------------


def test_a_draft_applies_a_change_in_memory_only(program, django_assert_num_queries):
    program = with_rules(Program.objects.get(pk=program.pk))
    trl = _requirement(program, "trl", "gte")

    with django_assert_num_queries(0):
        criteria = RuleDraft(program).update_requirement(trl.pk, RequirementSpec("trl", "gte", 7))
        proposed = criteria.criteria()

    gate = proposed[1]
    assert gate.groups[0].requirements[0].value == 7
    assert _requirement(program, "trl", "gte").value == 5
    assert [spec.label for spec in proposed] == [
        "Russian company or a Russian partner",
        "Ready to pilot",
        "Maturity",
    ]


def test_a_draft_adds_and_removes_options_and_criteria(program):
    program = with_rules(Program.objects.get(pk=program.pk))
    residency = Criterion.objects.get(label="Russian company or a Russian partner")
    partner_group = residency.groups.order_by("order").last()

    proposed = (
        RuleDraft(program)
        .remove_group(partner_group.pk)
        .add_criterion(
            kind="gate",
            label="Demo",
            weight=None,
            help_text="",
            requirement=RequirementSpec("has_demo", "is_true", None),
        )
        .criteria()
    )

    assert len(proposed[0].groups) == 1
    assert proposed[-1].key == RuleDraft.NEW_KEY
    assert proposed[-1].groups[0].requirements == (RequirementSpec("has_demo", "is_true", None),)
