"""The role a staff member has in a program, from their memberships in its agencies."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from programs.models import Agency, Program, StaffMembership
from programs.staff_selectors import staff_role
from programs.tenancy import staff_program_or_404
from tests.factories import AgencyFactory, ProgramFactory, UserFactory

ADMIN, REVIEWER = StaffMembership.Role.ADMIN, StaffMembership.Role.REVIEWER


@pytest.fixture
def owner() -> Agency:
    return AgencyFactory(slug="owner")


@pytest.fixture
def buyer() -> Agency:
    return AgencyFactory(slug="buyer")


@pytest.fixture
def joint(owner: Agency, buyer: Agency) -> Program:
    program = ProgramFactory(slug="joint", owner=owner)
    program.buyers.add(buyer)
    return program


def member(**roles: str) -> Any:
    user = UserFactory()
    for slug, role in roles.items():
        StaffMembership.objects.create(user=user, agency=Agency.objects.get(slug=slug), role=role)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({"owner": ADMIN}, ADMIN),
        ({"owner": REVIEWER}, REVIEWER),
        ({"buyer": ADMIN}, ADMIN),
        ({"buyer": REVIEWER}, REVIEWER),
        # The strongest of the two wins, whichever agency gives it.
        ({"owner": REVIEWER, "buyer": ADMIN}, ADMIN),
        ({"owner": ADMIN, "buyer": REVIEWER}, ADMIN),
    ],
)
def test_the_role_in_a_joint_program_is_the_strongest_of_its_agencies(
    joint: Program, roles: dict[str, str], expected: str
) -> None:
    user = member(**roles)

    program = staff_program_or_404(user, "joint")

    assert program.staff_role == (user.pk, expected)
    # The page asks again without a query, and the stored answer agrees with a fresh one.
    assert staff_role(user, program) == expected
    assert staff_role(user, Program.objects.get(pk=program.pk)) == expected


@pytest.mark.django_db
def test_an_admin_action_is_refused_to_a_reviewer_of_both_agencies(joint: Program) -> None:
    user = member(owner=REVIEWER, buyer=REVIEWER)

    with pytest.raises(PermissionDenied):
        staff_program_or_404(user, "joint", admin=True)


@pytest.mark.django_db
def test_an_admin_of_the_buyer_may_take_admin_actions(joint: Program) -> None:
    user = member(owner=REVIEWER, buyer=ADMIN)

    assert staff_program_or_404(user, "joint", admin=True).pk == joint.pk


@pytest.mark.django_db
def test_the_role_stored_for_one_user_is_not_given_to_another(joint: Program) -> None:
    admin = member(owner=ADMIN)
    reviewer = member(owner=REVIEWER)

    program = staff_program_or_404(admin, "joint")

    assert staff_role(reviewer, program) == REVIEWER
