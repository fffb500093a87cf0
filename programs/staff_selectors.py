"""Reads of the staff workspace: programs, a program's dashboard, matches, applications, reviews.

Every read starts from a program the caller got through ``programs.tenancy``; each one carries
its own joins and prefetches and says how many queries it costs. Staff see applications once
they are submitted (``submitted_at`` set): a draft is the vendor's own.
"""

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    Prefetch,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils import translation
from django_countries import countries

from applicants.models import (
    Application,
    ApplicationEvent,
    Company,
    Document,
    Partner,
    Review,
    User,
)
from matchmaker.models import Match
from programs.localized import localized
from programs.models import ApplyInvitation, Program, Question, Sector, StaffMembership, Stage
from programs.reviews import mean_review_score, program_staff_q
from programs.selectors import Correlated, next_closing
from programs.tenancy import program_role, staff_programs, staff_roles

# What the staff's lists of matches show: companies that fit, or might once they say more.
SHOWN_ELIGIBILITY = (Match.Eligibility.ELIGIBLE, Match.Eligibility.INCOMPLETE)
# The same rows by rank (a constraint ties rank to eligibility: eligible 0, incomplete 1). Rank
# is in the program's ranking index and eligibility is not, so counting by rank reads the index
# alone instead of every row: a program with 10,000 matches counts in about a millisecond.
SHOWN_MAX_RANK = 1
# The automatic score the engine gave at submission, as a number the database can sort by. JSON
# null (a program without award criteria) must stay NULL: SQLite's key transform gives the text
# 'null' for it, which would cast to 0.
AUTO_SCORE = Case(
    When(eligibility_at_submission__score=None, then=Value(None)),
    default=Cast(KeyTextTransform("score", "eligibility_at_submission"), FloatField()),
    output_field=FloatField(),
)


def staff_role(user: User, program: Program) -> str | None:
    """The user's strongest role in ``program``'s agencies: admin, reviewer or None (none for a
    program ``tenancy.staff_program_or_404`` gave this user, else ``tenancy.program_role``)."""
    asked: tuple[int | None, str | None] | None = getattr(program, "staff_role", None)
    if asked is not None and asked[0] == user.pk:
        return asked[1]
    return program_role(program, staff_roles(user))


# --- the workspace's home ------------------------------------------------------------------------


# The figures of a program's card on the workspace's home (``Correlated`` SQL). The counts are
# correlated subqueries, which PostgreSQL runs only for the rows a LIMIT keeps: paginated, a
# page costs its own programs' counts, not those of every program of the user.
_IS_ADMIN = """EXISTS (
    SELECT 1 FROM programs_staffmembership membership
    WHERE membership.user_id = %s AND membership.role = %s AND (
        membership.agency_id = {owner} OR membership.agency_id IN (
            SELECT buyer.agency_id FROM programs_program_buyers buyer
            WHERE buyer.program_id = {program}
        )
    )
)"""
_APPLICATIONS = """(
    SELECT COUNT(*) FROM applicants_application applied
    WHERE applied.program_id = {program} AND applied.submitted_at IS NOT NULL
)"""
_APPLICATIONS_WITH_STATUS = """(
    SELECT COUNT(*) FROM applicants_application applied
    WHERE applied.program_id = {program} AND applied.submitted_at IS NOT NULL
        AND applied.status = %s
)"""
# Kept by the database as matches are written (``ProgramMatchCount``): an agency's admin of 100
# programs would otherwise count ~175,000 matches per page.
_MATCHES = """COALESCE((
    SELECT counted.fitting FROM matchmaker_programmatchcount counted
    WHERE counted.program_id = {program}
), 0)"""


def workspace_programs(
    user: User, *, now: datetime.datetime, memberships: Mapping[int, str] | None = None
) -> QuerySet[Program]:
    """The user's programs by title, each with its owner, the user's role (``is_admin``), how
    many applications are in progress and submitted in all, how many companies fit, and the next
    deadline. Two queries: the user's agencies (unless ``memberships``, the user's
    ``staff_roles``, are given), then the programs.
    """
    return (
        staff_programs(user, memberships=memberships)
        .select_related("owner")
        .annotate(
            is_admin=Correlated(
                _IS_ADMIN,
                [user.pk, StaffMembership.Role.ADMIN.value],
                output_field=BooleanField(),
                program="pk",
                owner="owner_id",
            ),
            applications_total=Correlated(_APPLICATIONS, output_field=IntegerField(), program="pk"),
            applications_open=Correlated(
                _APPLICATIONS_WITH_STATUS,
                [Application.Status.SUBMITTED.value],
                output_field=IntegerField(),
                program="pk",
            ),
            matches_total=Correlated(_MATCHES, output_field=IntegerField(), program="pk"),
            **next_closing("pk", now=now),
        )
        .order_by(localized("title"), "pk")
    )


def reviews_waiting(user: User, *, memberships: Mapping[int, str] | None = None) -> int:
    """How many reviews assigned to ``user`` wait for a score, in programs they still staff."""
    return (
        reviewer_reviews(user, memberships=memberships)
        .filter(status=Review.Status.ASSIGNED)
        .count()
    )


# --- matches -------------------------------------------------------------------------------------


# Staff of a program see companies that agreed to be found (discoverable) or applied to it:
# every match but those of the companies that did neither. (Rather than "discoverable or
# applied", which joins every match with its company: counting 11,000 matches then costs three
# times as much.)
_SHOWN_TO_STAFF = """NOT EXISTS (
    SELECT 1 FROM applicants_company hidden
    WHERE hidden.id = {company} AND NOT hidden.discoverable AND NOT EXISTS (
        SELECT 1 FROM applicants_application applied
        WHERE applied.company_id = hidden.id AND applied.program_id = %s
            AND applied.submitted_at IS NOT NULL
    )
)"""
# Its application to the program, once submitted (one at most: a company applies once).
_APPLICATION_ID = """(
    SELECT applied.id FROM applicants_application applied
    WHERE applied.company_id = {company} AND applied.program_id = %s
        AND applied.submitted_at IS NOT NULL
)"""
# When it was last invited to apply, since %s.
_INVITED_AT = """(
    SELECT MAX(invitation.created_at) FROM programs_applyinvitation invitation
    WHERE invitation.company_id = {company} AND invitation.program_id = %s
        AND invitation.created_at > %s
)"""


def program_match_list(program: Program, *, now: datetime.datetime) -> QuerySet[Match]:
    """Companies that fit ``program`` (eligible, then incomplete; higher scores first) and that
    agreed to be found or applied, each with ``application_id`` (if it applied) and
    ``invited_at`` (an invitation to apply within the last week); without the companies
    themselves, which ``program_matches`` and ``match_rows`` add.

    The order follows the program's ranking index (rank, then score descending), so a page near
    the top reads a few index entries instead of sorting every match of the program: about 2 ms
    instead of 28 for the first page of a program with 11,000 matches. Plain ``DESC`` (nulls
    first on PostgreSQL) suits that index: a program's scores are all numbers or all null (no
    award criteria), so where nulls sort makes no difference once its rescore is done.
    """
    return (
        Match.objects.filter(program=program, rank__lte=SHOWN_MAX_RANK)
        .filter(
            Correlated(
                _SHOWN_TO_STAFF, [program.pk], output_field=BooleanField(), company="company_id"
            )
        )
        .annotate(
            application_id=Correlated(
                _APPLICATION_ID, [program.pk], output_field=IntegerField(), company="company_id"
            ),
            invited_at=Correlated(
                _INVITED_AT,
                [program.pk, now - ApplyInvitation.INTERVAL],
                output_field=DateTimeField(),
                company="company_id",
            ),
        )
        .order_by("rank", F("score").desc(), "company__legal_name", "pk")
    )


def sorted_in_full(matches: QuerySet[Match]) -> QuerySet[Match]:
    """``program_match_list`` in the same order, for a list narrowed to a share of the program's
    companies (a sector, a country): sorted once found, rather than read in the ranking index's
    order and checked one by one. Most companies share a score (0, or the few values a
    program's criteria give), so even the first page needs every company of that score in name
    order: the index's order would check all the program's matches against the filter, a
    hundred times slower than finding the few hundred that pass and sorting them.
    """
    # rank + 0 sorts as rank does, but no index has it: the database finds the rows first.
    return matches.order_by(F("rank") + 0, F("score").desc(), "company__legal_name", "pk")


def program_matches(program: Program, *, now: datetime.datetime) -> QuerySet[Match]:
    """``program_match_list`` with each match's company and its sectors' codes, by name, as
    the list ``company.sector_list``. Two queries when iterated: the matches with their
    companies, and the companies' sectors."""
    return (
        program_match_list(program, now=now)
        .select_related("company")
        .prefetch_related(
            Prefetch(
                "company__sectors",
                queryset=Sector.objects.only("code").order_by("name"),
                to_attr="sector_list",
            ),
        )
    )


# (language, country code) → the country's name, looked up once per process: a page of 25
# companies names up to 25 countries, a twentieth of the page's cost when looked up each time.
# (Country names change only with the language.)
_country_names: dict[tuple[str, str], str] = {}


def _country_name(code: str) -> str:
    key = (translation.get_language() or "", code)
    name = _country_names.get(key)
    if name is None:
        name = _country_names[key] = str(countries.name(code)) if code else ""
    return name


@dataclass(frozen=True, slots=True)
class MatchRow:
    """A company on the staff's list of matches, with what its row shows."""

    company_id: int
    legal_name: str
    country: str  # its name in the active language
    website: str
    trl: int | None
    has_demo: bool
    eligibility: str
    score: float | None
    sectors: list[str]  # their names in the active language, by name
    application_id: int | None
    invited_at: datetime.datetime | None


def sectors_by_name() -> list[Sector]:
    """Every sector, by name (one query): the staff's list of matches names its companies'
    sectors from these, and offers them in its sector filter."""
    return list(Sector.objects.order_by("name"))


def match_rows(matches: QuerySet[Match], *, sectors: Iterable[Sector]) -> list[MatchRow]:
    """A page of ``program_match_list`` as the rows of the staff's page; ``sectors`` are
    ``sectors_by_name()``. Two queries: the matches with the columns the page shows, and which
    sectors their companies work in.

    Plain values rather than model instances: a page of 25 companies and their 80 sectors built
    as models (and their translated names looked up one by one) cost more than the rest of
    the page's queries together.
    """
    rows, _total = _match_rows(matches, sectors=sectors, counted=False)
    return rows


def counted_match_rows(
    matches: QuerySet[Match], *, sectors: Iterable[Sector], start: int, stop: int
) -> tuple[list[MatchRow], int | None]:
    """Rows ``start`` to ``stop`` of ``sorted_in_full(...)`` as ``match_rows`` gives them, and
    how many rows the whole list has (None when there are none from ``start``).

    The count comes with the rows, a window over all of them: a narrowed list is sorted in full
    anyway, so counting it in the same query saves a second pass over the program's matches,
    half of the database's work for the page.
    """
    counted = matches.annotate(list_total=Window(Count("*")))
    return _match_rows(counted[start:stop], sectors=sectors, counted=True)


def _match_rows(
    matches: QuerySet[Match], *, sectors: Iterable[Sector], counted: bool
) -> tuple[list[MatchRow], int | None]:
    columns = [
        "company_id",
        "company__legal_name",
        "company__country",
        "company__website",
        "company__trl",
        "company__has_demo",
        "eligibility",
        "score",
        "application_id",
        "invited_at",
    ]
    values = list(matches.values_list(*columns, *(["list_total"] if counted else []), named=True))
    total = values[0].list_total if counted and values else None
    # Each company's sectors in the order of ``sectors``, by name.
    positions = {sector.pk: (position, sector.name) for position, sector in enumerate(sectors)}
    worked_in: dict[int, list[tuple[int, str]]] = {}
    if values:
        through = Company.sectors.through.objects.filter(
            company_id__in=[row.company_id for row in values]
        )
        for company_id, sector_id in through.values_list("company_id", "sector_id"):
            worked_in.setdefault(company_id, []).append(positions[sector_id])
    sector_names = {
        company_id: [name for _position, name in sorted(named)]
        for company_id, named in worked_in.items()
    }
    rows = []
    for row in values:
        rows.append(
            MatchRow(
                company_id=row.company_id,
                legal_name=row.company__legal_name,
                country=_country_name(row.company__country),
                website=row.company__website,
                trl=row.company__trl,
                has_demo=row.company__has_demo,
                eligibility=row.eligibility,
                score=row.score,
                sectors=sector_names.get(row.company_id, []),
                application_id=row.application_id,
                invited_at=row.invited_at,
            )
        )
    return rows, total


def invitable_match(program: Program, company_pk: int, *, now: datetime.datetime) -> Match:
    """One row of ``program_matches``, or 404: staff reach no other company (one query)."""
    return get_object_or_404(
        program_matches(program, now=now).prefetch_related(None), company_id=company_pk
    )


# --- applications --------------------------------------------------------------------------------


def submitted_reviews() -> Prefetch[str]:
    return Prefetch(
        "reviews",
        queryset=Review.objects.filter(status=Review.Status.SUBMITTED).only(
            "pk", "application_id", "status", "scores"
        ),
        to_attr="submitted_reviews",
    )


def program_applications(program: Program) -> QuerySet[Application]:
    """The program's submitted applications, newest first, with company, stage, the automatic
    score at submission (``auto_score``) and the submitted reviews (``submitted_reviews``).

    Two queries when iterated: the applications, and their submitted reviews.
    """
    return (
        Application.objects.filter(program=program, submitted_at__isnull=False)
        .select_related("company", "stage")
        .annotate(auto_score=AUTO_SCORE)
        .prefetch_related(submitted_reviews())
        .order_by("-submitted_at", "-pk")
    )


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    application: Application
    eligibility: str | None  # at submission
    auto_score: float | None
    review_score: float | None
    reviews: int  # submitted reviews


def application_rows(
    applications: Iterable[Application], weights: Mapping[str, float]
) -> Iterator[ApplicationRow]:
    """Rows of ``program_applications`` with their mean review score."""
    for application in applications:
        snapshot = application.eligibility_at_submission or {}
        reviews: list[Review] = application.submitted_reviews  # type: ignore[attr-defined]
        yield ApplicationRow(
            application=application,
            eligibility=snapshot.get("eligibility"),
            auto_score=application.auto_score,  # type: ignore[attr-defined]
            review_score=mean_review_score(reviews, weights),
            reviews=len(reviews),
        )


def program_application_list(program: Program) -> QuerySet[Application]:
    """``program_applications`` for the staff's page, whose rows ``application_list_rows`` reads:
    the same applications in the same order, with ``auto_score`` and the eligibility at
    submission (``eligibility``), without the joins."""
    return (
        Application.objects.filter(program=program, submitted_at__isnull=False)
        .annotate(
            auto_score=AUTO_SCORE,
            eligibility=KeyTextTransform("eligibility", "eligibility_at_submission"),
        )
        .order_by("-submitted_at", "-pk")
    )


@dataclass(frozen=True, slots=True)
class ApplicationListRow:
    """An application on the staff's list, with what its row shows."""

    pk: int
    legal_name: str
    country: str  # the company's country's name in the active language
    stage: str | None  # the stage's name
    status: str
    status_label: str
    submitted_at: datetime.datetime
    eligibility: str | None  # at submission
    auto_score: float | None
    review_score: float | None
    reviews: int  # submitted reviews


def application_list_rows(
    applications: QuerySet[Application],
    *,
    stages: Iterable[Stage],
    weights: Mapping[str, float],
) -> list[ApplicationListRow]:
    """A page of ``program_application_list`` as the rows of the staff's page, with the mean
    review score (``weights`` from the program's review criteria); ``stages`` are the program's.
    Two queries: the applications with the columns the page shows, and their submitted reviews.

    Plain values rather than model instances (with their companies, stages and whole
    eligibility snapshots), as for the list of matches.
    """
    values = list(
        applications.values_list(  # type: ignore[misc]  # the stubs know no annotations
            "pk",
            "company__legal_name",
            "company__country",
            "stage_id",
            "status",
            "submitted_at",
            "auto_score",
            "eligibility",
            named=True,
        )
    )
    reviews: dict[int, list[Review]] = {}
    if values:
        submitted = Review.objects.filter(
            application_id__in=[row.pk for row in values], status=Review.Status.SUBMITTED
        ).only("pk", "application_id", "status", "scores")
        for review in submitted:
            reviews.setdefault(review.application_id, []).append(review)
    stage_names = {stage.pk: stage.name for stage in stages}
    status_labels = {status: str(label) for status, label in Application.Status.choices}
    rows = []
    for row in values:
        submitted_reviews = reviews.get(row.pk, [])
        rows.append(
            ApplicationListRow(
                pk=row.pk,
                legal_name=row.company__legal_name,
                country=_country_name(row.company__country),
                stage=stage_names.get(row.stage_id),
                status=row.status,
                status_label=status_labels.get(row.status, row.status),
                submitted_at=row.submitted_at,
                eligibility=row.eligibility,
                auto_score=row.auto_score,
                review_score=mean_review_score(submitted_reviews, weights),
                reviews=len(submitted_reviews),
            )
        )
    return rows


def program_application(program: Program, pk: int) -> Application:
    """One submitted application of ``program`` with what its page shows, or 404. Six queries:
    the application with company and stage, the company's sectors, partners and documents, the
    history with actors and stages, the reviews with reviewers."""
    queryset = (
        Application.objects.filter(program=program, submitted_at__isnull=False)
        .select_related("company", "stage", "program__owner")
        .annotate(auto_score=AUTO_SCORE)
        .prefetch_related(
            Prefetch("company__sectors", queryset=Sector.objects.order_by("name")),
            Prefetch("company__partners", queryset=Partner.objects.order_by("name", "pk")),
            Prefetch("company__documents", queryset=Document.objects.order_by("-created_at")),
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.select_related(
                    "actor", "from_stage", "to_stage"
                ).order_by("created_at", "pk"),
            ),
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("reviewer").order_by("created_at", "pk"),
            ),
        )
    )
    return get_object_or_404(queryset, pk=pk)


def program_application_only(program: Program, pk: int) -> Application:
    """One submitted application of ``program``, bare, or 404 (one query)."""
    return get_object_or_404(
        Application.objects.filter(program=program, submitted_at__isnull=False).select_related(
            "program__owner"
        ),
        pk=pk,
    )


def application_document(application: Application, document_pk: int) -> Document:
    """A document of the applicant company, or 404 (one query)."""
    return get_object_or_404(Document, pk=document_pk, company_id=application.company_id)


def program_questions(program: Program) -> dict[str, Question]:
    """The program's questions by the key answers use, the question's id as text (one query)."""
    return {
        str(question.pk): question
        for question in Question.objects.filter(program=program).order_by("order", "pk")
    }


def stored_match(application: Application) -> Match | None:
    return Match.objects.filter(
        company_id=application.company_id, program_id=application.program_id
    ).first()


def reviewer_choices(program: Program, application: Application) -> QuerySet[User]:
    """Staff of the program's agencies who could review ``application``: admins and reviewers
    not assigned yet and not on the applicant's team (one query when iterated)."""
    memberships = StaffMembership.objects.filter(program_staff_q(program))
    return (
        User.objects.filter(is_active=True, pk__in=memberships.values("user_id"))
        .exclude(reviews__application=application)
        .exclude(company_memberships__company_id=application.company_id)
        .order_by("email")
    )


# --- reviews -------------------------------------------------------------------------------------


def reviewer_reviews(
    user: User, *, memberships: Mapping[int, str] | None = None
) -> QuerySet[Review]:
    """Reviews assigned to ``user`` in programs they still staff: waiting ones first, then the
    newest; with the application, its company, stage and program (with owner). Two queries:
    the user's agencies (unless ``memberships`` are given, as for ``workspace_programs``), then
    the reviews."""
    programs = staff_programs(user, memberships=memberships)
    return (
        Review.objects.filter(reviewer=user, application__program__in=programs)
        .select_related("application__company", "application__stage", "application__program__owner")
        # Not yet scored (no submitted_at) first.
        .order_by(F("submitted_at").asc(nulls_first=True), "-created_at", "-pk")
    )


def program_review(program: Program, user: User, pk: int) -> Review:
    """The user's own review of an application of ``program``, or 404 (one query)."""
    return get_object_or_404(
        Review.objects.select_related("application__company", "application__stage"),
        pk=pk,
        reviewer=user,
        application__program=program,
    )
