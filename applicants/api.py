"""Endpoints for integrators: sign in for a token, and read and write one's own companies.

A company is reached only through ``companies_with_role(user)``, so another vendor's company is
a 404 on every method: the API never says that a company it will not show exists.
"""

from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate, user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from applicants.models import Company, User
from applicants.selectors import companies_for, companies_with_role
from applicants.serializers import (
    CompanySerializer,
    CompanyWriteSerializer,
    CredentialsSerializer,
    TokenSerializer,
)
from applicants.services import (
    api_token_issue,
    company_create_with_partners,
    company_delete,
    company_update_with_partners,
)
from matchmaker.models import Match
from matchmaker.selectors import company_match_rows, match_views
from matchmaker.serializers import CompanyMatchSerializer
from programs.api import PageNumberPagination
from programs.rules import wording
from programs.serializers import ErrorSerializer


class LockedOut(exceptions.APIException):
    """Too many failed sign-ins from this client for this account (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, *, wait: int) -> None:
        # DRF's exception handler turns ``wait`` into the Retry-After header.
        self.wait = wait
        minutes = max(1, -(-wait // 60))
        super().__init__(
            gettext(
                "Too many failed sign-in attempts. Try again in %(minutes)d minutes, or reset "
                "your password."
            )
            % {"minutes": minutes}
        )


def _lockout_seconds(request: Request) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


class TokenView(APIView):
    # Credentials are the authentication here; a signed-in browser's session (and its CSRF
    # demand) has nothing to add.
    authentication_classes = []
    permission_classes = []
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["auth"],
        operation_id="auth_token_create",
        summary=_("Get your API token"),
        description=_(
            "Exchange an account's email and password for its API token, then send it as "
            '"Authorization: Token <token>". Each account has one token: it is created on the '
            "first request and the same one is returned after. Inactive accounts get none. "
            "After 5 failed attempts for one account from one address, that client is locked "
            "out for a while (429), even with the right password."
        ),
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=_(
                    "A field is missing or malformed, or the email and password do not match an "
                    "active account (non_field_errors)."
                ),
                examples=[
                    OpenApiExample(
                        "Wrong credentials",
                        value={
                            "non_field_errors": ["Unable to sign in with this email and password."]
                        },
                    )
                ],
            ),
            415: OpenApiResponse(
                response=ErrorSerializer, description=_("The body is not JSON (application/json).")
            ),
            429: OpenApiResponse(
                response=ErrorSerializer,
                description=_(
                    "Locked out after repeated failures; retry after Retry-After seconds."
                ),
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        email = credentials.validated_data["email"].strip().lower()
        # Through django.contrib.auth so django-axes counts the failure. It flags a locked-out
        # client on the request it is given: the DRF request, so AxesMiddleware, which reads the
        # Django request, leaves the JSON answer below alone instead of rendering its HTML page.
        user = authenticate(
            request=request, username=email, password=credentials.validated_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(wait=_lockout_seconds(request))
        if not isinstance(user, User):
            raise exceptions.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        gettext("Unable to sign in with this email and password.")
                    ]
                }
            )
        # A successful sign-in, as a session login would record it: the last-login time, and
        # django-axes clearing this client's failures.
        user_logged_in.send(sender=type(user), request=request, user=user)
        token = api_token_issue(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


# --- companies -----------------------------------------------------------------------------------

# Token first: an anonymous request then gets 401 with "WWW-Authenticate: Token" rather than a
# bare 403. Sessions serve the site's own scripts (and enforce CSRF on writes).
_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]

_ANONYMOUS = OpenApiResponse(
    response=ErrorSerializer, description=_("No credentials, or a token that is not valid.")
)
_BAD_FIELDS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=_(
        "Some fields are not valid, read-only or unknown: each maps to its messages (a list's "
        "bad items by position). Nothing is saved."
    ),
    examples=[
        OpenApiExample(
            "Bad fields",
            value={
                "trl": ["A valid integer is required."],
                "sectors": {"1": ["“space” is not a known sector code."]},
                "profile_version": ["This field is read-only."],
            },
        )
    ],
)
_NOT_FOUND = OpenApiResponse(
    response=ErrorSerializer,
    description=_("You are not a member of a company with this id, or there is none."),
)
_NOT_JSON = OpenApiResponse(
    response=ErrorSerializer, description=_("The body is not JSON (application/json).")
)
_SESSION_WITHOUT_CSRF = _(
    "Signed in with a session cookie, but the request carries no valid CSRF token."
)
_COMPANY_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The company's id.")
)


def _vendor(request: Request) -> User:
    # IsAuthenticated has run: the user is a real account.
    user = request.user
    assert isinstance(user, User)
    return user


def _saved(write: Any, **arguments: Any) -> Company:
    """Runs a service, answering its model validation errors as a 400 like the serializer's."""
    try:
        company: Company = write(**arguments)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(as_serializer_error(exc)) from exc
    return company


# The largest id a BigAutoField holds; a longer number would overflow the database driver.
_MAX_ID = 2**63 - 1


class CompanyPagination(PageNumberPagination):
    page_size = 20


class CompanyListView(generics.GenericAPIView[Company]):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = CompanySerializer
    pagination_class = CompanyPagination
    # The schema's model; every read goes through companies_with_role(user).
    queryset = Company.objects.none()

    @extend_schema(
        tags=["companies"],
        operation_id="companies_list",
        summary=_("List your companies"),
        description=_("The companies you are a member of, by legal name, with your role."),
        responses={
            200: CompanySerializer(many=True),
            401: _ANONYMOUS,
            404: OpenApiResponse(
                response=ErrorSerializer, description=_("There is no such page of results.")
            ),
        },
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(companies_with_role(_vendor(request)))
        return self.get_paginated_response(CompanySerializer(page, many=True).data)

    @extend_schema(
        tags=["companies"],
        operation_id="companies_create",
        summary=_("Register a company"),
        description=_(
            "You become its owner. legal_name and country are required. Facts are validated as "
            'the eligibility check validates them ("5" is not a TRL); system fields such as id '
            "or profile_version are read-only, and writing one, or an unknown field, is a 400 "
            "naming it."
        ),
        request=CompanyWriteSerializer,
        responses={
            201: CompanySerializer,
            400: _BAD_FIELDS,
            401: _ANONYMOUS,
            403: OpenApiResponse(response=ErrorSerializer, description=_SESSION_WITHOUT_CSRF),
            415: _NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        data = CompanyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _vendor(request)
        created = _saved(company_create_with_partners, user=user, **data.validated_data)
        company = companies_with_role(user).get(pk=created.pk)
        location = reverse("api:company-detail", kwargs={"id": company.pk})
        return Response(
            CompanySerializer(company).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )


def _company_id(value: str) -> int | None:
    """A company id from the URL, or None for anything no company could have."""
    if value.isascii() and value.isdigit() and int(value) <= _MAX_ID:
        return int(value)
    return None


class CompanyDetailView(generics.GenericAPIView[Company]):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    serializer_class = CompanySerializer
    # The schema's model; every read goes through companies_with_role(user).
    queryset = Company.objects.none()

    def get_object(self) -> Company:
        # One answer for "not a number", "no such company" and "not yours": the API does not
        # tell a stranger which companies exist.
        company_id = _company_id(self.kwargs["id"])
        if company_id is not None:
            company = companies_with_role(_vendor(self.request)).filter(pk=company_id).first()
            if company is not None:
                return company
        raise exceptions.NotFound(gettext("You have no company with this id."))

    @extend_schema(
        tags=["companies"],
        operation_id="companies_retrieve",
        summary=_("Show one of your companies"),
        parameters=[_COMPANY_ID],
        responses={200: CompanySerializer, 401: _ANONYMOUS, 404: _NOT_FOUND},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(CompanySerializer(self.get_object()).data)

    @extend_schema(
        tags=["companies"],
        operation_id="companies_partial_update",
        summary=_("Change one of your companies"),
        description=_(
            "Only the given fields change; any member may write. partners replaces the whole "
            "list and records it as declared: an empty list means the company has none. "
            "profile_version rises when a fact changes (country, sectors, trl, has_demo, "
            "employees, founded_year, prior_pilots, partners). System fields are read-only: "
            "writing one, or an unknown field, is a 400 naming it, and nothing is saved."
        ),
        parameters=[_COMPANY_ID],
        request=CompanyWriteSerializer(partial=True),
        responses={
            200: CompanySerializer,
            400: _BAD_FIELDS,
            401: _ANONYMOUS,
            403: OpenApiResponse(response=ErrorSerializer, description=_SESSION_WITHOUT_CSRF),
            404: _NOT_FOUND,
            415: _NOT_JSON,
        },
    )
    def patch(self, request: Request, id: str) -> Response:
        company = self.get_object()
        data = CompanyWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _saved(
            company_update_with_partners,
            company=company,
            user=_vendor(request),
            **data.validated_data,
        )
        return Response(CompanySerializer(self.get_object()).data)

    @extend_schema(
        tags=["companies"],
        operation_id="companies_destroy",
        summary=_("Delete one of your companies"),
        description=_("Owners only. Deletes its partners, documents and team with it."),
        parameters=[_COMPANY_ID],
        responses={
            204: None,
            401: _ANONYMOUS,
            403: OpenApiResponse(
                response=ErrorSerializer,
                description=_("You are a member but not an owner, or a CSRF token is missing."),
            ),
            404: _NOT_FOUND,
        },
    )
    def delete(self, request: Request, id: str) -> Response:
        company_delete(company=self.get_object(), user=_vendor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- a company's matches -------------------------------------------------------------------------


class MatchPagination(PageNumberPagination):
    # At most one match per open program: a page or two for most companies.
    page_size = 20


class CompanyMatchListView(generics.GenericAPIView[Match]):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated]
    serializer_class = CompanyMatchSerializer
    pagination_class = MatchPagination
    # The schema's model; every read goes through companies_for(user).
    queryset = Match.objects.none()

    @extend_schema(
        tags=["companies"],
        operation_id="companies_matches_list",
        summary=_("List a company's matches"),
        description=_(
            "The open programs the company fits or nearly fits, as the background scorer last "
            "computed them: eligible first, then incomplete, then near misses (ineligible on "
            "exactly one gate); higher scores first, then by program title. Each criterion is "
            "worded in the request's language, with the fixes that would pass a failed gate. "
            "rules_version and profile_version say what a match was computed from; stale is "
            "true while a newer computation is on its way. Paginated like the other lists."
        ),
        parameters=[_COMPANY_ID],
        responses={
            200: CompanyMatchSerializer(many=True),
            401: _ANONYMOUS,
            404: OpenApiResponse(
                response=ErrorSerializer,
                description=_(
                    "You are not a member of a company with this id, there is none, or there "
                    "is no such page of results."
                ),
            ),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        company_id = _company_id(id)
        company = (
            companies_for(_vendor(request))
            .filter(pk=company_id)
            .only("pk", "profile_version")
            .first()
            if company_id is not None
            else None
        )
        if company is None:
            raise exceptions.NotFound(gettext("You have no company with this id."))
        page = self.paginate_queryset(company_match_rows(company, now=timezone.now()))
        views = match_views(page or [], company=company, wording=wording())
        return self.get_paginated_response(CompanyMatchSerializer(views, many=True).data)
