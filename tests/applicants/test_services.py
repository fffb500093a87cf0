"""applicants.services: every write to a company, and when it bumps the profile version."""

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from applicants import services
from applicants.models import Company, CompanyMembership, Document, Invitation, Partner, User
from programs.models import Sector

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def owner() -> User:
    return User.objects.create_user(email="owner@example.com", password="a-long-passphrase-1")


@pytest.fixture
def colleague() -> User:
    return User.objects.create_user(email="colleague@example.com", password="a-long-passphrase-2")


@pytest.fixture
def stranger() -> User:
    return User.objects.create_user(email="stranger@example.com", password="a-long-passphrase-3")


@pytest.fixture
def company(owner: User) -> Company:
    return services.company_create(
        user=owner,
        legal_name="Acme Mobility",
        country="TW",
        website="https://acme.example",
        founded_year=2016,
        employees=25,
        trl=6,
        has_demo=True,
        prior_pilots=1,
        description="Parking sensors.",
        sectors=[Sector.objects.get(code="mobility")],
    )


def version(company: Company) -> int:
    return Company.objects.values_list("profile_version", flat=True).get(pk=company.pk)


def add_member(company: Company, user: User, role: str = "member") -> CompanyMembership:
    return CompanyMembership.objects.create(company=company, user=user, role=role)


# --- companies ---------------------------------------------------------------------------------


def test_creating_a_company_makes_the_user_its_owner_at_version_one(
    owner: User, company: Company
) -> None:
    membership = CompanyMembership.objects.get(company=company)

    assert (membership.user, membership.role) == (owner, "owner")
    assert company.profile_version == 1
    assert [sector.code for sector in company.sectors.all()] == ["mobility"]


def test_creating_a_company_refuses_system_fields(owner: User) -> None:
    with pytest.raises(ValidationError, match="profile_version"):
        services.company_create(user=owner, legal_name="Sneaky", country="TW", profile_version=99)

    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "RU"),
        ("trl", 8),
        ("has_demo", False),
        ("has_demo", None),
        ("employees", 26),
        ("employees", None),
        ("founded_year", 2015),
        ("prior_pilots", 3),
    ],
)
def test_changing_a_fact_bumps_the_profile_version(
    owner: User, company: Company, field: str, value: Any
) -> None:
    services.company_update(company=company, user=owner, **{field: value})

    assert version(company) == 2


def test_changing_the_sectors_bumps_the_profile_version(owner: User, company: Company) -> None:
    services.company_update(
        company=company, user=owner, sectors=Sector.objects.filter(code__in=["mobility", "iot"])
    )

    assert version(company) == 2


def test_saving_the_same_sectors_keeps_the_profile_version(owner: User, company: Company) -> None:
    services.company_update(
        company=company, user=owner, sectors=Sector.objects.filter(code="mobility")
    )

    assert version(company) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", "Acme Mobility Ltd"),
        ("registration_id", "12345678"),
        ("website", "https://acme.example/en"),
        ("demo_url", "https://acme.example/demo"),
        ("description", "Parking sensors and the app that reads them."),
        ("discoverable", True),
    ],
)
def test_changing_something_that_is_not_a_fact_keeps_the_profile_version(
    owner: User, company: Company, field: str, value: Any
) -> None:
    services.company_update(company=company, user=owner, **{field: value})

    company.refresh_from_db()
    assert getattr(company, field) == value
    assert company.profile_version == 1


def test_saving_a_fact_unchanged_keeps_the_profile_version(owner: User, company: Company) -> None:
    services.company_update(company=company, user=owner, trl=6, country="TW")

    assert version(company) == 1


@pytest.mark.parametrize(
    "fields",
    [{"profile_version": 50}, {"partners_declared": True}, {"id": 999}, {"trl": 6, "role": "x"}],
)
def test_updating_refuses_fields_a_vendor_may_not_write_and_changes_nothing(
    owner: User, company: Company, fields: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError, match="cannot be set"):
        services.company_update(company=company, user=owner, **fields)

    company.refresh_from_db()
    assert (company.profile_version, company.partners_declared) == (1, False)


def test_updating_refuses_a_value_out_of_range(owner: User, company: Company) -> None:
    with pytest.raises(ValidationError):
        services.company_update(company=company, user=owner, trl=12)

    company.refresh_from_db()
    assert (company.trl, company.profile_version) == (6, 1)


def test_someone_off_the_team_cannot_update_the_company(stranger: User, company: Company) -> None:
    with pytest.raises(PermissionDenied):
        services.company_update(company=company, user=stranger, trl=9)

    assert version(company) == 1


def test_only_an_owner_can_delete_a_company(owner: User, colleague: User, company: Company) -> None:
    add_member(company, colleague)

    with pytest.raises(PermissionDenied):
        services.company_delete(company=company, user=colleague)
    services.company_delete(company=company, user=owner)

    assert not Company.objects.exists()


# --- partners ----------------------------------------------------------------------------------


def test_adding_a_partner_declares_the_partners_and_bumps_the_version(
    owner: User, company: Company
) -> None:
    services.partner_add(company=company, user=owner, name="Moscow Integrator", country="RU")

    company.refresh_from_db()
    assert company.partners_declared
    assert company.profile_version == 2


def test_editing_a_partner_bumps_the_version_only_when_its_country_changes(
    owner: User, company: Company
) -> None:
    partner = services.partner_add(company=company, user=owner, name="Integrator", country="RU")

    services.partner_update(partner=partner, user=owner, relationship="Reseller")
    assert version(company) == 2
    services.partner_update(partner=partner, user=owner, country="KZ")
    assert version(company) == 3


def test_removing_a_partner_bumps_the_version(owner: User, company: Company) -> None:
    partner = services.partner_add(company=company, user=owner, name="Integrator", country="RU")

    services.partner_remove(partner=partner, user=owner)

    assert not Partner.objects.exists()
    assert version(company) == 3


def test_declaring_no_partners_bumps_the_version_once(owner: User, company: Company) -> None:
    services.partners_declare_none(company=company, user=owner)
    services.partners_declare_none(company=company, user=owner)

    company.refresh_from_db()
    assert company.partners_declared
    assert company.profile_version == 2


def test_replacing_the_partners_declares_them_and_bumps_the_version(
    owner: User, company: Company
) -> None:
    services.partner_add(company=company, user=owner, name="Old", country="DE")

    services.partners_replace(
        company=company, user=owner, partners=[{"name": "New", "country": "RU"}]
    )

    assert list(company.partners.values_list("name", "country")) == [("New", "RU")]
    assert version(company) == 3


def test_a_partner_with_an_unknown_country_is_refused(owner: User, company: Company) -> None:
    with pytest.raises(ValidationError):
        services.partner_add(company=company, user=owner, name="Nowhere Ltd", country="XX")

    assert not Partner.objects.exists()
    assert version(company) == 1


def test_someone_off_the_team_cannot_add_a_partner(stranger: User, company: Company) -> None:
    with pytest.raises(PermissionDenied):
        services.partner_add(company=company, user=stranger, name="Integrator", country="RU")

    assert not Partner.objects.exists()


# --- documents ---------------------------------------------------------------------------------


def test_an_upload_is_stored_under_a_generated_name_without_bumping_the_version(
    owner: User, company: Company, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("../../etc/deck.pdf", PDF, content_type="application/pdf")

    document = services.document_upload(
        company=company, user=owner, kind="pitch-deck", title="Deck", upload=upload
    )

    assert document.original_name == "deck.pdf"
    assert "deck" not in document.file.name
    assert document.file.name.startswith(f"companies/{company.pk}/")
    assert (tmp_path / document.file.name).read_bytes() == PDF
    assert version(company) == 1


def test_deleting_a_document_removes_its_file_after_commit(
    owner: User,
    company: Company,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    document = services.document_upload(
        company=company,
        user=owner,
        kind="certificate",
        title="ISO 9001",
        upload=SimpleUploadedFile("iso.pdf", PDF),
    )
    path = tmp_path / document.file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(document=document, user=owner)

    assert not Document.objects.exists()
    assert not path.exists()


# --- team --------------------------------------------------------------------------------------


def test_only_an_owner_can_invite(owner: User, colleague: User, company: Company) -> None:
    add_member(company, colleague)

    with pytest.raises(PermissionDenied):
        services.invitation_create(company=company, user=colleague, email="new@example.com")
    invitation = services.invitation_create(company=company, user=owner, email=" New@Example.com ")

    assert invitation.email == "new@example.com"


def test_inviting_someone_already_on_the_team_is_refused(owner: User, company: Company) -> None:
    with pytest.raises(ValidationError, match="already on the team"):
        services.invitation_create(company=company, user=owner, email="OWNER@example.com")


def test_sending_an_invitation_emails_its_link_once_committed(
    owner: User, company: Company, sent_mail: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_send(
            company=company,
            user=owner,
            email="colleague@example.com",
            role="owner",
            base_url="https://match.example/",
        )

    [mail] = sent_mail
    assert mail.to == ["colleague@example.com"]
    assert mail.subject == "Join Acme Mobility on Pilot Match"
    assert "https://match.example/companies/invitations/" in mail.body
    assert "owner@example.com invites you" in mail.body
    assert invitation.role == "owner"


def test_sending_a_second_invitation_to_the_same_address_is_refused(
    owner: User, company: Company, sent_mail: list[Any]
) -> None:
    services.invitation_send(
        company=company, user=owner, email="colleague@example.com", base_url="https://x.example"
    )

    with pytest.raises(ValidationError, match="already waiting"):
        services.invitation_send(
            company=company, user=owner, email="colleague@example.com", base_url="https://x"
        )

    assert Invitation.objects.count() == 1


def test_accepting_an_invitation_joins_the_team_with_its_role_once(
    owner: User, colleague: User, company: Company
) -> None:
    invitation = services.invitation_create(
        company=company, user=owner, email="colleague@example.com"
    )

    membership = services.invitation_accept(invitation=invitation, user=colleague)

    assert (membership.company, membership.role) == (company, "member")
    with pytest.raises(ValidationError, match="already been used"):
        services.invitation_accept(invitation=invitation, user=colleague)


def test_an_invitation_cannot_be_accepted_by_another_address(
    owner: User, stranger: User, company: Company
) -> None:
    invitation = services.invitation_create(
        company=company, user=owner, email="colleague@example.com"
    )

    with pytest.raises(PermissionDenied):
        services.invitation_accept(invitation=invitation, user=stranger)

    assert not CompanyMembership.objects.filter(user=stranger).exists()


def test_an_owner_can_withdraw_an_invitation(owner: User, company: Company) -> None:
    invitation = services.invitation_create(company=company, user=owner, email="x@example.com")

    services.invitation_cancel(invitation=invitation, user=owner)

    assert not Invitation.objects.exists()


def test_an_owner_can_remove_a_member(owner: User, colleague: User, company: Company) -> None:
    membership = add_member(company, colleague)

    services.membership_remove(membership=membership, user=owner)

    assert not CompanyMembership.objects.filter(user=colleague).exists()


def test_a_member_can_leave_but_not_remove_others(
    owner: User, colleague: User, stranger: User, company: Company
) -> None:
    mine = add_member(company, colleague)
    other = add_member(company, stranger)

    with pytest.raises(PermissionDenied):
        services.membership_remove(membership=other, user=colleague)
    services.membership_remove(membership=mine, user=colleague)

    assert set(company.memberships.values_list("user__email", flat=True)) == {
        "owner@example.com",
        "stranger@example.com",
    }


def test_the_last_owner_cannot_be_removed(owner: User, colleague: User, company: Company) -> None:
    add_member(company, colleague)
    membership = CompanyMembership.objects.get(user=owner)

    with pytest.raises(ValidationError, match="at least one owner"):
        services.membership_remove(membership=membership, user=owner)

    assert CompanyMembership.objects.filter(user=owner, role="owner").exists()


def test_an_owner_can_leave_when_another_owner_remains(
    owner: User, colleague: User, company: Company
) -> None:
    add_member(company, colleague, role="owner")

    services.membership_remove(membership=CompanyMembership.objects.get(user=owner), user=owner)

    assert list(company.memberships.values_list("user__email", "role")) == [
        ("colleague@example.com", "owner")
    ]


def test_replacing_partners_by_name_and_country_keeps_their_relationship_and_link(db):
    from applicants.models import Company, CompanyMembership, Partner, User
    from applicants.services import partners_replace

    user = User.objects.create_user(email="owner@example.org", password="x")
    company = Company.objects.create(legal_name="Acme", country="TW")
    other = Company.objects.create(legal_name="Moscow LLC", country="RU", discoverable=True)
    CompanyMembership.objects.create(user=user, company=company, role="owner")
    Partner.objects.create(
        company=company,
        name="Moscow LLC",
        country="RU",
        relationship="integrator",
        linked_company=other,
    )

    partners_replace(
        company=company,
        user=user,
        partners=[
            {"name": "Moscow LLC", "country": "RU"},
            {"name": "Berlin GmbH", "country": "DE"},
        ],
    )

    moscow = company.partners.get(name="Moscow LLC")
    assert (moscow.relationship, moscow.linked_company) == ("integrator", other)
    assert company.partners.get(name="Berlin GmbH").relationship == ""
