"""A reviewer's day: the reviews assigned to them, scoring one, or abstaining from it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from applicants.models import Review
from programs import staff_selectors
from programs.models import Program, StaffMembership
from programs.reviews import (
    criterion_weights,
    review_abstain,
    review_criteria,
    review_score,
    review_submit,
)
from programs.staff_forms import AbstainForm, ReviewForm, score_field_name
from programs.staff_views.access import (
    PAGE_SIZE,
    READ_WRITE,
    program_view,
    staff_user,
    staff_view,
)


@staff_view()
def review_list(request: HttpRequest) -> HttpResponse:
    reviews = staff_selectors.reviewer_reviews(staff_user(request))
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/review_list.html", {"page": page, "query": ""})


def _render_review(
    request: HttpRequest,
    program: Program,
    review: Review,
    *,
    form: ReviewForm,
    abstain_form: AbstainForm,
    status: int = 200,
) -> HttpResponse:
    role = staff_selectors.staff_role(staff_user(request), program)
    return render(
        request,
        "staff/review_form.html",
        {
            "program": program,
            "is_admin": role == StaffMembership.Role.ADMIN,
            "section": "reviews",
            "review": review,
            "application": review.application,
            "form": form,
            "abstain_form": abstain_form,
            "score": review_score(review.scores, criterion_weights(form.criteria))
            if review.status == Review.Status.SUBMITTED
            else None,
            "open": review.status != Review.Status.ABSTAINED,
        },
        status=status,
    )


@program_view(methods=READ_WRITE)
def review_detail(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    """The reviewer's form: one 0-10 score per award criterion and a comment."""
    review = staff_selectors.program_review(program, staff_user(request), pk)
    criteria = review_criteria(program)
    initial = {score_field_name(key): value for key, value in review.scores.items()}
    initial["comment"] = review.comment if review.status == Review.Status.SUBMITTED else ""
    form = ReviewForm(
        request.POST if request.method == "POST" else None, criteria=criteria, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            review_submit(
                review=review,
                user=staff_user(request),
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_service_error(error, fields=form.service_fields())
        else:
            messages.success(
                request,
                _("Your review of %(company)s is saved.") % {"company": review.application.company},
            )
            return redirect("staff:reviews")
    return _render_review(
        request,
        program,
        review,
        form=form,
        abstain_form=AbstainForm(),
        status=400 if form.is_bound and form.errors else 200,
    )


@program_view(methods=READ_WRITE)
def review_abstain_view(request: HttpRequest, program: Program, pk: int) -> HttpResponse:
    """Declaring a conflict of interest: GET shows the form alone, POST records it."""
    review = staff_selectors.program_review(program, staff_user(request), pk)
    form = AbstainForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            review_abstain(
                review=review, user=staff_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("You abstained from reviewing %(company)s.")
                % {"company": review.application.company},
            )
            return redirect("staff:reviews")
    return render(
        request,
        "staff/review_abstain.html",
        {
            "program": program,
            "section": "reviews",
            "review": review,
            "application": review.application,
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
