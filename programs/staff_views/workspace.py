"""The workspace's home (the user's programs) and a program's dashboard."""

import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from matchmaker.links import link_maker
from programs import staff_dashboard, staff_selectors, team
from programs.models import Program, StaffMembership
from programs.staff_dashboard import HistogramBin
from programs.staff_views.access import (
    PAGE_SIZE,
    program_view,
    query_without_page,
    request_staff_roles,
    staff_user,
    staff_view,
)
from programs.templatetags.deadlines import Deadline, reader_zone


@dataclass(frozen=True, slots=True)
class ProgramCard:
    """A program on the workspace's home, with its status's label, its dashboard's link and
    its next deadline as ``{% deadline %}`` writes it, under its label."""

    program: Program
    status: str
    url: str
    deadline: Deadline | None = None


def _card(program: Any, *, status: str, url: str, reader: zoneinfo.ZoneInfo | None) -> ProgramCard:
    """``program`` carries the annotations of ``staff_selectors.workspace_programs``."""
    return ProgramCard(
        program=program,
        status=status,
        url=url,
        deadline=(
            Deadline.at(
                program.next_deadline,
                program.owner.time_zone,
                reader,
                stage=program.next_stage,
            )
            if program.next_deadline
            else None
        ),
    )


@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    memberships = request_staff_roles(request)
    # A page of programs: their counts are computed for the programs shown only.
    page = Paginator(
        staff_selectors.workspace_programs(user, now=timezone.now(), memberships=memberships),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    programs = list(page.object_list)
    # Worded and linked here once for the page rather than by the template card by card, where
    # they cost a good part of the page.
    statuses = {status: str(label) for status, label in Program.Status.choices}
    dashboard = link_maker("staff:dashboard", slug="0")
    reader = reader_zone(user)
    return render(
        request,
        "staff/workspace_home.html",
        {
            "programs": programs,
            "cards": [
                _card(
                    program,
                    status=statuses.get(program.status, program.status),
                    url=dashboard(program.slug),
                    reader=reader,
                )
                for program in programs
            ],
            "page": page,
            "query": query_without_page(request),
            "reviews_waiting": staff_selectors.reviews_waiting(user, memberships=memberships),
            "admin_agencies": list(team.admin_agencies(user, memberships=memberships)),
        },
    )


# The score histogram's drawing, in the SVG's own units (it scales to the page's width).
CHART_WIDTH = 640
CHART_HEIGHT = 260
PLOT_LEFT = 44
PLOT_RIGHT = 12
PLOT_TOP = 16
PLOT_BOTTOM = 212  # the baseline; the bins' labels go below it


@dataclass(frozen=True, slots=True)
class Bar:
    bin: HistogramBin
    x: float
    width: float
    label_x: float
    eligible_y: float
    eligible_height: float
    incomplete_y: float
    incomplete_height: float


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    top: int  # the count the plot's top line stands for
    scored: bool  # some company has a score to draw
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = PLOT_LEFT
    right: int = CHART_WIDTH - PLOT_RIGHT
    plot_top: int = PLOT_TOP
    baseline: int = PLOT_BOTTOM
    label_y: int = PLOT_BOTTOM + 20
    top_label_y: int = PLOT_TOP + 4


def histogram_chart(bins: list[HistogramBin]) -> Chart:
    """Stacked bars (eligible below, incomplete on top), one per score decile."""
    top = max((item.total for item in bins), default=0) or 1
    slot = (CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(len(bins), 1)
    scale = (PLOT_BOTTOM - PLOT_TOP) / top
    bars = []
    for index, item in enumerate(bins):
        x = PLOT_LEFT + index * slot + slot * 0.12
        eligible_height = item.eligible * scale
        incomplete_height = item.incomplete * scale
        bars.append(
            Bar(
                bin=item,
                x=round(x, 1),
                width=round(slot * 0.76, 1),
                label_x=round(x + slot * 0.38, 1),
                eligible_y=round(PLOT_BOTTOM - eligible_height, 1),
                eligible_height=round(eligible_height, 1),
                incomplete_y=round(PLOT_BOTTOM - eligible_height - incomplete_height, 1),
                incomplete_height=round(incomplete_height, 1),
            )
        )
    return Chart(bars=bars, top=top, scored=any(item.total for item in bins))


@program_view()
def dashboard(request: HttpRequest, program: Program) -> HttpResponse:
    now = timezone.now()
    data = staff_dashboard.program_dashboard(program, now=now)
    role = staff_selectors.staff_role(staff_user(request), program)
    return render(
        request,
        "staff/program_dashboard.html",
        {
            "program": program,
            "is_admin": role == StaffMembership.Role.ADMIN,
            "section": "dashboard",
            "dashboard": data,
            "chart": histogram_chart(data.histogram),
            "now": now,
        },
    )
