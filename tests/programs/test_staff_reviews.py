"""programs.reviews: assigning reviewers, scoring, abstaining, and the mean review score."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applicants.models import Application, CompanyMembership, Review, User
from programs.models import Criterion, Program, StaffMembership
from programs.reviews import (
    OVERALL,
    mean_review_score,
    review_abstain,
    review_assign,
    review_criteria,
    review_score,
    review_submit,
    reviews_assign,
)
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion
from tests.staff import make_company, make_staff, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    """A program with two award criteria weighted 3 and 1, and one gate."""
    program = ProgramFactory(slug="scored", owner=AgencyFactory(slug="taipei-office"))
    StageFactory(program=program, order=0, name="POC")
    add_criterion(program, label="Sector", groups=[[("sectors", "overlaps", ["mobility"])]])
    add_criterion(
        program,
        label="Impact",
        kind=Criterion.Kind.AWARD,
        weight=3,
        groups=[[("prior_pilots", "gte", 1)]],
    )
    add_criterion(
        program,
        label="Maturity",
        kind=Criterion.Kind.AWARD,
        weight=1,
        groups=[[("trl", "scale", [5, 9])]],
    )
    return program


@pytest.fixture
def admin(program: Program) -> User:
    return make_staff("admin@taipei.example", program.owner, StaffMembership.Role.ADMIN)


@pytest.fixture
def reviewer(program: Program) -> User:
    return make_staff("reviewer@taipei.example", program.owner, StaffMembership.Role.REVIEWER)


@pytest.fixture
def application(program: Program) -> Application:
    return submit(make_company("Curb Co"), program)


@pytest.fixture
def review(application: Application, reviewer: User, admin: User) -> Review:
    return review_assign(application=application, reviewer=reviewer, assigned_by=admin)


def keys(program: Program) -> dict[str, str]:
    """Award criterion label → the key a review's scores use."""
    return {criterion.label: criterion.key for criterion in review_criteria(program)}


# --- the score -----------------------------------------------------------------------------------


def test_a_reviews_score_is_the_weighted_mean_of_its_criteria_times_ten() -> None:
    assert review_score({"1": 8, "2": 4}, {"1": 3.0, "2": 1.0}) == 70.0


def test_a_review_with_only_zero_weights_falls_back_to_the_plain_mean() -> None:
    assert review_score({"1": 8, "2": 4}, {"1": 0.0, "2": 0.0}) == 60.0


def test_a_score_for_a_criterion_removed_since_still_counts_with_weight_one() -> None:
    assert review_score({"1": 10, "gone": 0}, {"1": 1.0}) == 50.0


def test_an_empty_review_has_no_score() -> None:
    assert review_score({}, {"1": 1.0}) is None


def test_the_mean_review_score_counts_submitted_reviews_only() -> None:
    weights = {"1": 1.0}
    reviews = [
        Review(status=Review.Status.SUBMITTED, scores={"1": 8}),
        Review(status=Review.Status.SUBMITTED, scores={"1": 6}),
        Review(status=Review.Status.ABSTAINED, scores={}),
        Review(status=Review.Status.ASSIGNED, scores={"1": 0}),
    ]

    assert mean_review_score(reviews, weights) == 70.0
    assert mean_review_score(reviews[2:], weights) is None


def test_a_program_without_award_criteria_is_reviewed_with_one_overall_score() -> None:
    program = ProgramFactory()

    assert [criterion.key for criterion in review_criteria(program)] == [OVERALL]


# --- assigning -----------------------------------------------------------------------------------


def test_an_admin_assigns_a_reviewer_of_the_programs_agency(
    application: Application, reviewer: User, admin: User
) -> None:
    review = review_assign(application=application, reviewer=reviewer, assigned_by=admin)

    assert (review.status, review.reviewer, review.assigned_by) == (
        Review.Status.ASSIGNED,
        reviewer,
        admin,
    )


def test_a_reviewer_cannot_assign_reviews(
    application: Application, reviewer: User, admin: User
) -> None:
    with pytest.raises(PermissionDenied):
        review_assign(application=application, reviewer=admin, assigned_by=reviewer)


def test_staff_of_another_agency_cannot_be_assigned(application: Application, admin: User) -> None:
    outsider = make_staff("moscow@example.ru", AgencyFactory(slug="moscow"))

    with pytest.raises(ValidationError, match="not on the staff"):
        review_assign(application=application, reviewer=outsider, assigned_by=admin)

    assert not Review.objects.exists()


def test_a_buyer_agencys_staff_can_review_a_joint_programs_application(
    program: Program, application: Application, admin: User
) -> None:
    buyer = AgencyFactory(slug="barcelona")
    program.buyers.add(buyer)
    colleague = make_staff("reviewer@barcelona.example", buyer, StaffMembership.Role.REVIEWER)

    review = review_assign(application=application, reviewer=colleague, assigned_by=admin)

    assert review.reviewer == colleague


def test_the_same_reviewer_is_not_assigned_twice(
    application: Application, reviewer: User, admin: User, review: Review
) -> None:
    with pytest.raises(ValidationError, match="already reviews"):
        review_assign(application=application, reviewer=reviewer, assigned_by=admin)

    assert Review.objects.count() == 1


def test_a_member_of_the_applicant_company_cannot_review_it(
    application: Application, reviewer: User, admin: User
) -> None:
    CompanyMembership.objects.create(
        user=reviewer, company=application.company, role=CompanyMembership.Role.MEMBER
    )

    with pytest.raises(ValidationError, match="applicant's team"):
        review_assign(application=application, reviewer=reviewer, assigned_by=admin)


def test_a_decided_application_takes_no_new_reviewer(
    application: Application, reviewer: User, admin: User
) -> None:
    Application.objects.filter(pk=application.pk).update(status=Application.Status.DECLINED)
    application.refresh_from_db()

    with pytest.raises(ValidationError, match="in progress"):
        review_assign(application=application, reviewer=reviewer, assigned_by=admin)


def test_assigning_several_reviewers_assigns_all_or_none(
    application: Application, reviewer: User, admin: User, program: Program
) -> None:
    outsider = make_staff("moscow@example.ru", AgencyFactory(slug="moscow"))

    with pytest.raises(ValidationError):
        reviews_assign(application=application, reviewers=[reviewer, outsider], assigned_by=admin)

    assert not Review.objects.exists()


# --- scoring and abstaining ----------------------------------------------------------------------


def test_a_reviewer_scores_every_award_criterion_with_a_comment(
    review: Review, reviewer: User, program: Program
) -> None:
    key = keys(program)

    saved = review_submit(
        review=review,
        user=reviewer,
        scores={key["Impact"]: 8, key["Maturity"]: 4},
        comment="Strong pilots, early product.",
    )

    assert saved.status == Review.Status.SUBMITTED
    assert saved.scores == {key["Impact"]: 8, key["Maturity"]: 4}
    assert saved.submitted_at is not None
    assert review_score(saved.scores, {key["Impact"]: 3, key["Maturity"]: 1}) == 70.0


@pytest.mark.parametrize(
    ("scores", "problem"),
    [
        ({"Impact": 8}, "Maturity"),  # a criterion left out
        ({"Impact": 11, "Maturity": 4}, "Impact"),  # above 10
        ({"Impact": -1, "Maturity": 4}, "Impact"),  # below 0
        ({"Impact": "8", "Maturity": 4}, "Impact"),  # not a number
        ({"Impact": True, "Maturity": 4}, "Impact"),  # a yes is not a score
    ],
)
def test_a_review_with_a_missing_or_bad_score_is_refused_and_changes_nothing(
    review: Review, reviewer: User, program: Program, scores: dict[str, Any], problem: str
) -> None:
    key = keys(program)

    with pytest.raises(ValidationError) as raised:
        review_submit(
            review=review,
            user=reviewer,
            scores={key[label]: value for label, value in scores.items()},
            comment="Fine.",
        )

    assert list(raised.value.message_dict) == [key[problem]]
    review.refresh_from_db()
    assert (review.status, review.scores) == (Review.Status.ASSIGNED, {})


def test_a_score_for_a_criterion_the_program_lacks_is_refused(
    review: Review, reviewer: User, program: Program
) -> None:
    key = keys(program)

    with pytest.raises(ValidationError) as raised:
        review_submit(
            review=review,
            user=reviewer,
            scores={key["Impact"]: 8, key["Maturity"]: 4, "999": 5},
            comment="Fine.",
        )

    assert list(raised.value.message_dict) == ["999"]


def test_a_review_needs_a_comment(review: Review, reviewer: User, program: Program) -> None:
    key = keys(program)

    with pytest.raises(ValidationError) as raised:
        review_submit(
            review=review, user=reviewer, scores={key["Impact"]: 8, key["Maturity"]: 4}, comment=" "
        )

    assert list(raised.value.message_dict) == ["comment"]


def test_only_the_assigned_reviewer_may_score(
    review: Review, admin: User, program: Program
) -> None:
    key = keys(program)

    with pytest.raises(PermissionDenied):
        review_submit(
            review=review, user=admin, scores={key["Impact"]: 8, key["Maturity"]: 4}, comment="x"
        )


def test_a_submitted_review_can_be_changed_while_the_application_is_in_progress(
    review: Review, reviewer: User, program: Program
) -> None:
    key = keys(program)
    review_submit(
        review=review, user=reviewer, scores={key["Impact"]: 8, key["Maturity"]: 4}, comment="a"
    )

    changed = review_submit(
        review=review, user=reviewer, scores={key["Impact"]: 2, key["Maturity"]: 2}, comment="b"
    )

    assert (changed.scores[key["Impact"]], changed.comment) == (2, "b")


def test_reviews_close_once_the_application_is_decided(
    review: Review, reviewer: User, program: Program, application: Application
) -> None:
    key = keys(program)
    Application.objects.filter(pk=application.pk).update(status=Application.Status.COMPLETED)

    with pytest.raises(ValidationError, match="closed"):
        review_submit(
            review=review, user=reviewer, scores={key["Impact"]: 8, key["Maturity"]: 4}, comment="a"
        )


def test_abstaining_records_the_reason_and_drops_the_scores(
    review: Review, reviewer: User, program: Program
) -> None:
    key = keys(program)
    review_submit(
        review=review, user=reviewer, scores={key["Impact"]: 8, key["Maturity"]: 4}, comment="a"
    )

    abstained = review_abstain(review=review, user=reviewer, reason="I advised their founder.")

    assert (abstained.status, abstained.scores, abstained.comment) == (
        Review.Status.ABSTAINED,
        {},
        "I advised their founder.",
    )
    assert mean_review_score([abstained], {}) is None


def test_abstaining_needs_a_reason(review: Review, reviewer: User) -> None:
    with pytest.raises(ValidationError) as raised:
        review_abstain(review=review, user=reviewer, reason="  ")

    assert list(raised.value.message_dict) == ["reason"]
    review.refresh_from_db()
    assert review.status == Review.Status.ASSIGNED


def test_an_abstained_review_cannot_be_scored_again(
    review: Review, reviewer: User, program: Program
) -> None:
    key = keys(program)
    review_abstain(review=review, user=reviewer, reason="Conflict.")

    with pytest.raises(ValidationError, match="abstained"):
        review_submit(
            review=review, user=reviewer, scores={key["Impact"]: 8, key["Maturity"]: 4}, comment="a"
        )
