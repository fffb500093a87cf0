"""The applications API: start, list, read, answer, submit, withdraw; strict input; 404s."""

import datetime
import json
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applicants.applications import (
    application_add_note,
    application_advance,
    application_start,
    application_submit,
)
from applicants.models import Application, Company, User
from applicants.services import api_token_issue
from programs.models import Program, Stage
from tests.api_fuzz_data import call_documented, request_is_documented
from tests.applicants.applying import (
    TAIPEI_POC,
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
from tests.factories import UserFactory
from tests.vendors import database_snapshot

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"
Status = Application.Status
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def questions(demo: None) -> Questions:
    return add_questions(program())


@pytest.fixture
def vendor(make_company: MakeCompany) -> tuple[Company, User]:
    return vendor_company(make_company)


@pytest.fixture
def company(vendor: tuple[Company, User]) -> Company:
    return vendor[0]


@pytest.fixture
def owner(vendor: tuple[Company, User]) -> User:
    return vendor[1]


def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user).key}")
    return client


@pytest.fixture
def client(owner: User) -> APIClient:
    return api(owner)


@pytest.fixture
def draft(company: Company, owner: User, questions: Questions) -> Application:
    return application_start(company=company, user=owner, program=questions.pitch.program)


def detail(application: Application | int, action: str = "") -> str:
    pk = application if isinstance(application, int) else application.pk
    return f"{LIST}{pk}/{action + '/' if action else ''}"


# --- starting ------------------------------------------------------------------------------------


def test_starting_an_application_answers_201_with_the_draft_and_its_questions(
    client: APIClient, company: Company, questions: Questions
) -> None:
    response = client.post(LIST, {"company": company.pk, "program": TAIPEI_POC}, format="json")

    assert response.status_code == 201
    body = response.json()
    application = Application.objects.get()
    assert response["Location"] == f"http://testserver{detail(application)}"
    assert {key: body[key] for key in ("id", "company", "program", "status", "stage")} == {
        "id": application.pk,
        "company": company.pk,
        "program": TAIPEI_POC,
        "status": "draft",
        "stage": None,
    }
    assert [question["label"] for question in body["questions"]] == [
        question.label for question in questions.all()
    ]
    assert body["questions"][3] == {
        "id": questions.site.pk,
        "label": "Where would you test?",
        "help_text": "",
        "kind": "choice",
        "choices": ["School", "Street", "Park"],
        "required": True,
    }
    assert body["answers"] == {}
    assert body["eligibility_at_submission"] is None
    assert body["deadline"].endswith("T18:00:00+08:00")  # the program's time zone


def test_starting_again_answers_200_with_the_same_application(
    client: APIClient, company: Company, draft: Application
) -> None:
    response = client.post(LIST, {"company": company.pk, "program": TAIPEI_POC}, format="json")

    assert (response.status_code, response.json()["id"]) == (200, draft.pk)
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"program": TAIPEI_POC}, {"company": ["This field is required."]}),
        ({"company": "1", "program": TAIPEI_POC}, {"company": ["A valid integer is required."]}),
        (
            {"company": "own", "program": "no-such-program"},
            {"program": ["No program has this slug."]},
        ),
        (
            {"company": "own", "program": TAIPEI_POC, "status": "submitted"},
            {"status": ["This field is read-only."]},
        ),
        (
            {"company": "own", "program": TAIPEI_POC, "score": 100},
            {
                "score": [
                    "Unknown field. The fields you can write are: company, program.",
                ]
            },
        ),
    ],
)
def test_a_bad_start_is_refused_naming_the_field(
    client: APIClient,
    company: Company,
    demo: None,
    body: dict[str, Any],
    errors: dict[str, Any],
) -> None:
    body = {key: company.pk if value == "own" else value for key, value in body.items()}

    response = client.post(LIST, body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert not Application.objects.exists()


def test_another_vendors_company_cannot_apply_through_you(
    make_company: MakeCompany, client: APIClient, demo: None
) -> None:
    other, _other_owner = vendor_company(make_company, email="other@example.com")

    response = client.post(LIST, {"company": other.pk, "program": TAIPEI_POC}, format="json")

    assert response.json() == {"company": ["You have no company with this id."]}
    assert not Application.objects.exists()


def test_a_closed_program_takes_no_application(
    client: APIClient, company: Company, demo: None
) -> None:
    Program.objects.filter(slug=TAIPEI_POC).update(status=Program.Status.CLOSED)

    response = client.post(LIST, {"company": company.pk, "program": TAIPEI_POC}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "program": ["Taipei bottom-up proof of concept is not taking applications."]
    }


def test_a_draft_program_is_unknown(client: APIClient, company: Company, demo: None) -> None:
    Program.objects.filter(slug=TAIPEI_POC).update(status=Program.Status.DRAFT)

    response = client.post(LIST, {"company": company.pk, "program": TAIPEI_POC}, format="json")

    assert response.json() == {"program": ["No program has this slug."]}


def test_an_unverified_member_gets_403_saying_why(company: Company, demo: None) -> None:
    unverified = join(company, UserFactory(unverified=True), role="member")

    response = api(unverified).post(
        LIST, {"company": company.pk, "program": TAIPEI_POC}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Verify your email address before applying")
    assert not Application.objects.exists()


def test_anonymous_clients_get_401(demo: None) -> None:
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().post(LIST, {}, format="json").status_code == 401


# --- listing and reading -------------------------------------------------------------------------


def test_the_list_holds_the_applications_of_every_company_of_mine_only(
    make_company: MakeCompany, client: APIClient, company: Company, owner: User, demo: None
) -> None:
    second = make_company(legal_name="Second Co")
    join(second, owner)
    other, other_owner = vendor_company(make_company, email="other@example.com")
    mine = [
        application_start(company=company, user=owner, program=program(TAIPEI_POC)),
        application_start(company=second, user=owner, program=program("moscow-pilots")),
    ]
    application_start(company=other, user=other_owner, program=program(TAIPEI_POC))

    body = client.get(LIST).json()

    assert body["count"] == 2
    assert sorted(item["id"] for item in body["results"]) == sorted(a.pk for a in mine)


def test_the_list_makes_a_fixed_number_of_queries(
    client: APIClient,
    company: Company,
    owner: User,
    questions: Questions,
    django_assert_num_queries: Any,
) -> None:
    # given a submitted application (its verdict is worded) and two drafts
    application_submit(application=ready_draft(company, owner, questions), user=owner)
    for slug in ("moscow-pilots", "taipei-needs-first"):
        application_start(company=company, user=owner, program=program(slug))
    client.get(LIST)  # compiles the programs' rules in this process

    # 1 the token and its user, 2 the count, 3 the page with programs, owners, stages and
    # deadlines, 4 the programs' questions, 5 the sector names the verdicts are worded with
    with django_assert_num_queries(5):
        response = client.get(LIST)

    assert response.json()["count"] == 3


def test_one_application_reads_with_its_answers(
    client: APIClient, draft: Application, owner: User, questions: Questions
) -> None:
    client.patch(detail(draft), {"answers": complete_answers(questions)}, format="json")

    response = client.get(detail(draft))

    assert response.status_code == 200
    assert response.json()["answers"] == complete_answers(questions)


@pytest.mark.parametrize("path", ["", "submit", "withdraw"])
def test_another_vendors_application_is_a_404_like_a_missing_one(
    make_company: MakeCompany, draft: Application, path: str
) -> None:
    _other, other_owner = vendor_company(make_company, email="other@example.com")
    intruder = api(other_owner)
    before = database_snapshot()
    method = intruder.get if path == "" else intruder.post

    someone_elses = method(detail(draft, path))
    missing = method(detail(999_999, path))

    assert someone_elses.status_code == 404
    assert (
        someone_elses.json()
        == missing.json()
        == {"detail": "You have no application with this id."}
    )
    assert intruder.patch(detail(draft), {"answers": {}}, format="json").status_code == 404
    assert database_snapshot() == before


@pytest.mark.parametrize("value", ["abc", "0x1", "99999999999999999999999", "１"])
def test_an_id_no_application_could_have_is_a_404(client: APIClient, value: str) -> None:
    assert client.get(f"{LIST}{value}/").status_code == 404


# --- answering -----------------------------------------------------------------------------------


def test_answers_are_saved_merged_and_cleared_by_null(
    client: APIClient, draft: Application, questions: Questions
) -> None:
    client.patch(
        detail(draft),
        {"answers": {str(questions.pitch.pk): "Sensors", str(questions.budget.pk): 3}},
        format="json",
    )

    response = client.patch(
        detail(draft),
        {"answers": {str(questions.budget.pk): None, str(questions.site.pk): "Park"}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["answers"] == {
        str(questions.pitch.pk): "Sensors",
        str(questions.site.pk): "Park",
    }


def test_a_file_answer_is_a_document_id(
    client: APIClient, company: Company, owner: User, draft: Application, questions: Questions
) -> None:
    deck = upload(company, owner)

    response = client.patch(
        detail(draft), {"answers": {str(questions.deck.pk): deck.pk}}, format="json"
    )

    assert response.json()["answers"] == {str(questions.deck.pk): deck.pk}


def test_bad_answers_are_named_by_question_and_nothing_is_saved(
    client: APIClient, draft: Application, questions: Questions
) -> None:
    before = database_snapshot()

    response = client.patch(
        detail(draft),
        {
            "answers": {
                str(questions.pitch.pk): "x" * 301,
                str(questions.budget.pk): "12",
                str(questions.site.pk): "Moon",
                str(questions.deck.pk): 424242,
                "999999": "Hello",
                str(questions.plan.pk): "Fine",
            }
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "answers": {
            str(questions.pitch.pk): ["Keep the answer to 300 characters; it has 301."],
            str(questions.budget.pk): ["Give a number."],
            str(questions.site.pk): ["Choose one of: School, Street, Park."],
            str(questions.deck.pk): ["Choose one of your company's documents (by its id)."],
            "999999": ["This program's form has no question 999999."],
        }
    }
    assert database_snapshot() == before


SYSTEM_FIELDS: dict[str, Any] = {
    "status": "submitted",
    "stage": 1,
    "eligibility_at_submission": {"eligibility": "eligible"},
    "submitted_at": "2000-01-01T00:00:00Z",
    "company": 1,
    "program": "moscow-pilots",
    "id": 1,
}
UNKNOWN_FIELDS: dict[str, Any] = {
    "score": 100,
    "eligibility": "eligible",
    "rules_version": 9,
    "profile_version": 9,
    "stage_id": 1,
    "agency": 1,
}


@pytest.mark.parametrize("field", sorted(SYSTEM_FIELDS))
def test_a_system_field_is_refused_as_read_only_and_nothing_changes(
    client: APIClient, draft: Application, questions: Questions, field: str
) -> None:
    before = database_snapshot()

    response = client.patch(
        detail(draft),
        {"answers": {str(questions.pitch.pk): "Sneaky"}, field: SYSTEM_FIELDS[field]},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, {field: ["This field is read-only."]})
    assert database_snapshot() == before


@pytest.mark.parametrize("field", sorted(UNKNOWN_FIELDS))
def test_a_field_no_application_shows_is_refused_as_unknown(
    client: APIClient, draft: Application, questions: Questions, field: str
) -> None:
    before = database_snapshot()

    response = client.patch(
        detail(draft),
        {"answers": {str(questions.pitch.pk): "Sneaky"}, field: UNKNOWN_FIELDS[field]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith("Unknown field.")
    assert database_snapshot() == before


@pytest.mark.parametrize("body", [{}, {"answers": ["not", "an", "object"]}, {"answers": None}])
def test_a_change_needs_an_object_of_answers(
    client: APIClient, draft: Application, body: dict[str, Any]
) -> None:
    response = client.patch(detail(draft), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["answers"]


def test_a_submitted_applications_answers_no_longer_change(
    client: APIClient, company: Company, owner: User, questions: Questions
) -> None:
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)

    response = client.patch(
        detail(application), {"answers": {str(questions.pitch.pk): "Changed"}}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "answers": ["This application is submitted: its answers can no longer change."]
    }


def test_a_body_that_is_not_json_is_a_415(client: APIClient, draft: Application) -> None:
    response = client.patch(detail(draft), "answers=1", content_type="text/plain")

    assert response.status_code == 415


# --- submitting ----------------------------------------------------------------------------------


def test_submitting_answers_200_with_the_verdict_kept(
    client: APIClient, company: Company, owner: User, questions: Questions
) -> None:
    application = ready_draft(company, owner, questions)

    response = client.post(detail(application, "submit"))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["stage"]) == (
        "submitted",
        {"order": 0, "name": "Proof of concept"},
    )
    verdict = body["eligibility_at_submission"]
    assert (verdict["eligibility"], verdict["rules_changed"]) == ("eligible", False)
    assert [criterion["outcome"] for criterion in verdict["criteria"]] == ["pass", "pass"]
    assert body["submitted_at"] is not None


def test_a_refused_submission_answers_400_with_every_reason_and_its_fixes(
    make_company: MakeCompany, questions: Questions
) -> None:
    # given an ineligible company with a missing answer, a minute past a Taipei deadline
    company, owner = vendor_company(make_company, email="young@example.com", trl=4)
    application = application_start(company=company, user=owner, program=program())
    closes = timezone.now().astimezone(TAIPEI).replace(second=0, microsecond=0)
    closes -= datetime.timedelta(minutes=1)
    Stage.objects.filter(program=application.program, order=0).update(
        opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )

    response = api(owner).post(detail(application, "submit"), {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The application was not submitted."
    codes = [reason["code"] for reason in body["reasons"]]
    assert codes == ["deadline", "gate", "answer", "answer", "answer"]
    deadline, gate = body["reasons"][:2]
    assert deadline["message"].endswith(f"{closes:%H:%M} (Asia/Taipei).")
    assert gate == {
        "code": "gate",
        "message": "Not met: Ready for a real-site demonstration — TRL at least 6.",
        "fixes": ["TRL must be at least 6 — yours is 4"],
    }
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_submitting_twice_is_refused_with_the_status(
    client: APIClient, company: Company, owner: User, questions: Questions
) -> None:
    application = ready_draft(company, owner, questions)
    client.post(detail(application, "submit"))

    response = client.post(detail(application, "submit"))

    assert response.status_code == 400
    assert response.json()["reasons"] == [
        {"code": "status", "message": "This application is already submitted.", "fixes": []}
    ]


@pytest.mark.parametrize("field", ["status", "eligibility_at_submission", "score"])
def test_a_submission_cannot_carry_fields(
    client: APIClient, company: Company, owner: User, questions: Questions, field: str
) -> None:
    application = ready_draft(company, owner, questions)

    response = client.post(detail(application, "submit"), {field: "x"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    application.refresh_from_db()
    assert application.status == Status.DRAFT


# --- withdrawing ---------------------------------------------------------------------------------


def test_withdrawing_answers_200_with_the_withdrawn_application(
    client: APIClient, draft: Application
) -> None:
    response = client.post(detail(draft, "withdraw"), {"note": "Not this year."}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    assert draft.events.last().note == "Not this year."  # type: ignore[union-attr]


def test_withdrawing_twice_says_why_not(client: APIClient, draft: Application) -> None:
    client.post(detail(draft, "withdraw"))

    response = client.post(detail(draft, "withdraw"))

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "This application is withdrawn: it can no longer be withdrawn."},
    )


def test_a_withdrawal_cannot_carry_a_status(client: APIClient, draft: Application) -> None:
    response = client.post(detail(draft, "withdraw"), {"status": "draft"}, format="json")

    assert response.json() == {"status": ["This field is read-only."]}
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_staff_notes_never_reach_the_api(
    client: APIClient, company: Company, owner: User, questions: Questions
) -> None:
    staff = staff_of("taipei-smart-city-office")
    application = application_submit(application=ready_draft(company, owner, questions), user=owner)
    application = application_advance(application=application, actor=staff)
    application_add_note(application=application, actor=staff, note="Internal only.")

    response = client.get(detail(application))

    assert "Internal only." not in response.content.decode()
    assert response.json()["stage"] == {"order": 1, "name": "Small-scale pilot"}


@pytest.mark.parametrize("number", ["1e400", "1" + "0" * 400, "-1e16"])
def test_a_number_beyond_what_json_readers_hold_is_refused(
    client: APIClient, draft: Application, questions: Questions, number: str
) -> None:
    body = '{"answers": {"' + str(questions.budget.pk) + '": ' + number + "}}"

    response = client.patch(detail(draft), body, content_type="application/json")

    # 1e400 is infinity to Python, which is no JSON value at all
    assert response.status_code == 400
    (message,) = response.json()["answers"][str(questions.budget.pk)]
    assert message.startswith("Give a number between") or message == "Value must be valid JSON."


# --- found by the fuzzer (tests/test_api_fuzz.py) ------------------------------------------------


@pytest.mark.parametrize("action", ["submit", "withdraw"])
@pytest.mark.parametrize("body", ["null", "[]", "0", "false"])
def test_a_body_that_is_not_an_object_is_refused(
    client: APIClient,
    company: Company,
    owner: User,
    questions: Questions,
    action: str,
    body: str,
) -> None:
    # It was read as no body at all (anything falsy was), and the draft submitted or withdrawn.
    application = ready_draft(company, owner, questions)

    response = client.post(detail(application, action), body, content_type="application/json")

    assert not request_is_documented(
        f"/api/v1/applications/{{id}}/{action}/", "POST", body=json.loads(body)
    )
    assert (response.status_code, list(response.json())) == (400, ["non_field_errors"])
    application.refresh_from_db()
    assert application.status == Status.DRAFT


@pytest.mark.parametrize(
    ("body", "keys"), [(b"\x00", ["detail"]), (b'{"status": "submitted"}', ["status"])]
)
def test_a_submission_with_a_bad_body_gets_a_documented_400(
    owner: User, draft: Application, body: bytes, keys: list[str]
) -> None:
    # The schema described a refusal's reasons as the only 400 of a submission.
    response = call_documented(
        "/api/v1/applications/{id}/submit/",
        "POST",
        token=api_token_issue(user=owner).key,
        path_parameters={"id": draft.pk},
        body=body,
        media_type="application/json",
    )

    assert (response.status_code, list(response.json())) == (400, keys)
