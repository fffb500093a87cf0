"""The user's language: chosen with the switcher on every page, kept on the account.

Signed out, Django's ``LocaleMiddleware`` decides (the language cookie the switcher sets, else the
browser's ``Accept-Language``). Signed in, the account's language wins, so pages follow the user
from one device to the next, as the mails and the calendar feed already do.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from applicants.models import User


class UserLanguageMiddleware:
    """Serves a signed-in user's pages in the language kept on the account.

    After ``AuthenticationMiddleware``. API requests authenticated by token are not signed in
    here; they get the language of their ``Accept-Language`` header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            language = getattr(user, "language", "")
            if language != request.LANGUAGE_CODE and translation.check_for_language(language):
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (cookie and redirect back), and for a signed-in user the choice
    saved on the account too."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and translation.check_for_language(language)
    ):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
