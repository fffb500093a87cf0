"""Who may see and act on which program: the one place staff access is decided.

Staff act only inside their agencies; a joint program (procuRE) belongs to its owner and to every
buyer agency. Agency admins manage rules, stages, decisions and the team; reviewers review.
Anyone else asking for a program of another agency gets 404, never a hint that it exists, and a
vendor asking for any staff page gets 403.
"""

import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
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


def staff_roles(user: object) -> dict[int, str]:
    """The user's role in each of their agencies, by agency id (1 query; none signed out)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(
        StaffMembership.objects.filter(user=cast("User", user))
        .order_by()
        .values_list("agency_id", "role")
    )


def staff_agency_ids(
    user: object,
    *,
    roles: tuple[str, ...] | None = None,
    memberships: Mapping[int, str] | None = None,
) -> set[int]:
    """The user's agencies (where their role is one of ``roles``, if given); ``memberships``
    are the user's ``staff_roles`` when the caller has read them already."""
    found = staff_roles(user) if memberships is None else memberships
    return {agency for agency, role in found.items() if roles is None or role in roles}


def is_staff_member(user: object) -> bool:
    return bool(staff_roles(user))


def _programs_of(agencies: Collection[int]) -> QuerySet[Program]:
    """Programs owned or bought by ``agencies``. The buyers are asked with EXISTS rather than
    joined: a join repeats a program per buyer, and the DISTINCT that folds them back makes
    PostgreSQL compare every column (a lookup of one program that way took 1.6 ms to plan, 0.4
    ms with EXISTS)."""
    if not agencies:
        return Program.objects.none()
    agency_ids = list(agencies)
    bought = Program.buyers.through.objects.filter(program=OuterRef("pk"), agency__in=agency_ids)
    return Program.objects.filter(Q(owner_id__in=agency_ids) | Exists(bought))


def staff_programs(
    user: object,
    *,
    roles: tuple[str, ...] | None = None,
    memberships: Mapping[int, str] | None = None,
) -> QuerySet[Program]:
    """Programs owned or bought by the user's agencies (drafts included: staff prepare them)."""
    return _programs_of(staff_agency_ids(user, roles=roles, memberships=memberships))


def program_role(program: Program, roles: Mapping[int, str]) -> str | None:
    """The strongest of ``roles`` (a user's, by agency: ``staff_roles``) in ``program``'s
    agencies, the owner and every buyer; one query unless the owner's role settles it."""
    owner_role = roles.get(program.owner_id)
    if owner_role == StaffMembership.Role.ADMIN or roles.keys() <= {program.owner_id}:
        return owner_role
    buyers = program.buyers.filter(pk__in=roles).values_list("pk", flat=True)
    found = {roles[agency] for agency in buyers} | ({owner_role} if owner_role else set())
    if StaffMembership.Role.ADMIN in found:
        return StaffMembership.Role.ADMIN
    return StaffMembership.Role.REVIEWER if found else None


def staff_program_or_404(
    user: object, slug: str, *, admin: bool = False, memberships: Mapping[int, str] | None = None
) -> Program:
    """The program if the user is staff of one of its agencies (an admin, with ``admin``), with
    the user's role there as ``staff_role`` (``staff_selectors.staff_role`` reads it).
    ``memberships`` are the user's ``staff_roles`` when the caller has just read them.

    A vendor (no staff membership at all) gets 403; staff of other agencies get 404; a reviewer
    asking for an admin action on their own program gets 403.
    """
    roles = staff_roles(user) if memberships is None else memberships
    if not roles:
        raise PermissionDenied
    # Found by slug alone, then the user's role in it decides: the same queries as asking for
    # the program among the user's agencies', with none of that query's joins to plan.
    program = Program.objects.select_related("owner").filter(slug=slug).first()
    role = program_role(program, roles) if program is not None else None
    if program is None or role is None:
        # Logged here, not by Django: to the asker it is an ordinary 404.
        _refused(user, f"program {slug!r} is not one of the user's agencies'")
        raise Http404
    program.staff_role = (getattr(user, "pk", None), role)
    if admin and role != StaffMembership.Role.ADMIN:
        raise PermissionDenied
    return program


def staff_agency_or_404(user: object, slug: str, *, admin: bool = False) -> Agency:
    """One of the user's agencies (one they administer, with ``admin``), by slug.

    A vendor gets 403; another agency's staff get 404; a reviewer asking for an admin page of
    their own agency gets 403.
    """
    roles = staff_roles(user)
    if not roles:
        raise PermissionDenied
    agency = Agency.objects.filter(slug=slug, pk__in=roles).first()
    if agency is None:
        _refused(user, f"agency {slug!r} is not one of the user's")
        raise Http404
    if admin and roles[agency.pk] != StaffMembership.Role.ADMIN:
        raise PermissionDenied
    return agency
