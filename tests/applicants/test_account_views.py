"""The account pages through the test client: sign-up, verification, log-in and lock-outs,
log-out, password reset and change, and the profile page."""

import re
from collections.abc import Iterator

import pytest
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from applicants.models import User
from applicants.registration import SIGN_UP_FAILURE_LIMIT, verification_path
from programs.models import StaffMembership
from tests.factories import USER_PASSWORD, AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

# Where vendors land after sign-up and log-in (settings.LOGIN_REDIRECT_URL).
LANDING = reverse("companies:list")
NEW_PASSWORD = "another long unguessable passphrase"
SIGNUP_URL = reverse("accounts:signup")
LOGIN_URL = reverse("accounts:login")
PROFILE_URL = reverse("accounts:profile")
RESEND_URL = reverse("accounts:resend-verification")


@pytest.fixture(autouse=True)
def _private_cache(settings) -> Iterator[None]:
    # Sign-up and resend limits live in the cache: one of our own per test, so they cannot
    # leak between tests, and clearing it never flushes a shared Redis.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-account-views",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_lockouts(db) -> Iterator[None]:
    # django-axes keeps failures in the database; start and end every test with none.
    axes_reset()
    yield
    axes_reset()


def _sign_up_data(**overrides: str) -> dict[str, str]:
    return {
        "email": "vendor@example.com",
        "password1": USER_PASSWORD,
        "password2": USER_PASSWORD,
        **overrides,
    }


def _link_in(body: str, name: str) -> str:
    prefix = {"verify": "/accounts/verify/", "reset": "/accounts/password-reset/"}[name]
    match = re.search(rf"https?://testserver({re.escape(prefix)}\S+/\S+/)", body)
    assert match, body
    return match.group(1)


def _field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def _signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


# --- Sign-up -----------------------------------------------------------------------------


def test_the_sign_up_form_labels_its_fields(client):
    response = client.get(SIGNUP_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_email">Email' in content
    assert '<label for="id_password1">Password' in content
    assert '<label for="id_password2">Confirm password' in content


def test_sign_up_creates_an_unverified_account_signs_in_and_mails_a_link_that_works_once(
    client, sent_mail, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP_URL, _sign_up_data(email="Vendor@Example.com"))
    user = User.objects.get()

    # then: the new account is unverified, signed in and sent one mail
    assert response.status_code == 302
    assert response["Location"] == LANDING
    assert user.email == "vendor@example.com"
    assert not user.is_verified
    assert _signed_in_user_id(client) == str(user.pk)
    assert [message.to for message in sent_mail] == [["vendor@example.com"]]

    # when: the link is opened
    link = _link_in(sent_mail[0].body, "verify")
    first = client.get(link)

    # then
    assert first.status_code == 200
    assert "vendor@example.com is confirmed" in first.content.decode()
    user.refresh_from_db()
    assert user.is_verified

    # when: it is opened again
    second = client.get(link)

    # then
    assert second.status_code == 400
    assert "already been used" in second.content.decode()


@pytest.mark.parametrize(
    ("given", "kept"),
    [("Asia/Taipei", "Asia/Taipei"), ("Mars/Olympus_Mons", "UTC"), ("", "UTC")],
    ids=["the browser's", "unknown", "no JavaScript"],
)
def test_sign_up_keeps_the_browsers_time_zone_on_the_account(client, given, kept):
    assert 'type="hidden" name="time_zone"' in client.get(SIGNUP_URL).content.decode()

    response = client.post(SIGNUP_URL, _sign_up_data(time_zone=given))

    assert response.status_code == 302
    assert User.objects.get().time_zone == kept


def test_sign_up_refuses_a_registered_address_in_any_case_next_to_the_email_field(client):
    UserFactory(email="vendor@example.com")

    response = client.post(SIGNUP_URL, _sign_up_data(email="VENDOR@example.com"))

    assert response.status_code == 200
    assert (
        "An account with this email address already exists" in _field_errors(response, "email")[0]
    )
    assert 'id="id_email_error"' in response.content.decode()
    assert User.objects.count() == 1
    assert _signed_in_user_id(client) is None


def test_sign_up_refuses_a_weak_password_next_to_the_password_field(client, sent_mail):
    response = client.post(SIGNUP_URL, _sign_up_data(password1="password", password2="password"))

    assert response.status_code == 200
    assert "This password is too common." in _field_errors(response, "password1")
    assert not User.objects.exists()
    assert sent_mail == []


def test_sign_up_refuses_a_password_too_similar_to_the_address(client):
    response = client.post(
        SIGNUP_URL,
        _sign_up_data(
            email="vendorcompany@example.com",
            password1="vendorcompany",
            password2="vendorcompany",
        ),
    )

    assert "The password is too similar to the email address." in _field_errors(
        response, "password1"
    )
    assert not User.objects.exists()


def test_sign_up_refuses_a_confirmation_that_does_not_match(client):
    response = client.post(SIGNUP_URL, _sign_up_data(password2=USER_PASSWORD + "!"))

    assert response.status_code == 200
    assert _field_errors(response, "password2") == ["The two passwords do not match."]
    assert not User.objects.exists()


def test_sign_up_locks_an_address_out_after_ten_invalid_submissions(
    client, django_capture_on_commit_callbacks
):
    # given: nine invalid submissions are answered normally
    invalid = _sign_up_data(password2="does not match")
    for _attempt in range(SIGN_UP_FAILURE_LIMIT - 1):
        assert client.post(SIGNUP_URL, invalid).status_code == 200

    # when: the tenth fails
    tenth = client.post(SIGNUP_URL, invalid)

    # then: it and every later submission, even a valid one, get the lock-out page
    assert tenth.status_code == 429
    assert "accounts/locked_out.html" in [template.name for template in tenth.templates]
    assert "Too many sign-up attempts" in tenth.content.decode()
    assert "15 minutes" in tenth.content.decode()
    valid = client.post(SIGNUP_URL, _sign_up_data())
    assert valid.status_code == 429
    assert not User.objects.exists()
    # ... but another address may still sign up.
    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = client.post(SIGNUP_URL, _sign_up_data(), REMOTE_ADDR="198.51.100.20")
    assert elsewhere.status_code == 302
    assert User.objects.filter(email="vendor@example.com").exists()


def test_signed_in_users_are_sent_on_from_the_sign_up_page(client):
    client.force_login(UserFactory())

    response = client.get(SIGNUP_URL)

    assert response.status_code == 302
    assert response["Location"] == LANDING


# --- Verification ------------------------------------------------------------------------


def test_a_tampered_verification_link_shows_a_clear_page_and_verifies_nothing(client):
    user = UserFactory(unverified=True)
    path = verification_path(user)

    response = client.get(path[:-2] + "x/")

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_verified


def test_an_expired_verification_link_offers_a_signed_in_user_a_new_one(client, settings):
    user = UserFactory(unverified=True)
    path = verification_path(user)
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link issued so far has expired
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 400
    assert f'action="{RESEND_URL}"' in response.content.decode()
    user.refresh_from_db()
    assert not user.is_verified


def test_resend_mails_a_new_link_then_refuses_a_second_within_a_minute(
    client, sent_mail, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory(unverified=True)
    client.force_login(user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(RESEND_URL, {"next": PROFILE_URL})
        second = client.post(RESEND_URL, {"next": PROFILE_URL})

    # then
    assert first["Location"] == PROFILE_URL
    assert second["Location"] == PROFILE_URL
    assert len(sent_mail) == 1
    assert sent_mail[0].to == [user.email]
    # The profile page it returns to says what happened.
    assert "less than a minute ago" in client.get(PROFILE_URL).content.decode()


def test_resend_ignores_a_next_address_on_another_site(client):
    client.force_login(UserFactory(unverified=True))

    response = client.post(RESEND_URL, {"next": "https://evil.example/"})

    assert response["Location"] == reverse("accounts:verification-needed")


def test_resend_needs_a_post_from_a_signed_in_user(client):
    assert client.post(RESEND_URL)["Location"].startswith(f"{LOGIN_URL}?next=")
    client.force_login(UserFactory(unverified=True))
    assert client.get(RESEND_URL).status_code == 405


def test_the_verification_needed_page_explains_and_offers_a_new_link(client):
    client.force_login(UserFactory(unverified=True))

    response = client.get(reverse("accounts:verification-needed"), {"next": "/programs/"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Before you apply to a program" in content
    assert f'action="{RESEND_URL}"' in content


def test_the_verification_needed_page_sends_verified_users_on(client):
    client.force_login(UserFactory())

    response = client.get(reverse("accounts:verification-needed"), {"next": "/programs/"})

    assert response["Location"] == "/programs/"


# --- Log-in, lock-out, log-out -------------------------------------------------------------


def test_log_in_accepts_the_address_in_any_case_and_applies_the_users_language(client):
    user = UserFactory(email="vendor@example.com", language="ru")

    response = client.post(LOGIN_URL, {"username": "Vendor@Example.com", "password": USER_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == LANDING
    assert _signed_in_user_id(client) == str(user.pk)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert '<html lang="ru"' in client.get(PROFILE_URL).content.decode()


def test_log_in_takes_agency_staff_to_their_workspace(client):
    user = UserFactory(email="staff@moscow.example")
    StaffMembership.objects.create(
        user=user, agency=AgencyFactory(), role=StaffMembership.Role.REVIEWER
    )

    response = client.post(LOGIN_URL, {"username": user.email, "password": USER_PASSWORD})

    assert response["Location"] == reverse("staff:home")


def test_log_in_follows_a_safe_next_address(client):
    UserFactory(email="vendor@example.com")

    response = client.post(
        f"{LOGIN_URL}?next={PROFILE_URL}",
        {"username": "vendor@example.com", "password": USER_PASSWORD, "next": PROFILE_URL},
    )

    assert response["Location"] == PROFILE_URL


def test_log_in_with_a_wrong_password_says_so_and_signs_nobody_in(client):
    UserFactory(email="vendor@example.com")

    response = client.post(LOGIN_URL, {"username": "vendor@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_the_log_in_form_labels_the_user_name_email(client):
    content = client.get(LOGIN_URL).content.decode()

    assert '<label for="id_username">Email' in content
    assert 'type="email"' in content


def test_log_in_locks_out_an_address_and_account_after_five_failures(client):
    # given: four failures are answered with the form
    UserFactory(email="vendor@example.com")
    wrong = {"username": "vendor@example.com", "password": "wrong"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN_URL, wrong).status_code == 200

    # when: the fifth fails
    fifth = client.post(LOGIN_URL, wrong)

    # then: it and even the right password get the lock-out page
    assert fifth.status_code == 429
    # Axes swaps the page the log-in view rendered for its own.
    assert "accounts/locked_out.html" in [template.name for template in fifth.templates]
    assert "Too many failed log-in attempts" in fifth.content.decode()
    assert "15 minutes" in fifth.content.decode()
    right = {"username": "vendor@example.com", "password": USER_PASSWORD}
    assert client.post(LOGIN_URL, right).status_code == 429
    assert _signed_in_user_id(client) is None
    # ... but the account is not locked for everyone everywhere.
    elsewhere = client.post(LOGIN_URL, right, REMOTE_ADDR="198.51.100.20")
    assert elsewhere.status_code == 302


def test_log_out_needs_a_post(client):
    client.force_login(UserFactory())

    refused = client.get(reverse("accounts:logout"))
    assert refused.status_code == 405
    assert _signed_in_user_id(client) is not None

    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("programs:list")
    assert _signed_in_user_id(client) is None


# --- Passwords ---------------------------------------------------------------------------


def test_password_reset_mails_a_link_that_sets_a_new_password(client, mailoutbox):
    # given
    user = UserFactory(email="vendor@example.com")

    # when: the vendor asks for a link
    response = client.post(reverse("accounts:password-reset"), {"email": "Vendor@Example.com"})

    # then
    assert response["Location"] == reverse("accounts:password-reset-done")
    (message,) = mailoutbox
    assert message.to == ["vendor@example.com"]
    assert message.subject == "Set a new password for Pilot Match"
    assert message.alternatives[0][1] == "text/html"

    # when: they open it and choose a new password
    form_page = client.get(_link_in(message.body, "reset"), follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then
    assert done["Location"] == reverse("accounts:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_looks_the_same_and_mails_nothing(client, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})

    assert response["Location"] == reverse("accounts:password-reset-done")
    assert mailoutbox == []


def test_password_change_needs_the_old_password_and_a_strong_new_one(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("accounts:password-change")

    wrong_old = client.post(
        url,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    weak_new = client.post(
        url,
        {"old_password": USER_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert _field_errors(wrong_old, "old_password")
    assert _field_errors(weak_new, "new_password2")
    user.refresh_from_db()
    assert user.check_password(USER_PASSWORD)


def test_password_change_sets_the_new_password_and_keeps_the_user_signed_in(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": USER_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response["Location"] == reverse("accounts:password-change-done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(PROFILE_URL).status_code == 200


def test_password_change_is_for_signed_in_users(client):
    response = client.get(reverse("accounts:password-change"))

    assert response["Location"].startswith(f"{LOGIN_URL}?next=")


# --- Profile -----------------------------------------------------------------------------


def test_the_profile_page_needs_a_signed_in_user(client):
    response = client.get(PROFILE_URL)

    assert response["Location"] == f"{LOGIN_URL}?next={PROFILE_URL}"


def test_the_profile_page_shows_an_unverified_address_with_a_resend_button(client):
    client.force_login(UserFactory(email="vendor@example.com", unverified=True))

    content = client.get(PROFILE_URL).content.decode()

    assert "vendor@example.com" in content
    assert "Not confirmed" in content
    assert f'action="{RESEND_URL}"' in content


def test_the_profile_page_shows_a_verified_address_without_a_resend_button(client):
    client.force_login(UserFactory())

    content = client.get(PROFILE_URL).content.decode()

    assert "Confirmed" in content
    assert RESEND_URL not in content


def test_saving_the_profile_in_russian_switches_the_site_to_russian(client):
    # given
    user = UserFactory()
    client.force_login(user)

    # when
    response = client.post(
        PROFILE_URL,
        {
            "first_name": "Anna",
            "last_name": "Ivanova",
            "language": "ru",
            "time_zone": "Asia/Taipei",
        },
    )

    # then
    assert response["Location"] == PROFILE_URL
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    user.refresh_from_db()
    assert (user.first_name, user.language, user.time_zone) == ("Anna", "ru", "Asia/Taipei")
    assert '<html lang="ru"' in client.get(reverse("programs:list")).content.decode()


def test_the_profile_refuses_an_unknown_time_zone_next_to_the_field_and_saves_nothing(client):
    user = UserFactory(first_name="Anna")
    client.force_login(user)

    response = client.post(
        PROFILE_URL,
        {"first_name": "Changed", "last_name": "", "language": "ru", "time_zone": "Mars/Olympus"},
    )

    assert response.status_code == 200
    assert _field_errors(response, "time_zone") == [
        "“Mars/Olympus” is not a known time zone; pick one from the list."
    ]
    assert 'id="id_time_zone_error"' in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert (user.first_name, user.language, user.time_zone) == ("Anna", "en", "UTC")


def test_the_profile_refuses_a_language_the_site_does_not_offer(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(PROFILE_URL, {"language": "de", "time_zone": "UTC"})

    assert _field_errors(response, "language")
    user.refresh_from_db()
    assert user.language == "en"
