"""The vendor's "My matches" page: the programs the background scorer found, best first, with
what changed since this member last looked, and partners to ask where a program wants one.

Reads stored ``Match`` rows (``matchmaker.selectors``), never the engine: what the page shows is
what staff see. Each visit records what the member saw (``services.matches_mark_seen``), so a GET
writes one row; it is the member's own bookkeeping, like a "read" mark, and changes nothing
anyone else sees.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django_countries import countries

from applicants import selectors, services
from applicants.company_views.layout import company_or_404, render_section, request_user
from applicants.models import Application, Company
from applicants.progress import profile_progress
from matchmaker import selectors as matches
from matchmaker.changes import Change, Standing, compare
from matchmaker.selectors import MatchView
from programs.rules import wording


@dataclass(frozen=True, slots=True)
class MatchItem:
    view: MatchView
    change: Change | None
    # Where a failed gate wants a partner registered (names), and discoverable companies there.
    countries: list[str]
    suggestions: list[Company]
    # The company's application to this program, if it started one: "Continue", not "Apply".
    application: Application | None = None


@login_required
def company_matches(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_or_404(request, pk)
    membership = selectors.membership_of(request_user(request), company)
    if membership is None:  # left the team between the two queries
        raise Http404
    views = matches.company_matches(company, wording=wording())
    current: dict[int, Standing] = {
        view.program.pk: (view.match.eligibility, view.match.score) for view in views
    }
    changes = compare(membership.matches_seen, current)
    last_seen_at = membership.matches_seen_at  # None on a first visit

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
    items = [
        MatchItem(
            view=view,
            change=changes.by_program.get(view.program.pk),
            countries=[str(countries.name(code)) for code in asked[view.program.pk]],
            suggestions=selectors.best_candidates(candidates, countries=asked[view.program.pk]),
            application=applications.get(view.program.pk),
        )
        for view in views
    ]
    dropped = matches.programs_by_id(changes.dropped) if changes.dropped else []
    services.matches_mark_seen(membership=membership, current=current)

    progress = profile_progress(company)
    return render_section(
        request,
        company,
        "matches",
        "match_list.html",
        preview=False,
        items=items,
        dropped=dropped,
        changes=changes,
        last_seen_at=last_seen_at,
        # A profile change not scored yet: the list is about to change.
        scoring=company.scored_profile_version < company.profile_version,
        todo=next((section for section in progress.sections if section.complete is False), None),
    )
