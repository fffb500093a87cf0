"""Which emails a user gets: the notifications settings page and the one-click unsubscribe link.

The page lists every kind of mail a user may switch off, with the new-matches digest's
frequency; the link in each such mail switches its kind off without a log-in. Both only validate
and call the outbox's services (``matchmaker.outbox``); mail that answers something the user did
(``Notification.TRANSACTIONAL``, such as the verification mail) is never listed.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_stubs_ext import StrOrPromise

from applicants.account_views import signed_in_user
from applicants.models import User
from matchmaker.models import Notification
from matchmaker.outbox import (
    OPTIONAL_KINDS,
    email_opt_out,
    notification_preferences_update,
    opted_out_kinds,
    unsubscribe_link_read,
)

Kind = Notification.Kind

# One line per kind: what the mail is about and when it comes.
DESCRIPTIONS: dict[str, StrOrPromise] = {
    Kind.COMPANY_INVITATION: gettext_lazy(
        "When the owner of a company invites you to join its team."
    ),
    Kind.PARTNERSHIP_REQUEST: gettext_lazy(
        "When another company asks a company you own to be partners."
    ),
    Kind.APPLY_INVITATION: gettext_lazy(
        "When a program's staff invite a company you own to apply."
    ),
    Kind.APPLICATION_SUBMITTED: gettext_lazy(
        "When your company submits an application: a receipt for everyone on the team."
    ),
    Kind.APPLICATION_DECISION: gettext_lazy(
        "When a program's staff move your company's application on, decline it or complete it."
    ),
    Kind.DEADLINE_REMINDER: gettext_lazy(
        "A few days before a deadline of a program you follow or your company can apply to."
    ),
    Kind.DEADLINE_CHANGED: gettext_lazy(
        "When a program you follow or applied to moves one of its deadlines."
    ),
    Kind.NEW_MATCHES: gettext_lazy(
        "Newly opened programs your companies match, as often as you choose below."
    ),
}


class NotificationPreferencesForm(forms.Form):
    """A checkbox per kind of mail a user may switch off (named by the kind), and the digest."""

    digest = forms.ChoiceField(
        label=gettext_lazy("Summary of new matching programs"),
        choices=User.Digest.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "How often to hear about newly opened programs your companies match."
        ),
        error_messages={
            "required": gettext_lazy("Choose how often to hear about new matches."),
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not one of the choices: daily, weekly or never."
            ),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = {
            kind.value: forms.BooleanField(
                label=kind.label, required=False, help_text=DESCRIPTIONS.get(kind, "")
            )
            for kind in OPTIONAL_KINDS
        }
        # The kinds first, then the digest: the order the page reads in.
        self.fields = {**kinds, "digest": self.fields["digest"]}

    @classmethod
    def for_user(cls, user: User) -> "NotificationPreferencesForm":
        off = opted_out_kinds(user=user)
        initial: dict[str, Any] = {kind.value: kind.value not in off for kind in OPTIONAL_KINDS}
        return cls(initial={**initial, "digest": user.digest})

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[kind.value] for kind in OPTIONAL_KINDS]

    def receive(self) -> list[str]:
        """The kinds left switched on."""
        return [kind.value for kind in OPTIONAL_KINDS if self.cleaned_data.get(kind.value)]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = NotificationPreferencesForm(request.POST)
        if form.is_valid():
            try:
                notification_preferences_update(
                    user=user, receive=form.receive(), digest=form.cleaned_data["digest"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your email settings are saved."))
                return redirect("accounts:notifications")
    else:
        form = NotificationPreferencesForm.for_user(user)
    return render(request, "accounts/notifications.html", {"form": form, "account": user})


# Mail clients post the one-click unsubscribe of RFC 8058 on their own, with no CSRF token and
# no session: the signed token is the authority here, and it only ever switches mail off.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link checkers open links); POST switches the kind off."""
    link = unsubscribe_link_read(token)
    if link is None:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        email_opt_out(user=link.user, kind=link.kind)
        return render(request, "accounts/unsubscribe_done.html", {"link": link})
    return render(request, "accounts/unsubscribe.html", {"link": link})
