"""A program's matches: the companies that fit it and may be shown to its staff, and inviting
one of them to apply."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaker.models import Match
from programs import staff_selectors
from programs.apply_invitations import apply_invitation_send
from programs.models import Program, StaffMembership
from programs.staff_filters import StaffMatchFilter
from programs.staff_views.access import (
    PAGE_SIZE,
    READ_WRITE,
    base_url,
    program_view,
    query_without_page,
    staff_user,
)


@program_view()
def match_list(request: HttpRequest, program: Program) -> HttpResponse:
    now = timezone.now()
    filterset = StaffMatchFilter(
        request.GET, queryset=staff_selectors.program_matches(program, now=now)
    )
    matches = filterset.qs if filterset.is_valid() else Match.objects.none()
    page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    role = staff_selectors.staff_role(staff_user(request), program)
    return render(
        request,
        "staff/match_list.html",
        {
            "program": program,
            "is_admin": role == StaffMembership.Role.ADMIN,
            "section": "matches",
            "filter": filterset,
            "page": page,
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
