"""``manage.py create_user``: verified accounts for staff and support, safe to run again."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from applicants.models import User
from programs.models import StaffMembership
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unguessable passphrase"
OTHER_PASSWORD = "another long unguessable passphrase"


def create_user(*args: str) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def test_create_user_makes_a_verified_account_that_is_neither_staff_nor_admin():
    output = create_user("--email", "Support@Example.com", "--password", PASSWORD)

    user = User.objects.get()
    assert user.email == "support@example.com"
    assert user.is_verified
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    assert not user.is_superuser
    assert not user.staff_memberships.exists()
    assert "Created verified account support@example.com" in output


def test_create_user_run_again_updates_the_password_of_the_same_account():
    create_user("--email", "support@example.com", "--password", PASSWORD)

    output = create_user("--email", "SUPPORT@example.com", "--password", OTHER_PASSWORD)

    user = User.objects.get()
    assert user.check_password(OTHER_PASSWORD)
    assert "Updated verified account" in output


def test_create_user_verifies_an_existing_unverified_account():
    UserFactory(email="vendor@example.com", unverified=True)

    create_user("--email", "vendor@example.com", "--password", PASSWORD)

    assert User.objects.get().is_verified


def test_create_user_adds_agency_staff_without_the_django_admin():
    AgencyFactory(slug="taipei-doit")

    output = create_user(
        "--email", "reviewer@example.com", "--password", PASSWORD,
        "--staff", "--agency", "taipei-doit", "--role", "reviewer",
    )  # fmt: skip

    membership = StaffMembership.objects.select_related("user", "agency").get()
    assert (membership.user.email, membership.agency.slug, membership.role) == (
        "reviewer@example.com",
        "taipei-doit",
        "reviewer",
    )
    assert not membership.user.is_staff
    assert "Reviewer of" in output


def test_create_user_run_again_changes_the_role_without_a_second_membership():
    AgencyFactory(slug="taipei-doit")
    args = ["--email", "staff@example.com", "--password", PASSWORD, "--staff", "--agency"]
    create_user(*args, "taipei-doit", "--role", "reviewer")

    create_user(*args, "taipei-doit", "--role", "admin")

    assert list(StaffMembership.objects.values_list("role", flat=True)) == ["admin"]


def test_create_user_adds_a_membership_of_a_second_agency():
    AgencyFactory(slug="taipei-doit")
    AgencyFactory(slug="moscow-agency")
    args = ["--email", "staff@example.com", "--password", PASSWORD, "--staff", "--agency"]
    create_user(*args, "taipei-doit", "--role", "reviewer")

    create_user(*args, "moscow-agency", "--role", "admin")

    assert set(StaffMembership.objects.values_list("agency__slug", "role")) == {
        ("taipei-doit", "reviewer"),
        ("moscow-agency", "admin"),
    }


def test_create_user_makes_a_superuser_on_request():
    create_user("--email", "ops@example.com", "--password", PASSWORD, "--superuser")

    user = User.objects.get()
    assert user.is_staff
    assert user.is_superuser


def test_create_user_refuses_an_unknown_agency_and_names_the_known_ones():
    AgencyFactory(slug="taipei-doit")

    known = r"There is no agency “nowhere”\. Known agencies: .*taipei-doit"
    with pytest.raises(CommandError, match=known):
        create_user(
            "--email", "staff@example.com", "--password", PASSWORD,
            "--staff", "--agency", "nowhere", "--role", "admin",
        )  # fmt: skip

    assert not User.objects.exists()


def test_create_user_refuses_a_weak_password_with_the_validators_messages():
    with pytest.raises(CommandError) as error:
        create_user("--email", "staff@example.com", "--password", "1234")

    assert "This password is too short. It must contain at least 8 characters." in str(error.value)
    assert "This password is entirely numeric." in str(error.value)
    assert not User.objects.exists()


def test_create_user_refuses_a_weak_password_for_an_existing_account_and_keeps_the_old_one():
    UserFactory(email="staff@example.com", password=PASSWORD)

    with pytest.raises(CommandError, match="too common"):
        create_user("--email", "staff@example.com", "--password", "password")

    assert User.objects.get().check_password(PASSWORD)


def test_create_user_refuses_a_bad_email_address():
    with pytest.raises(CommandError, match="“not-an-address” is not a valid email address"):
        create_user("--email", "not-an-address", "--password", PASSWORD)

    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "admin"], "--role needs --agency"),
        (["--agency", "taipei-doit"], "--agency needs --role"),
        (["--staff"], "--staff needs --agency"),
        (["--staff", "--agency", "taipei-doit", "--role", "owner"], "invalid choice: 'owner'"),
    ],
    ids=["role-without-agency", "agency-without-role", "staff-alone", "unknown-role"],
)
def test_create_user_refuses_incomplete_staff_options(args, message):
    AgencyFactory(slug="taipei-doit")

    with pytest.raises(CommandError, match=message):
        create_user("--email", "staff@example.com", "--password", PASSWORD, *args)

    assert not User.objects.exists()


def test_a_new_staff_member_works_in_the_agencys_time_zone_an_existing_user_keeps_theirs():
    AgencyFactory(slug="moscow", time_zone="Europe/Moscow")
    UserFactory(email="known@example.com", time_zone="Asia/Taipei")

    for email in ("new@example.com", "known@example.com"):
        create_user(
            "--email", email, "--password", PASSWORD,
            "--staff", "--agency", "moscow", "--role", "admin",
        )  # fmt: skip

    assert User.objects.get(email="new@example.com").time_zone == "Europe/Moscow"
    assert User.objects.get(email="known@example.com").time_zone == "Asia/Taipei"
