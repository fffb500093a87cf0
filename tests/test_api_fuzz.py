"""Every operation of the REST API, fuzzed with schemathesis against the schema the app serves.

For each operation schemathesis sends the schema's examples, its coverage cases (boundaries and
each way a parameter can be invalid) and generated requests, valid and invalid, through the WSGI
application in-process. Every answer must be documented (status code, content type, headers,
body), no request may cause a 5xx, and a request that breaks the schema must be rejected with a
4xx. Each operation is called as who may call it: anonymously for the catalog and sign-in, with a
vendor's token for their companies and applications, with an agency admin's token for the staff
lists; schemathesis also retries successful calls without the token and with a bad one. Some
generated requests get the ids, slugs and fields of real objects (``tests/api_fuzz_data.py``).

Generation is derandomized: a run sends the same requests every time, and a failure reproduces.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from matchmaker.api import EligibilityRateThrottle
from tests.api_fuzz_data import (
    STAFF_PATHS,
    TAIPEI_POC,
    VENDOR_PATHS,
    World,
    authorization,
    build_world,
    call_documented,
    in_test_transaction,
    load_api_schema,
    substitute,
    substitutions,
    with_own_object,
)

pytestmark = pytest.mark.django_db

schema = load_api_schema()

# The world of the running test, for the generation hook (which pytest fixtures cannot reach).
_WORLD: list[World] = []


@schema.hook
def flatmap_case(context: Any, case: Any) -> Any:
    """Lets Hypothesis put real objects into a generated request, or keep what it generated."""
    if not _WORLD:
        return st.just(case)
    world = _WORLD[0]
    choices = substitutions(world, case)
    if not choices:
        return st.just(case)
    slots = [slot for slot, _options in choices]
    return st.tuples(*(st.sampled_from(options) for _slot, options in choices)).map(
        lambda picked: substitute(world, case, dict(zip(slots, picked, strict=True)))
    )


# The coverage phase sends one request per value of every enum: every ISO country code, for a
# company's country, each partner's and each partner country of an eligibility check, is some
# 1,500 requests, two thirds of the run, testing nothing a few codes do not. These are kept.
COUNTRY_SAMPLE = {"AD", "DE", "RU", "TW", "ZW"}


@schema.hook
def filter_case(context: Any, case: Any) -> bool:
    """Keeps a coverage case that enumerates an enum only when its countries are sampled."""
    meta = case.meta
    if meta is None or meta.phase.name.value != "coverage" or not isinstance(case.body, dict):
        return True
    description = getattr(meta.phase.data, "description", "")
    if not description.endswith("Enum value"):
        return True
    partners = case.body.get("partners")
    countries = [
        case.body.get("country"),
        *(case.body.get("partner_countries") or []),
        *(p.get("country") for p in partners or [] if isinstance(p, dict)),
    ]
    return all(country in COUNTRY_SAMPLE for country in countries if country is not None)


@pytest.fixture
def world(demo: None, settings: Any, tmp_path: Path) -> Iterator[World]:
    settings.MEDIA_ROOT = tmp_path
    # High enough that the fuzzer is never throttled; the 429 has its own test below.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"eligibility": "100000/minute"},
    }
    built = build_world()
    _WORLD[:] = [built]
    try:
        with in_test_transaction():
            yield built
    finally:
        _WORLD.clear()


# The operations fuzzed: a new endpoint fails this list until it is added to build_world's
# values (and so fuzzed with real objects), not silently fuzzed with 404s only.
OPERATIONS = [
    "GET /api/v1/applications/",
    "POST /api/v1/applications/",
    "GET /api/v1/applications/{id}/",
    "PATCH /api/v1/applications/{id}/",
    "POST /api/v1/applications/{id}/submit/",
    "POST /api/v1/applications/{id}/withdraw/",
    "POST /api/v1/auth/token/",
    "GET /api/v1/companies/",
    "POST /api/v1/companies/",
    "GET /api/v1/companies/{id}/",
    "PATCH /api/v1/companies/{id}/",
    "DELETE /api/v1/companies/{id}/",
    "GET /api/v1/companies/{id}/matches/",
    "GET /api/v1/ocds/releases/",
    "GET /api/v1/programs/",
    "GET /api/v1/programs/{slug}/",
    "POST /api/v1/programs/{slug}/eligibility/",
    "GET /api/v1/programs/{slug}/ocds/",
    "GET /api/v1/staff/programs/{slug}/applications/",
    "GET /api/v1/staff/programs/{slug}/matches/",
]


@schema.parametrize()
@settings(
    # Per operation, on top of the schema's examples and the coverage cases: enough to find
    # the bugs this suite has found, small enough for CI (the file runs in under a minute).
    max_examples=50,
    derandomize=True,
    database=None,
    deadline=None,
    # The world fixture is built once per operation, not per example, on purpose (each example
    # runs in a savepoint that is rolled back); building the world makes the first call slow.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_operation_answers_as_documented(case: Any, world: World) -> None:
    if case.meta is not None and case.meta.phase.name.value != "fuzzing":
        with_own_object(world, case)
    # Each example starts from the same world: a company deleted or an application withdrawn
    # by one example is back for the next.
    with transaction.atomic():
        case.call_and_validate(
            headers=authorization(world.token_for(case.path)),
            # "A schema-valid request must be accepted" cannot hold here: the schema cannot say
            # that a slug must name an open program, an id one of your companies, or that only a
            # draft can be submitted. The API answers those with documented 400s and 404s, which
            # the other checks validate.
            excluded_checks=[positive_data_acceptance],
        )
        transaction.set_rollback(True)


def test_every_operation_is_fuzzed_with_real_objects(world: World) -> None:
    operations = [result.ok() for result in schema.get_all_operations()]

    assert [operation.label for operation in operations] == OPERATIONS
    for operation in operations:
        if "{" in operation.path:
            assert world.slots(operation.method, operation.path)[ParameterLocation.PATH, ""]


def test_a_throttled_eligibility_check_gets_the_documented_429(world: World, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"eligibility": "2/minute"},
    }
    # A client of its own (DRF counts by X-Forwarded-For when there is one), starting from zero:
    # only its counter is reset, not a cache other test runs may share.
    client = "203.0.113.7"
    cache.delete(EligibilityRateThrottle.cache_format % {"scope": "eligibility", "ident": client})

    statuses = [
        call_documented(
            "/api/v1/programs/{slug}/eligibility/",
            "POST",
            path_parameters={"slug": TAIPEI_POC},
            headers={"X-Forwarded-For": client},
            body={"trl": 7},
            media_type="application/json",
        )
        for _attempt in range(3)
    ]

    assert [response.status_code for response in statuses] == [200, 200, 429]
    assert int(statuses[-1].headers["retry-after"][0]) > 0


SIGNED_IN = [
    label for label in OPERATIONS if label.split(" ")[1].startswith(VENDOR_PATHS + STAFF_PATHS)
]


@pytest.mark.parametrize("label", SIGNED_IN)
@pytest.mark.parametrize("caller", ["nobody", "the other role"])
def test_callers_without_the_right_role_get_documented_answers(
    world: World, label: str, caller: str
) -> None:
    # given the operation's first real object and an empty body
    method, path = label.split(" ")
    parameters = world.slots(method, path).get((ParameterLocation.PATH, ""), [{}])[0]
    body = {} if method in ("POST", "PATCH") else None
    staff = path.startswith(STAFF_PATHS)
    token = None
    if caller == "the other role":
        token = world.vendor_token if staff else world.staff_token

    # when
    response = call_documented(
        path,
        method,
        token=token,
        path_parameters=parameters,
        **({"body": body, "media_type": "application/json"} if body is not None else {}),
    )

    # then: anonymous is 401; a vendor on the staff API 403; staff have no companies of
    # their own, so a vendor's objects are 404 to them and their own lists empty
    if token is None:
        assert response.status_code == 401
    elif staff:
        assert response.status_code == 403
    elif "{id}" in path:
        assert response.status_code == 404
    elif method == "GET":
        assert (response.status_code, response.json()["count"]) == (200, 0)
    else:
        assert response.status_code == 400
