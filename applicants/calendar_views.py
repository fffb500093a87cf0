"""Calendar downloads and feeds, and the Follow button that fills the feed.

- ``calendar_feed``: a user's deadlines at their secret address; no sign-in, the token is it.
- ``program_calendar``: one published program's deadlines as an .ics download.
- ``follow``: follow or unfollow a program (POST, signed in).
- ``calendar_reset``: a new secret address; the old one stops working (POST, signed in).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from applicants import calendar
from applicants.account_views import base_url, safe_next, signed_in_user
from applicants.follows import is_following, program_follow, program_unfollow
from programs.models import Program

CONTENT_TYPE = "text/calendar; charset=utf-8"
FOLLOW_ACTIONS = ("follow", "unfollow", "toggle")


def _ics_response(content: bytes, *, disposition: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = calendar.calendar_feed_owner(token=token)
    if owner is None:
        raise Http404
    # The calendar app fetching the feed has no say: it speaks its owner's language.
    with translation.override(owner.language):
        content = calendar.feed_calendar(user=owner, base_url=base_url(request)).to_ical()
    response = _ics_response(content, disposition="inline", filename="deadlines.ics")
    # Private: the address is a secret, so no shared cache may keep what it returns.
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Language"] = owner.language
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def program_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    # Visible exactly when the program's page is: any status but draft.
    program = get_object_or_404(Program.objects.published().select_related("owner"), slug=slug)
    content = calendar.program_calendar(program=program, base_url=base_url(request)).to_ical()
    return _ics_response(content, disposition="attachment", filename=f"{program.slug}.ics")


@login_required
@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follows or unfollows, as the form's ``action`` says; without one, toggles. An explicit
    action is what the site's buttons send: submitting twice then changes nothing more."""
    user = signed_in_user(request)
    program = get_object_or_404(Program.objects.published(), slug=slug)
    action = request.POST.get("action") or "toggle"
    if action not in FOLLOW_ACTIONS:
        return HttpResponseBadRequest(
            _("Unknown action “%(action)s”: send follow or unfollow.") % {"action": action[:40]},
            content_type="text/plain; charset=utf-8",
        )
    if action == "toggle":
        action = "unfollow" if is_following(user=user, program=program) else "follow"
    names = {"program": program.title}
    if action == "follow":
        try:
            program_follow(user=user, program=program)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "You follow %(program)s: its deadlines are in your calendar feed, and we "
                    "remind you of them while your company is eligible and has not applied."
                )
                % names,
            )
    else:
        program_unfollow(user=user, program=program)
        messages.success(request, _("You no longer follow %(program)s.") % names)
    return redirect(safe_next(request) or program.get_absolute_url())


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    calendar.calendar_token_reset(user=signed_in_user(request))
    messages.success(
        request,
        _(
            "Your calendar feed has a new address and the old one no longer works. Subscribe "
            "to the new address in your calendar app, and remove the old subscription."
        ),
    )
    return redirect(safe_next(request) or reverse("accounts:profile"))
