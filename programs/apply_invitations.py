"""Staff inviting a matched company to apply: one mail to each of its owners, once a week at most.

Only companies staff may see are invited: those that agreed to be found (``discoverable``) with
an eligible or incomplete match. A company that already applied needs no invitation.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from applicants.models import Application, Company, CompanyMembership, User
from matchmaker.models import Match, Notification
from matchmaker.outbox import enqueue, notification_key
from programs.models import ApplyInvitation, Program, StaffMembership, Stage
from programs.reviews import program_staff_q

INVITABLE = (Match.Eligibility.ELIGIBLE, Match.Eligibility.INCOMPLETE)


def recent_invitation(
    *, program: Program, company: Company, now: datetime.datetime
) -> ApplyInvitation | None:
    """The invitation sent to ``company`` for ``program`` within the last week, if any."""
    return (
        ApplyInvitation.objects.filter(
            program=program, company=company, created_at__gt=now - ApplyInvitation.INTERVAL
        )
        .order_by("-created_at")
        .first()
    )


def apply_invitation_send(
    *,
    program: Program,
    company: Company,
    user: User,
    base_url: str,
    now: datetime.datetime | None = None,
) -> ApplyInvitation:
    """Mails ``company``'s owners an invitation to apply to ``program`` (after commit) and
    records it. ``user`` must be an agency admin of the program; ``base_url`` (``https://host``)
    prefixes the link. Raises ``ValidationError`` when the company was invited in the last
    week, has applied already, cannot be invited, or has no owner to write to.
    """
    now = now or timezone.now()
    if (
        not StaffMembership.objects.filter(user=user, role=StaffMembership.Role.ADMIN)
        .filter(program_staff_q(program))
        .exists()
    ):
        raise PermissionDenied
    with transaction.atomic():
        # The lock serializes two admins clicking at once, so the weekly limit holds.
        company = Company.objects.select_for_update().get(pk=company.pk)
        match = Match.objects.filter(
            program=program, company=company, eligibility__in=INVITABLE
        ).first()
        if match is None or not company.discoverable:
            raise ValidationError(
                _("Only companies that agreed to be found and fit the program can be invited."),
                code="not_invitable",
            )
        if Application.objects.filter(
            program=program, company=company, submitted_at__isnull=False
        ).exists():
            raise ValidationError(
                _("%(company)s has applied already.") % {"company": company}, code="applied"
            )
        previous = recent_invitation(program=program, company=company, now=now)
        if previous is not None:
            raise ValidationError(
                _("%(company)s was invited on %(date)s; invite again after a week.")
                % {
                    "company": company,
                    "date": formats.date_format(
                        previous.created_at.astimezone(program.time_zone), "DATE_FORMAT"
                    ),
                },
                code="recent",
            )
        owners = list(
            User.objects.filter(
                company_memberships__company=company,
                company_memberships__role=CompanyMembership.Role.OWNER,
                is_active=True,
            ).order_by("email")
        )
        if not owners:
            raise ValidationError(
                _("%(company)s has no owner to write to.") % {"company": company},
                code="no_owner",
            )
        invitation = ApplyInvitation(
            program=program, company=company, invited_by=user, recipients=len(owners)
        )
        invitation.full_clean()
        invitation.save()
        context = {
            "program": program,
            "company": company,
            "agency": program.owner,
            "eligibility": match.eligibility,
            # Shown in the program's time zone, in each owner's language.
            "deadline": Stage.objects.filter(program=program, closes_at__gt=now)
            .order_by("closes_at", "order")
            .first(),
            "link": base_url.rstrip("/") + program.get_absolute_url(),
        }
        kind = Notification.Kind.APPLY_INVITATION
        for owner in owners:
            enqueue(
                kind=kind,
                key=notification_key(kind, owner, invitation),
                template="apply-invitation",
                context=context,
                recipient=owner,
            )
    return invitation
