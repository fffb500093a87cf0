"""The eligibility endpoint: check a company's facts against one program, without an account."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from matchmaker.eligibility import eligibility_report
from matchmaker.serializers import EligibilityReportSerializer, FactsSerializer
from programs.models import Program
from programs.serializers import ErrorSerializer


class EligibilityRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle reading the rate when asked, not when DRF was imported.

    DRF binds ``THROTTLE_RATES`` once at import, so a changed ``REST_FRAMEWORK`` setting (a test,
    a reloaded configuration) would otherwise be ignored.
    """

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers; DRF's are strings such as "120/minute".
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return super().get_rate()


# The documented examples are real: tests post them against the demo programs and compare.
EXAMPLE_FACTS: dict[str, Any] = {
    "country": "TW",
    "partner_countries": [],
    "sectors": ["mobility"],
    "trl": 8,
    "has_demo": True,
    "employees": 25,
    "founded_year": 2016,
    "prior_pilots": 2,
}
EXAMPLE_REPORT: dict[str, Any] = {
    "program": "moscow-pilots",
    "eligibility": "ineligible",
    "score": 71.88,
    "rules_version": 1,
    "criteria": [
        {
            "key": "1",
            "label": "Russian company or foreign company with a Russian partner",
            "kind": "gate",
            "outcome": "fail",
            "message": "Registered in Russia, or a partner registered in Russia",
            "fixes": ["Add a partner registered in Russia"],
        },
        {
            "key": "2",
            "label": "Prototype or product ready to pilot",
            "kind": "gate",
            "outcome": "pass",
            "message": "TRL at least 5",
            "fixes": [],
        },
        {
            "key": "3",
            "label": "Works in an industry the program pilots",
            "kind": "gate",
            "outcome": "pass",
            "message": (
                "Works in at least one of: Retail, Energy, Telecommunications, Health, "
                "Education, Environment, Public safety, Mobility"
            ),
            "fixes": [],
        },
        {
            "key": "4",
            "label": "Has run pilots before",
            "kind": "award",
            "outcome": "pass",
            "message": "At least 1 prior pilot",
            "fixes": [],
        },
        {
            "key": "5",
            "label": "Has a working demo",
            "kind": "award",
            "outcome": "pass",
            "message": "Has a working demo",
            "fixes": [],
        },
        {
            "key": "6",
            "label": "Fit with the program's industries",
            "kind": "award",
            "outcome": "pass",
            "message": (
                "The more of these sectors, the higher the score: Retail, Energy, "
                "Telecommunications, Health, Education, Environment, Public safety, Mobility"
            ),
            "fixes": [],
        },
        {
            "key": "7",
            "label": "Product maturity",
            "kind": "award",
            "outcome": "pass",
            "message": "Higher TRL scores more (from 5 to 9)",
            "fixes": [],
        },
    ],
}
EXAMPLE_BAD_FACTS: dict[str, Any] = {
    "country": "XX",
    "sectors": ["mobility", "space"],
    "trl": 10,
    "colour": "red",
}
EXAMPLE_BAD_FACTS_ERRORS: dict[str, Any] = {
    "country": ['"XX" is not a valid choice.'],
    "sectors": {"1": ["“space” is not a known sector code."]},
    "trl": ["Ensure this value is less than or equal to 9."],
    "colour": [
        "Unknown fact. The known facts are: country, partner_countries, sectors, trl, "
        "has_demo, employees, founded_year, prior_pilots."
    ],
}


_SCHEMA = extend_schema(
    tags=["eligibility"],
    operation_id="programs_eligibility_check",
    summary=_("Check a company's facts against a program's rules"),
    description=_(
        "Anonymous and rate limited. Every fact is optional: an absent or null fact is unknown, "
        "and a rule that needs it is neither passed nor failed, which makes the result "
        "incomplete rather than eligible. An empty list of partner countries is known: the "
        'company has no foreign partners. Types are strict ("5" is not a TRL, 1 is not true), '
        "unknown keys are rejected, and every bad fact is named in one 400 response.\n\n"
        "Any published program can be checked, open, closed or archived, so a company can see "
        "whether it would qualify for the next round; drafts answer 404."
    ),
    request=FactsSerializer,
    responses={
        200: EligibilityReportSerializer,
        400: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description=_(
                "Some facts are not valid: each bad key maps to its messages (a list's bad "
                "items by position)."
            ),
            examples=[
                OpenApiExample(
                    "Bad facts",
                    description=_(
                        "The answer to "
                        '{"country": "XX", "sectors": ["mobility", "space"], "trl": 10, '
                        '"colour": "red"}.'
                    ),
                    value=EXAMPLE_BAD_FACTS_ERRORS,
                )
            ],
        ),
        404: OpenApiResponse(
            response=ErrorSerializer, description=_("No published program has this slug.")
        ),
        415: OpenApiResponse(
            response=ErrorSerializer, description=_("The body is not JSON (application/json).")
        ),
        429: OpenApiResponse(
            response=ErrorSerializer,
            description=_("Too many checks from this client; retry after Retry-After seconds."),
        ),
    },
    examples=[
        OpenApiExample(
            "A Taiwanese mobility company without partners",
            request_only=True,
            value=EXAMPLE_FACTS,
        ),
        OpenApiExample(
            "The same company with a partner registered in Russia",
            request_only=True,
            value={**EXAMPLE_FACTS, "partner_countries": ["RU"]},
        ),
        OpenApiExample(
            "Technology readiness not known",
            request_only=True,
            value={"country": "TW", "partner_countries": ["RU"], "sectors": ["mobility"]},
        ),
        OpenApiExample(
            "The Taiwanese company checked against moscow-pilots",
            response_only=True,
            status_codes=["200"],
            value=EXAMPLE_REPORT,
        ),
    ],
)


class EligibilityView(generics.GenericAPIView[Program]):
    # The slug lookup (drafts are 404) and the schema's model; rules are loaded compiled.
    queryset = Program.objects.published()
    lookup_field = "slug"
    # The request's facts, not the program: for the browsable API's form.
    serializer_class = FactsSerializer  # type: ignore[assignment]
    # JSON only: the facts' types are part of the contract, and a form has no integers.
    parser_classes = [JSONParser]
    throttle_classes = [EligibilityRateThrottle]
    throttle_scope = "eligibility"
    # Anonymous clients are welcome, and session auth would demand a CSRF token from
    # signed-in browsers; this endpoint changes nothing, so it needs neither.
    authentication_classes = []

    @_SCHEMA
    def post(self, request: Request, slug: str) -> Response:
        program = self.get_object()
        facts = FactsSerializer(data=request.data)
        facts.is_valid(raise_exception=True)
        report = eligibility_report(program=program, facts=facts.validated_data)
        return Response(EligibilityReportSerializer(report).data)
