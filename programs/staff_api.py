"""The staff API: a program's applications and matches, as the workspace's pages list them.

Same tenancy as the pages (``programs.tenancy``): anonymous clients get 401, vendors 403, staff
of other agencies 404 for a program that is not theirs. Same filters (``programs.staff_filters``),
same order, 25 a page. Token or session authentication.
"""

import zoneinfo
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applicants.models import Application
from matchmaker.models import Match
from programs import staff_selectors
from programs.api import PageNumberPagination
from programs.models import Program
from programs.reviews import criterion_weights, review_criteria
from programs.serializers import EnumField, ErrorSerializer, LocalDateTimeField
from programs.staff_filters import StaffApplicationFilter, StaffMatchFilter
from programs.tenancy import staff_program_or_404, staff_roles

# Token first: an anonymous request gets 401 with "WWW-Authenticate: Token", not a bare 403.
_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


class IsStaffMember(BasePermission):
    """Agency staff only: a vendor gets 403 on every staff endpoint, whatever the method."""

    message = _("Only the staff of a city agency may use this endpoint.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        # Kept on the view: a program's endpoint needs them again to find the program.
        view.staff_roles = staff_roles(request.user)  # type: ignore[attr-defined]
        return bool(view.staff_roles)  # type: ignore[attr-defined]


class StaffFilterBackend(DjangoFilterBackend):
    """django-filter, handing the view's program to filters that need it (the stage choices)."""

    def get_filterset_kwargs(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_filterset_kwargs(request, queryset, view)
        if getattr(view, "filterset_class", None) is StaffApplicationFilter:
            kwargs["program"] = getattr(view, "program", None)
        return kwargs


class StaffPagination(PageNumberPagination):
    page_size = 25


# --- output --------------------------------------------------------------------------------------


class StaffCompanySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    legal_name = serializers.CharField(read_only=True)
    country = serializers.CharField(
        source="country.code", read_only=True, help_text=_("ISO 3166-1 alpha-2 code.")
    )


class StaffStageSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    order = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


def _context_zone(field: serializers.Field[Any, Any, Any, Any]) -> zoneinfo.ZoneInfo:
    program: Program = field.context["program"]
    return program.time_zone


class ProgramZoneDateTimeField(LocalDateTimeField):
    """A datetime in the program's time zone; the program comes from the serializer context."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(zone=lambda _instance: _context_zone(self), **kwargs)


_ELIGIBILITY_HELP = _(
    "eligible: every gate passes; incomplete: no gate fails but some cannot be decided without "
    "more facts; ineligible: a gate fails."
)


class StaffApplicationSerializer(serializers.Serializer[Any]):
    """A row of the staff's applications list."""

    id = serializers.IntegerField(source="application.pk", read_only=True)
    company = StaffCompanySerializer(source="application.company", read_only=True)
    stage = StaffStageSerializer(
        source="application.stage",
        read_only=True,
        allow_null=True,
        help_text=_("The stage the application is at (for a decided one, where it ended)."),
    )
    status = EnumField(
        enum_name="StaffApplicationStatus",
        source="application.status",
        choices=[
            status.value for status in Application.Status if status != Application.Status.DRAFT
        ],
        read_only=True,
    )
    submitted_at = ProgramZoneDateTimeField(
        source="application.submitted_at", help_text=_("In the program's time zone.")
    )
    eligibility_at_submission = EnumField(
        enum_name="Eligibility",
        source="eligibility",
        choices=list(Match.Eligibility.values),
        read_only=True,
        allow_null=True,
        help_text=_ELIGIBILITY_HELP,
    )
    automatic_score = serializers.FloatField(
        source="auto_score",
        read_only=True,
        allow_null=True,
        help_text=_("0-100 at submission; null when the program has no award criteria."),
    )
    mean_review_score = serializers.FloatField(
        source="review_score",
        read_only=True,
        allow_null=True,
        help_text=_(
            "0-100: the mean over submitted reviews of the weighted mean of their criterion "
            "scores (0-10) times ten; null before the first review is submitted."
        ),
    )
    reviews_submitted = serializers.IntegerField(source="reviews", read_only=True)


class StaffMatchSerializer(serializers.Serializer[Any]):
    """A row of the staff's matches list."""

    company = StaffCompanySerializer(read_only=True)
    sectors = serializers.SerializerMethodField(help_text=_("The company's sector codes."))
    eligibility = EnumField(
        enum_name="StaffMatchEligibility",
        choices=[Match.Eligibility.ELIGIBLE.value, Match.Eligibility.INCOMPLETE.value],
        read_only=True,
        help_text=_("eligible: every gate passes; incomplete: some facts are missing."),
    )
    score = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=_("0-100; null when the program has no award criteria."),
    )
    computed_at = ProgramZoneDateTimeField(help_text=_("When the engine computed it."))
    application_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The company's application, if it applied.")
    )
    invited_at = ProgramZoneDateTimeField(
        allow_null=True,
        help_text=_("When staff last invited it to apply, within the last week; else null."),
    )

    def get_sectors(self, match: Match) -> list[str]:
        # Prefetched by staff_selectors.program_matches (to_attr).
        return [sector.code for sector in match.company.sector_list]  # type: ignore[attr-defined]


# --- endpoints -----------------------------------------------------------------------------------

_SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The program's slug.")
)
_COMMON_RESPONSES: dict[int, Any] = {
    400: OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description=_("A filter value is not valid; each bad filter maps to its messages."),
    ),
    401: OpenApiResponse(
        response=ErrorSerializer, description=_("No credentials, or a token that is not valid.")
    ),
    403: OpenApiResponse(
        response=ErrorSerializer, description=_("You are not on the staff of any city agency.")
    ),
    404: OpenApiResponse(
        response=ErrorSerializer,
        description=_(
            "No program with this slug is run by your agencies, or there is no such page."
        ),
    ),
}


class _ProgramListView(generics.GenericAPIView[Any]):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsAuthenticated, IsStaffMember]
    pagination_class = StaffPagination
    filter_backends = [StaffFilterBackend]
    program: Program

    def program_or_404(self) -> Program:
        self.program = staff_program_or_404(
            self.request.user, self.kwargs["slug"], memberships=getattr(self, "staff_roles", None)
        )
        return self.program

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "program": getattr(self, "program", None)}


class StaffApplicationListView(_ProgramListView):
    serializer_class = StaffApplicationSerializer
    filterset_class = StaffApplicationFilter
    # The schema's model; every read goes through the program the tenancy check returned.
    queryset = Application.objects.none()

    def get_queryset(self) -> QuerySet[Application]:
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        return staff_selectors.program_applications(self.program_or_404())

    @extend_schema(
        tags=["staff"],
        operation_id="staff_program_applications_list",
        summary=_("List a program's applications"),
        description=_(
            "Submitted applications of a program your agencies run, newest first unless sort "
            "says otherwise, with the automatic score at submission and the mean review score. "
            "The filters are the workspace's: stage (a stage id), status, eligibility at "
            "submission; 25 a page."
        ),
        parameters=[_SLUG],
        responses={200: StaffApplicationSerializer(many=True), **_COMMON_RESPONSES},
    )
    def get(self, request: Request, slug: str) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset) or []
        weights = criterion_weights(review_criteria(self.program))
        rows = list(staff_selectors.application_rows(page, weights))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class StaffMatchListView(_ProgramListView):
    serializer_class = StaffMatchSerializer
    filterset_class = StaffMatchFilter
    queryset = Match.objects.none()

    def get_queryset(self) -> QuerySet[Match]:
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        return staff_selectors.program_matches(self.program_or_404(), now=timezone.now())

    @extend_schema(
        tags=["staff"],
        operation_id="staff_program_matches_list",
        summary=_("List the companies that fit a program"),
        description=_(
            "Eligible, then incomplete companies, higher automatic scores first, among those "
            "that agreed to be found by program staff or applied. Filters: eligibility, "
            "min_score (0-100), sector (a sector code), country (ISO 3166-1 alpha-2); 25 a page."
        ),
        parameters=[_SLUG],
        responses={200: StaffMatchSerializer(many=True), **_COMMON_RESPONSES},
    )
    def get(self, request: Request, slug: str) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
