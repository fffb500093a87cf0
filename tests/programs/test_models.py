import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.models import Agency, Criterion, Program, Requirement, RequirementGroup, Stage
from tests.factories import AgencyFactory, ProgramFactory, StageFactory

pytestmark = pytest.mark.django_db


def test_a_stage_must_close_after_it_opens():
    program = ProgramFactory()
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.create(
            program=program,
            order=0,
            name="Backwards",
            opens_at=now,
            closes_at=now - datetime.timedelta(hours=1),
        )


def test_two_stages_of_a_program_cannot_share_an_order():
    stage = StageFactory(order=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        StageFactory(program=stage.program, order=1)


def test_program_slugs_are_unique():
    ProgramFactory(slug="same")

    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.create(
            owner=AgencyFactory(),
            slug="same",
            title="Other",
            summary="x",
            kind=Program.Kind.PILOTING,
            intake=Program.Intake.PROPOSAL_LED,
        )


def test_a_criterion_weight_cannot_be_negative():
    program = ProgramFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(program=program, kind="award", label="Bad", weight=-1)


def test_a_budget_needs_both_amount_and_currency():
    program = ProgramFactory()
    program.budget_amount = 100

    with pytest.raises(ValidationError) as error:
        program.full_clean()
    assert "budget_currency" in error.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        program.save()


def test_an_agency_time_zone_must_be_a_real_one():
    agency = Agency(slug="x", name="X", city="X", country="TW", time_zone="Mars/Olympus")

    with pytest.raises(ValidationError) as error:
        agency.full_clean()

    assert "time_zone" in error.value.message_dict


def _requirement(kind: str = "gate", **fields) -> Requirement:
    criterion = Criterion.objects.create(program=ProgramFactory(), kind=kind, label="Rule")
    group = RequirementGroup.objects.create(criterion=criterion)
    return Requirement(group=group, **fields)


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"fact": "shoe_size", "operator": "gte", "value": 5}, "fact"),
        ({"fact": "country", "operator": "gte", "value": 5}, "operator"),
        ({"fact": "trl", "operator": "gte", "value": 12}, "value"),
        ({"fact": "trl", "operator": "gte", "value": "six"}, "value"),
        ({"fact": "country", "operator": "in", "value": ["XX"]}, "value"),
        ({"fact": "sectors", "operator": "overlaps", "value": ["space-mining"]}, "value"),
        ({"fact": "trl", "operator": "between", "value": [8, 3]}, "value"),
    ],
)
def test_a_requirement_that_the_engine_rejects_is_not_saved(fields, bad_field):
    requirement = _requirement(**fields)

    with pytest.raises(ValidationError) as error:
        requirement.full_clean()

    assert bad_field in error.value.message_dict
    assert all(message.strip() for message in error.value.message_dict[bad_field])
    assert Requirement.objects.count() == 0


def test_an_award_only_operator_is_rejected_in_a_gate():
    requirement = _requirement(kind="gate", fact="trl", operator="scale", value=[5, 9])

    with pytest.raises(ValidationError) as error:
        requirement.full_clean()

    assert "operator" in error.value.message_dict


def test_a_valid_requirement_passes_validation():
    requirement = _requirement(kind="award", fact="trl", operator="scale", value=[5, 9])

    requirement.full_clean()
