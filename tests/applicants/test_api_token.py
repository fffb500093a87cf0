"""POST /api/v1/auth/token/: an integrator's email and password for the account's API token."""

from collections.abc import Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applicants.models import User
from tests.vendors import PASSWORD, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _no_lockouts() -> Iterator[None]:
    # django-axes keeps failures in the database and an address's lockout outlives a test only
    # through it, but reset anyway so no test starts locked out by another.
    reset()
    yield
    reset()


@pytest.fixture
def user() -> User:
    return make_user("integrator@example.com")


def sign_in(client: APIClient, email: str, password: str) -> Any:
    return client.post(URL, {"email": email, "password": password}, format="json")


def test_an_account_gets_its_token_for_its_email_and_password(
    api_client: APIClient, user: User
) -> None:
    response = sign_in(api_client, "integrator@example.com", PASSWORD)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_the_same_token_is_returned_on_every_sign_in(api_client: APIClient, user: User) -> None:
    first = sign_in(api_client, "integrator@example.com", PASSWORD).json()["token"]
    second = sign_in(api_client, "integrator@example.com", PASSWORD).json()["token"]

    assert first == second
    assert Token.objects.filter(user=user).count() == 1


def test_the_token_signs_in_api_requests(api_client: APIClient, user: User) -> None:
    token = sign_in(api_client, "integrator@example.com", PASSWORD).json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/companies/")

    assert response.status_code == 200


def test_the_email_matches_whatever_its_case(api_client: APIClient, user: User) -> None:
    response = sign_in(api_client, "  Integrator@Example.COM ", PASSWORD)

    assert response.status_code == 200


def test_a_sign_in_records_the_last_login(api_client: APIClient, user: User) -> None:
    sign_in(api_client, "integrator@example.com", PASSWORD)

    user.refresh_from_db()
    assert user.last_login is not None


def test_a_wrong_password_gets_a_400_with_a_clear_message_and_no_token(
    api_client: APIClient, user: User
) -> None:
    response = sign_in(api_client, "integrator@example.com", "not the password")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to sign in with this email and password."]
    }
    assert not Token.objects.exists()


def test_an_unknown_email_is_answered_like_a_wrong_password(api_client: APIClient) -> None:
    response = sign_in(api_client, "nobody@example.com", PASSWORD)

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to sign in with this email and password."]
    }


def test_an_inactive_account_gets_no_token(api_client: APIClient) -> None:
    make_user("gone@example.com", is_active=False)

    response = sign_in(api_client, "gone@example.com", PASSWORD)

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_a_deactivated_accounts_token_stops_working(api_client: APIClient, user: User) -> None:
    token = sign_in(api_client, "integrator@example.com", PASSWORD).json()["token"]
    User.objects.filter(pk=user.pk).update(is_active=False)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/companies/")

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email", "password"}),
        ({"email": "integrator@example.com"}, {"password"}),
        ({"email": "not an address", "password": PASSWORD}, {"email"}),
        ({"email": "integrator@example.com", "password": 12345678}, {"password"}),
        ({"email": "integrator@example.com", "password": PASSWORD, "scope": "all"}, {"scope"}),
    ],
)
def test_a_missing_or_malformed_field_is_named(
    api_client: APIClient, user: User, body: dict[str, Any], errors: set[str]
) -> None:
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == errors


def test_a_form_encoded_body_is_refused_as_not_json(api_client: APIClient, user: User) -> None:
    response = api_client.post(
        URL, {"email": "integrator@example.com", "password": PASSWORD}, format="multipart"
    )

    assert response.status_code == 415


# --- lock-out ----------------------------------------------------------------------------------


def fail(client: APIClient, times: int, email: str = "integrator@example.com") -> list[int]:
    return [sign_in(client, email, "wrong password").status_code for _ in range(times)]


def test_failures_are_counted_by_django_axes(api_client: APIClient, user: User) -> None:
    fail(api_client, 2)

    attempt = AccessAttempt.objects.get(username="integrator@example.com")
    assert attempt.failures_since_start == 2


def test_the_fifth_failure_locks_the_client_out_with_a_json_429(
    api_client: APIClient, user: User
) -> None:
    statuses = fail(api_client, 5)

    assert statuses == [400, 400, 400, 400, 429]


def test_a_locked_out_client_gets_no_token_even_with_the_right_password(
    api_client: APIClient, user: User
) -> None:
    fail(api_client, 5)

    response = sign_in(api_client, "integrator@example.com", PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Too many failed sign-in attempts.")
    # The cool-off of the settings, 15 minutes.
    assert response["Retry-After"] == "900"
    assert not Token.objects.exists()


def test_the_lockout_holds_one_account_not_every_account(api_client: APIClient, user: User) -> None:
    make_user("colleague@example.com")
    fail(api_client, 5)

    response = sign_in(api_client, "colleague@example.com", PASSWORD)

    assert response.status_code == 200


def test_a_successful_sign_in_clears_earlier_failures(api_client: APIClient, user: User) -> None:
    fail(api_client, 4)
    sign_in(api_client, "integrator@example.com", PASSWORD)

    statuses = fail(api_client, 4)

    assert statuses == [400, 400, 400, 400]
    assert sign_in(api_client, "integrator@example.com", PASSWORD).status_code == 200


def test_resetting_axes_lifts_the_lockout(api_client: APIClient, user: User) -> None:
    # What an operator does with `manage.py axes_reset`; also proves the fixture above works.
    fail(api_client, 5)

    reset()

    assert sign_in(api_client, "integrator@example.com", PASSWORD).status_code == 200
