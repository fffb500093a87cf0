"""Writes to vendor companies: the one place that changes a profile and its version.

Every change that can alter a company's facts (DESIGN §4) bumps ``profile_version`` in the same
transaction, so results computed from an older profile are recognisably stale.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from applicants.documents import check_pdf
from applicants.invitations import invitation_path
from applicants.models import (
    Company,
    CompanyMembership,
    Document,
    Invitation,
    Partner,
    User,
)
from matchmaker.services import company_profile_changed
from programs.models import Sector

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


def partner_add(*, company: Company, user: User, **fields: Any) -> Partner:
    _require_member(user, company)
    with transaction.atomic():
        partner = Partner(company=company, **fields)
        partner.full_clean()
        partner.save()
        Company.objects.filter(pk=company.pk).update(partners_declared=True)
        _bump_profile_version(company)
    return partner


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
    """Replaces all partners at once (the API's nested write); always declares the list."""
    _require_member(user, company)
    with transaction.atomic():
        company.partners.all().delete()
        created = []
        for fields in partners:
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
        context = {
            "company": company,
            "inviter": user,
            "role": invitation.get_role_display(),
            "link": base_url.rstrip("/") + invitation_path(invitation),
        }
        # Rendered now, in the inviter's language; sent only if the invitation is kept.
        subject = " ".join(
            render_to_string("emails/company-invitation-subject.txt", context).split()
        )
        body = render_to_string("emails/company-invitation-body.txt", context)
        transaction.on_commit(lambda: send_mail(subject, body, None, [invitation.email]))
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
