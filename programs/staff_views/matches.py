"""A program's matches: the companies that fit it and may be shown to its staff, and inviting
one of them to apply."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaker.links import link_parts
from matchmaker.models import Match
from programs import staff_selectors
from programs.apply_invitations import apply_invitation_send
from programs.models import Program, Sector, StaffMembership
from programs.staff_filters import StaffMatchFilter
from programs.staff_views.access import (
    PAGE_SIZE,
    READ_WRITE,
    base_url,
    program_view,
    query_without_page,
    staff_user,
)


def _offer_sectors(filterset: StaffMatchFilter, sectors: list[Sector]) -> None:
    """The sector filter's options from the sectors the page loads anyway to name its companies'
    sectors: the same options, one query instead of two. (Its chosen value was checked against
    the database already.)"""
    field = filterset.form.fields["sector"]
    field.widget.choices = [
        ("", field.empty_label),
        *((sector.code, field.label_from_instance(sector)) for sector in sectors),
    ]


def _narrowed_page(
    request: HttpRequest, matches: QuerySet[Match], sectors: list[Sector]
) -> tuple[Page[Match], list[staff_selectors.MatchRow]]:
    """The page asked for of a list narrowed to a sector or a country, and its rows, with the
    list's count from the page's own query (``counted_match_rows``); a page past the end (or
    none that is a number) the way ``Paginator.get_page`` gives it, counting first."""
    matches = staff_selectors.sorted_in_full(matches)
    paginator = Paginator(matches, PAGE_SIZE)
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        number = 1
    if number >= 1:
        rows, total = staff_selectors.counted_match_rows(
            matches,
            sectors=sectors,
            start=(number - 1) * PAGE_SIZE,
            stop=number * PAGE_SIZE,
        )
        if total is not None:
            paginator.count = total  # what Paginator would count
            return paginator.page(number), rows
    page = paginator.get_page(request.GET.get("page"))
    return page, staff_selectors.match_rows(
        cast("QuerySet[Match]", page.object_list), sectors=sectors
    )


@program_view()
def match_list(request: HttpRequest, program: Program) -> HttpResponse:
    now = timezone.now()
    filterset = StaffMatchFilter(
        request.GET, queryset=staff_selectors.program_match_list(program, now=now)
    )
    sectors = staff_selectors.sectors_by_name()
    if filterset.is_valid() and any(
        filterset.form.cleaned_data.get(name) for name in ("sector", "country")
    ):
        page, rows = _narrowed_page(request, filterset.qs, sectors)
    else:
        matches = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = staff_selectors.match_rows(
            cast("QuerySet[Match]", page.object_list), sectors=sectors
        )
    role = staff_selectors.staff_role(staff_user(request), program)
    _offer_sectors(filterset, sectors)
    invite_before, invite_after = link_parts("staff:match-invite", slug=program.slug, company_pk=0)
    return render(
        request,
        "staff/match_list.html",
        {
            "program": program,
            "is_admin": role == StaffMembership.Role.ADMIN,
            "section": "matches",
            "filter": filterset,
            "page": page,
            "rows": rows,
            "invite_before": invite_before,
            "invite_after": invite_after,
            "query": query_without_page(request),
        },
    )


@program_view(methods=READ_WRITE, admin=True)
def match_invite(request: HttpRequest, program: Program, company_pk: int) -> HttpResponse:
    """GET: what will be sent, to confirm; POST: send it."""
    match = staff_selectors.invitable_match(program, company_pk, now=timezone.now())
    error = None
    if request.method == "POST":
        try:
            apply_invitation_send(
                program=program,
                company=match.company,
                user=staff_user(request),
                base_url=base_url(request),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("%(company)s is invited to apply; its owners will get an email.")
                % {"company": match.company},
            )
            return redirect("staff:matches", slug=program.slug)
    return render(
        request,
        "staff/match_invite.html",
        {
            "program": program,
            "is_admin": True,
            "section": "matches",
            "match": match,
            "error": error,
        },
        status=400 if error else 200,
    )
