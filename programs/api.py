"""Catalog endpoints: the published programs and one program with its rules."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, pagination

from programs.filters import ProgramFilter
from programs.models import Program
from programs.rules import wording
from programs.selectors import program_catalog, program_detail
from programs.serializers import ErrorSerializer, ProgramDetailSerializer, ProgramSerializer


class EmptyFilterExtension(DjangoFilterExtension):  # type: ignore[no-untyped-call]
    """django-filter's parameters, saying that an empty value (``?status=``) is no filter.

    django-filter reads it so, as the site's filter forms send it; without ``allowEmptyValue``
    the schema would call ``?status=`` invalid for every enum, integer or number filter. Applies
    to every API view filtered by django-filter (the catalog and the staff lists).
    """

    priority = 1

    def get_schema_operation_parameters(
        self, auto_schema: Any, *args: Any, **kwargs: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]]
        parameters = super().get_schema_operation_parameters(  # type: ignore[no-untyped-call]
            auto_schema, *args, **kwargs
        )
        return [{**parameter, "allowEmptyValue": True} for parameter in parameters]


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, with the schema saying that an empty ``?page=`` is the first page.

    DRF reads it so; without ``allowEmptyValue`` the schema would call it invalid. Every list
    of the API pages with a subclass of this one.
    """

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        return [{**parameter, "allowEmptyValue": True} for parameter in parameters]


class CatalogPagination(PageNumberPagination):
    page_size = 20


@extend_schema_view(
    get=extend_schema(
        tags=["programs"],
        operation_id="programs_list",
        summary=_("List published programs"),
        description=_(
            "Open, closed and archived programs, never drafts, in the public catalog's order: "
            "by status, then by the soonest upcoming deadline (programs without one last), then "
            "by title. Filters combine; an unknown sector code, status, kind or intake is a 400 "
            "naming the filter."
        ),
        parameters=[
            OpenApiParameter(
                "sector",
                OpenApiTypes.STR,
                description=_("A sector code, e.g. mobility. An unknown code is a 400."),
            ),
            OpenApiParameter(
                "city", OpenApiTypes.STR, description=_("The owner's or a buyer's city.")
            ),
            OpenApiParameter(
                "agency", OpenApiTypes.STR, description=_("The owner's or a buyer's slug.")
            ),
        ],
        responses={
            200: ProgramSerializer(many=True),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=_("A filter value is not valid; each bad filter maps to messages."),
            ),
            404: OpenApiResponse(
                response=ErrorSerializer, description=_("There is no such page of results.")
            ),
        },
    )
)
class ProgramListView(generics.ListAPIView[Program]):
    serializer_class = ProgramSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProgramFilter
    pagination_class = CatalogPagination

    def get_queryset(self) -> QuerySet[Program]:
        return program_catalog()


@extend_schema_view(
    get=extend_schema(
        tags=["programs"],
        operation_id="programs_retrieve",
        summary=_("Show a program with its stages, challenges and rules"),
        description=_(
            "Stage windows are given in the program's time zone. Criteria are structured: a "
            "criterion passes when any of its groups passes, a group when all of its requirements "
            "pass; each carries a plain-language description in the request's language."
        ),
        responses={
            200: ProgramDetailSerializer,
            404: OpenApiResponse(
                response=ErrorSerializer, description=_("No published program has this slug.")
            ),
        },
    )
)
class ProgramDetailView(generics.RetrieveAPIView[Program]):
    serializer_class = ProgramDetailSerializer
    # Tells the schema what the slug is; the lookup itself is program_detail's.
    queryset = Program.objects.published()
    lookup_field = "slug"

    def get_object(self) -> Program:
        return program_detail(slug=self.kwargs["slug"])

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "wording": wording()}
