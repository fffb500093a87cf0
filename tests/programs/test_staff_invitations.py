"""Inviting a matched company to apply: a mail to each owner after commit, once a week at most."""

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applicants.models import CompanyMembership, User
from programs.apply_invitations import apply_invitation_send
from programs.models import ApplyInvitation, Program, StaffMembership
from tests.factories import UserFactory
from tests.staff import make_company, make_staff, owner_of, store_match, submit

pytestmark = pytest.mark.django_db

BASE_URL = "https://pilots.example"


@pytest.fixture
def moscow(demo: None) -> Program:
    return Program.objects.get(slug="moscow-pilots")


@pytest.fixture
def admin(moscow: Program) -> User:
    return make_staff("admin@mos.example", "moscow-innovation-agency")


@pytest.fixture
def retailer(moscow: Program) -> Any:
    company = make_company("Moscow Retail", country="RU", sectors=("retail",), prior_pilots=1)
    assert company.matches.get(program=moscow).eligibility == "eligible"
    return company


def invite_url(program: Program, company: Any) -> str:
    return reverse("staff:match-invite", args=[program.slug, company.pk])


def test_inviting_mails_each_owner_after_commit_with_a_link_to_the_program(
    moscow: Program,
    admin: User,
    retailer: Any,
    django_capture_on_commit_callbacks: Any,
    sent_mail: list[Any],
) -> None:
    second_owner: User = UserFactory(email="cofounder@retail.example", language="ru")
    CompanyMembership.objects.create(
        user=second_owner, company=retailer, role=CompanyMembership.Role.OWNER
    )
    CompanyMembership.objects.create(
        user=UserFactory(email="staffer@retail.example"),
        company=retailer,
        role=CompanyMembership.Role.MEMBER,
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = apply_invitation_send(
            program=moscow, company=retailer, user=admin, base_url=BASE_URL
        )
        assert sent_mail == []
    for callback in callbacks:
        callback()

    assert (invitation.recipients, invitation.invited_by) == (2, admin)
    assert sorted(message.to[0] for message in sent_mail) == [
        "cofounder@retail.example",
        owner_of(retailer).email,
    ]
    english = next(m for m in sent_mail if m.to == [owner_of(retailer).email])
    assert english.subject == (
        "Moscow Agency of Innovations invites you to apply to Moscow Innovations Piloting Program"
    )
    assert f"{BASE_URL}/programs/moscow-pilots/" in english.body
    assert "Moscow Retail" in english.body
    html = english.alternatives[0]
    assert f'href="{BASE_URL}/programs/moscow-pilots/"' in str(html[0])


def test_a_company_is_not_invited_twice_in_a_week(
    moscow: Program,
    admin: User,
    retailer: Any,
    django_capture_on_commit_callbacks: Any,
    sent_mail: list[Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        apply_invitation_send(program=moscow, company=retailer, user=admin, base_url=BASE_URL)

    with pytest.raises(ValidationError, match="invite again after a week"):
        apply_invitation_send(program=moscow, company=retailer, user=admin, base_url=BASE_URL)

    assert ApplyInvitation.objects.count() == 1
    assert len(sent_mail) == 1


def test_a_company_may_be_invited_again_after_a_week(
    moscow: Program, admin: User, retailer: Any
) -> None:
    first = apply_invitation_send(program=moscow, company=retailer, user=admin, base_url=BASE_URL)
    ApplyInvitation.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=7, minutes=1)
    )

    apply_invitation_send(program=moscow, company=retailer, user=admin, base_url=BASE_URL)

    assert ApplyInvitation.objects.count() == 2


def test_a_company_that_applied_is_not_invited(moscow: Program, admin: User, retailer: Any) -> None:
    submit(retailer, moscow)

    with pytest.raises(ValidationError, match="applied already"):
        apply_invitation_send(program=moscow, company=retailer, user=admin, base_url=BASE_URL)


def test_a_company_that_did_not_agree_to_be_found_is_not_invited(
    moscow: Program, admin: User
) -> None:
    private = make_company("Private", country="RU", sectors=("retail",), discoverable=False)

    with pytest.raises(ValidationError, match="agreed to be found"):
        apply_invitation_send(program=moscow, company=private, user=admin, base_url=BASE_URL)


def test_a_reviewer_cannot_invite(moscow: Program, retailer: Any) -> None:
    reviewer = make_staff(
        "reviewer@mos.example", "moscow-innovation-agency", StaffMembership.Role.REVIEWER
    )

    with pytest.raises(PermissionDenied):
        apply_invitation_send(program=moscow, company=retailer, user=reviewer, base_url=BASE_URL)


# --- the page ------------------------------------------------------------------------------------


def test_the_invite_page_asks_then_sends_and_the_list_shows_the_date(
    client: Client,
    moscow: Program,
    admin: User,
    retailer: Any,
    django_capture_on_commit_callbacks: Any,
    sent_mail: list[Any],
) -> None:
    client.force_login(admin)

    asked = client.get(invite_url(moscow, retailer))
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(invite_url(moscow, retailer))
    listed = client.get(reverse("staff:matches", args=[moscow.slug]))

    assert asked.status_code == 200
    assert "Send the invitation" in asked.content.decode()
    assert sent.status_code == 302
    assert len(sent_mail) == 1
    assert "http://testserver/programs/moscow-pilots/" in sent_mail[0].body
    page = listed.content.decode()
    assert "Moscow Retail is invited to apply" in page
    assert "Invited on" in page
    assert invite_url(moscow, retailer) not in page


def test_inviting_again_too_soon_says_why_on_the_page(
    client: Client, moscow: Program, admin: User, retailer: Any
) -> None:
    apply_invitation_send(program=moscow, company=retailer, user=admin, base_url=BASE_URL)
    client.force_login(admin)

    response = client.post(invite_url(moscow, retailer))

    assert response.status_code == 400
    assert "invite again after a week" in response.content.decode()
    assert ApplyInvitation.objects.count() == 1


def test_a_company_staff_may_not_see_gets_404_on_the_invite_page(
    client: Client, moscow: Program, admin: User
) -> None:
    private = make_company("Private", country="RU", sectors=("retail",), discoverable=False)
    near_miss = make_company("Near miss", sectors=("retail",))
    store_match(near_miss, moscow, "ineligible", 80)
    client.force_login(admin)

    assert client.get(invite_url(moscow, private)).status_code == 404
    assert client.post(invite_url(moscow, near_miss)).status_code == 404
    assert not ApplyInvitation.objects.exists()
