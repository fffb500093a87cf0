"""The email settings page and the one-click unsubscribe link (applicants.preferences)."""

from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from applicants.models import User
from matchmaker import tasks
from matchmaker.models import EmailOptOut, Notification
from matchmaker.outbox import OPTIONAL_KINDS, enqueue, notification_key, unsubscribe_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
URL = reverse("accounts:notifications")


@pytest.fixture
def user() -> User:
    return UserFactory(email="vendor@example.com")


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def every_kind_on(**changes: Any) -> dict[str, Any]:
    """The settings form as it comes: every kind ticked, a weekly digest; ``changes`` on top
    (``False`` unticks a kind: the browser then sends nothing for it)."""
    data: dict[str, Any] = {kind.value: "on" for kind in OPTIONAL_KINDS}
    data["digest"] = "weekly"
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is False:
            data.pop(name)
        else:
            data[name] = value
    return data


def opted_out(user: User) -> set[str]:
    return set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))


def unsubscribe_url(user: User, kind: str) -> str:
    return reverse("accounts:unsubscribe", args=[unsubscribe_token(user=user, kind=kind)])


# --- the settings page ---------------------------------------------------------------------------


def test_the_page_lists_every_kind_a_user_may_switch_off_with_what_it_is(
    signed_in: Client, django_assert_num_queries: Any
) -> None:
    # Queries: the session, the user, their opt-outs; then the calendar panel: the feed's
    # token, written on this first view, and the programs the user follows.
    with django_assert_num_queries(5):
        response = signed_in.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    for kind in OPTIONAL_KINDS:
        assert f'name="{kind.value}"' in page
        assert str(kind.label) in page
    assert "When another company asks a company you own to be partners." in page
    assert 'name="verify-email"' not in page  # transactional: never offered
    for value in ("daily", "weekly", "off"):
        assert f'value="{value}"' in page
    form = response.context["form"]
    assert all(form[kind.value].value() for kind in OPTIONAL_KINDS)
    assert form["digest"].value() == "weekly"


def test_the_page_shows_what_the_user_switched_off(signed_in: Client, user: User) -> None:
    EmailOptOut.objects.create(user=user, kind=Kind.DEADLINE_REMINDER)
    User.objects.filter(pk=user.pk).update(digest="daily")

    form = signed_in.get(URL).context["form"]

    assert form[Kind.DEADLINE_REMINDER.value].value() is False
    assert form[Kind.NEW_MATCHES.value].value() is True
    assert form["digest"].value() == "daily"


def test_the_page_needs_a_log_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_saving_switches_kinds_off_and_on_and_sets_the_digest(
    signed_in: Client, user: User
) -> None:
    # when two kinds are unticked and the digest set to daily
    response = signed_in.post(
        URL,
        every_kind_on(deadline_reminder=False, partnership_request=False, digest="daily"),
        follow=True,
    )

    # then
    assert response.redirect_chain == [(URL, 302)]
    assert "Your email settings are saved." in response.content.decode()
    assert opted_out(user) == {"deadline-reminder", "partnership-request"}
    user.refresh_from_db()
    assert user.digest == "daily"

    # when one is ticked again
    signed_in.post(URL, every_kind_on(deadline_reminder=False))

    # then
    assert opted_out(user) == {"deadline-reminder"}


def test_a_bad_digest_is_refused_next_to_the_field_and_changes_nothing(
    signed_in: Client, user: User
) -> None:
    EmailOptOut.objects.create(user=user, kind=Kind.NEW_MATCHES)

    response = signed_in.post(URL, every_kind_on(deadline_reminder=False, digest="hourly"))

    assert response.status_code == 200
    assert response.context["form"].errors["digest"] == [
        "“hourly” is not one of the choices: daily, weekly or never."
    ]
    assert opted_out(user) == {"new-matches"}
    user.refresh_from_db()
    assert user.digest == "weekly"


def test_the_profile_page_links_to_the_email_settings(signed_in: Client) -> None:
    page = signed_in.get(reverse("accounts:profile")).content.decode()

    assert f'href="{URL}"' in page


# --- unsubscribing -------------------------------------------------------------------------------


def test_the_link_asks_before_it_unsubscribes(client: Client, user: User) -> None:
    url = unsubscribe_url(user, Kind.DEADLINE_REMINDER)

    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop emails about deadline reminders" in page
    assert f'action="{url}"' in page
    assert opted_out(user) == set()  # a link checker opening it changes nothing


def test_confirming_unsubscribes_without_a_log_in_and_links_to_the_settings(
    client: Client, user: User
) -> None:
    url = unsubscribe_url(user, Kind.DEADLINE_REMINDER)

    first = client.post(url)
    second = client.post(url)

    assert first.status_code == second.status_code == 200
    assert "no more “Deadline reminders” emails to vendor@example.com" in first.content.decode()
    assert f'href="{URL}"' in first.content.decode()
    assert opted_out(user) == {"deadline-reminder"}


def test_a_mail_clients_one_click_post_works_without_a_csrf_token(user: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        unsubscribe_url(user, Kind.NEW_MATCHES),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert opted_out(user) == {"new-matches"}


def test_other_pages_still_need_the_csrf_token(signed_in: Client) -> None:
    # The exemption is the unsubscribe view's alone.
    guarded = Client(enforce_csrf_checks=True)
    guarded.cookies = signed_in.cookies

    response = guarded.post(URL, every_kind_on())

    assert response.status_code == 403


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused_clearly_and_changes_nothing(
    client: Client, user: User, method: str
) -> None:
    token = unsubscribe_token(user=user, kind=Kind.DEADLINE_REMINDER)
    other = UserFactory()
    # The payload of another user's link with this one's signature.
    forged = unsubscribe_token(user=other, kind=Kind.DEADLINE_REMINDER).split(":")[0]
    forged += ":" + token.split(":")[1]

    responses = [
        getattr(client, method)(reverse("accounts:unsubscribe", args=[bad]))
        for bad in (forged, token[:-3], "nonsense")
    ]

    assert [response.status_code for response in responses] == [400, 400, 400]
    assert "This unsubscribe link is damaged or incomplete" in responses[0].content.decode()
    assert not EmailOptOut.objects.exists()


def test_a_link_for_transactional_mail_is_refused(client: Client, user: User) -> None:
    # Never made by the site; signed properly, as if the secret key had leaked.
    token = signing.Signer(salt="matchmaker.outbox.unsubscribe").sign_object(
        {"u": user.pk, "k": Kind.VERIFY_EMAIL.value}
    )

    response = client.post(reverse("accounts:unsubscribe", args=[token]))

    assert response.status_code == 400
    assert not EmailOptOut.objects.exists()


def test_the_link_in_a_mail_stops_that_kind_and_only_that_kind(client: Client, user: User) -> None:
    # given a mail with the one-click header
    def reminder(kind: str) -> Notification | None:
        with mock.patch.object(tasks.send_outbox, "delay"):
            return enqueue(
                kind=kind,
                key=notification_key(kind, user, "stage", 1),
                template="company-invitation",
                context={"company": {"legal_name": "Acme"}, "inviter": user, "role": "Member"},
                recipient=user,
            )

    first = reminder(Kind.DEADLINE_REMINDER)
    assert first is not None
    link = first.headers["List-Unsubscribe"].strip("<>")

    # when the mail client posts to it
    client.post(
        link.removeprefix("http://127.0.0.1:8000"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    Notification.objects.all().delete()

    # then no more of that kind is written down, and other kinds still are
    assert reminder(Kind.DEADLINE_REMINDER) is None
    assert reminder(Kind.NEW_MATCHES) is not None
