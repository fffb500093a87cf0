"""A reviewer's pages: the reviews assigned to them, scoring one, abstaining."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from applicants.models import Review, User
from programs.models import Criterion, Program, StaffMembership
from programs.reviews import review_assign, review_criteria
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion
from tests.staff import make_company, make_staff, submit

pytestmark = pytest.mark.django_db

REVIEWS = reverse("staff:reviews")


@pytest.fixture
def program() -> Program:
    program = ProgramFactory(slug="taipei-poc", owner=AgencyFactory(slug="taipei-office"))
    StageFactory(program=program, order=0, name="Proof of concept")
    add_criterion(
        program,
        label="Impact",
        kind=Criterion.Kind.AWARD,
        weight=3,
        groups=[[("prior_pilots", "gte", 1)]],
    )
    add_criterion(
        program, label="Maturity", kind=Criterion.Kind.AWARD, weight=1, groups=[[("trl", "gte", 5)]]
    )
    return program


@pytest.fixture
def admin(program: Program) -> User:
    return make_staff("admin@taipei.example", program.owner)


@pytest.fixture
def reviewer(program: Program) -> User:
    return make_staff("reviewer@taipei.example", program.owner, StaffMembership.Role.REVIEWER)


@pytest.fixture
def signed_in(client: Client, reviewer: User) -> Client:
    client.force_login(reviewer)
    return client


def assigned(name: str, program: Program, reviewer: User, admin: User) -> Review:
    application = submit(make_company(name), program)
    return review_assign(application=application, reviewer=reviewer, assigned_by=admin)


def review_url(review: Review) -> str:
    return reverse("staff:review", args=[review.application.program.slug, review.pk])


def fields(program: Program, impact: Any, maturity: Any, comment: str = "Solid.") -> dict[str, Any]:
    keys = {criterion.label: criterion.key for criterion in review_criteria(program)}
    return {
        f"score_{keys['Impact']}": impact,
        f"score_{keys['Maturity']}": maturity,
        "comment": comment,
    }


def test_the_list_shows_the_reviewers_own_reviews_waiting_first(
    signed_in: Client, program: Program, reviewer: User, admin: User
) -> None:
    done = assigned("Done Co", program, reviewer, admin)
    signed_in.post(review_url(done), fields(program, 5, 5))
    assigned("Waiting Co", program, reviewer, admin)
    assigned("Someone else's", program, admin, admin)

    response = signed_in.get(REVIEWS)

    assert [review.application.company.legal_name for review in response.context["page"]] == [
        "Waiting Co",
        "Done Co",
    ]


def test_reviews_in_a_program_the_reviewer_no_longer_staffs_are_not_listed(
    signed_in: Client, program: Program, reviewer: User, admin: User
) -> None:
    assigned("Curb Co", program, reviewer, admin)
    other_agency = AgencyFactory(slug="elsewhere")
    StaffMembership.objects.filter(user=reviewer).update(agency=other_agency)

    response = signed_in.get(REVIEWS)

    assert list(response.context["page"]) == []


def test_the_review_form_has_a_score_per_award_criterion_and_saves_them(
    signed_in: Client, program: Program, reviewer: User, admin: User
) -> None:
    review = assigned("Curb Co", program, reviewer, admin)

    form = signed_in.get(review_url(review))
    saved = signed_in.post(review_url(review), fields(program, 8, 4))

    html = form.content.decode()
    assert html.count('type="number"') == 2
    assert "Impact" in html and "Maturity" in html
    assert saved.status_code == 302
    assert saved["Location"] == REVIEWS
    review.refresh_from_db()
    assert (review.status, sorted(review.scores.values()), review.comment) == (
        "submitted",
        [4, 8],
        "Solid.",
    )


def test_a_bad_score_is_shown_next_to_its_field_and_saves_nothing(
    signed_in: Client, program: Program, reviewer: User, admin: User
) -> None:
    review = assigned("Curb Co", program, reviewer, admin)
    key = next(c.key for c in review_criteria(program) if c.label == "Impact")

    response = signed_in.post(review_url(review), fields(program, 11, 4, comment=""))

    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_score_{key}_error"' in html
    assert 'id="id_comment_error"' in html
    review.refresh_from_db()
    assert review.status == "assigned"


def test_abstaining_needs_a_reason_and_records_it(
    signed_in: Client, program: Program, reviewer: User, admin: User
) -> None:
    review = assigned("Curb Co", program, reviewer, admin)
    url = reverse("staff:review-abstain", args=[program.slug, review.pk])

    refused = signed_in.post(url, {"reason": ""})
    done = signed_in.post(url, {"reason": "I advised them last year."})

    assert refused.status_code == 400
    assert 'id="id_reason_error"' in refused.content.decode()
    assert done.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.comment) == ("abstained", "I advised them last year.")
    assert "You abstained from this review" in signed_in.get(review_url(review)).content.decode()


def test_another_reviewers_review_is_404(
    client: Client, program: Program, reviewer: User, admin: User
) -> None:
    review = assigned("Curb Co", program, reviewer, admin)
    client.force_login(admin)

    assert client.get(review_url(review)).status_code == 404
    assert client.post(review_url(review), fields(program, 1, 1)).status_code == 404


def test_a_program_without_award_criteria_asks_for_one_overall_score(
    client: Client, admin: User
) -> None:
    plain = ProgramFactory(slug="plain", owner=admin.staff_memberships.get().agency)
    StageFactory(program=plain)
    review = review_assign(
        application=submit(make_company("Curb Co"), plain), reviewer=admin, assigned_by=admin
    )
    client.force_login(admin)

    response = client.post(review_url(review), {"score_overall": 7, "comment": "Promising."})

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.scores == {"overall": 7}


@pytest.mark.parametrize("count", [2, 6])
def test_the_list_makes_a_fixed_number_of_queries(
    signed_in: Client,
    program: Program,
    reviewer: User,
    admin: User,
    django_assert_num_queries: Any,
    count: int,
) -> None:
    for number in range(count):
        assigned(f"Co {number}", program, reviewer, admin)

    # 1 the session, 2 the user, 3 whether they are staff at all, 4 their agencies, 5 the
    # paginator's count, 6 the page of reviews with applications, companies, stages, programs
    # and owners.
    with django_assert_num_queries(6):
        response = signed_in.get(REVIEWS)

    assert len(response.context["page"]) == count
