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
