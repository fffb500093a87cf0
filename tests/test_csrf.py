"""CSRF, for every route found in the URLconf: Django's middleware is on; no view opts out of it
unless it is listed here with the reason; API views that accept a browser's session enforce the
token as DRF does; and a signed-in browser's POST without the token is refused."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authentication import SessionAuthentication

from tests.factories import UserFactory
from tests.urlconf import all_routes

# Route name -> why it may take a POST without a CSRF token.
CSRF_EXEMPT = {
    "accounts:unsubscribe": (
        "RFC 8058 one-click unsubscribe: mail clients POST without a token; the signed link in "
        "the URL is the authority, and the POST can only switch mail off."
    ),
}


def _is_drf(callback: Any) -> bool:
    return hasattr(callback, "cls")


def test_the_csrf_middleware_is_on() -> None:
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def test_no_page_opts_out_of_csrf_unless_listed_with_a_reason() -> None:
    exempt = {
        name
        for name, route in all_routes().items()
        if getattr(route.callback, "csrf_exempt", False)
        and not _is_drf(route.callback)
        and not name.startswith("admin:")
    }

    assert exempt == set(CSRF_EXEMPT)


def test_every_api_view_that_accepts_a_session_enforces_the_csrf_token() -> None:
    # DRF exempts its views from Django's middleware and checks the token itself whenever a
    # request is authenticated by the session; a class that skipped that check would reopen it.
    lax = []
    for name, route in all_routes().items():
        if not _is_drf(route.callback):
            continue
        for authentication in route.callback.cls.authentication_classes:
            if (
                issubclass(authentication, SessionAuthentication)
                and authentication.enforce_csrf is not SessionAuthentication.enforce_csrf
            ):
                lax.append(f"{name}: {authentication.__name__}")

    assert lax == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/companies/new/",
        "/accounts/notifications/",
        "/accounts/calendar/reset/",
    ],
)
def test_a_signed_in_browsers_post_without_the_token_is_refused(path: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(UserFactory(email="vendor@example.com"))

    response = browser.post(path, {"legal_name": "Forged Co", "country": "TW"})

    assert response.status_code == 403


@pytest.mark.django_db
def test_sign_in_itself_needs_the_token() -> None:
    UserFactory(email="vendor@example.com")
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        reverse("accounts:login"), {"username": "vendor@example.com", "password": "x"}
    )

    assert response.status_code == 403
