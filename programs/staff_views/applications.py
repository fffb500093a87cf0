"""A program's applications: the filtered list, its CSV export, one application, its documents."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _

from applicants.models import Application, ApplicationEvent, Document, Review
from matchmaker.links import link_parts
from matchmaker.models import Match
from programs import staff_selectors
from programs.models import Program, Question, StaffMembership, Stage
from programs.reviews import (
    ReviewCriterion,
    criterion_weights,
    mean_review_score,
    review_criteria,
    review_score,
)
from programs.rules import wording
from programs.staff_filters import StaffApplicationFilter
from programs.staff_forms import AdvanceForm, AssignReviewersForm, DeclineForm, NoteForm
from programs.staff_standing import current_standing, submission_standing
from programs.staff_views.access import PAGE_SIZE, program_view, query_without_page, staff_user


def _filtered(request: HttpRequest, program: Program) -> StaffApplicationFilter:
    return StaffApplicationFilter(
        request.GET,
        queryset=staff_selectors.program_applications(program),
        program=program,
    )


@program_view()
def application_list(request: HttpRequest, program: Program) -> HttpResponse:
    filterset = StaffApplicationFilter(
        request.GET, queryset=staff_selectors.program_application_list(program), program=program
    )
    applications = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    weights = criterion_weights(review_criteria(program))
    role = staff_selectors.staff_role(staff_user(request), program)
    # The program's stages name the rows' stages and are the stage filter's options: one query
    # for both. (A chosen stage was checked against the database already.)
    stages = list(filterset.filters["stage"].queryset)
    field = filterset.form.fields["stage"]
    field.widget.choices = [
        ("", field.empty_label),
        *((stage.pk, field.label_from_instance(stage)) for stage in stages),
    ]
    link_before, link_after = link_parts("staff:application", slug=program.slug, pk=0)
    return render(
        request,
        "staff/application_list.html",
        {
            "program": program,
            "is_admin": role == StaffMembership.Role.ADMIN,
            "section": "applications",
            "filter": filterset,
            "page": page,
            "rows": staff_selectors.application_list_rows(
                cast("QuerySet[Application]", page.object_list), stages=stages, weights=weights
            ),
            "link_before": link_before,
            "link_after": link_after,
            "query": query_without_page(request),
        },
    )


class _Echo:
    """A file-like object that hands back what is written, for streaming csv.writer rows."""

    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell starting with one of these as a formula: a company named
# "=HYPERLINK(...)" must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@program_view()
def application_export(request: HttpRequest, program: Program) -> HttpResponseBase:
    """The list's applications with the same filters and order, every page, as CSV."""
    filterset = _filtered(request, program)
    if not filterset.is_valid():
        return HttpResponse(
            _("The filters are not valid: %(errors)s")
            % {"errors": "; ".join(str(error) for error in filterset.errors.values())},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    weights = criterion_weights(review_criteria(program))
    zone = program.time_zone
    eligibility_labels: dict[str, Any] = dict(Match.Eligibility.choices)

    def lines() -> Iterator[list[str]]:
        yield [
            _("Company"),
            _("Country"),
            _("Stage"),
            _("Status"),
            _("Submitted at (%(zone)s)") % {"zone": program.owner.time_zone},
            _("Eligibility at submission"),
            _("Automatic score"),
            _("Mean review score"),
        ]
        # In chunks, so a program with many applications streams in constant memory; each
        # chunk's submitted reviews come in one more query.
        for row in staff_selectors.application_rows(filterset.qs.iterator(chunk_size=500), weights):
            application = row.application
            submitted = application.submitted_at
            yield [
                _cell(application.company.legal_name),
                _cell(application.company.country.code),
                _cell(application.stage.name if application.stage else ""),
                _cell(application.get_status_display()),
                submitted.astimezone(zone).strftime("%Y-%m-%d %H:%M") if submitted else "",
                _cell(eligibility_labels.get(row.eligibility or "", row.eligibility)),
                _score(row.auto_score),
                _score(row.review_score),
            ]

    writer = csv.writer(_Echo())
    # The byte-order mark tells spreadsheet programs the file is UTF-8 (company names in
    # Chinese, Hebrew, Russian).
    stream = (
        ("\ufeff" if index == 0 else "") + writer.writerow(line)
        for index, line in enumerate(lines())
    )
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{program.slug}-applications.csv"'
    return response


# --- one application -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    question: Question | None
    key: str
    value: Any
    document: Document | None


@dataclass(frozen=True, slots=True)
class ReviewLine:
    review: Review
    score: float | None  # 0-100
    scores: list[tuple[str, Any]]  # (criterion label, 0-10)


def _answers(application: Application, questions: dict[str, Question]) -> list[Answer]:
    documents = {document.pk: document for document in application.company.documents.all()}
    answers = application.answers if isinstance(application.answers, dict) else {}
    listed = [
        Answer(
            question=question,
            key=key,
            value=answers.get(key),
            document=documents.get(answers[key])
            if question.kind == Question.Kind.FILE and isinstance(answers.get(key), int)
            else None,
        )
        for key, question in questions.items()
    ]
    # Answers to questions removed since: still part of what the company sent.
    listed += [
        Answer(question=None, key=key, value=value, document=None)
        for key, value in answers.items()
        if key not in questions
    ]
    return listed


def _review_lines(reviews: list[Review], criteria: list[ReviewCriterion]) -> list[ReviewLine]:
    labels = {criterion.key: criterion.label for criterion in criteria}
    weights = criterion_weights(criteria)
    return [
        ReviewLine(
            review=review,
            score=review_score(review.scores, weights)
            if review.status == Review.Status.SUBMITTED
            else None,
            scores=[
                (labels.get(key, _("A criterion removed since")), value)
                for key, value in review.scores.items()
            ],
        )
        for review in reviews
    ]


def next_stage(stages: list[Stage], current: Stage | None) -> Stage | None:
    if current is None:
        return None
    return next((stage for stage in stages if stage.order > current.order), None)


def detail_context(
    request: HttpRequest, program: Program, application: Application
) -> dict[str, Any]:
    """What the application's page shows, with the admins' action forms."""
    role = staff_selectors.staff_role(staff_user(request), program)
    is_admin = role == StaffMembership.Role.ADMIN
    words = wording()
    criteria = review_criteria(program)
    reviews = list(application.reviews.all())
    stages = list(Stage.objects.filter(program=program).order_by("order"))
    context = {
        "program": program,
        "is_admin": is_admin,
        "section": "applications",
        "application": application,
        "company": application.company,
        "then": submission_standing(application, program, words),
        "now": current_standing(
            application, program, staff_selectors.stored_match(application), words
        ),
        "answers": _answers(application, staff_selectors.program_questions(program)),
        "reviews": _review_lines(reviews, criteria),
        "auto_score": application.auto_score,  # type: ignore[attr-defined]
        "review_score": mean_review_score(reviews, criterion_weights(criteria)),
        "events": list(application.events.all()),
        "note_kind": ApplicationEvent.Kind.NOTE,
        "stages": stages,
        "next_stage": next_stage(stages, application.stage),
        "in_progress": application.status == Application.Status.SUBMITTED,
    }
    if is_admin:
        context.update(
            advance_form=AdvanceForm(seen_stage=application.stage_id),
            decline_form=DeclineForm(seen_stage=application.stage_id),
            note_form=NoteForm(),
            assign_form=AssignReviewersForm(
                choices=staff_selectors.reviewer_choices(program, application)
            ),
        )
    return context


@program_view()
def application_detail(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    application = staff_selectors.program_application(program, pk)
    return render(
        request,
        "staff/application_detail.html",
        detail_context(request, program, application),
    )


@program_view()
def application_document(
    request: HttpRequest, program: Program, pk: int, document_pk: int
) -> FileResponse:
    """A document of the applicant company, for the program's staff (as an attachment)."""
    application = staff_selectors.program_application_only(program, pk)
    document = staff_selectors.application_document(application, document_pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type="application/pdf"
    )
