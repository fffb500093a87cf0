"""Reads of vendor companies, each with its own prefetches."""

from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from applicants.models import (
    Company,
    CompanyMembership,
    Document,
    Partner,
    PartnershipRequest,
    User,
)
from programs.models import Sector
from programs.selectors import Correlated


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


# What every page of a company's profile shows beside its facts (``Correlated`` SQL: the ORM's
# four subqueries cost more CPU than the company's three queries).
_PENDING_REQUESTS = """(
    SELECT COUNT(*) FROM applicants_partnershiprequest request
    WHERE request.to_company_id = {company} AND request.status = %s
)"""
_VIEWER_ROLE = """(
    SELECT membership.role FROM applicants_companymembership membership
    WHERE membership.company_id = {company} AND membership.user_id = %s
)"""
_HAS_PITCH_DECK = """EXISTS (
    SELECT 1 FROM applicants_document document
    WHERE document.company_id = {company} AND document.kind = %s
)"""
_MEMBERS = """(
    SELECT COUNT(*) FROM applicants_companymembership membership
    WHERE membership.company_id = {company}
)"""


def company_workspace(user: User) -> QuerySet[Company]:
    """``company_profile`` with what the profile's pages show beside the facts, in the same
    query as the company: the viewer's role, whether a pitch deck is on file, the team's size,
    how many partnership requests wait for an answer. Three queries in all: companies, sectors,
    partners."""
    return company_profile(user).annotate(
        pending_partnership_requests=Correlated(
            _PENDING_REQUESTS,
            [PartnershipRequest.Status.PENDING.value],
            output_field=IntegerField(),
            company="pk",
        ),
        viewer_role=Correlated(_VIEWER_ROLE, [user.pk], output_field=CharField(), company="pk"),
        has_pitch_deck=Correlated(
            _HAS_PITCH_DECK,
            [Document.Kind.PITCH_DECK.value],
            output_field=BooleanField(),
            company="pk",
        ),
        member_count=Correlated(_MEMBERS, output_field=IntegerField(), company="pk"),
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


# --- partners to suggest, and partnership requests ---------------------------------------------

SUGGESTIONS_PER_PROGRAM = 5


def partner_candidates(
    company: Company, *, countries: Collection[str], limit: int = SUGGESTIONS_PER_PROGRAM
) -> list[Company]:
    """Companies ``company`` could ask to be partners, registered in one of ``countries``: those
    that agreed to be found (``discoverable``) and share at least one sector with it, other than
    itself and its registered partners. The ``limit`` best of each country (most shared sectors,
    then by name), each annotated with ``shared_sectors`` (a count), ``shared_sector_list``
    (the sectors themselves), ``requested`` (we asked them, no answer yet) and ``asked_us``
    (they asked us, no answer yet).

    Expects ``company`` from ``company_workspace`` (sectors and partners prefetched). Two
    queries: the candidates, ranked per country in the database, and their shared sectors. None
    when there is no country or the company has no sector yet.
    """
    sector_ids = [sector.pk for sector in company.sectors.all()]
    if not countries or not sector_ids:
        return []
    linked = [p.linked_company_id for p in company.partners.all() if p.linked_company_id]
    through = Company.sectors.through
    shared = Subquery(
        through.objects.filter(company_id=OuterRef("pk"), sector_id__in=sector_ids)
        .order_by()
        .values("company_id")
        .annotate(count=Count("pk"))
        # The stubs cannot see annotations on an auto-created through model.
        .values("count")[:1],  # type: ignore[misc]
        output_field=IntegerField(),
    )
    pending = PartnershipRequest.objects.filter(status=PartnershipRequest.Status.PENDING)
    candidates = (
        Company.objects.filter(discoverable=True, country__in=sorted(countries))
        .exclude(pk__in=[company.pk, *linked])
        .annotate(shared_sectors=shared)
        .filter(shared_sectors__gte=1)
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("country")],
                order_by=[F("shared_sectors").desc(), F("legal_name").asc(), F("pk").asc()],
            ),
            requested=Exists(pending.filter(from_company=company, to_company=OuterRef("pk"))),
            asked_us=Exists(pending.filter(from_company=OuterRef("pk"), to_company=company)),
        )
        # Only the best few of each country leave the database, however many there are.
        .filter(place__lte=limit)
        .only("pk", "legal_name", "country", "website")
        .prefetch_related(
            Prefetch(
                "sectors",
                queryset=Sector.objects.filter(pk__in=sector_ids).order_by("name"),
                to_attr="shared_sector_list",
            )
        )
        .order_by("country", "place")
    )
    return list(candidates)


def best_candidates(
    candidates: Iterable[Company],
    *,
    countries: Collection[str],
    limit: int = SUGGESTIONS_PER_PROGRAM,
) -> list[Company]:
    """The ``limit`` best of ``partner_candidates`` registered in one of ``countries`` (a
    program asking for a partner in any of several countries gets one list)."""
    fitting = [company for company in candidates if company.country.code in countries]
    fitting.sort(
        key=lambda company: (-company.shared_sectors, company.legal_name, company.pk)  # type: ignore[attr-defined]
    )
    return fitting[:limit]


def partnership_inbox(company: Company) -> QuerySet[PartnershipRequest]:
    """Requests to ``company``: waiting ones first, then the newest; with the asking company,
    who asked, who answered and the program that prompted it (one query)."""
    return (
        PartnershipRequest.objects.filter(to_company=company)
        .select_related("from_company", "requested_by", "responded_by", "program")
        .order_by(_pending_first(), "-created_at", "-pk")
    )


def partnership_outbox(company: Company) -> QuerySet[PartnershipRequest]:
    """Requests ``company`` sent, waiting ones first, with the company asked (one query)."""
    return (
        PartnershipRequest.objects.filter(from_company=company)
        .select_related("to_company", "requested_by", "program")
        .order_by(_pending_first(), "-created_at", "-pk")
    )


def _pending_first() -> Case:
    return Case(
        When(status=PartnershipRequest.Status.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
