"""Factories for the catalog. Rules are built with ``add_criterion`` for readability."""

import datetime
from collections.abc import Sequence
from typing import Any

import factory
from django.utils import timezone

from applicants.models import User
from programs.models import (
    Agency,
    Criterion,
    Program,
    Requirement,
    RequirementGroup,
    Sector,
    Stage,
)


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    city = "Taipei"
    country = "TW"
    time_zone = "Asia/Taipei"


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program
        django_get_or_create = ("slug",)

    owner = factory.SubFactory(AgencyFactory)
    slug = factory.Sequence(lambda n: f"program-{n}")
    title = factory.Sequence(lambda n: f"Program {n}")
    summary = "A program for testing."
    kind = Program.Kind.PILOTING
    intake = Program.Intake.PROPOSAL_LED
    status = Program.Status.OPEN


class StageFactory(factory.django.DjangoModelFactory[Stage]):
    class Meta:
        model = Stage

    program = factory.SubFactory(ProgramFactory)
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Stage {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


def sector(code: str) -> Sector:
    return Sector.objects.get(code=code)


def add_criterion(
    program: Program,
    *,
    label: str,
    groups: Sequence[Sequence[tuple[str, str, Any]]],
    kind: str = Criterion.Kind.GATE,
    weight: float = 1,
) -> Criterion:
    """Adds a criterion whose groups are lists of ``(fact, operator, value)`` requirements."""
    criterion = Criterion.objects.create(
        program=program,
        kind=kind,
        label=label,
        weight=weight,
        order=program.criteria.count(),
    )
    for group_order, requirements in enumerate(groups):
        group = RequirementGroup.objects.create(criterion=criterion, order=group_order)
        for order, (fact, operator, value) in enumerate(requirements):
            requirement = Requirement(
                group=group, fact=fact, operator=operator, value=value, order=order
            )
            requirement.full_clean()
            requirement.save()
    return criterion


USER_PASSWORD = "a long and unguessable passphrase"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A verified vendor account whose password is ``USER_PASSWORD``; ``unverified=True`` for
    one that has not opened its verification link yet."""

    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.django.Password(USER_PASSWORD)
    email_verified_at = factory.LazyFunction(timezone.now)

    class Params:
        unverified = factory.Trait(email_verified_at=None)
