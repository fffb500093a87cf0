"""An agency's team page: admins add colleagues, change roles and remove them, never the last
admin; reviewers, other agencies' staff and vendors are kept out."""

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from applicants.models import User
from programs import team
from programs.models import Agency, StaffMembership
from tests.factories import AgencyFactory, UserFactory
from tests.staff import make_staff

pytestmark = pytest.mark.django_db

ADMIN, REVIEWER = StaffMembership.Role.ADMIN, StaffMembership.Role.REVIEWER


@pytest.fixture
def agency() -> Agency:
    return AgencyFactory(slug="taipei", name="Taipei Smart City Office")


@pytest.fixture
def admin(agency: Agency) -> User:
    return make_staff("admin@taipei.example", agency)


def page(agency: Agency) -> str:
    return reverse("staff:team", kwargs={"agency": agency.slug})


def role_url(membership: StaffMembership) -> str:
    return reverse(
        "staff:team-role", kwargs={"agency": membership.agency.slug, "pk": membership.pk}
    )


def remove_url(membership: StaffMembership) -> str:
    return reverse(
        "staff:team-remove", kwargs={"agency": membership.agency.slug, "pk": membership.pk}
    )


def memberships(agency: Agency) -> list[tuple[str, str]]:
    return sorted(StaffMembership.objects.filter(agency=agency).values_list("user__email", "role"))


def test_the_page_lists_the_team_in_a_fixed_number_of_queries(
    client: Client, agency: Agency, admin: User, django_assert_num_queries: Any
) -> None:
    for number in range(5):
        make_staff(f"reviewer{number}@taipei.example", agency, REVIEWER)
    client.force_login(admin)

    # session, user, the user's roles in their agencies, the agency, the team
    with django_assert_num_queries(5):
        response = client.get(page(agency))

    assert response.status_code == 200
    content = response.content.decode()
    assert "reviewer4@taipei.example" in content
    assert "The only agency admin" in content  # the lone admin cannot be demoted or removed


def test_an_admin_adds_a_colleague_with_an_account(
    client: Client, agency: Agency, admin: User
) -> None:
    UserFactory(email="new@taipei.example")
    client.force_login(admin)

    response = client.post(page(agency), {"email": "NEW@taipei.example", "role": REVIEWER})

    assert response.status_code == 302
    assert memberships(agency) == [
        ("admin@taipei.example", ADMIN),
        ("new@taipei.example", REVIEWER),
    ]
    assert "joined the team" in client.get(page(agency)).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "nobody@taipei.example", "role": REVIEWER}, "No account uses this address"),
        ({"email": "admin@taipei.example", "role": REVIEWER}, "is already in the team"),
        ({"email": "not an address", "role": REVIEWER}, "Enter a valid email address"),
        ({"email": "new@taipei.example", "role": "owner"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_named_and_changes_nothing(
    client: Client, agency: Agency, admin: User, data: dict[str, str], message: str
) -> None:
    UserFactory(email="new@taipei.example")
    client.force_login(admin)
    before = memberships(agency)

    response = client.post(page(agency), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert memberships(agency) == before


def test_an_admin_changes_a_role_and_removes_a_member(
    client: Client, agency: Agency, admin: User
) -> None:
    reviewer = make_staff("reviewer@taipei.example", agency, REVIEWER)
    membership = StaffMembership.objects.get(user=reviewer)
    client.force_login(admin)

    client.post(role_url(membership), {"role": ADMIN})
    assert memberships(agency) == [
        ("admin@taipei.example", ADMIN),
        ("reviewer@taipei.example", ADMIN),
    ]

    client.post(remove_url(membership))
    assert memberships(agency) == [("admin@taipei.example", ADMIN)]


def test_the_last_admin_can_be_neither_demoted_nor_removed(
    client: Client, agency: Agency, admin: User
) -> None:
    membership = StaffMembership.objects.get(user=admin)
    client.force_login(admin)

    demoted = client.post(role_url(membership), {"role": REVIEWER}, follow=True)
    removed = client.post(remove_url(membership), follow=True)

    assert "needs at least one agency admin" in demoted.content.decode()
    assert "needs at least one agency admin" in removed.content.decode()
    assert memberships(agency) == [("admin@taipei.example", ADMIN)]


def test_an_admin_who_leaves_goes_where_they_still_belong(
    client: Client, agency: Agency, admin: User
) -> None:
    make_staff("other-admin@taipei.example", agency)
    client.force_login(admin)

    response = client.post(remove_url(StaffMembership.objects.get(user=admin)))

    # Staff nowhere any more: back to the public catalog, not a 403.
    assert response["Location"] == reverse("programs:list")
    assert memberships(agency) == [("other-admin@taipei.example", ADMIN)]


def test_a_bad_role_is_refused_with_a_message(client: Client, agency: Agency, admin: User) -> None:
    reviewer = make_staff("reviewer@taipei.example", agency, REVIEWER)
    client.force_login(admin)

    response = client.post(
        role_url(StaffMembership.objects.get(user=reviewer)), {"role": "owner"}, follow=True
    )

    assert "Choose a role from the list" in response.content.decode()
    assert StaffMembership.objects.get(user=reviewer).role == REVIEWER


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_reviewer_of_the_agency_gets_403(
    client: Client, agency: Agency, admin: User, method: str
) -> None:
    client.force_login(make_staff("reviewer@taipei.example", agency, REVIEWER))
    before = memberships(agency)

    response = getattr(client, method)(page(agency), {"email": "admin@taipei.example"})

    assert response.status_code == 403
    assert memberships(agency) == before


def test_other_agencies_staff_get_404_and_vendors_403(
    client: Client, agency: Agency, admin: User
) -> None:
    moscow = AgencyFactory(slug="moscow")
    membership = StaffMembership.objects.get(user=admin)
    before = memberships(agency)

    client.force_login(make_staff("admin@moscow.example", moscow))
    assert client.get(page(agency)).status_code == 404
    assert client.post(remove_url(membership)).status_code == 404
    # Their own agency with Taipei's membership id: not found either.
    crossed = reverse("staff:team-remove", kwargs={"agency": moscow.slug, "pk": membership.pk})
    assert client.post(crossed).status_code == 404

    client.force_login(UserFactory(email="vendor@example.com"))
    assert client.get(page(agency)).status_code == 403
    assert client.post(remove_url(membership)).status_code == 403
    assert memberships(agency) == before


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, agency: Agency) -> None:
    response = client.get(page(agency))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(agency: Agency) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    first = StaffMembership.objects.get(user=make_staff("a@taipei.example", agency))
    second = StaffMembership.objects.get(user=make_staff("b@taipei.example", agency))
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def demote(membership: StaffMembership) -> None:
        try:
            barrier.wait()
            team.member_set_role(membership=membership, role=REVIEWER)
        except Exception as error:  # collected for the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=demote, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert StaffMembership.objects.filter(agency=agency, role=ADMIN).count() == 1
    assert len(errors) == 1
