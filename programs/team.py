"""An agency's team: who works in the staff workspace, and as what.

Agency admins add colleagues who have an account, change their role and remove them. An agency
always keeps at least one admin, so nobody can lock the agency out of its own programs; the
check locks the agency's admin memberships, so two admins demoting each other at once cannot
both succeed.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from applicants.models import User
from programs.audit import record_update
from programs.models import Agency, StaffMembership
from programs.tenancy import staff_agency_ids


def team_members(agency: Agency) -> QuerySet[StaffMembership]:
    """The agency's staff, admins first, then by email address; one query."""
    return (
        StaffMembership.objects.filter(agency=agency)
        .select_related("user")
        .order_by("role", "user__email")
    )


def admin_agencies(user: User, *, memberships: Mapping[int, str] | None = None) -> QuerySet[Agency]:
    """The agencies whose team ``user`` manages; ``memberships`` are the user's ``staff_roles``
    when the caller has read them already."""
    managed = staff_agency_ids(user, roles=(StaffMembership.Role.ADMIN,), memberships=memberships)
    return Agency.objects.filter(pk__in=managed).order_by("name")


def _keeps_an_admin(agency: Agency, *, leaving: StaffMembership) -> None:
    admins = list(
        StaffMembership.objects.select_for_update()
        .filter(agency=agency, role=StaffMembership.Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if admins == [leaving.pk]:
        raise ValidationError(
            _("%(agency)s needs at least one agency admin; make someone else admin first.")
            % {"agency": agency.name},
            code="last_admin",
        )


def member_add(*, agency: Agency, email: str, role: str) -> StaffMembership:
    """Adds the account with ``email`` to the agency's team with ``role``."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError(
            {
                "email": _(
                    "No account uses this address. Ask your colleague to sign up first, then "
                    "add them here."
                )
            },
            code="no_account",
        )
    membership = StaffMembership(user=user, agency=agency, role=role)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        raise ValidationError(
            {"email": _("%(email)s is already in the team.") % {"email": user.email}},
            code="already_member",
        ) from None
    return membership


def member_set_role(*, membership: StaffMembership, role: str) -> StaffMembership:
    if role not in StaffMembership.Role.values:
        raise ValidationError({"role": _("Choose a role from the list.")}, code="invalid_role")
    with transaction.atomic():
        if membership.role == StaffMembership.Role.ADMIN and role != membership.role:
            _keeps_an_admin(membership.agency, leaving=membership)
        StaffMembership.objects.filter(pk=membership.pk).update(role=role)
        record_update(membership, {"role": (membership.role, role)})
    membership.role = role
    return membership


def member_remove(*, membership: StaffMembership) -> None:
    with transaction.atomic():
        if membership.role == StaffMembership.Role.ADMIN:
            _keeps_an_admin(membership.agency, leaving=membership)
        membership.delete()
