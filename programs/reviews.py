"""Reviews of applications: assigning reviewers, scoring, abstaining, and the mean review score.

A reviewer scores each of the program's award criteria from 0 to 10. A program without award
criteria still gets a reviewer's judgement, as one overall score (``OVERALL``). A review's score
is the weighted mean of its criterion scores, times ten so that it reads on the same 0-100 scale
as the automatic score; the mean review score of an application is the mean over its submitted
reviews. Abstentions (declared conflicts of interest) and reviews still assigned do not count.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applicants.models import Application, CompanyMembership, Review, User
from programs.models import Criterion, Program, StaffMembership

# The one score of a review in a program without award criteria.
OVERALL = "overall"
MIN_SCORE = 0
MAX_SCORE = 10
# Weight of a score whose criterion is gone (removed by a rule edit after the review): the
# reviewer's judgement still counts, as an ordinary criterion would.
_DEFAULT_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class ReviewCriterion:
    key: str  # the key of the review's ``scores``: the criterion's id, or ``OVERALL``
    label: str
    weight: float
    help_text: str


def review_criteria(program: Program) -> list[ReviewCriterion]:
    """What a reviewer scores in ``program``, in the program's order (one query)."""
    awards = [
        ReviewCriterion(
            key=str(criterion.pk),
            label=criterion.label,
            weight=float(criterion.weight),
            help_text=criterion.help_text,
        )
        for criterion in Criterion.objects.filter(
            program=program, kind=Criterion.Kind.AWARD
        ).order_by("order", "id")
    ]
    if awards:
        return awards
    return [
        ReviewCriterion(
            key=OVERALL,
            label=_("Overall assessment"),
            weight=_DEFAULT_WEIGHT,
            help_text=_("This program has no award criteria: give your overall judgement."),
        )
    ]


def criterion_weights(criteria: Iterable[ReviewCriterion]) -> dict[str, float]:
    return {criterion.key: criterion.weight for criterion in criteria}


def review_score(scores: Mapping[str, Any], weights: Mapping[str, float]) -> float | None:
    """The weighted mean of one review's criterion scores on a 0-100 scale; None when empty.

    All weights zero (a program that weighs nothing) falls back to the plain mean.
    """
    pairs = [
        (weights.get(key, _DEFAULT_WEIGHT), float(value))
        for key, value in scores.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    if not pairs:
        return None
    total = sum(weight for weight, _value in pairs)
    if total > 0:
        mean = sum(weight * value for weight, value in pairs) / total
    else:
        mean = sum(value for _weight, value in pairs) / len(pairs)
    return round(mean * 10, 2)


def mean_review_score(reviews: Iterable[Review], weights: Mapping[str, float]) -> float | None:
    """The mean of the submitted reviews' scores (0-100); None when none is submitted."""
    scores = [
        score
        for review in reviews
        if review.status == Review.Status.SUBMITTED
        and (score := review_score(review.scores, weights)) is not None
    ]
    if not scores:
        return None
    return round(sum(scores) / len(scores), 2)


def program_staff_q(program: Program) -> Q:
    """Memberships in the program's owner agency or one of its buyers."""
    return Q(agency_id=program.owner_id) | Q(agency__joint_programs=program)


def _is_program_staff(user: User, program: Program, *, roles: tuple[str, ...]) -> bool:
    return (
        StaffMembership.objects.filter(user=user, role__in=roles)
        .filter(program_staff_q(program))
        .exists()
    )


def review_assign(*, application: Application, reviewer: User, assigned_by: User) -> Review:
    """Assigns ``reviewer`` (staff of one of the program's agencies, not on the applicant's team)
    to ``application``. Only an agency admin of the program may assign."""
    program = application.program
    if not _is_program_staff(assigned_by, program, roles=(StaffMembership.Role.ADMIN,)):
        raise PermissionDenied
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(_("Only applications in progress can be reviewed."), code="closed")
    if not _is_program_staff(reviewer, program, roles=tuple(StaffMembership.Role.values)):
        raise ValidationError(
            _("%(user)s is not on the staff of this program's agencies.") % {"user": reviewer},
            code="not_staff",
        )
    if CompanyMembership.objects.filter(user=reviewer, company_id=application.company_id).exists():
        raise ValidationError(
            _("%(user)s is on the applicant's team and cannot review this application.")
            % {"user": reviewer},
            code="conflict",
        )
    review = Review(application=application, reviewer=reviewer, assigned_by=assigned_by)
    duplicate = ValidationError(
        _("%(user)s already reviews this application.") % {"user": reviewer}, code="duplicate"
    )
    if Review.objects.filter(application=application, reviewer=reviewer).exists():
        raise duplicate
    review.full_clean()
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        # Two admins assigned the same reviewer at the same moment.
        raise duplicate from None
    return review


def _open_review(review: Review, user: User) -> Review:
    """The review, locked, if ``user`` is its reviewer and it may still change."""
    if review.reviewer_id != user.pk:
        raise PermissionDenied
    locked = (
        Review.objects.select_for_update()
        .select_related("application")
        .filter(pk=review.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(_("This review no longer exists."), code="gone")
    if locked.status == Review.Status.ABSTAINED:
        raise ValidationError(
            _("You abstained from this review: it cannot be scored any more."), code="abstained"
        )
    if locked.application.status != Application.Status.SUBMITTED:
        raise ValidationError(
            _("The application has been decided or withdrawn: its reviews are closed."),
            code="closed",
        )
    return locked


def _clean_scores(scores: Mapping[str, Any], criteria: list[ReviewCriterion]) -> dict[str, int]:
    expected = {criterion.key for criterion in criteria}
    errors: dict[str, str] = {}
    cleaned: dict[str, int] = {}
    for criterion in criteria:
        value = scores.get(criterion.key)
        if isinstance(value, bool) or not isinstance(value, int):
            errors[criterion.key] = _("Give a whole number from %(low)s to %(high)s.") % {
                "low": MIN_SCORE,
                "high": MAX_SCORE,
            }
        elif not MIN_SCORE <= value <= MAX_SCORE:
            errors[criterion.key] = _("Give a score from %(low)s to %(high)s.") % {
                "low": MIN_SCORE,
                "high": MAX_SCORE,
            }
        else:
            cleaned[criterion.key] = value
    for key in sorted(set(scores) - expected):
        errors[key] = _("This program has no such award criterion.")
    if errors:
        raise ValidationError({key: [message] for key, message in errors.items()})
    return cleaned


def review_submit(*, review: Review, user: User, scores: Mapping[str, Any], comment: str) -> Review:
    """Records the reviewer's scores (criterion key → 0..10, every award criterion) and comment.

    A submitted review may be submitted again, changed, while the application is in progress.
    Raises ``ValidationError`` keyed by criterion key, or on ``comment``.
    """
    comment = comment.strip()
    with transaction.atomic():
        locked = _open_review(review, user)
        cleaned = _clean_scores(scores, review_criteria(locked.application.program))
        if not comment:
            raise ValidationError({"comment": [_("Explain your scores in a comment.")]})
        locked.status = Review.Status.SUBMITTED
        locked.scores = cleaned
        locked.comment = comment
        locked.submitted_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["status", "scores", "comment", "submitted_at", "updated_at"])
    return locked


def review_abstain(*, review: Review, user: User, reason: str) -> Review:
    """Declares a conflict of interest: the review stops counting and its scores are dropped.

    ``reason`` is required; it is kept as the review's comment for the agency's admins.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you have a conflict of interest.")]})
    with transaction.atomic():
        locked = _open_review(review, user)
        locked.status = Review.Status.ABSTAINED
        locked.scores = {}
        locked.comment = reason
        locked.submitted_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["status", "scores", "comment", "submitted_at", "updated_at"])
    return locked


def reviews_assign(
    *, application: Application, reviewers: Iterable[User], assigned_by: User
) -> list[Review]:
    """``review_assign`` for several reviewers, all or none."""
    with transaction.atomic():
        return [
            review_assign(application=application, reviewer=reviewer, assigned_by=assigned_by)
            for reviewer in reviewers
        ]
