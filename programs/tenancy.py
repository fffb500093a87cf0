"""Who may see and act on which program: the one place staff access is decided.

Staff act only inside their agencies; a joint program (procuRE) belongs to its owner and to every
buyer agency. Agency admins manage rules, stages, decisions and the team; reviewers review.
Anyone else asking for a program of another agency gets 404, never a hint that it exists, and a
vendor asking for any staff page gets 403.
"""

import logging
from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from programs.models import Agency, Program, StaffMembership

if TYPE_CHECKING:
    from applicants.models import User


security_log = logging.getLogger("matchmaker.security")


def _refused(user: object, reason: str) -> None:
    security_log.warning(
        "refused staff access: %s",
        reason,
        extra={"event": "refused", "status": 404, "user_id": getattr(user, "pk", None)},
    )


def staff_agency_ids(user: object, *, roles: tuple[str, ...] | None = None) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    memberships = StaffMembership.objects.filter(user=cast("User", user))
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return set(memberships.values_list("agency_id", flat=True))


def is_staff_member(user: object) -> bool:
    return bool(staff_agency_ids(user))


def staff_programs(user: object, *, roles: tuple[str, ...] | None = None) -> QuerySet[Program]:
    """Programs owned or bought by the user's agencies (drafts included: staff prepare them)."""
    agencies = staff_agency_ids(user, roles=roles)
    if not agencies:
        return Program.objects.none()
    return Program.objects.filter(Q(owner_id__in=agencies) | Q(buyers__in=agencies)).distinct()


def staff_program_or_404(user: object, slug: str, *, admin: bool = False) -> Program:
    """The program if the user is staff of one of its agencies (an admin, with ``admin``).

    A vendor (no staff membership at all) gets 403; staff of other agencies get 404; a reviewer
    asking for an admin action on their own program gets 403.
    """
    if not is_staff_member(user):
        raise PermissionDenied
    program = staff_programs(user).select_related("owner").filter(slug=slug).first()
    if program is None:
        # Logged here, not by Django: to the asker it is an ordinary 404.
        _refused(user, f"program {slug!r} is not one of the user's agencies'")
        raise Http404
    if (
        admin
        and not staff_programs(user, roles=(StaffMembership.Role.ADMIN,))
        .filter(pk=program.pk)
        .exists()
    ):
        raise PermissionDenied
    return program


def staff_agency_or_404(user: object, slug: str, *, admin: bool = False) -> Agency:
    """One of the user's agencies (one they administer, with ``admin``), by slug.

    A vendor gets 403; another agency's staff get 404; a reviewer asking for an admin page of
    their own agency gets 403.
    """
    memberships = staff_agency_ids(user)
    if not memberships:
        raise PermissionDenied
    agency = Agency.objects.filter(slug=slug, pk__in=memberships).first()
    if agency is None:
        _refused(user, f"agency {slug!r} is not one of the user's")
        raise Http404
    if admin and agency.pk not in staff_agency_ids(user, roles=(StaffMembership.Role.ADMIN,)):
        raise PermissionDenied
    return agency
