"""Whether the signed-in user is agency staff, remembered in their session.

The site's header links to the staff workspace for staff only. Asking the database on every
page would add a query to every page anyone signed in opens, so the answer is worked out once,
when they sign in (Django's ``user_logged_in``), and kept in the session; opening any staff page
refreshes it. A membership granted during a session shows its link from the next sign-in or the
first staff page.
"""

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest

from programs.tenancy import is_staff_member

STAFF_SESSION_KEY = "staff_workspace"


def remember_staff(request: HttpRequest) -> None:
    """Marks the session as a staff member's (the caller has checked), writing only on change."""
    if request.session.get(STAFF_SESSION_KEY) is not True:
        request.session[STAFF_SESSION_KEY] = True


def remember_staff_on_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Receiver of ``user_logged_in``. Token sign-ins of the API open no session: skipped."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return
    if is_staff_member(user):
        session[STAFF_SESSION_KEY] = True
    else:
        session.pop(STAFF_SESSION_KEY, None)
