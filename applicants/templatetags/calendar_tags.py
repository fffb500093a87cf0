"""``{% calendar_feed %}``: the signed-in user's calendar feed panel, for any settings page.

An inclusion tag, so the page that shows it needs no view changes: the panel reads
``request.user`` from the context and loads what it shows in one query (two on the very first
view, which also makes the feed's secret address).
"""

from typing import Any

from django import template
from django.urls import reverse

from applicants.calendar import calendar_token_issue
from applicants.follows import followed_programs
from applicants.models import User

register = template.Library()


@register.inclusion_tag("accounts/includes/calendar_feed_panel.html", takes_context=True)
def calendar_feed(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    if not isinstance(user, User):
        return {"feed_url": None}
    path = reverse("accounts:calendar-feed", kwargs={"token": calendar_token_issue(user=user)})
    feed_url = request.build_absolute_uri(path)
    return {
        # An inclusion tag starts from a fresh context: the forms need the token passed on.
        "csrf_token": context.get("csrf_token"),
        "feed_url": feed_url,
        # Apple Calendar (and Outlook on the desktop) subscribe when a webcal:// link is opened.
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
        "programs": list(followed_programs(user=user)),
        "next": request.get_full_path(),
    }
