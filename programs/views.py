"""Public catalog pages: the program list and a program's page."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applicants.follows import is_following
from applicants.models import User
from matchmaker.engine import CriterionKind, describe_criterion
from matchmaker.links import link_maker
from programs import selectors
from programs.filters import ProgramFilter
from programs.models import Program
from programs.rules import ruleset_for, wording
from programs.templatetags.deadlines import Deadline, reader_zone

PAGE_SIZE = 20


def program_list(request: HttpRequest) -> HttpResponse:
    filterset = ProgramFilter(request.GET, queryset=selectors.program_catalog())
    programs = filterset.qs if filterset.is_valid() else Program.objects.none()
    page = Paginator(programs, PAGE_SIZE).get_page(request.GET.get("page"))
    # Each name translated once per page: get_status_display() translates every choice of the
    # field on each call, for every card. The deadlines are written here too, as on "My
    # matches": through tags and filters they were a sixth of the page's cost.
    statuses, kinds = dict(Program.Status.choices), dict(Program.Kind.choices)
    reader = reader_zone(request.user)
    program_link = link_maker("programs:detail", slug="0")
    for program in page:
        program.url = program_link(program.slug)
        program.buyer_count = len(program.buyer_list)
        program.status_name = str(statuses.get(program.status, program.status))
        program.kind_name = str(kinds.get(program.kind, program.kind))
        if program.next_deadline:
            program.deadline = Deadline.at(program.next_deadline, program.owner.time_zone, reader)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/program_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@dataclass(frozen=True)
class RuleLine:
    label: str
    description: str
    help_text: str
    weight: float
    hints: list[str]


def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program = selectors.program_detail(slug=slug)
    words = wording()
    gates: list[RuleLine] = []
    awards: list[RuleLine] = []
    for criterion in ruleset_for(program).criteria:
        line = RuleLine(
            label=criterion.label,
            description=describe_criterion(criterion, words),
            help_text=criterion.help_text,
            weight=criterion.weight,
            hints=[
                requirement.hint
                for group in criterion.groups
                for requirement in group.requirements
                if requirement.hint
            ],
        )
        (gates if criterion.kind == CriterionKind.GATE else awards).append(line)
    total_weight = sum(line.weight for line in awards)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            # The Follow button's state: one query, and none for anonymous visitors.
            "following": isinstance(request.user, User)
            and is_following(user=request.user, program=program),
            "gates": gates,
            "awards": [
                (line, round(100 * line.weight / total_weight) if total_weight else 0)
                for line in awards
            ],
        },
    )
