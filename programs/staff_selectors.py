"""Reads of the staff workspace: programs, a program's dashboard, matches, applications, reviews.

Every read starts from a program the caller got through ``programs.tenancy``; each one carries
its own joins and prefetches and says how many queries it costs. Staff see applications once
they are submitted (``submitted_at`` set): a draft is the vendor's own.
"""

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404

from applicants.models import (
    Application,
    ApplicationEvent,
    Document,
    Partner,
    Review,
    User,
)
from matchmaker.models import Match
from programs.localized import localized
from programs.models import ApplyInvitation, Program, Question, Sector, StaffMembership, Stage
from programs.reviews import mean_review_score, program_staff_q
from programs.tenancy import staff_programs

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


def _count(queryset: QuerySet[Any]) -> Subquery:
    """A correlated ``SELECT COUNT(*)`` of ``queryset`` rows: 0 when there are none.

    A plain aggregate, not Django's ``values().annotate(Count())``, whose GROUP BY costs a
    comparison per row counted; and COUNT(*), not COUNT(id): the id is not in the indexes an
    index-only scan can count from.
    """
    counted = (
        queryset.order_by()
        .annotate(count=Func(template="COUNT(*)", output_field=IntegerField()))
        .values("count")
    )
    return Subquery(counted, output_field=IntegerField())


def staff_role(user: User, program: Program) -> str | None:
    """The user's strongest role in ``program``'s agencies: admin, reviewer or None (1 query)."""
    roles = set(
        StaffMembership.objects.filter(user=user)
        .filter(program_staff_q(program))
        .values_list("role", flat=True)
    )
    if StaffMembership.Role.ADMIN in roles:
        return StaffMembership.Role.ADMIN
    return StaffMembership.Role.REVIEWER if roles else None


# --- the workspace's home ------------------------------------------------------------------------


def workspace_programs(user: User, *, now: datetime.datetime) -> QuerySet[Program]:
    """The user's programs by title, each with its owner, the user's role (``is_admin``), how
    many applications are in progress and submitted in all, how many companies fit, and the next
    deadline. Two queries: the user's agencies, then the programs.

    The counts are correlated subqueries, which PostgreSQL runs only for the rows a LIMIT keeps:
    paginated, a page costs its own programs' counts, not those of every program of the user
    (an agency's admin of 100 programs would otherwise count ~700,000 matches per view).
    """
    applied = Application.objects.filter(program=OuterRef("pk"), submitted_at__isnull=False)
    closing = Stage.objects.filter(program=OuterRef("pk"), closes_at__gt=now).order_by(
        "closes_at", "order"
    )
    admin = StaffMembership.objects.filter(user=user, role=StaffMembership.Role.ADMIN).filter(
        Q(agency_id=OuterRef("owner_id")) | Q(agency__joint_programs=OuterRef("pk"))
    )
    return (
        # Not staff_programs() itself: its DISTINCT would take every annotation below into the
        # rows to compare, computing the counts of every program before a page is cut.
        Program.objects.filter(pk__in=staff_programs(user).values("pk"))
        .select_related("owner")
        .annotate(
            is_admin=Exists(admin),
            applications_total=_count(applied),
            applications_open=_count(applied.filter(status=Application.Status.SUBMITTED)),
            matches_total=_count(
                Match.objects.filter(program=OuterRef("pk"), rank__lte=SHOWN_MAX_RANK)
            ),
            next_deadline=Subquery(closing.values("closes_at")[:1]),
            next_stage=Subquery(
                closing.annotate(stage_name=localized("name")).values("stage_name")[:1]
            ),
        )
        .order_by(localized("title"), "pk")
    )


def reviews_waiting(user: User) -> int:
    """How many reviews assigned to ``user`` wait for a score, in programs they still staff."""
    return reviewer_reviews(user).filter(status=Review.Status.ASSIGNED).count()


# --- matches -------------------------------------------------------------------------------------


def program_matches(program: Program, *, now: datetime.datetime) -> QuerySet[Match]:
    """Companies that fit ``program`` (eligible, then incomplete; higher scores first) and that
    agreed to be found or applied, each with ``application_id`` (if it applied) and
    ``invited_at`` (an invitation to apply within the last week).

    Two queries when iterated: the matches with their companies, and the companies' sectors.

    The order follows the program's ranking index (rank, then score descending), so a page near
    the top reads a few index entries instead of sorting every match of the program: about 2 ms
    instead of 28 for the first page of a program with 11,000 matches. Plain ``DESC`` (nulls
    first on PostgreSQL) suits that index: a program's scores are all numbers or all null (no
    award criteria), so where nulls sort makes no difference once its rescore is done.
    """
    applications = Application.objects.filter(
        program=program, company=OuterRef("company"), submitted_at__isnull=False
    )
    invitations = ApplyInvitation.objects.filter(
        program=program,
        company=OuterRef("company"),
        created_at__gt=now - ApplyInvitation.INTERVAL,
    ).order_by("-created_at")
    return (
        Match.objects.filter(program=program, rank__lte=SHOWN_MAX_RANK)
        .filter(Q(company__discoverable=True) | Q(Exists(applications)))
        .select_related("company")
        .prefetch_related(
            Prefetch("company__sectors", queryset=Sector.objects.order_by("name")),
        )
        .annotate(
            application_id=Subquery(applications.values("pk")[:1]),
            invited_at=Subquery(invitations.values("created_at")[:1]),
        )
        .order_by("rank", F("score").desc(), "company__legal_name", "pk")
    )


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


def reviewer_reviews(user: User) -> QuerySet[Review]:
    """Reviews assigned to ``user`` in programs they still staff: waiting ones first, then the
    newest; with the application, its company, stage and program (with owner). Two queries:
    the user's agencies, then the reviews."""
    return (
        Review.objects.filter(reviewer=user, application__program__in=staff_programs(user))
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
