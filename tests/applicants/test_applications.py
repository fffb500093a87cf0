"""applicants.applications: an application's life from a draft to a decision, and every refusal."""

import datetime
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applicants.application_selectors import vendor_timeline
from applicants.applications import (
    SubmissionRefusedError,
    application_add_note,
    application_advance,
    application_decline,
    application_get_or_start,
    application_save_answers,
    application_start,
    application_submit,
    application_withdraw,
)
from applicants.models import Application, ApplicationEvent, Company, User
from matchmaker.models import Notification
from programs.models import Program, Stage
from programs.services import program_bump_rules_version
from tests.applicants.applying import (
    MakeCompany,
    Questions,
    add_questions,
    complete_answers,
    join,
    program,
    ready_draft,
    staff_of,
    upload,
    vendor_company,
)
from tests.factories import UserFactory, add_criterion

pytestmark = pytest.mark.django_db

TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
Status = Application.Status
Kind = ApplicationEvent.Kind


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def taipei(demo: None) -> Program:
    return program()


@pytest.fixture
def questions(taipei: Program) -> Questions:
    return add_questions(taipei)


@pytest.fixture
def vendor(make_company: MakeCompany) -> tuple[Company, User]:
    return vendor_company(make_company)


@pytest.fixture
def company(vendor: tuple[Company, User]) -> Company:
    return vendor[0]


@pytest.fixture
def owner(vendor: tuple[Company, User]) -> User:
    return vendor[1]


@pytest.fixture
def staff(demo: None) -> User:
    return staff_of("taipei-smart-city-office")


def events(application: Application) -> list[tuple[str, str, str, str | None, str | None]]:
    return [
        (
            event.kind,
            event.from_status,
            event.to_status,
            event.from_stage.name if event.from_stage else None,
            event.to_stage.name if event.to_stage else None,
        )
        for event in application.events.select_related("from_stage", "to_stage").order_by("pk")
    ]


def refusal(excinfo: pytest.ExceptionInfo[SubmissionRefusedError]) -> list[tuple[str, str]]:
    return [(reason.code, reason.message) for reason in excinfo.value.reasons]


def submitted(company: Company, owner: User, questions: Questions) -> Application:
    return application_submit(application=ready_draft(company, owner, questions), user=owner)


# --- starting ------------------------------------------------------------------------------------


def test_starting_an_application_opens_a_draft_and_records_who_started_it(
    taipei: Program, company: Company, owner: User
) -> None:
    application = application_start(company=company, user=owner, program=taipei)

    assert (application.status, application.stage, application.answers) == (Status.DRAFT, None, {})
    assert application.created_by == owner
    assert events(application) == [(Kind.CREATED, "", Status.DRAFT, None, None)]
    assert application.events.get().actor == owner


def test_starting_again_returns_the_same_application(
    taipei: Program, company: Company, owner: User
) -> None:
    first, created = application_get_or_start(company=company, user=owner, program=taipei)
    again, created_again = application_get_or_start(company=company, user=owner, program=taipei)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Application.objects.count() == 1
    assert ApplicationEvent.objects.count() == 1


def test_a_colleague_starting_again_gets_the_teams_application(
    taipei: Program, company: Company, owner: User
) -> None:
    colleague = join(company, UserFactory(email="colleague@example.com"), role="member")
    first = application_start(company=company, user=owner, program=taipei)

    assert application_start(company=company, user=colleague, program=taipei).pk == first.pk


def test_someone_outside_the_company_cannot_start_its_application(
    taipei: Program, company: Company
) -> None:
    with pytest.raises(PermissionDenied):
        application_start(company=company, user=UserFactory(), program=taipei)

    assert not Application.objects.exists()


def test_an_unverified_member_cannot_start_an_application(
    taipei: Program, company: Company
) -> None:
    unverified = join(company, UserFactory(unverified=True), role="member")

    with pytest.raises(PermissionDenied, match="Verify your email address"):
        application_start(company=company, user=unverified, program=taipei)


@pytest.mark.parametrize("status", [Program.Status.CLOSED, Program.Status.DRAFT])
def test_a_program_that_is_not_open_takes_no_new_draft(
    taipei: Program, company: Company, owner: User, status: str
) -> None:
    Program.objects.filter(pk=taipei.pk).update(status=status)
    taipei.refresh_from_db()

    with pytest.raises(ValidationError, match="is not taking applications"):
        application_start(company=company, user=owner, program=taipei)


def test_no_new_draft_once_the_application_stage_has_closed(
    taipei: Program, company: Company, owner: User
) -> None:
    closes = datetime.datetime(2026, 3, 2, 18, 0, tzinfo=TAIPEI)
    Stage.objects.filter(program=taipei, order=0).update(
        opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )

    with pytest.raises(ValidationError, match=r"closed on March 2, 2026, 18:00 \(Asia/Taipei\)"):
        application_start(
            company=company,
            user=owner,
            program=taipei,
            now=closes + datetime.timedelta(minutes=1),
        )


# --- answers -------------------------------------------------------------------------------------


def test_answers_are_merged_into_the_draft_and_a_blank_one_clears_it(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = application_start(company=company, user=owner, program=questions.pitch.program)
    application_save_answers(
        application=draft,
        user=owner,
        answers={str(questions.pitch.pk): "  Parking sensors  ", str(questions.budget.pk): 12.5},
    )

    saved = application_save_answers(
        application=draft,
        user=owner,
        answers={str(questions.budget.pk): None, str(questions.site.pk): "Park"},
    )

    assert saved.answers == {
        str(questions.pitch.pk): "Parking sensors",
        str(questions.site.pk): "Park",
    }
    application_save_answers(application=draft, user=owner, answers={str(questions.pitch.pk): ""})
    draft.refresh_from_db()
    assert str(questions.pitch.pk) not in draft.answers


def test_a_file_answer_is_one_of_the_companys_documents(
    company: Company, owner: User, questions: Questions
) -> None:
    deck = upload(company, owner)
    draft = application_start(company=company, user=owner, program=questions.pitch.program)

    saved = application_save_answers(
        application=draft, user=owner, answers={str(questions.deck.pk): deck.pk}
    )

    assert saved.answers == {str(questions.deck.pk): deck.pk}


BAD_ANSWERS = {
    "short text over 300 characters": ("pitch", "x" * 301, "Keep the answer to 300 characters"),
    "long text over 10,000 characters": ("plan", "x" * 10_001, "to 10,000 characters"),
    "short text that is not text": ("pitch", 42, "Give the answer as text."),
    "a number given as text": ("budget", "12", "Give a number."),
    "a yes for a number": ("budget", True, "Give a number."),
    "an endless number": ("budget", float("inf"), "Give a number between"),
    "not a number": ("budget", float("nan"), "Give a number between"),
    "a number too large for a float": ("budget", 10**400, "Give a number between"),
    "a choice not offered": ("site", "Moon", "Choose one of: School, Street, Park."),
    "a choice in another case": ("site", "street", "Choose one of"),
    "a document id given as text": ("deck", "1", "Choose one of your company's documents"),
    "another company's document": ("deck", "other", "Choose one of your company's documents"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_a_bad_answer_is_refused_by_question_and_nothing_is_saved(
    make_company: MakeCompany,
    company: Company,
    owner: User,
    questions: Questions,
    case: str,
) -> None:
    # given a draft with a good answer, and another company's document
    name, value, message = BAD_ANSWERS[case]
    other, other_owner = vendor_company(make_company, email="other@example.com")
    if value == "other":
        value = upload(other, other_owner).pk
    question = getattr(questions, name)
    kept = {str(questions.budget.pk): 7} if name != "budget" else {str(questions.site.pk): "Park"}
    good = {str(questions.pitch.pk if name != "pitch" else questions.plan.pk): "Fine"}
    draft = application_start(company=company, user=owner, program=questions.pitch.program)
    application_save_answers(application=draft, user=owner, answers=kept)

    # when a bad answer comes with a good one
    with pytest.raises(ValidationError) as excinfo:
        application_save_answers(
            application=draft, user=owner, answers={str(question.pk): value, **good}
        )

    # then only the bad one is named, and neither is saved
    errors = excinfo.value.message_dict
    assert list(errors) == [str(question.pk)]
    assert message in errors[str(question.pk)][0]
    draft.refresh_from_db()
    assert draft.answers == kept


@pytest.mark.parametrize("key", ["999999", "pitch", "-1"])
def test_an_answer_to_a_question_the_form_does_not_have_is_refused(
    company: Company, owner: User, questions: Questions, key: str
) -> None:
    draft = application_start(company=company, user=owner, program=questions.pitch.program)

    with pytest.raises(ValidationError) as excinfo:
        application_save_answers(application=draft, user=owner, answers={key: "Hello"})

    assert excinfo.value.message_dict == {key: [f"This program's form has no question {key}."]}


def test_a_question_of_another_program_is_not_one_of_this_form(
    company: Company, owner: User, questions: Questions
) -> None:
    moscow_question = add_questions(program("moscow-pilots")).pitch
    draft = application_start(company=company, user=owner, program=questions.pitch.program)

    with pytest.raises(ValidationError):
        application_save_answers(
            application=draft, user=owner, answers={str(moscow_question.pk): "Hello"}
        )


def test_the_answers_of_a_submitted_application_no_longer_change(
    company: Company, owner: User, questions: Questions
) -> None:
    application = submitted(company, owner, questions)

    with pytest.raises(ValidationError, match="is submitted: its answers can no longer change"):
        application_save_answers(
            application=application, user=owner, answers={str(questions.pitch.pk): "Changed"}
        )


def test_someone_outside_the_company_cannot_save_its_answers(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = application_start(company=company, user=owner, program=questions.pitch.program)

    with pytest.raises(PermissionDenied):
        application_save_answers(
            application=draft, user=UserFactory(), answers={str(questions.pitch.pk): "Mine"}
        )


# --- submitting ----------------------------------------------------------------------------------


def test_submitting_a_complete_draft_keeps_the_verdict_and_tells_the_team(
    company: Company,
    owner: User,
    questions: Questions,
    django_capture_on_commit_callbacks: Any,
    sent_mail: list[Any],
) -> None:
    # given a colleague on the team too
    join(company, UserFactory(email="colleague@example.com"), role="member")
    draft = ready_draft(company, owner, questions)
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        application = application_submit(
            application=draft, user=owner, now=now, base_url="https://pilots.example"
        )

    assert application.status == Status.SUBMITTED
    assert application.stage is not None and application.stage.name == "Proof of concept"
    assert application.submitted_at == now
    snapshot = application.eligibility_at_submission
    assert snapshot is not None
    assert set(snapshot) == {"eligibility", "score", "rules_version", "profile_version", "outcomes"}
    assert snapshot["eligibility"] == "eligible"
    assert snapshot["rules_version"] == questions.pitch.program.rules_version
    assert snapshot["profile_version"] == company.profile_version
    assert [outcome[1] for outcome in snapshot["outcomes"]] == ["pass", "pass"]
    assert events(application)[-1] == (
        Kind.SUBMITTED,
        Status.DRAFT,
        Status.SUBMITTED,
        None,
        "Proof of concept",
    )
    assert sorted(message.to[0] for message in sent_mail) == [
        "colleague@example.com",
        "vendor@example.com",
    ]
    receipt = sent_mail[0]
    assert receipt.subject == "Your application to Taipei bottom-up proof of concept is submitted"
    link = f"https://pilots.example/companies/{company.pk}/applications/{application.pk}/"
    assert link in receipt.body


def test_submitting_drops_answers_to_questions_removed_since(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)
    application_save_answers(
        application=draft, user=owner, answers={str(questions.plan.pk): "A plan"}
    )
    plan_key = str(questions.plan.pk)
    questions.plan.delete()

    application = application_submit(application=draft, user=owner)

    assert plan_key not in application.answers
    assert application.answers == complete_answers(questions)


def test_submit_refuses_an_ineligible_company_naming_each_gate_with_its_fixes(
    make_company: MakeCompany, questions: Questions
) -> None:
    company, owner = vendor_company(make_company, trl=4, sectors=("energy",))
    draft = ready_draft(company, owner, questions)

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    reasons = excinfo.value.reasons
    assert [reason.code for reason in reasons] == ["gate", "gate"]
    assert reasons[0].message.startswith("Not met: Works in one of the eight smart-city domains")
    assert reasons[0].fixes[0].startswith("Add one of these sectors: ")
    assert reasons[1].message == ("Not met: Ready for a real-site demonstration — TRL at least 6.")
    assert reasons[1].fixes == ("TRL must be at least 6 — yours is 4",)
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at, draft.eligibility_at_submission) == (
        Status.DRAFT,
        None,
        None,
    )
    assert not draft.events.filter(kind=Kind.SUBMITTED).exists()


def test_submit_refuses_a_profile_that_leaves_a_gate_undecided(
    make_company: MakeCompany, questions: Questions
) -> None:
    company, owner = vendor_company(make_company, trl=None)
    draft = ready_draft(company, owner, questions)

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    (reason,) = excinfo.value.reasons
    assert reason.code == "gate"
    assert reason.message.startswith("Not known yet: Ready for a real-site demonstration")
    assert reason.fixes == ("Tell us your TRL",)


def test_submit_refuses_after_the_deadline_stated_in_the_programs_time_zone(
    taipei: Program, company: Company, owner: User, questions: Questions
) -> None:
    # given a draft written while the window was open
    draft = ready_draft(company, owner, questions)
    closes = datetime.datetime(2026, 3, 2, 18, 0, tzinfo=TAIPEI)  # 10:00 UTC
    Stage.objects.filter(program=taipei, order=0).update(
        opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )

    # when submitted a minute late
    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(
            application=draft, user=owner, now=closes + datetime.timedelta(minutes=1)
        )

    # then the deadline is told as Taipei announced it, not in UTC
    assert refusal(excinfo) == [
        (
            "deadline",
            "The deadline for applications (Proof of concept) passed on "
            "March 2, 2026, 18:00 (Asia/Taipei).",
        )
    ]


def test_submit_is_accepted_up_to_the_deadline_itself(
    taipei: Program, company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)
    closes = timezone.now() + datetime.timedelta(days=1)
    Stage.objects.filter(program=taipei, order=0).update(closes_at=closes)

    application = application_submit(application=draft, user=owner, now=closes)

    assert application.status == Status.SUBMITTED


def test_submit_refuses_before_the_application_stage_opens(
    taipei: Program, company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)
    opens = datetime.datetime(2030, 1, 6, 9, 0, tzinfo=TAIPEI)
    Stage.objects.filter(program=taipei, order=0).update(
        opens_at=opens, closes_at=opens + datetime.timedelta(days=30)
    )

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner, now=opens - datetime.timedelta(hours=1))

    assert refusal(excinfo) == [
        (
            "deadline",
            "Applications open on Jan. 6, 2030, 09:00 (Asia/Taipei); you can prepare your "
            "answers until then.",
        )
    ]


def test_submit_refuses_a_program_closed_since_the_draft_began(
    taipei: Program, company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)
    Program.objects.filter(pk=taipei.pk).update(status=Program.Status.CLOSED)

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert refusal(excinfo) == [
        (
            "deadline",
            "Taipei bottom-up proof of concept is not taking applications: it is closed.",
        )
    ]


def test_submit_names_every_missing_required_answer(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = application_start(company=company, user=owner, program=questions.pitch.program)
    application_save_answers(
        application=draft, user=owner, answers={str(questions.site.pk): "Park"}
    )

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert refusal(excinfo) == [
        ("answer", "Answer the question “Your idea in one sentence”."),
        ("answer", "Answer the question “Budget you ask for (TWD)”."),
    ]
    assert [reason.question for reason in excinfo.value.reasons] == [
        questions.pitch.pk,
        questions.budget.pk,
    ]


def test_submit_refuses_an_answer_that_a_changed_question_no_longer_accepts(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)  # chose "Street"
    questions.site.choices = ["School", "Park"]
    questions.site.save()

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert refusal(excinfo) == [("answer", "“Where would you test?”: Choose one of: School, Park.")]


def test_submit_refuses_a_document_deleted_since_it_was_chosen(
    company: Company, owner: User, questions: Questions
) -> None:
    deck = upload(company, owner)
    draft = ready_draft(company, owner, questions)
    application_save_answers(
        application=draft, user=owner, answers={str(questions.deck.pk): deck.pk}
    )
    deck.delete()

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert [reason.question for reason in excinfo.value.reasons] == [questions.deck.pk]


def test_submit_gives_every_reason_at_once(
    taipei: Program, make_company: MakeCompany, questions: Questions
) -> None:
    company, owner = vendor_company(make_company, trl=4)
    draft = application_start(company=company, user=owner, program=taipei)
    closes = timezone.now() - datetime.timedelta(hours=1)
    Stage.objects.filter(program=taipei, order=0).update(
        opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert [reason.code for reason in excinfo.value.reasons] == [
        "deadline",
        "gate",
        "answer",
        "answer",
        "answer",
    ]
    assert len(excinfo.value.messages) == 5


def test_submit_checks_the_rules_as_they_are_now_not_when_the_draft_began(
    taipei: Program, company: Company, owner: User, questions: Questions
) -> None:
    # given a draft begun while the company was eligible, then a new gate
    draft = ready_draft(company, owner, questions)
    add_criterion(
        taipei,
        label="Has run pilots before",
        groups=[[("prior_pilots", "gte", 1)]],
    )
    program_bump_rules_version(program_id=taipei.pk)

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert [reason.message for reason in excinfo.value.reasons] == [
        "Not known yet: Has run pilots before — At least 1 prior pilot. Complete your profile "
        "to decide it."
    ]


def test_submit_checks_the_profile_as_it_is_now(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)
    Company.objects.filter(pk=company.pk).update(trl=5, profile_version=7)

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=draft, user=owner)

    assert excinfo.value.reasons[0].fixes == ("TRL must be at least 6 — yours is 5",)


def test_an_unverified_member_cannot_submit(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)
    unverified = join(company, UserFactory(unverified=True), role="member")

    with pytest.raises(PermissionDenied):
        application_submit(application=draft, user=unverified)

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_someone_outside_the_company_cannot_submit_its_application(
    company: Company, owner: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)

    with pytest.raises(PermissionDenied):
        application_submit(application=draft, user=UserFactory())


def test_a_submitted_application_cannot_be_submitted_again(
    company: Company, owner: User, questions: Questions
) -> None:
    application = submitted(company, owner, questions)

    with pytest.raises(SubmissionRefusedError) as excinfo:
        application_submit(application=application, user=owner)

    assert refusal(excinfo) == [("status", "This application is already submitted.")]
    assert application.events.filter(kind=Kind.SUBMITTED).count() == 1


# --- withdrawing ---------------------------------------------------------------------------------


def test_withdrawing_a_submitted_application_keeps_the_vendors_note(
    company: Company, owner: User, questions: Questions
) -> None:
    application = submitted(company, owner, questions)

    withdrawn = application_withdraw(
        application=application, user=owner, note="We joined another city's pilot."
    )

    assert withdrawn.status == Status.WITHDRAWN
    assert events(withdrawn)[-1] == (
        Kind.WITHDRAWN,
        Status.SUBMITTED,
        Status.WITHDRAWN,
        "Proof of concept",
        "Proof of concept",
    )
    assert withdrawn.events.last().note == "We joined another city's pilot."  # type: ignore[union-attr]


def test_a_draft_withdrawn_before_submission_can_be_started_again(
    taipei: Program, company: Company, owner: User
) -> None:
    draft = application_start(company=company, user=owner, program=taipei)
    application_withdraw(application=draft, user=owner)

    again, created = application_get_or_start(company=company, user=owner, program=taipei)

    assert (again.pk, again.status, created) == (draft.pk, Status.DRAFT, True)
    assert [event[:3] for event in events(again)] == [
        (Kind.CREATED, "", Status.DRAFT),
        (Kind.WITHDRAWN, Status.DRAFT, Status.WITHDRAWN),
        (Kind.CREATED, Status.WITHDRAWN, Status.DRAFT),
    ]


def test_a_withdrawn_submission_is_not_started_again(
    taipei: Program, company: Company, owner: User, questions: Questions
) -> None:
    application = application_withdraw(application=submitted(company, owner, questions), user=owner)

    again = application_start(company=company, user=owner, program=taipei)

    assert (again.pk, again.status) == (application.pk, Status.WITHDRAWN)


def test_a_decided_application_cannot_be_withdrawn(
    company: Company, owner: User, staff: User, questions: Questions
) -> None:
    declined = application_decline(application=submitted(company, owner, questions), actor=staff)

    with pytest.raises(ValidationError, match="is declined: it can no longer be withdrawn"):
        application_withdraw(application=declined, user=owner)


def test_someone_outside_the_company_cannot_withdraw_its_application(
    company: Company, owner: User, questions: Questions
) -> None:
    application = submitted(company, owner, questions)

    with pytest.raises(PermissionDenied):
        application_withdraw(application=application, user=UserFactory())


# --- staff: advancing, declining, notes ----------------------------------------------------------


def test_advancing_through_every_stage_completes_the_application_and_records_each_step(
    company: Company,
    owner: User,
    staff: User,
    questions: Questions,
    django_capture_on_commit_callbacks: Any,
    sent_mail: list[Any],
) -> None:
    application = submitted(company, owner, questions)

    with django_capture_on_commit_callbacks(execute=True):
        pilot = application_advance(application=application, actor=staff, note="Great POC.")
        policy = application_advance(application=pilot, actor=staff)
        done = application_advance(application=policy, actor=staff, note="Now city policy.")

    assert (pilot.stage.name, policy.stage.name) == ("Small-scale pilot", "Policy")  # type: ignore[union-attr]
    assert (done.status, done.stage.name) == (Status.COMPLETED, "Policy")  # type: ignore[union-attr]
    assert done.decided_at is not None
    assert events(done)[2:] == [
        (
            Kind.ADVANCED,
            Status.SUBMITTED,
            Status.SUBMITTED,
            "Proof of concept",
            "Small-scale pilot",
        ),
        (Kind.ADVANCED, Status.SUBMITTED, Status.SUBMITTED, "Small-scale pilot", "Policy"),
        (Kind.COMPLETED, Status.SUBMITTED, Status.COMPLETED, "Policy", "Policy"),
    ]
    staff_events = done.events.filter(kind__in=[Kind.ADVANCED, Kind.COMPLETED])
    assert {event.actor for event in staff_events} == {staff}
    assert [event.note for event in staff_events.order_by("pk")] == [
        "Great POC.",
        "",
        "Now city policy.",
    ]
    # The outbox also held the receipt of the submission, sent with the first decision.
    assert [message.subject for message in sent_mail] == [
        "Your application to Taipei bottom-up proof of concept is submitted",
        "Your application to Taipei bottom-up proof of concept moved to Small-scale pilot",
        "Your application to Taipei bottom-up proof of concept moved to Policy",
        "Your application to Taipei bottom-up proof of concept is complete",
    ]
    assert "Great POC." in sent_mail[1].body


def test_a_completed_application_goes_no_further(
    company: Company, owner: User, staff: User, questions: Questions
) -> None:
    application = submitted(company, owner, questions)
    for _step in range(3):
        application = application_advance(application=application, actor=staff)

    with pytest.raises(ValidationError, match="this one is completed"):
        application_advance(application=application, actor=staff)


def test_advancing_the_same_stale_instance_twice_moves_it_once(
    company: Company, owner: User, staff: User, questions: Questions
) -> None:
    # given two staff members looking at the same page
    stale = submitted(company, owner, questions)

    application_advance(application=stale, actor=staff)
    with pytest.raises(ValidationError, match="changed since you opened it"):
        application_advance(application=stale, actor=staff)

    stale.refresh_from_db()
    assert stale.stage.name == "Small-scale pilot"  # type: ignore[union-attr]
    assert stale.events.filter(kind=Kind.ADVANCED).count() == 1


def test_declining_a_stale_instance_after_an_advance_is_refused(
    company: Company, owner: User, staff: User, questions: Questions
) -> None:
    stale = submitted(company, owner, questions)
    application_advance(application=stale, actor=staff)

    with pytest.raises(ValidationError, match="changed since you opened it"):
        application_decline(application=stale, actor=staff)

    stale.refresh_from_db()
    assert stale.status == Status.SUBMITTED


@pytest.fixture
def capped(demo: None) -> Program:
    """procuRE with questions none, its call for tenders open now, and phase I capped at 2."""
    procure = program("procure-renewable-buildings")
    now = timezone.now()
    Stage.objects.filter(program=procure, order=0).update(
        opens_at=now - datetime.timedelta(days=1), closes_at=now + datetime.timedelta(days=1)
    )
    Stage.objects.filter(program=procure, name="Call for tenders").update(max_participants=2)
    return procure


def procure_application(make_company: MakeCompany, number: int) -> Application:
    company, owner = vendor_company(
        make_company,
        email=f"energy{number}@example.com",
        legal_name=f"Energy {number}",
        sectors=("energy",),
        trl=5,
    )
    draft = application_start(
        company=company, user=owner, program=program("procure-renewable-buildings")
    )
    return application_submit(application=draft, user=owner)


def test_the_cap_of_the_next_stage_stops_one_more_from_going_through(
    capped: Program, make_company: MakeCompany, demo: None
) -> None:
    eilat = staff_of("eilat", email="staff@eilat.example")
    first, second, third = (procure_application(make_company, n) for n in range(3))
    application_advance(application=first, actor=eilat)
    application_advance(application=second, actor=eilat)

    with pytest.raises(ValidationError) as excinfo:
        application_advance(application=third, actor=eilat)

    assert excinfo.value.messages == [
        "Call for tenders is full: at most 2 applicants go through to it, and 2 have."
    ]
    third.refresh_from_db()
    assert third.stage.name == "Open market consultation"  # type: ignore[union-attr]


def test_those_declined_after_going_through_still_count_against_the_cap(
    capped: Program, make_company: MakeCompany
) -> None:
    eilat = staff_of("eilat", email="staff@eilat.example")
    first, second, third = (procure_application(make_company, n) for n in range(3))
    application_decline(
        application=application_advance(application=first, actor=eilat), actor=eilat
    )
    application_advance(application=second, actor=eilat)

    with pytest.raises(ValidationError, match="is full"):
        application_advance(application=third, actor=eilat)


def test_declining_records_the_decision_and_tells_the_team(
    company: Company,
    owner: User,
    staff: User,
    questions: Questions,
    django_capture_on_commit_callbacks: Any,
    sent_mail: list[Any],
) -> None:
    application = submitted(company, owner, questions)

    with django_capture_on_commit_callbacks(execute=True):
        declined = application_decline(
            application=application, actor=staff, note="The site is not available this year."
        )

    assert (declined.status, declined.stage.name) == (Status.DECLINED, "Proof of concept")  # type: ignore[union-attr]
    assert declined.decided_at is not None
    assert events(declined)[-1] == (
        Kind.DECLINED,
        Status.SUBMITTED,
        Status.DECLINED,
        "Proof of concept",
        "Proof of concept",
    )
    # The outbox also held the receipt of the submission, sent with the decision.
    (receipt, message) = sent_mail
    assert receipt.subject == "Your application to Taipei bottom-up proof of concept is submitted"
    assert message.subject == "Decision on your application to Taipei bottom-up proof of concept"
    assert "The site is not available this year." in message.body


@pytest.mark.parametrize("action", [application_advance, application_decline])
def test_a_draft_cannot_be_advanced_or_declined(
    company: Company, owner: User, staff: User, questions: Questions, action: Any
) -> None:
    draft = ready_draft(company, owner, questions)

    with pytest.raises(ValidationError, match="Only a submitted application"):
        action(application=draft, actor=staff)


def test_a_staff_note_is_recorded_but_never_shown_to_the_vendor(
    company: Company, owner: User, staff: User, questions: Questions
) -> None:
    application = submitted(company, owner, questions)
    mails_before = Notification.objects.count()

    note = application_add_note(
        application=application, actor=staff, note="Their CFO used to work here."
    )

    assert (note.kind, note.actor, note.note) == (Kind.NOTE, staff, "Their CFO used to work here.")
    assert [entry.kind for entry in vendor_timeline(application)] == [
        Kind.CREATED,
        Kind.SUBMITTED,
    ]
    assert Notification.objects.count() == mails_before


def test_a_note_needs_words_and_a_submitted_application(
    company: Company, owner: User, staff: User, questions: Questions
) -> None:
    draft = ready_draft(company, owner, questions)

    with pytest.raises(ValidationError, match="Write the note"):
        application_add_note(application=draft, actor=staff, note="   ")
    with pytest.raises(ValidationError, match="takes no notes"):
        application_add_note(application=draft, actor=staff, note="Hmm.")
