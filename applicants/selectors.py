"""Reads of vendor companies, each with its own prefetches."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery

from applicants.models import Company, CompanyMembership, Document, Partner, User
from programs.models import Sector


def companies_for(user: User) -> QuerySet[Company]:
    """The companies ``user`` belongs to; the only way views reach a company."""
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user)


def company_profile(user: User) -> QuerySet[Company]:
    """``companies_for`` with what a profile shows: sectors and partners (2 extra queries)."""
    return companies_for(user).prefetch_related(
        Prefetch("sectors", queryset=Sector.objects.order_by("name")),
        Prefetch("partners", queryset=Partner.objects.order_by("name", "id")),
    )


def membership_of(user: User, company: Company) -> CompanyMembership | None:
    return CompanyMembership.objects.filter(user=user, company=company).first()


def company_facts(company: Company) -> dict[str, Any]:
    """The company as the engine's facts (DESIGN §4). Expects sectors and partners prefetched.

    ``partner_countries`` is unknown (absent) until the vendor has declared their partners,
    even if that declaration is "none"; unset fields are unknown too.
    """
    facts: dict[str, Any] = {
        "country": company.country.code or None,
        # Every company works somewhere: no sectors means the section is not filled in yet.
        "sectors": sorted(sector.code for sector in company.sectors.all()) or None,
        "trl": company.trl,
        "has_demo": company.has_demo,
        "employees": company.employees,
        "founded_year": company.founded_year,
        "prior_pilots": company.prior_pilots,
    }
    partners = list(company.partners.all())
    if company.partners_declared or partners:
        facts["partner_countries"] = sorted({partner.country.code for partner in partners})
    return facts


def companies_with_role(user: User) -> QuerySet[Company]:
    """``company_profile`` with the reader's ``role`` in each company annotated (no extra query).

    One query per page of companies, plus one each for their sectors and partners.
    """
    role = CompanyMembership.objects.filter(company=OuterRef("pk"), user=user).values("role")
    return company_profile(user).annotate(role=Subquery(role[:1]))


def company_workspace(user: User) -> QuerySet[Company]:
    """``company_profile`` with what the profile's pages show beside the facts, in the same
    query as the company: the viewer's role, whether a pitch deck is on file, the team's size.
    Three queries in all: companies, sectors, partners."""
    return company_profile(user).annotate(
        viewer_role=Subquery(
            CompanyMembership.objects.filter(company=OuterRef("pk"), user=user).values("role")[:1]
        ),
        has_pitch_deck=Exists(
            Document.objects.filter(company=OuterRef("pk"), kind=Document.Kind.PITCH_DECK)
        ),
        member_count=Subquery(
            CompanyMembership.objects.filter(company=OuterRef("pk"))
            .order_by()
            .values("company")
            .annotate(count=Count("pk"))
            .values("count")[:1]
        ),
    )


def company_team(company: Company) -> QuerySet[CompanyMembership]:
    """A company's members with their accounts, owners first (one query)."""
    return (
        CompanyMembership.objects.filter(company=company)
        .select_related("user")
        .order_by("-role", "user__email")
    )


def partner_link_choices(company: Company) -> QuerySet[Company]:
    """Companies that ``company`` may name as a registered partner: those that agreed to be
    found (``discoverable``), other than itself."""
    return (
        Company.objects.filter(discoverable=True)
        .exclude(pk=company.pk)
        .only("pk", "legal_name", "country")
        .order_by("legal_name", "pk")
    )
