"""Writes to vendor companies: the one place that changes a profile and its version.

Every change that can alter a company's facts (DESIGN §4) bumps ``profile_version`` in the same
transaction, so results computed from an older profile are recognisably stale.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from applicants.documents import check_pdf
from applicants.emails import partnership_request_enqueue
from applicants.invitations import invitation_path
from applicants.models import (
    Company,
    CompanyMembership,
    Document,
    Invitation,
    Partner,
    PartnershipRequest,
    User,
)
from matchmaker.changes import Standing, snapshot
from matchmaker.models import Notification
from matchmaker.outbox import enqueue, notification_key
from matchmaker.services import company_profile_changed
from programs.models import Program, Sector

# Company fields that the engine reads as facts; changing one bumps the profile version.
FACT_FIELDS = frozenset({"country", "trl", "has_demo", "employees", "founded_year", "prior_pilots"})
# Fields a vendor may write. Versions, memberships and the like are never among them.
EDITABLE_FIELDS = FACT_FIELDS | {
    "legal_name",
    "registration_id",
    "website",
    "demo_url",
    "description",
    "discoverable",
}


def _bump_profile_version(company: Company) -> None:
    """The company's facts changed: results computed before are stale, and it is rescored
    against every open program once the transaction commits."""
    Company.objects.filter(pk=company.pk).update(
        profile_version=F("profile_version") + 1, updated_at=timezone.now()
    )
    company.refresh_from_db(fields=["profile_version", "updated_at"])
    company_profile_changed(company_id=company.pk)


def _require_member(user: User, company: Company, *, owner: bool = False) -> None:
    roles = [CompanyMembership.Role.OWNER] if owner else list(CompanyMembership.Role)
    if not CompanyMembership.objects.filter(user=user, company=company, role__in=roles).exists():
        raise PermissionDenied


def company_create(*, user: User, sectors: Iterable[Sector] = (), **fields: Any) -> Company:
    """Creates a company with ``user`` as its owner."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        company = Company(**fields)
        company.full_clean()
        company.save()
        company.sectors.set(sectors)
        CompanyMembership.objects.create(
            user=user, company=company, role=CompanyMembership.Role.OWNER
        )
        company_profile_changed(company_id=company.pk)
    return company


def company_update(
    *,
    company: Company,
    user: User,
    sectors: Iterable[Sector] | None = None,
    **fields: Any,
) -> Company:
    """Saves the given fields; bumps the profile version when a fact changed."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    _require_member(user, company)
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        changed = {name for name, value in fields.items() if getattr(company, name) != value}
        for name in changed:
            setattr(company, name, fields[name])
        company.full_clean()
        if changed:
            company.save(update_fields=[*sorted(changed), "updated_at"])
        facts_changed = bool(changed & FACT_FIELDS)
        if sectors is not None:
            new = {sector.pk for sector in sectors}
            old = set(company.sectors.values_list("pk", flat=True))
            if new != old:
                company.sectors.set(new)
                facts_changed = True
        if facts_changed:
            _bump_profile_version(company)
    return company


def company_delete(*, company: Company, user: User) -> None:
    _require_member(user, company, owner=True)
    company.delete()


def _partner_create(*, company: Company, **fields: Any) -> Partner:
    """Adds a partner, declares the list and bumps the profile version (so it is rescored).
    The caller has checked who may, and holds the transaction."""
    partner = Partner(company=company, **fields)
    partner.full_clean()
    partner.save()
    Company.objects.filter(pk=company.pk).update(partners_declared=True)
    _bump_profile_version(company)
    return partner


def partner_add(*, company: Company, user: User, **fields: Any) -> Partner:
    _require_member(user, company)
    with transaction.atomic():
        return _partner_create(company=company, **fields)


def partner_update(*, partner: Partner, user: User, **fields: Any) -> Partner:
    _require_member(user, partner.company)
    with transaction.atomic():
        country_before = partner.country
        for name, value in fields.items():
            setattr(partner, name, value)
        partner.full_clean()
        partner.save()
        if partner.country != country_before:
            _bump_profile_version(partner.company)
    return partner


def partner_remove(*, partner: Partner, user: User) -> None:
    company = partner.company
    _require_member(user, company)
    with transaction.atomic():
        partner.delete()
        _bump_profile_version(company)


def partners_declare_none(*, company: Company, user: User) -> None:
    """Records that the company has no partners: an empty partner list becomes a known fact."""
    _require_member(user, company)
    with transaction.atomic():
        updated = Company.objects.filter(pk=company.pk, partners_declared=False).update(
            partners_declared=True
        )
        if updated:
            _bump_profile_version(company)


def partners_replace(
    *, company: Company, user: User, partners: list[dict[str, Any]]
) -> list[Partner]:
    """Replaces all partners at once (the API's nested write); always declares the list.

    A partner named again with the same name and country keeps what the writer did not give
    (its relationship, its link to a registered company), so an integrator who only knows names
    and countries erases nothing the web pages recorded.
    """
    _require_member(user, company)
    with transaction.atomic():
        kept: dict[tuple[str, str], Partner] = {
            (partner.name, str(partner.country.code)): partner for partner in company.partners.all()
        }
        company.partners.all().delete()
        created = []
        for given in partners:
            previous = kept.get((str(given.get("name", "")), str(given.get("country", ""))))
            fields = dict(given)
            if previous is not None:
                fields.setdefault("relationship", previous.relationship)
                if "linked_company" not in fields:
                    fields.setdefault("linked_company_id", previous.linked_company_id)
            partner = Partner(company=company, **fields)
            partner.full_clean()
            partner.save()
            created.append(partner)
        Company.objects.filter(pk=company.pk).update(partners_declared=True)
        _bump_profile_version(company)
    return created


def document_upload(
    *, company: Company, user: User, kind: str, title: str, upload: UploadedFile[bytes]
) -> Document:
    """Stores a PDF under a generated name after checking its size and content."""
    _require_member(user, company)
    check_pdf(upload)
    document = Document(
        company=company,
        kind=kind,
        title=title,
        original_name=(upload.name or "document.pdf")[:255],
        size=upload.size or 0,
        uploaded_by=user,
    )
    document.full_clean(exclude=["file"])
    with transaction.atomic():
        document.file.save("upload.pdf", upload, save=False)
        document.save()
    return document


def document_delete(*, document: Document, user: User) -> None:
    _require_member(user, document.company)
    storage, name = document.file.storage, document.file.name
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def invitation_create(
    *, company: Company, user: User, email: str, role: str = CompanyMembership.Role.MEMBER
) -> Invitation:
    _require_member(user, company, owner=True)
    email = email.strip().lower()
    if CompanyMembership.objects.filter(company=company, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already on the team.")})
    invitation = Invitation(company=company, email=email, role=role, invited_by=user)
    invitation.full_clean()
    invitation.save()
    return invitation


def invitation_accept(*, invitation: Invitation, user: User) -> CompanyMembership:
    """Adds ``user`` to the team; the invitation must be open and addressed to their email."""
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied
    with transaction.atomic():
        accepted = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()
        )
        if not accepted:
            raise ValidationError(_("This invitation has already been used."))
        membership, _created = CompanyMembership.objects.get_or_create(
            user=user, company=invitation.company, defaults={"role": invitation.role}
        )
    return membership


# --- the API's writes: a company and its partners in one transaction -----------------------------


def company_create_with_partners(
    *,
    user: User,
    sectors: Iterable[Sector] = (),
    partners: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Company:
    """``company_create``, then ``partners_replace`` when ``partners`` is given; all or nothing."""
    with transaction.atomic():
        company = company_create(user=user, sectors=sectors, **fields)
        if partners is not None:
            partners_replace(company=company, user=user, partners=partners)
    return company


def company_update_with_partners(
    *,
    company: Company,
    user: User,
    sectors: Iterable[Sector] | None = None,
    partners: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Company:
    """``company_update``, then ``partners_replace`` when ``partners`` is given; all or nothing."""
    with transaction.atomic():
        company = company_update(company=company, user=user, sectors=sectors, **fields)
        if partners is not None:
            partners_replace(company=company, user=user, partners=partners)
    return company


def api_token_issue(*, user: User) -> Token:
    """The user's API token: created on the first request, the same one after."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


def invitation_send(
    *,
    company: Company,
    user: User,
    email: str,
    role: str = CompanyMembership.Role.MEMBER,
    base_url: str,
) -> Invitation:
    """Invites ``email`` onto the team and, once committed, emails them the accept link.

    ``base_url`` is the site's address (scheme and host) the link is built on.
    """
    _require_member(user, company, owner=True)
    email = email.strip().lower()
    if Invitation.objects.filter(company=company, email=email, accepted_at__isnull=True).exists():
        raise ValidationError(
            {
                "email": _(
                    "An invitation to this address is already waiting to be accepted; copy its "
                    "link from the list of invitations."
                )
            }
        )
    with transaction.atomic():
        invitation = invitation_create(company=company, user=user, email=email, role=role)
        # In the invitee's language if they have an account, else in the inviter's; sent only
        # if the invitation is kept.
        invitee = User.objects.filter(email__iexact=invitation.email).first()
        kind = Notification.Kind.COMPANY_INVITATION
        enqueue(
            kind=kind,
            key=notification_key(kind, invitee or invitation.email, invitation),
            template="company-invitation",
            context={
                "company": company,
                "inviter": user,
                "role": CompanyMembership.Role(invitation.role).label,
                "link": base_url.rstrip("/") + invitation_path(invitation),
            },
            recipient=invitee,
            to_email=invitation.email,
        )
    return invitation


def invitation_cancel(*, invitation: Invitation, user: User) -> None:
    """Withdraws an open invitation; its link stops working. Owners only."""
    _require_member(user, invitation.company, owner=True)
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()


def membership_remove(*, membership: CompanyMembership, user: User) -> None:
    """Takes someone off a team: an owner may remove anyone, a member only themselves.

    The last owner stays: a company without one could no longer be managed.
    """
    company = membership.company
    if membership.user_id != user.pk:
        _require_member(user, company, owner=True)
    with transaction.atomic():
        # Locked so that two owners removing each other at once cannot both succeed.
        owners = set(
            CompanyMembership.objects.select_for_update()
            .filter(company=company, role=CompanyMembership.Role.OWNER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if owners == {membership.pk}:
            raise ValidationError(
                _(
                    "A company needs at least one owner. Invite a colleague as an owner before "
                    "the last owner leaves."
                ),
                code="last_owner",
            )
        CompanyMembership.objects.filter(pk=membership.pk).delete()


# --- "My matches": what a member has seen ---------------------------------------------------------


# See ``matches_mark_seen``.
SEEN_AGAIN_WITHIN = datetime.timedelta(minutes=1)


def matches_mark_seen(
    *,
    membership: CompanyMembership,
    current: Mapping[int, Standing],
    now: datetime.datetime | None = None,
) -> None:
    """Records the matches ``{program id: (eligibility, score)}`` just shown to this member, so
    their next visit can say what changed since. One update; the snapshot is the member's own.

    A visit that saw what the last one recorded, less than ``SEEN_AGAIN_WITHIN`` after it, writes
    nothing: the page says when that was in minutes ("… since your last visit, 0 minutes ago"),
    so a reload would only rewrite the same row.
    """
    now = now or timezone.now()
    seen = snapshot(current)
    last = membership.matches_seen_at
    if seen == membership.matches_seen and last is not None and now - last < SEEN_AGAIN_WITHIN:
        return
    CompanyMembership.objects.filter(pk=membership.pk).update(
        matches_seen=seen, matches_seen_at=now
    )
    membership.matches_seen, membership.matches_seen_at = seen, now


# --- partnership requests ----------------------------------------------------------------------

# After a decline, the same company may not ask again for a while: each request mails the
# other company's owners, and "no" should not turn into a weekly reminder.
PARTNERSHIP_ASK_AGAIN_AFTER = datetime.timedelta(days=30)


def partnership_request_send(
    *,
    company: Company,
    user: User,
    to_company_id: int,
    program_id: int | None = None,
    base_url: str,
    now: datetime.datetime | None = None,
) -> PartnershipRequest:
    """``company`` asks the company ``to_company_id`` to be partners; its owners are mailed,
    each in their own language, once the request is saved.

    Only a company that agreed to be found (``discoverable``) can be asked, never one's own, and
    not twice at once. ``program_id`` names the program whose rules prompted it, shown to the
    other side; ``base_url`` (scheme and host) prefixes the link in the mail.
    """
    _require_member(user, company)
    now = now or timezone.now()
    if to_company_id == company.pk:
        raise ValidationError(
            _("This is your own company. Ask another company to be your partner."), code="self"
        )
    # One answer for "no such company" and "not discoverable": a request must not reveal which
    # hidden companies exist.
    target = Company.objects.filter(pk=to_company_id, discoverable=True).first()
    if target is None:
        raise ValidationError(
            _(
                "No company open to partnership requests has this number; it may have stopped "
                "being visible."
            ),
            code="not_found",
        )
    names = {"name": target.legal_name}
    if Partner.objects.filter(company=company, linked_company=target).exists():
        raise ValidationError(_("%(name)s is already your partner.") % names, code="partners")
    pending = PartnershipRequest.Status.PENDING
    between = PartnershipRequest.objects.filter(from_company=company, to_company=target)
    if between.filter(status=pending).exists():
        raise ValidationError(
            _("You already asked %(name)s; they have not answered yet.") % names,
            code="duplicate",
        )
    if PartnershipRequest.objects.filter(
        from_company=target, to_company=company, status=pending
    ).exists():
        raise ValidationError(
            _(
                "%(name)s has already asked you to be partners: answer their request on your "
                "partnership requests page."
            )
            % names,
            code="asked_you",
        )
    if between.filter(
        status=PartnershipRequest.Status.DECLINED,
        responded_at__gt=now - PARTNERSHIP_ASK_AGAIN_AFTER,
    ).exists():
        raise ValidationError(
            _("%(name)s declined your request recently; you can ask again after %(days)d days.")
            % {**names, "days": PARTNERSHIP_ASK_AGAIN_AFTER.days},
            code="declined",
        )
    program = (
        Program.objects.published().filter(pk=program_id).first()
        if program_id is not None
        else None
    )
    partnership = PartnershipRequest(
        from_company=company, to_company=target, program=program, requested_by=user
    )
    partnership.full_clean()
    owners = [
        membership.user
        for membership in CompanyMembership.objects.filter(
            company=target, role=CompanyMembership.Role.OWNER
        )
        .select_related("user")
        .order_by("pk")
    ]
    try:
        with transaction.atomic():
            partnership.save()
            partnership_request_enqueue(partnership, owners=owners, base_url=base_url)
    except IntegrityError:
        # Two clicks raced past the check above; the database kept one of them.
        raise ValidationError(
            _("You already asked %(name)s; they have not answered yet.") % names,
            code="duplicate",
        ) from None
    return partnership


def _answer(
    partnership: PartnershipRequest, *, user: User, status: str, now: datetime.datetime
) -> None:
    """Moves a pending request to ``status``; a request already answered (by another owner, or
    twice by a double click) is a clear error, not a second answer."""
    answered = PartnershipRequest.objects.filter(
        pk=partnership.pk, status=PartnershipRequest.Status.PENDING
    ).update(status=status, responded_by=user, responded_at=now)
    if not answered:
        raise ValidationError(_("This request has already been answered."), code="answered")
    partnership.status, partnership.responded_by, partnership.responded_at = status, user, now


def partnership_request_accept(
    *, partnership: PartnershipRequest, user: User, now: datetime.datetime | None = None
) -> PartnershipRequest:
    """The asked company's owner says yes: each company gets the other as a registered partner
    (through the partner services, so both profiles' versions rise and both are rescored)."""
    _require_member(user, partnership.to_company, owner=True)
    now = now or timezone.now()
    asker, asked = partnership.from_company, partnership.to_company
    with transaction.atomic():
        _answer(partnership, user=user, status=PartnershipRequest.Status.ACCEPTED, now=now)
        for company, other in ((asked, asker), (asker, asked)):
            # Either side may have linked the other by hand already; one entry is enough.
            if not Partner.objects.filter(company=company, linked_company=other).exists():
                _partner_create(
                    company=company,
                    name=other.legal_name,
                    country=other.country.code,
                    linked_company=other,
                )
        # They are partners now: a request the other way round has nothing left to ask.
        PartnershipRequest.objects.filter(
            from_company=asked, to_company=asker, status=PartnershipRequest.Status.PENDING
        ).update(status=PartnershipRequest.Status.ACCEPTED, responded_by=user, responded_at=now)
    return partnership


def partnership_request_decline(
    *, partnership: PartnershipRequest, user: User, now: datetime.datetime | None = None
) -> PartnershipRequest:
    """The asked company's owner says no; nothing else changes."""
    _require_member(user, partnership.to_company, owner=True)
    _answer(
        partnership,
        user=user,
        status=PartnershipRequest.Status.DECLINED,
        now=now or timezone.now(),
    )
    return partnership
