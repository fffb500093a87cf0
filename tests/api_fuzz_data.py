"""The API as the fuzzer sees it: the schema served by the app, in-process calls, real objects.

``load_api_schema`` reads ``/api/schema/`` through the WSGI application, so what is fuzzed is
what integrators download. ``build_world`` creates, through the services (as tests/staff.py and
tests/vendors.py do), a vendor with a scored company, a document, a draft and a submitted
application, a rival vendor, and the staff of the agency running the Taipei programs; it returns
their tokens and, per operation, the values of real objects (path ids and slugs, body and query
fields), which the fuzzer substitutes into some of its generated requests so that they reach
existing rows and the validation behind them, not only 404s and "unknown id" 400s.

``call_documented`` sends one explicit request the same way and checks its answer with the
fuzzer's conformance checks: the regular tests of the bugs the fuzzer found use it.
"""

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from applicants.applications import application_save_answers, application_start
from applicants.models import Document
from applicants.services import api_token_issue, document_upload
from matchmaker.wsgi import application
from programs.models import Program, Stage
from tests.applicants.applying import add_questions
from tests.factories import ProgramFactory
from tests.staff import make_company, make_staff, owner_of, submit
from tests.vendors import PASSWORD, TINY_PDF

SCHEMA_URL = "/api/schema/?format=json"
TAIPEI_POC = "taipei-bottom-up-poc"
TAIPEI_NEEDS = "taipei-needs-first"
MOSCOW = "moscow-pilots"
TAIPEI_OFFICE = "taipei-smart-city-office"
VENDOR_EMAIL = "owner@fuzz-mobility.example"
# Where a vendor's token is needed, and where a staff member's; the rest is public.
VENDOR_PATHS = ("/api/v1/companies/", "/api/v1/applications/")
STAFF_PATHS = ("/api/v1/staff/",)

# What every answer must satisfy, whoever asks and whatever they send.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@functools.cache
def load_api_schema() -> Any:
    """The OpenAPI schema as ``GET /api/schema/`` serves it (no database needed)."""
    # Loaded on a test's first use, or when the fuzzer is collected: either way the request
    # must leave a test's connection open.
    with in_test_transaction():
        return schemathesis.openapi.from_wsgi(SCHEMA_URL, application)


@contextmanager
def in_test_transaction() -> Iterator[None]:
    """Lets in-process WSGI requests run on the test's connection, inside its transaction.

    Django's request signals close "old" connections, and a connection inside a transaction
    counts as one: the first request would close the test's. Django's own test client
    disconnects them the same way.
    """
    signals = [request_started, request_finished]
    # Only those it disconnected, so that an inner use leaves an outer one in force.
    disconnected = [signal for signal in signals if signal.disconnect(close_old_connections)]
    try:
        yield
    finally:
        for signal in disconnected:
            signal.connect(close_old_connections)


def authorization(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {token}"} if token else {}


def call_documented(path: str, method: str, *, token: str | None = None, **case_fields: Any) -> Any:
    """Sends one request to ``method path`` in-process and checks its answer as the fuzzer
    does: no 5xx, the status code documented, the body and headers as documented. Returns the
    response (``status_code``, ``json()``)."""
    case = load_api_schema()[path][method].Case(**case_fields)
    with in_test_transaction():
        response = case.call(headers=authorization(token))
    case.validate_response(response, checks=CONFORMANCE)
    return response


def request_is_documented(
    path: str, method: str, *, query: dict[str, Any] | None = None, body: Any = NOT_SET
) -> bool:
    """Whether the schema admits this query string and JSON body, judged as schemathesis
    judges a generated request (whose rejection it then demands)."""
    operation = load_api_schema()[path][method]
    if query is not None and not _admits(operation.query.validation_schema, query):
        return False
    if body is not NOT_SET:
        (alternative,) = list(operation.body)
        return _admits(alternative.validation_schema, body)
    return True


def _admits(schema: dict[str, Any], instance: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(instance))


# --- real objects --------------------------------------------------------------------------------

# Where a value goes in a request: the path (name "", the whole path-parameter dict), a query
# parameter or a field of the JSON body.
Slot = tuple[ParameterLocation, str]


@dataclass(frozen=True)
class World:
    vendor_token: str
    staff_token: str
    # (METHOD, path template) → slot → values of real objects for it. A path slot's name is
    # "" and its values are whole path-parameter dicts.
    values: dict[tuple[str, str], dict[Slot, list[Any]]] = field(default_factory=dict)
    # The questions of the vendor's draft's program: an answers dict gets their ids as keys.
    question_ids: list[int] = field(default_factory=list)

    def token_for(self, path: str) -> str | None:
        """The token an operation is called with: staff for the staff API, the vendor's for
        their companies and applications, none for the public catalog and sign-in."""
        if path.startswith(STAFF_PATHS):
            return self.staff_token
        if path.startswith(VENDOR_PATHS):
            return self.vendor_token
        return None

    def slots(self, method: str, path: str) -> dict[Slot, list[Any]]:
        return self.values.get((method.upper(), path), {})

    def answers_with_real_questions(self, answers: Any) -> Any:
        """The same answers, keyed by the program's question ids in turn."""
        if not isinstance(answers, dict) or not answers:
            return answers
        keys = [str(self.question_ids[i % len(self.question_ids)]) for i in range(len(answers))]
        return dict(zip(keys, answers.values(), strict=True))


def build_world() -> World:
    """Expects the demo programs (``load_demo``) and MEDIA_ROOT pointing at a scratch directory."""
    taipei_poc = Program.objects.get(slug=TAIPEI_POC)
    taipei_needs = Program.objects.get(slug=TAIPEI_NEEDS)
    questions = add_questions(taipei_poc)
    draft_program = ProgramFactory(
        owner=taipei_poc.owner, slug="fuzz-draft", status=Program.Status.DRAFT
    )

    # The vendor: a scored company (matches on file), a document, a draft with some answers,
    # and a submitted application.
    company = make_company("Fuzz Mobility", owner=VENDOR_EMAIL)
    vendor = owner_of(company)
    document = document_upload(
        company=company,
        user=vendor,
        kind=Document.Kind.PITCH_DECK,
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", TINY_PDF, content_type="application/pdf"),
    )
    draft = application_start(company=company, user=vendor, program=taipei_poc)
    application_save_answers(
        application=draft,
        user=vendor,
        answers={
            str(questions.pitch.pk): "Sensors that tell drivers where to park.",
            str(questions.deck.pk): document.pk,
        },
    )
    submitted = submit(company, taipei_needs)

    # A rival vendor: their company and application must stay 404 to the vendor.
    rival = make_company("Rival Robotics", sectors=("energy",))
    rival_application = submit(rival, taipei_poc)

    staff = make_staff("admin@fuzz-taipei.example", TAIPEI_OFFICE)

    path = ParameterLocation.PATH, ""
    body = ParameterLocation.BODY
    query = ParameterLocation.QUERY
    catalog = [{"slug": TAIPEI_POC}, {"slug": MOSCOW}, {"slug": draft_program.slug}]
    companies = [{"id": company.pk}, {"id": rival.pk}]
    applications = [{"id": draft.pk}, {"id": submitted.pk}, {"id": rival_application.pk}]
    staff_programs = [{"slug": TAIPEI_POC}, {"slug": TAIPEI_NEEDS}, {"slug": MOSCOW}]
    sectors = [["mobility"], ["mobility", "energy"], []]
    facts = {(body, "sectors"): sectors, (body, "country"): ["TW", "RU"]}
    stages = list(Stage.objects.filter(program=taipei_poc).values_list("pk", flat=True))
    return World(
        vendor_token=api_token_issue(user=vendor).key,
        staff_token=api_token_issue(user=staff).key,
        values={
            ("GET", "/api/v1/programs/"): {
                (query, "sector"): ["mobility"],
                (query, "agency"): [TAIPEI_OFFICE],
                (query, "city"): ["Taipei"],
            },
            ("GET", "/api/v1/programs/{slug}/"): {path: catalog},
            ("POST", "/api/v1/programs/{slug}/eligibility/"): {path: catalog, **facts},
            ("GET", "/api/v1/programs/{slug}/ocds/"): {path: catalog},
            ("POST", "/api/v1/auth/token/"): {
                (body, "email"): [VENDOR_EMAIL],
                (body, "password"): [PASSWORD],
            },
            ("POST", "/api/v1/companies/"): facts,
            ("GET", "/api/v1/companies/{id}/"): {path: companies},
            ("PATCH", "/api/v1/companies/{id}/"): {path: companies, **facts},
            ("DELETE", "/api/v1/companies/{id}/"): {path: companies},
            ("GET", "/api/v1/companies/{id}/matches/"): {path: companies},
            ("POST", "/api/v1/applications/"): {
                (body, "company"): [company.pk, rival.pk],
                (body, "program"): [TAIPEI_POC, TAIPEI_NEEDS, MOSCOW, draft_program.slug],
            },
            ("GET", "/api/v1/applications/{id}/"): {path: applications},
            ("PATCH", "/api/v1/applications/{id}/"): {path: applications},
            ("POST", "/api/v1/applications/{id}/submit/"): {path: applications},
            ("POST", "/api/v1/applications/{id}/withdraw/"): {path: applications},
            ("GET", "/api/v1/staff/programs/{slug}/applications/"): {
                path: staff_programs,
                (query, "stage"): stages,
            },
            ("GET", "/api/v1/staff/programs/{slug}/matches/"): {
                path: staff_programs,
                (query, "sector"): ["mobility", "energy"],
                (query, "country"): ["TW"],
            },
        },
        question_ids=[question.pk for question in questions.all()],
    )


def substitutions(world: World, case: Any) -> list[tuple[Slot, Sequence[Any]]]:
    """The slots of ``case`` the world has real values for, each with its choices (``None``
    keeps the generated value). Only slots generated as valid: putting a real id into a request
    meant to be invalid could make it valid, and the check that it is rejected meaningless."""
    meta = case.meta
    choices: list[tuple[Slot, Sequence[Any]]] = []
    for (location, name), values in world.slots(case.method, case.path).items():
        if meta is not None and meta.is_negative_at(location):
            continue
        container = case.path_parameters if location is ParameterLocation.PATH else None
        if location is ParameterLocation.QUERY:
            container = case.query
        if location is ParameterLocation.BODY:
            container = case.body if isinstance(case.body, dict) else None
        # A field the generator left out stays out: its absence is part of what is tested.
        if container is None or (name and name not in container):
            continue
        choices.append(((location, name), [None, *values]))
    answers = case.body.get("answers") if isinstance(case.body, dict) else None
    if answers and not (meta is not None and meta.is_negative_at(ParameterLocation.BODY)):
        choices.append(((ParameterLocation.BODY, "answers"), [None, "real questions"]))
    return choices


def with_own_object(world: World, case: Any) -> Any:
    """An explicit case (the schema's examples, the coverage cases) sent to the operation's
    first real object rather than the id or slug it was built with, which matches nothing:
    these cases are built when the tests are collected, before the objects exist, and their
    point is the body and query, which a 404 would never reach. Path parameters generated as
    invalid are kept."""
    meta = case.meta
    if meta is not None and meta.is_negative_at(ParameterLocation.PATH):
        return case
    real = world.slots(case.method, case.path).get((ParameterLocation.PATH, ""))
    if real and case.path_parameters:
        case.path_parameters = dict(real[0])
    return case


def substitute(world: World, case: Any, chosen: dict[Slot, Any]) -> Any:
    """``case`` with the chosen real values put in (new containers, so the case notices)."""
    for (location, name), value in chosen.items():
        if value is None:
            continue
        if location is ParameterLocation.PATH:
            case.path_parameters = dict(value)
        elif location is ParameterLocation.QUERY:
            case.query = {**case.query, name: value}
        elif name == "answers":
            case.body = {**case.body, name: world.answers_with_real_questions(case.body[name])}
        else:
            case.body = {**case.body, name: value}
    return case
