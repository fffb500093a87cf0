"""Open data endpoints: programs as OCDS release packages (built by ``programs.ocds``)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from programs.models import Agency, Program, Stage
from programs.ocds import release_language, release_package
from programs.rules import wording
from programs.selectors import program_with_rules
from programs.serializers import ErrorSerializer


def ocds_programs(queryset: QuerySet[Program]) -> QuerySet[Program]:
    """``queryset`` with everything a release shows, in 6 queries however many programs: the
    programs with their owners, their criteria, requirement groups, requirements, buyer agencies
    and stages."""
    # Kept beside its views rather than in programs/selectors.py, which this change leaves alone.
    return program_with_rules(queryset=queryset).prefetch_related(
        Prefetch("buyers", queryset=Agency.objects.order_by("name")),
        Prefetch("stages", queryset=Stage.objects.order_by("order")),
    )


def _package(request: Request, programs: Iterable[Program]) -> dict[str, Any]:
    # In the release's language whatever the request's: the package declares one language, and
    # its titles are written in it. One more query: the sector names the rules' words use.
    with translation.override(release_language()):
        return release_package(
            programs,
            uri=request.build_absolute_uri(request.path),
            site=request.build_absolute_uri("/").rstrip("/"),
            now=timezone.now(),
            words=wording(),
        )


PACKAGE_DESCRIPTION = gettext_lazy(
    "An OCDS 1.1 release package (https://standard.open-contracting.org/1.1/en/schema/"
    "release_package/), valid against the core schema. One release per program, tag tender: "
    "parties (owner and buyer agencies), tender with status, budget (value), the application "
    "stage's window (tenderPeriod), every stage as a milestone, the eligibility gates as "
    "tender.criteria (Requirements extension) and the weighted award criteria as "
    "tender.lots[0].awardCriteria (Lots and Award criteria breakdown extensions). Texts are in "
    "the release's language; datetimes carry the program's time zone offset."
)


@extend_schema_view(
    get=extend_schema(
        tags=["programs"],
        operation_id="programs_ocds_retrieve",
        summary=gettext_lazy("Show a program as open contracting data (OCDS)"),
        description=gettext_lazy(
            "The program as an OCDS release package with one release. Drafts are not published."
        ),
        responses={
            200: OpenApiResponse(response=OpenApiTypes.OBJECT, description=PACKAGE_DESCRIPTION),
            404: OpenApiResponse(
                response=ErrorSerializer,
                description=gettext_lazy("No published program has this slug."),
            ),
        },
    )
)
class ProgramOcdsView(generics.GenericAPIView[Program]):
    # Tells the schema what the slug is; the lookup itself is get()'s.
    queryset = Program.objects.published()
    lookup_field = "slug"

    def get(self, request: Request, slug: str) -> Response:
        program = ocds_programs(Program.objects.published().filter(slug=slug)).first()
        if program is None:
            raise NotFound(_("No published program has this slug."))
        return Response(_package(request, [program]))


@extend_schema_view(
    get=extend_schema(
        tags=["programs"],
        operation_id="ocds_releases_retrieve",
        summary=gettext_lazy("Every open program as open contracting data (OCDS)"),
        description=gettext_lazy(
            "One release package for aggregators with a release per open program, by slug; closed "
            "and archived programs are left out (each is still published on its own). When no "
            "program is open, the package's releases are an empty list, which the OCDS schema, "
            "asking for at least one, does not foresee."
        ),
        responses={
            200: OpenApiResponse(response=OpenApiTypes.OBJECT, description=PACKAGE_DESCRIPTION)
        },
    )
)
class OpenProgramsOcdsView(APIView):
    def get(self, request: Request) -> Response:
        programs = ocds_programs(Program.objects.open().order_by("slug"))
        return Response(_package(request, programs))
