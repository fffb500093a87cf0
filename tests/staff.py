"""Agency staff, scored vendor companies and submitted applications for staff workspace tests.

Companies are built through the vendor services and scored by the real scorer. Applications are
rows in the state the vendor's submission leaves them (submitted, at the first stage, with the
verdict kept at submission and a SUBMITTED event), so these tests do not depend on how the
vendor's forms get there.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from applicants import services
from applicants.models import Application, ApplicationEvent, Company, User
from matchmaker.models import Match
from matchmaker.services import companies_score
from programs.models import Agency, Program, Sector, StaffMembership, Stage
from tests.factories import UserFactory


def make_staff(email: str, agency: Agency | str, role: str = StaffMembership.Role.ADMIN) -> User:
    """A verified account on ``agency``'s staff (an agency or its slug)."""
    user: User = UserFactory(email=email)
    if isinstance(agency, str):
        agency = Agency.objects.get(slug=agency)
    StaffMembership.objects.update_or_create(user=user, agency=agency, defaults={"role": role})
    return user


def make_company(
    name: str,
    *,
    owner: str | None = None,
    country: str = "TW",
    sectors: Iterable[str] = ("mobility",),
    discoverable: bool = True,
    score: bool = True,
    partners_declared: bool = True,
    **facts: Any,
) -> Company:
    """A company registered by its owner (``owner`` or ``<name>@example.com``), partners
    declared as none (unless ``partners_declared`` is false: unknown), then scored against
    every open program."""
    user: User = UserFactory(email=owner or f"{name.lower().replace(' ', '-')}@example.com")
    fields: dict[str, Any] = {"trl": 8, "has_demo": True, "employees": 20, **facts}
    company = services.company_create(
        user=user,
        legal_name=name,
        country=country,
        sectors=Sector.objects.filter(code__in=list(sectors)),
        discoverable=discoverable,
        **fields,
    )
    if partners_declared:
        services.partners_declare_none(company=company, user=user)
    if score:
        companies_score(company_ids=[company.pk])
    company.refresh_from_db()
    return company


def owner_of(company: Company) -> User:
    """The owner who registered the company (the first)."""
    return User.objects.filter(
        company_memberships__company=company, company_memberships__role="owner"
    ).earliest("company_memberships__pk")


def submit(
    company: Company,
    program: Program,
    *,
    submitted_at: datetime.datetime | None = None,
    answers: dict[str, Any] | None = None,
) -> Application:
    """A submitted application at the program's first stage, with the stored match's verdict
    as the eligibility at submission (or an eligible verdict without score when none is
    stored)."""
    stage = Stage.objects.filter(program=program).order_by("order").first()
    match = Match.objects.filter(company=company, program=program).first()
    snapshot = {
        "eligibility": match.eligibility if match else "eligible",
        "score": match.score if match else None,
        "rules_version": program.rules_version,
        "profile_version": company.profile_version,
        "outcomes": match.outcomes if match else [],
    }
    when = submitted_at or timezone.now()
    application = Application.objects.create(
        company=company,
        program=program,
        stage=stage,
        status=Application.Status.SUBMITTED,
        answers=answers or {},
        eligibility_at_submission=snapshot,
        created_by=owner_of(company),
        submitted_at=when,
    )
    ApplicationEvent.objects.create(
        application=application,
        kind=ApplicationEvent.Kind.SUBMITTED,
        actor=owner_of(company),
        from_status=Application.Status.DRAFT,
        to_status=Application.Status.SUBMITTED,
        to_stage=stage,
    )
    return application


RANKS = {"eligible": 0, "incomplete": 1, "ineligible": 2}


def store_match(company: Company, program: Program, eligibility: str, score: float | None) -> Match:
    """A stored match as the scorer would leave it, with chosen eligibility and score."""
    match, _created = Match.objects.update_or_create(
        company=company,
        program=program,
        defaults={
            "eligibility": eligibility,
            "rank": RANKS[eligibility],
            "score": score,
            "failed_gates": 1 if eligibility == "ineligible" else 0,
            "outcomes": [],
            "rules_version": program.rules_version,
            "profile_version": company.profile_version,
            "computed_at": timezone.now(),
        },
    )
    return match
