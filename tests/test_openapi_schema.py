"""The OpenAPI schema: generated without warnings, and true to what the API answers."""

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.cache import cache
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from matchmaker.api import EXAMPLE_FACTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    # The eligibility throttle counts in the cache, which outlives a test; without this the
    # suite's checks would add up to a 429 somewhere.
    cache.clear()


def test_schema_generates_and_validates_without_a_warning(tmp_path: Path) -> None:
    # --fail-on-warn turns every drf-spectacular warning (an unresolvable type, an enum name
    # collision, a path parameter of unknown type) into an error.
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/programs/{slug}/eligibility/" in target.read_text()
    assert "/api/v1/companies/{id}/" in target.read_text()
    assert "/api/v1/companies/{id}/matches/" in target.read_text()
    assert "/api/v1/applications/{id}/submit/" in target.read_text()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def test_schema_lists_each_operation_with_its_answers(schema: dict[str, Any]) -> None:
    paths = schema["paths"]

    assert {
        (path, method): sorted(operation["responses"])
        for path, operations in paths.items()
        if path.startswith("/api/v1/")
        for method, operation in operations.items()
        if method != "parameters"
    } == {
        ("/api/v1/programs/", "get"): ["200", "400", "404"],
        ("/api/v1/programs/{slug}/", "get"): ["200", "404"],
        ("/api/v1/programs/{slug}/eligibility/", "post"): ["200", "400", "404", "415", "429"],
        ("/api/v1/programs/{slug}/ocds/", "get"): ["200", "404"],
        ("/api/v1/ocds/releases/", "get"): ["200"],
        ("/api/v1/auth/token/", "post"): ["200", "400", "415", "429"],
        ("/api/v1/companies/", "get"): ["200", "401", "404"],
        ("/api/v1/companies/", "post"): ["201", "400", "401", "403", "415"],
        ("/api/v1/companies/{id}/", "get"): ["200", "401", "404"],
        ("/api/v1/companies/{id}/", "patch"): ["200", "400", "401", "403", "404", "415"],
        ("/api/v1/companies/{id}/", "delete"): ["204", "401", "403", "404"],
        ("/api/v1/companies/{id}/matches/", "get"): ["200", "401", "404"],
        ("/api/v1/applications/", "get"): ["200", "401", "404"],
        ("/api/v1/applications/", "post"): ["200", "201", "400", "401", "403", "415"],
        ("/api/v1/applications/{id}/", "get"): ["200", "401", "404"],
        ("/api/v1/applications/{id}/", "patch"): ["200", "400", "401", "403", "404", "415"],
        ("/api/v1/applications/{id}/submit/", "post"): [
            "200",
            "400",
            "401",
            "403",
            "404",
            "415",
        ],
        ("/api/v1/applications/{id}/withdraw/", "post"): [
            "200",
            "400",
            "401",
            "403",
            "404",
            "415",
        ],
        ("/api/v1/staff/programs/{slug}/applications/", "get"): ["200", "400", "401", "403", "404"],
        ("/api/v1/staff/programs/{slug}/matches/", "get"): ["200", "400", "401", "403", "404"],
    }


def test_schema_takes_the_facts_as_json_only(schema: dict[str, Any]) -> None:
    body = schema["paths"]["/api/v1/programs/{slug}/eligibility/"]["post"]["requestBody"]

    assert list(body["content"]) == ["application/json"]


def test_schema_documents_every_fact_of_the_registry(schema: dict[str, Any]) -> None:
    from matchmaker.engine import FACTS

    facts = schema["components"]["schemas"]["FactsRequest"]

    assert list(facts["properties"]) == list(FACTS)
    assert facts["additionalProperties"] is False


def _strict_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema, closed to properties they do not declare.

    ``nullable`` becomes a union with null; ``additionalProperties: false`` makes an
    undocumented field in a response fail validation.
    """
    if isinstance(node, list):
        return [_strict_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _strict_json_schema(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
        converted["additionalProperties"] = False
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _validate(instance: Any, schema: dict[str, Any], component: str) -> None:
    components = _strict_json_schema(schema["components"]["schemas"])
    jsonschema.validate(
        instance,
        {"$ref": f"#/components/schemas/{component}", "components": {"schemas": components}},
    )


def test_the_list_answers_as_the_schema_says(
    api_client: APIClient, demo: None, schema: dict[str, Any]
) -> None:
    response = api_client.get("/api/v1/programs/")

    assert response.json()["count"] == 5
    _validate(response.json(), schema, "PaginatedProgramList")


@pytest.mark.parametrize(
    "slug", ["moscow-pilots", "procure-renewable-buildings", "taipei-needs-first"]
)
def test_the_detail_answers_as_the_schema_says(
    api_client: APIClient, demo: None, schema: dict[str, Any], slug: str
) -> None:
    response = api_client.get(f"/api/v1/programs/{slug}/")

    assert response.status_code == 200
    _validate(response.json(), schema, "ProgramDetail")


@pytest.mark.parametrize("facts", [EXAMPLE_FACTS, {}, {"trl": 9, "sectors": ["energy"]}])
def test_the_eligibility_check_answers_as_the_schema_says(
    api_client: APIClient, demo: None, schema: dict[str, Any], facts: dict[str, Any]
) -> None:
    response = api_client.post(
        "/api/v1/programs/procure-renewable-buildings/eligibility/", facts, format="json"
    )

    assert response.status_code == 200
    _validate(response.json(), schema, "EligibilityReport")


def test_a_strict_schema_catches_an_undocumented_field(schema: dict[str, Any]) -> None:
    # Guards the helper above: without additionalProperties the other tests could not fail.
    with pytest.raises(jsonschema.ValidationError):
        _validate({"code": "mobility", "name": "Mobility", "extra": 1}, schema, "Sector")


# --- companies and tokens ------------------------------------------------------------------------


def test_schema_marks_company_operations_as_token_or_session_authenticated(
    schema: dict[str, Any],
) -> None:
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    operations = schema["paths"]["/api/v1/companies/{id}/"]

    assert (token["in"], token["name"]) == ("header", "Authorization")
    assert 'prefix "Token"' in token["description"]
    assert {
        method: operation["security"]
        for method, operation in operations.items()
        if method != "parameters"
    } == {method: [{"tokenAuth": []}, {"cookieAuth": []}] for method in ["get", "patch", "delete"]}


def test_schema_lets_anyone_ask_for_a_token(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]

    assert "security" not in operation or operation["security"] == [{}]


@pytest.mark.parametrize("path", ["/api/v1/companies/{id}/", "/api/v1/companies/{id}/matches/"])
def test_schema_types_the_company_id_as_an_integer(schema: dict[str, Any], path: str) -> None:
    parameters = schema["paths"][path]["get"]["parameters"]

    assert [(p["name"], p["in"], p["schema"]["type"]) for p in parameters if p["in"] == "path"] == [
        ("id", "path", "integer")
    ]


def test_schema_marks_the_matches_as_token_or_session_authenticated(
    schema: dict[str, Any],
) -> None:
    operation = schema["paths"]["/api/v1/companies/{id}/matches/"]["get"]

    assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


@pytest.mark.parametrize(
    "component", ["CompanyWriteRequest", "PatchedCompanyWriteRequest", "PartnerWriteRequest"]
)
def test_schema_closes_company_input_to_undeclared_fields(
    schema: dict[str, Any], component: str
) -> None:
    assert schema["components"]["schemas"][component]["additionalProperties"] is False


def test_schema_requires_a_name_and_a_country_only_to_register(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    assert sorted(components["CompanyWriteRequest"]["required"]) == ["country", "legal_name"]
    assert "required" not in components["PatchedCompanyWriteRequest"]


@pytest.fixture
def vendor_client(api_client: APIClient) -> APIClient:
    from applicants.models import User

    api_client.force_authenticate(User.objects.create_user(email="vendor@example.com"))
    return api_client


FULL_COMPANY: dict[str, Any] = {
    "legal_name": "Full Co",
    "country": "TW",
    "registration_id": "TW-42",
    "website": "https://full.example",
    "founded_year": 2016,
    "employees": 25,
    "sectors": ["mobility"],
    "trl": 8,
    "has_demo": True,
    "demo_url": "https://full.example/demo",
    "description": "Curbside sensors.",
    "prior_pilots": 2,
    "discoverable": True,
    "partners": [{"name": "Moscow Integrator", "country": "RU"}],
}


@pytest.mark.parametrize("body", [FULL_COMPANY, {"legal_name": "Bare Co", "country": "DE"}])
def test_the_companies_answer_as_the_schema_says(
    vendor_client: APIClient, schema: dict[str, Any], body: dict[str, Any]
) -> None:
    created = vendor_client.post("/api/v1/companies/", body, format="json")
    company = f"/api/v1/companies/{created.json()['id']}/"
    changed = vendor_client.patch(company, {"trl": None, "partners": []}, format="json")
    listed = vendor_client.get("/api/v1/companies/")

    assert (created.status_code, changed.status_code, listed.status_code) == (201, 200, 200)
    _validate(created.json(), schema, "Company")
    _validate(changed.json(), schema, "Company")
    _validate(vendor_client.get(company).json(), schema, "Company")
    _validate(listed.json(), schema, "PaginatedCompanyList")


def test_the_full_company_example_is_valid_input_for_the_schema(schema: dict[str, Any]) -> None:
    # The request side too: what the API accepts, the schema accepts.
    _validate(FULL_COMPANY, schema, "CompanyWriteRequest")
    with pytest.raises(jsonschema.ValidationError):
        _validate({**FULL_COMPANY, "profile_version": 2}, schema, "CompanyWriteRequest")


def test_a_token_answers_as_the_schema_says(api_client: APIClient, schema: dict[str, Any]) -> None:
    from applicants.models import User

    User.objects.create_user(email="integrator@example.com", password="a long passphrase")

    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "integrator@example.com", "password": "a long passphrase"},
        format="json",
    )

    assert response.status_code == 200
    _validate(response.json(), schema, "Token")


def test_a_companys_matches_answer_as_the_schema_says(
    demo: None, vendor_client: APIClient, schema: dict[str, Any]
) -> None:
    from matchmaker.services import companies_score

    created = vendor_client.post(
        "/api/v1/companies/", {**FULL_COMPANY, "partners": []}, format="json"
    ).json()
    companies_score(company_ids=[created["id"]])

    response = vendor_client.get(f"/api/v1/companies/{created['id']}/matches/")

    assert response.status_code == 200
    body = response.json()
    # every shape the schema allows: eligible and near misses, scores and nulls, fixes
    assert {match["eligibility"] for match in body["results"]} == {"eligible", "ineligible"}
    assert {match["score"] is None for match in body["results"]} == {True, False}
    assert any(criterion["fixes"] for match in body["results"] for criterion in match["criteria"])
    _validate(body, schema, "PaginatedCompanyMatchList")


# --- applications --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/applications/{id}/",
        "/api/v1/applications/{id}/submit/",
        "/api/v1/applications/{id}/withdraw/",
    ],
)
def test_schema_types_the_application_id_as_an_integer(schema: dict[str, Any], path: str) -> None:
    operations = schema["paths"][path]

    for method, operation in operations.items():
        if method == "parameters":
            continue
        assert [
            (p["name"], p["schema"]["type"]) for p in operation["parameters"] if p["in"] == "path"
        ] == [("id", "integer")]
        assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


@pytest.mark.parametrize(
    "component",
    [
        "ApplicationCreateRequest",
        "PatchedApplicationAnswersRequest",
        "ApplicationSubmitRequest",
        "ApplicationWithdrawRequest",
    ],
)
def test_schema_closes_application_input_to_undeclared_fields(
    schema: dict[str, Any], component: str
) -> None:
    assert schema["components"]["schemas"][component]["additionalProperties"] is False


def test_schema_documents_each_reason_a_submission_is_refused(schema: dict[str, Any]) -> None:
    refused = schema["paths"]["/api/v1/applications/{id}/submit/"]["post"]["responses"]["400"]

    assert refused["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SubmissionError"
    }
    # a refusal, or the usual 400 of a body that is not JSON or has fields
    assert schema["components"]["schemas"]["SubmissionError"]["oneOf"] == [
        {"$ref": "#/components/schemas/SubmissionRefusal"},
        {"$ref": "#/components/schemas/BodyErrors"},
    ]
    assert schema["components"]["schemas"]["RefusalCode"]["enum"] == [
        "gate",
        "deadline",
        "answer",
        "status",
    ]


def test_the_applications_answer_as_the_schema_says(
    demo: None, schema: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    # given a verified vendor's company, eligible for Taipei's POC, with a document on file
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applicants.models import Document
    from applicants.services import company_create, document_upload, partners_declare_none
    from programs.models import Program, Question, Sector
    from tests.factories import UserFactory

    settings.MEDIA_ROOT = tmp_path
    user = UserFactory(email="applicant@example.com")
    company = company_create(
        user=user,
        legal_name="Taipei Mobility",
        country="TW",
        trl=8,
        sectors=Sector.objects.filter(code="mobility"),
    )
    partners_declare_none(company=company, user=user)
    deck = document_upload(
        company=company,
        user=user,
        kind=Document.Kind.PITCH_DECK,
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )
    taipei = Program.objects.get(slug="taipei-bottom-up-poc")
    pitch = Question.objects.create(program=taipei, kind="short-text", label="Pitch")
    site = Question.objects.create(
        program=taipei, kind="choice", label="Site", choices=["School", "Park"], order=1
    )
    file = Question.objects.create(program=taipei, kind="file", label="Deck", order=2)
    budget = Question.objects.create(program=taipei, kind="number", label="Budget", order=3)
    client = APIClient()
    client.force_authenticate(user)

    created = client.post(
        "/api/v1/applications/",
        {"company": company.pk, "program": "taipei-bottom-up-poc"},
        format="json",
    )
    url = f"/api/v1/applications/{created.json()['id']}/"
    refused = client.post(f"{url}submit/")
    changed = client.patch(
        url,
        {
            "answers": {
                str(pitch.pk): "Sensors",
                str(site.pk): "Park",
                str(file.pk): deck.pk,
                str(budget.pk): 12.5,
            }
        },
        format="json",
    )
    submitted = client.post(f"{url}submit/")
    listed = client.get("/api/v1/applications/")
    withdrawn = client.post(f"{url}withdraw/", {"note": "Sorry."}, format="json")

    assert [r.status_code for r in (created, refused, changed, submitted, withdrawn)] == [
        201,
        400,
        200,
        200,
        200,
    ]
    _validate(created.json(), schema, "Application")
    _validate(refused.json(), schema, "SubmissionRefusal")
    _validate(changed.json(), schema, "Application")
    _validate(submitted.json(), schema, "Application")
    _validate(listed.json(), schema, "PaginatedApplicationList")
    _validate(withdrawn.json(), schema, "Application")


# --- the staff API -------------------------------------------------------------------------------

STAFF_PATHS = [
    "/api/v1/staff/programs/{slug}/applications/",
    "/api/v1/staff/programs/{slug}/matches/",
]


@pytest.mark.parametrize("path", STAFF_PATHS)
def test_schema_marks_the_staff_lists_as_token_or_session_authenticated(
    schema: dict[str, Any], path: str
) -> None:
    assert schema["paths"][path]["get"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


@pytest.mark.parametrize(
    ("path", "filters"),
    [
        (STAFF_PATHS[0], ["eligibility", "page", "slug", "sort", "stage", "status"]),
        (STAFF_PATHS[1], ["country", "eligibility", "min_score", "page", "sector", "slug"]),
    ],
)
def test_schema_documents_the_staff_lists_filters(
    schema: dict[str, Any], path: str, filters: list[str]
) -> None:
    parameters = schema["paths"][path]["get"]["parameters"]

    assert sorted(parameter["name"] for parameter in parameters) == filters


def test_the_staff_lists_answer_as_the_schema_says(demo: None, schema: dict[str, Any]) -> None:
    from applicants.models import Application
    from programs.models import Program
    from programs.reviews import review_assign, review_submit
    from tests.staff import make_company, make_staff, store_match, submit

    taipei = Program.objects.get(slug="taipei-bottom-up-poc")
    admin = make_staff("admin@taipei.example", "taipei-smart-city-office")
    reviewed = submit(make_company("Reviewed Co"), taipei)
    review = review_assign(application=reviewed, reviewer=admin, assigned_by=admin)
    review_submit(review=review, user=admin, scores={"overall": 6}, comment="Fine.")
    bare = submit(make_company("Bare Co"), taipei)
    Application.objects.filter(pk=bare.pk).update(eligibility_at_submission=None)
    store_match(make_company("Unscored Co", score=False), taipei, "incomplete", None)
    client = APIClient()
    client.force_authenticate(admin)

    applications = client.get(STAFF_PATHS[0].replace("{slug}", taipei.slug))
    matches = client.get(STAFF_PATHS[1].replace("{slug}", taipei.slug))

    assert (applications.status_code, matches.status_code) == (200, 200)
    # every shape the schema allows: with and without reviews, a verdict kept or not
    assert {row["mean_review_score"] is None for row in applications.json()["results"]} == {
        True,
        False,
    }
    assert None in {row["eligibility_at_submission"] for row in applications.json()["results"]}
    _validate(applications.json(), schema, "PaginatedStaffApplicationList")
    _validate(matches.json(), schema, "PaginatedStaffMatchList")
