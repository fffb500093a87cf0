"""The audit log's pages: a program's history and an agency team's, for agency admins."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from programs import audit
from programs.models import Agency, Program
from programs.staff_views.access import agency_admin_view, program_view, query_without_page


@program_view(admin=True)
def program_history(request: HttpRequest, program: Program) -> HttpResponse:
    """Every change to the program, its stages, questions, rules and decisions, newest first."""
    return render(
        request,
        "staff/program_history.html",
        {
            "program": program,
            "is_admin": True,
            "section": "history",
            "page": audit.program_history(program, page=request.GET.get("page")),
            "query": query_without_page(request),
        },
    )


@agency_admin_view()
def team_history(request: HttpRequest, agency: Agency) -> HttpResponse:
    """Who joined the agency's team, changed role or left, newest first."""
    return render(
        request,
        "staff/team_history.html",
        {
            "agency": agency,
            "page": audit.agency_history(agency, page=request.GET.get("page")),
            "query": query_without_page(request),
        },
    )
