"""The account services: sign-up, verification links and mails, preferences, sign-up lock-out,
and the ``verified_email_required`` guard."""

import datetime
import re
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views import View

from applicants.models import User
from applicants.registration import (
    SIGN_UP_FAILURE_LIMIT,
    VerificationRateLimitedError,
    VerifiedEmailRequiredMixin,
    email_verification_token,
    sign_up_failure_record,
    sign_up_locked_out,
    user_send_verification,
    user_sign_up,
    user_update_preferences,
    user_verify_email,
    verified_email_required,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE_URL = "https://pilots.example"
PASSWORD = "a long and unguessable passphrase"


@pytest.fixture(autouse=True)
def _private_cache(settings) -> Iterator[None]:
    # Rate limits live in the cache. A cache of our own keeps them from leaking between tests,
    # and clearing it never touches a shared Redis (which CI also uses as the broker).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-registration",
        }
    }
    cache.clear()
    yield
    cache.clear()


def _link_path(message_body: str) -> str:
    match = re.search(rf"{re.escape(BASE_URL)}(/accounts/verify/\S+/\S+/)", message_body)
    assert match, message_body
    return match.group(1)


def _token_parts(path: str) -> tuple[str, str]:
    uidb64, token = path.rstrip("/").split("/")[-2:]
    return uidb64, token


def _sign_up(django_capture_on_commit_callbacks, email: str = "Vendor@Example.com") -> User:
    with django_capture_on_commit_callbacks(execute=True):
        return user_sign_up(email=email, password=PASSWORD, language="en", base_url=BASE_URL)


def test_sign_up_creates_an_unverified_account_under_the_lower_cased_address(
    django_capture_on_commit_callbacks, sent_mail
):
    user = _sign_up(django_capture_on_commit_callbacks, "Vendor@Example.com")

    user.refresh_from_db()
    assert user.email == "vendor@example.com"
    assert not user.is_verified
    assert user.check_password(PASSWORD)
    assert [message.to for message in sent_mail] == [["vendor@example.com"]]


def test_sign_up_mails_a_link_in_text_and_html_in_the_users_language(
    django_capture_on_commit_callbacks, sent_mail
):
    with django_capture_on_commit_callbacks(execute=True):
        user_sign_up(
            email="vendor@example.com", password=PASSWORD, language="ru", base_url=BASE_URL
        )

    (message,) = sent_mail
    path = _link_path(message.body)
    html, mime_type = message.alternatives[0]
    assert mime_type == "text/html"
    assert f'href="{BASE_URL}{path}"' in html
    assert '<html lang="ru">' in html


def test_sign_up_keeps_the_default_language_for_an_unknown_one(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        user = user_sign_up(
            email="vendor@example.com", password=PASSWORD, language="xx", base_url=BASE_URL
        )

    assert user.language == "en"


def test_sign_up_sends_no_mail_when_its_transaction_rolls_back(
    django_capture_on_commit_callbacks, sent_mail
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        user_sign_up(
            email="vendor@example.com", password=PASSWORD, language="en", base_url=BASE_URL
        )
        raise RuntimeError

    assert sent_mail == []
    assert not User.objects.filter(email="vendor@example.com").exists()


def test_sign_up_refuses_an_address_already_registered_in_another_case():
    UserFactory(email="vendor@example.com")

    with pytest.raises(ValidationError) as error:
        user_sign_up(
            email="VENDOR@example.com", password=PASSWORD, language="en", base_url=BASE_URL
        )

    assert "email" in error.value.message_dict
    assert User.objects.count() == 1


def test_a_verification_link_verifies_the_address_once(
    django_capture_on_commit_callbacks, sent_mail
):
    # given
    user = _sign_up(django_capture_on_commit_callbacks)
    uidb64, token = _token_parts(_link_path(sent_mail[0].body))

    # when
    verified = user_verify_email(uidb64=uidb64, token=token)
    second = user_verify_email(uidb64=uidb64, token=token)

    # then
    assert verified is not None
    assert verified.pk == user.pk
    user.refresh_from_db()
    assert user.is_verified
    assert second is None


def test_a_verification_token_is_void_once_the_address_is_verified_by_any_means():
    user = UserFactory(unverified=True)
    token = email_verification_token.make_token(user)

    user.email_verified_at = timezone.now()

    assert not email_verification_token.check_token(user, token)


def test_a_verification_link_expires_after_the_reset_timeout(monkeypatch, settings):
    user = UserFactory(unverified=True)
    issued = timezone.now().replace(tzinfo=None) - datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    # The generator reads its clock through _now(); the link was mailed long ago.
    monkeypatch.setattr(email_verification_token, "_now", lambda: issued)
    token = email_verification_token.make_token(user)
    monkeypatch.undo()

    result = user_verify_email(uidb64=urlsafe_base64_encode(force_bytes(user.pk)), token=token)

    assert result is None
    user.refresh_from_db()
    assert not user.is_verified


def test_a_verification_token_is_refused_for_another_user_or_when_altered():
    user = UserFactory(unverified=True)
    other = UserFactory(unverified=True)
    token = email_verification_token.make_token(user)
    other_uid = urlsafe_base64_encode(force_bytes(other.pk))
    own_uid = urlsafe_base64_encode(force_bytes(user.pk))

    assert user_verify_email(uidb64=other_uid, token=token) is None
    assert user_verify_email(uidb64=own_uid, token=token[:-1] + "x") is None
    assert user_verify_email(uidb64="not-base64!", token=token) is None
    assert not User.objects.filter(email_verified_at__isnull=False).exists()


def test_a_verification_link_stops_working_when_the_address_changes():
    user = UserFactory(unverified=True)
    token = email_verification_token.make_token(user)
    User.objects.filter(pk=user.pk).update(email="new@example.com")

    assert (
        user_verify_email(uidb64=urlsafe_base64_encode(force_bytes(user.pk)), token=token) is None
    )


def test_a_second_verification_mail_within_a_minute_is_refused(
    django_capture_on_commit_callbacks, sent_mail
):
    user = _sign_up(django_capture_on_commit_callbacks)

    with pytest.raises(VerificationRateLimitedError):
        user_send_verification(user=user, base_url=BASE_URL)

    assert len(sent_mail) == 1


def test_a_new_verification_mail_may_be_sent_once_the_minute_is_over(
    django_capture_on_commit_callbacks, sent_mail, monkeypatch
):
    user = _sign_up(django_capture_on_commit_callbacks)
    later = time.time() + 61

    # The cache measures its timeouts with time.time().
    monkeypatch.setattr(time, "time", lambda: later)
    with django_capture_on_commit_callbacks(execute=True):
        sent = user_send_verification(user=user, base_url=BASE_URL)
    monkeypatch.undo()

    assert sent is True
    assert len(sent_mail) == 2
    uidb64, token = _token_parts(_link_path(sent_mail[1].body))
    assert user_verify_email(uidb64=uidb64, token=token) is not None


def test_a_verified_user_is_sent_no_verification_mail(
    django_capture_on_commit_callbacks, sent_mail
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        sent = user_send_verification(user=user, base_url=BASE_URL)

    assert sent is False
    assert sent_mail == []


def test_update_preferences_saves_the_name_language_and_time_zone():
    user = UserFactory()

    user_update_preferences(
        user=user, first_name="Anna", last_name="Ivanova", language="ru", time_zone="Europe/Moscow"
    )

    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.language, user.time_zone) == (
        "Anna",
        "Ivanova",
        "ru",
        "Europe/Moscow",
    )


def test_update_preferences_refuses_an_unknown_time_zone_and_saves_nothing():
    user = UserFactory(first_name="Anna")

    with pytest.raises(ValidationError) as error:
        user_update_preferences(
            user=user, first_name="Changed", last_name="", language="ru", time_zone="Mars/Olympus"
        )

    assert "time_zone" in error.value.message_dict
    user.refresh_from_db()
    assert (user.first_name, user.language, user.time_zone) == ("Anna", "en", "UTC")


def test_sign_up_locks_an_address_out_at_the_failure_limit_and_no_other():
    for _attempt in range(SIGN_UP_FAILURE_LIMIT - 1):
        sign_up_failure_record(ip_address="203.0.113.7")
    assert not sign_up_locked_out(ip_address="203.0.113.7")

    assert sign_up_failure_record(ip_address="203.0.113.7") == SIGN_UP_FAILURE_LIMIT

    assert sign_up_locked_out(ip_address="203.0.113.7")
    assert not sign_up_locked_out(ip_address="203.0.113.8")


def test_the_sign_up_lock_out_ends_after_fifteen_minutes(monkeypatch):
    for _attempt in range(SIGN_UP_FAILURE_LIMIT):
        sign_up_failure_record(ip_address="203.0.113.7")
    later = time.time() + 15 * 60 + 1

    monkeypatch.setattr(time, "time", lambda: later)

    assert not sign_up_locked_out(ip_address="203.0.113.7")


# --- verified_email_required --------------------------------------------------------------


@verified_email_required
def _apply(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(f"applied to {slug}")


class _ApplyView(VerifiedEmailRequiredMixin, View):
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return HttpResponse(f"applied to {slug}")


def _request(user) -> HttpRequest:
    request = RequestFactory().get("/programs/moscow-pilots/apply/")
    request.user = user
    return request


@pytest.mark.parametrize("view", [_apply, _ApplyView.as_view()], ids=["decorator", "mixin"])
def test_verified_email_required_sends_anonymous_visitors_to_log_in(view):
    response = view(_request(AnonymousUser()), slug="moscow-pilots")

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('accounts:login')}?next=/programs/moscow-pilots/apply/"
    )


@pytest.mark.parametrize("view", [_apply, _ApplyView.as_view()], ids=["decorator", "mixin"])
def test_verified_email_required_sends_unverified_users_to_the_explanation(view):
    response = view(_request(UserFactory(unverified=True)), slug="moscow-pilots")

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('accounts:verification-needed')}?next=%2Fprograms%2Fmoscow-pilots%2Fapply%2F"
    )


@pytest.mark.parametrize("view", [_apply, _ApplyView.as_view()], ids=["decorator", "mixin"])
def test_verified_email_required_lets_verified_users_through(view):
    response = view(_request(UserFactory()), slug="moscow-pilots")

    assert response.status_code == 200
    assert response.content == b"applied to moscow-pilots"
