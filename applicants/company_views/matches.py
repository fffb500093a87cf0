"""The vendor's "My matches" page: the programs the background scorer found, best first, a page
of them at a time, with what changed since this member last looked, and partners to ask where a
program wants one.

Reads stored ``Match`` rows (``matchmaker.selectors``), never the engine: what the page shows is
what staff see. Each visit records what the member saw (``services.matches_mark_seen``), so a GET
writes one row; it is the member's own bookkeeping, like a "read" mark, and changes nothing
anyone else sees. What they saw is the page's programs: a change on another page stays marked
until that page is shown. Programs that dropped out are named on whichever page comes first.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django_countries import countries

from applicants import selectors, services
from applicants.company_views.layout import company_or_404, render_section, request_user
from applicants.models import Application, Company
from applicants.progress import profile_progress
from matchmaker import selectors as matches
from matchmaker.changes import Change, ChangeKind, MatchChanges, Standing, compare
from matchmaker.links import link_maker
from matchmaker.models import Match
from matchmaker.outcomes import CriterionView
from matchmaker.selectors import MatchView
from programs.localized import with_translations
from programs.rules import wording
from programs.templatetags.deadlines import Deadline, reader_zone

# What the cards read of a match, its program and the program's owner: the programs' and
# agencies' other columns (every translation of their summaries and descriptions, budgets,
# settings) cost more to load and build than the rest of the query.
SHOWN_FIELDS = (
    *(field.name for field in Match._meta.concrete_fields),
    "program__slug",
    "program__rules_version",
    "program__owner",
    "program__owner__time_zone",
    *with_translations("program__title", "program__owner__name", "program__owner__city"),
)

# Programs per page: the eligible ones first, as on one long list.
PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class MatchItem:
    view: MatchView
    change: Change | None
    # Where a failed gate wants a partner registered (names), and discoverable companies there.
    countries: list[str]
    suggestions: list[Company]
    # The company's application to this program, if it started one: "Continue", not "Apply".
    application: Application | None = None
    # The program's public page, and where the card's button leads or posts (the application,
    # or applying), reversed once for the page rather than once a card.
    url: str = ""
    action_url: str = ""
    # The application's status in words, when there is one.
    application_status: str = ""
    deadline: Deadline | None = None
    # The list items of its conditions and of what raises its score (``criteria_items``).
    gates: SafeString | str = ""
    awards: SafeString | str = ""
    # The card's sentences with a value in them, worded here rather than by a
    # ``{% blocktranslate %}`` each (the same messages): "Score 73 of 100", "About <title>".
    score: str = ""
    about: str = ""


# (language, with fixes, each criterion's words) → their list items. A program words its
# criteria the same for every company with the same outcomes, so a card's lists are rendered
# once per process rather than on every view: on a page of 20 programs, a fifth of its cost.
_criteria_items: dict[tuple[Hashable, ...], SafeString] = {}
_CRITERIA_ITEMS_SIZE = 4096


def criteria_items(criteria: Sequence[CriterionView], *, with_fixes: bool) -> SafeString | str:
    """The ``<li>`` items of ``criteria`` (``applicants/match_criteria.html``), or nothing."""
    if not criteria:
        return ""
    key = (
        translation.get_language() or "",
        with_fixes,
        *(
            (criterion.outcome, criterion.label, criterion.message)
            + (criterion.fixes if with_fixes else ())
            for criterion in criteria
        ),
    )
    html = _criteria_items.get(key)
    if html is None:
        if len(_criteria_items) >= _CRITERIA_ITEMS_SIZE:
            _criteria_items.clear()
        html = _criteria_items[key] = render_to_string(
            "applicants/match_criteria.html", {"criteria": criteria, "with_fixes": with_fixes}
        )
    return html


def seen_after_visit(
    seen: Any,
    current: Mapping[int, Standing],
    changes: MatchChanges,
    shown: Mapping[int, Standing],
) -> dict[int, Standing]:
    """What the member has seen once ``shown`` (a page of ``current``) is on their screen: the
    shown programs as they are now; the others as before, so that a change on another page stays
    marked until that page is shown (one not shown yet stays new); and nothing of the programs
    that dropped out, which the page names."""
    before: dict[int, Standing] = {
        int(key): (value[0], value[1])
        for key, value in (seen.items() if isinstance(seen, Mapping) else ())
        if str(key).isdigit() and isinstance(value, list | tuple) and len(value) == 2
    }
    after: dict[int, Standing] = {}
    for program_id, standing in current.items():
        change = changes.by_program.get(program_id)
        if program_id in shown:
            after[program_id] = shown[program_id]
        elif change is None:
            after[program_id] = standing  # no change the page could show
        elif change.kind != ChangeKind.NEW and program_id in before:
            after[program_id] = before[program_id]
    return after


@login_required
def company_matches(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    membership = selectors.membership_of(request_user(request), company)
    if membership is None:  # left the team between the two queries
        raise Http404
    now = timezone.now()
    current = matches.company_standings(company, now=now)
    changes = compare(membership.matches_seen, current)
    last_seen_at = membership.matches_seen_at  # None on a first visit
    page = Paginator(list(current), PAGE_SIZE).get_page(request.GET.get("page"))
    views = matches.match_views(
        matches.company_match_rows(company, now=now)
        .filter(program_id__in=page.object_list)
        .only(*SHOWN_FIELDS),
        company=company,
        wording=wording(),
    )
    shown: dict[int, Standing] = {
        view.program.pk: (view.match.eligibility, view.match.score) for view in views
    }
    # Changes the summary counts that are marked on other pages, and those pages.
    pages_of = {program_id: index // PAGE_SIZE + 1 for index, program_id in enumerate(current)}
    elsewhere = [program_id for program_id in changes.by_program if program_id not in shown]

    asked = {view.program.pk: view.partner_countries_asked for view in views}
    applications = {
        application.program_id: application
        for application in Application.objects.filter(company=company).only(
            "pk", "program_id", "status"
        )
    }
    candidates = selectors.partner_candidates(
        company, countries={code for codes in asked.values() for code in codes}
    )
    program_link = link_maker("programs:detail", slug="0")
    apply_link = link_maker("companies:apply", slug="0")
    application_link = link_maker("companies:application", company.pk, 0)
    statuses = {status: str(label) for status, label in Application.Status.choices}
    reader = reader_zone(request.user)
    items = []
    for view in views:
        application = applications.get(view.program.pk)
        items.append(
            MatchItem(
                view=view,
                change=changes.by_program.get(view.program.pk),
                countries=[str(countries.name(code)) for code in asked[view.program.pk]],
                suggestions=selectors.best_candidates(candidates, countries=asked[view.program.pk]),
                application=application,
                url=program_link(view.program.slug),
                action_url=(
                    application_link(application.pk)
                    if application is not None
                    else apply_link(view.program.slug)
                ),
                application_status=(
                    statuses.get(application.status, application.status) if application else ""
                ),
                deadline=(
                    Deadline.at(
                        view.next_deadline,
                        view.program.owner.time_zone,
                        reader,
                        stage=view.next_stage,
                    )
                    if view.next_deadline
                    else None
                ),
                gates=criteria_items(view.gates, with_fixes=True),
                awards=criteria_items(view.awards, with_fixes=False),
                score=(
                    _("Score %(score)s of 100") % {"score": floatformat(view.match.score, 0)}
                    if view.match.score is not None
                    else ""
                ),
                about=_("About %(title)s") % {"title": view.program.title},
            )
        )
    dropped = matches.programs_by_id(changes.dropped) if changes.dropped else []
    services.matches_mark_seen(
        membership=membership,
        current=seen_after_visit(membership.matches_seen, current, changes, shown),
    )

    progress = profile_progress(company)
    return render_section(
        request,
        company,
        "matches",
        "match_list.html",
        preview=False,
        items=items,
        page=page,
        dropped=dropped,
        changes=changes,
        changes_elsewhere=sorted({pages_of[program_id] for program_id in elsewhere}),
        changes_elsewhere_count=len(elsewhere),
        last_seen_at=last_seen_at,
        # A profile change not scored yet: the list is about to change.
        scoring=company.scored_profile_version < company.profile_version,
        todo=next((section for section in progress.sections if section.complete is False), None),
    )
