"""The company profile's web pages: sections, bad input, mass assignment, team, isolation."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from applicants import company_urls, services
from applicants.invitations import invitation_path, invitation_token
from applicants.models import (
    Application,
    Company,
    CompanyMembership,
    Document,
    Invitation,
    Partner,
    PartnershipRequest,
    User,
)
from programs.models import Sector
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NEXT_YEAR = timezone.localdate().year + 1


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def vendor() -> User:
    user: User = UserFactory(email="vendor@example.com")
    return user


@pytest.fixture
def rival() -> User:
    user: User = UserFactory(email="rival@example.com")
    return user


@pytest.fixture
def company(vendor: User) -> Company:
    return services.company_create(
        user=vendor,
        legal_name="Acme Mobility",
        country="TW",
        website="https://acme.example",
        founded_year=2016,
        employees=25,
    )


@pytest.fixture
def signed_in(client: Client, vendor: User) -> Client:
    client.force_login(vendor)
    return client


def url(name: str, company: Company, *args: Any) -> str:
    return reverse(f"companies:{name}", args=[company.pk, *args])


def snapshot(company: Company) -> dict[str, Any]:
    """Everything a form could change, to prove a refused post changed nothing."""
    company = Company.objects.get(pk=company.pk)
    fields = {
        field.name: getattr(company, field.attname)
        for field in Company._meta.concrete_fields
        if field.name != "updated_at"
    }
    fields["sectors"] = sorted(company.sectors.values_list("code", flat=True))
    fields["partners"] = sorted(company.partners.values_list("name", "country", "relationship"))
    fields["members"] = sorted(company.memberships.values_list("user__email", "role"))
    return fields


def identity(**changes: Any) -> dict[str, Any]:
    data = {
        "legal_name": "Acme Mobility",
        "country": "TW",
        "registration_id": "",
        "website": "https://acme.example",
        "founded_year": "2016",
        "employees": "25",
    }
    return {**data, **changes}


def offering(**changes: Any) -> dict[str, Any]:
    data = {
        "sectors": ["mobility", "iot"],
        "trl": "8",
        "has_demo": "yes",
        "demo_url": "https://acme.example/demo",
        "description": "Parking sensors.",
        "prior_pilots": "2",
    }
    return {**data, **changes}


# --- signing in and the list of companies ------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "create"])
def test_a_signed_out_visitor_is_sent_to_log_in(client: Client, name: str) -> None:
    response = client.get(reverse(f"companies:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_list_shows_every_company_of_the_user_and_no_one_elses(
    signed_in: Client, vendor: User, rival: User, company: Company
) -> None:
    services.company_create(user=vendor, legal_name="Second Venture", country="DE")
    services.company_create(user=rival, legal_name="Rival Robotics", country="TW")

    page = signed_in.get(reverse("companies:list")).content.decode()

    assert "Acme Mobility" in page
    assert "Second Venture" in page
    assert "Rival Robotics" not in page
    assert reverse("companies:create") in page
    assert "1 of 4 profile sections complete" in page  # Acme's identity is complete


def test_a_new_user_is_invited_to_register_a_company(client: Client, rival: User) -> None:
    client.force_login(rival)

    page = client.get(reverse("companies:list")).content.decode()

    assert "You have not registered a company yet." in page
    assert "Register a company" in page


def test_the_list_page_makes_a_fixed_number_of_queries(
    signed_in: Client, vendor: User, django_assert_num_queries: Any
) -> None:
    for number in range(3):
        other = services.company_create(user=vendor, legal_name=f"Venture {number}", country="TW")
        services.partner_add(company=other, user=vendor, name=f"Partner {number}", country="RU")

    # 1 the session, 2 the user, 3 the companies with the viewer's role, whether a pitch deck
    # is on file and the team's size, 4 their sectors, 5 their partners (for the progress)
    with django_assert_num_queries(5):
        response = signed_in.get(reverse("companies:list"))

    assert len(response.context["rows"]) == 3


# --- registering -------------------------------------------------------------------------------


def test_registering_a_company_makes_the_user_its_owner_and_moves_on_to_the_offering(
    signed_in: Client, vendor: User
) -> None:
    response = signed_in.post(
        reverse("companies:create"), identity(legal_name="New Co", country="RU")
    )

    company = Company.objects.get(legal_name="New Co")
    assert response.status_code == 302
    assert response["Location"] == url("offering", company)
    assert CompanyMembership.objects.get(company=company).role == "owner"
    assert company.country == "RU"


def test_registering_refuses_a_missing_name_and_an_unknown_country_and_saves_nothing(
    signed_in: Client,
) -> None:
    response = signed_in.post(reverse("companies:create"), identity(legal_name="", country="XX"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["legal_name"] == ["Give the company's legal name."]
    assert errors["country"] == ["Choose a country from the list."]
    assert not Company.objects.exists()


# --- identity ----------------------------------------------------------------------------------


def test_the_identity_section_saves_and_a_new_fact_bumps_the_profile_version(
    signed_in: Client, company: Company
) -> None:
    response = signed_in.post(url("identity", company), identity(employees="40"))

    assert response.status_code == 302
    assert response["Location"] == url("identity", company)
    company.refresh_from_db()
    assert (company.employees, company.profile_version) == (40, 2)
    assert "Identity saved." in signed_in.get(response["Location"]).content.decode()


def test_changing_the_website_does_not_bump_the_profile_version(
    signed_in: Client, company: Company
) -> None:
    signed_in.post(url("identity", company), identity(website="https://acme.example/en"))

    company.refresh_from_db()
    assert (company.website, company.profile_version) == ("https://acme.example/en", 1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("founded_year", "1700", "Give a year from 1800 on."),
        ("founded_year", str(NEXT_YEAR), "The year founded cannot be in the future."),
        ("founded_year", "two thousand", "Enter a whole number."),
        ("employees", "-1", "The number of employees cannot be negative."),
        ("country", "XX", "Choose a country from the list."),
        ("legal_name", "", "Give the company's legal name."),
        ("website", "not a site", "Enter a valid URL."),
    ],
)
def test_the_identity_section_refuses_bad_input_next_to_the_field_and_saves_nothing(
    signed_in: Client, company: Company, field: str, value: str, message: str
) -> None:
    before = snapshot(company)

    response = signed_in.post(url("identity", company), identity(**{field: value}))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    page = response.content.decode()
    # next to the field, and in the summary at the top linking to it
    assert f'id="id_{field}_error"' in page
    assert f'href="#id_{field}"' in page
    assert snapshot(company) == before


def test_a_crafted_post_cannot_set_system_fields_roles_or_another_company(
    signed_in: Client, company: Company, rival: User
) -> None:
    theirs = services.company_create(user=rival, legal_name="Rival Robotics", country="TW")
    theirs_before = snapshot(theirs)
    data = identity(
        website="https://acme.example/new",
        profile_version="99",
        partners_declared="on",
        discoverable="on",
        role="member",
        id=str(theirs.pk),
        pk=str(theirs.pk),
        company=str(theirs.pk),
    )

    response = signed_in.post(url("identity", company), data)

    assert response.status_code == 302
    company.refresh_from_db()
    assert company.website == "https://acme.example/new"
    assert (company.profile_version, company.partners_declared) == (1, False)
    assert company.discoverable is False
    assert CompanyMembership.objects.get(company=company).role == "owner"
    assert snapshot(theirs) == theirs_before


# --- offering ----------------------------------------------------------------------------------


def test_the_offering_section_saves_every_answer_and_bumps_the_profile_version(
    signed_in: Client, company: Company
) -> None:
    response = signed_in.post(url("offering", company), offering())

    assert response.status_code == 302
    company.refresh_from_db()
    assert sorted(company.sectors.values_list("code", flat=True)) == ["iot", "mobility"]
    assert (company.trl, company.has_demo, company.prior_pilots) == (8, True, 2)
    assert (company.demo_url, company.description) == (
        "https://acme.example/demo",
        "Parking sensors.",
    )
    assert company.profile_version == 2
    page = signed_in.get(url("offering", company)).content.decode()
    assert "2 of 4 profile sections complete" in page


def test_not_sure_about_a_demo_is_saved_as_unknown(signed_in: Client, company: Company) -> None:
    signed_in.post(url("offering", company), offering(has_demo="not-sure", demo_url=""))

    company.refresh_from_db()
    assert company.has_demo is None


def test_every_trl_is_offered_with_its_explanation(signed_in: Client, company: Company) -> None:
    page = signed_in.get(url("offering", company)).content.decode()

    assert "<legend>Technology readiness level (TRL)" in page
    for value, label in Company.Trl.choices:
        assert f'value="{value}"' in page
        assert str(label) in page


def test_changing_only_the_description_does_not_bump_the_profile_version(
    signed_in: Client, company: Company
) -> None:
    signed_in.post(url("offering", company), offering())
    signed_in.post(url("offering", company), offering(description="Now with an app."))

    company.refresh_from_db()
    assert (company.description, company.profile_version) == ("Now with an app.", 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trl", "12"),
        ("trl", "0"),
        ("trl", "eight"),
        ("sectors", ["mobility", "space-mining"]),
        ("sectors", ["1"]),
        ("has_demo", "maybe"),
        ("prior_pilots", "-1"),
        ("demo_url", "javascript:alert(1)"),
    ],
)
def test_the_offering_section_refuses_bad_input_and_saves_nothing(
    signed_in: Client, company: Company, field: str, value: Any
) -> None:
    before = snapshot(company)

    response = signed_in.post(url("offering", company), offering(**{field: value}))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert snapshot(company) == before


def test_the_error_summary_links_a_choice_group_to_its_first_choice(
    signed_in: Client, company: Company
) -> None:
    response = signed_in.post(url("offering", company), offering(trl="12"))

    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'href="#id_trl_0"' in page
    assert 'id="id_trl_0"' in page
    assert '<fieldset aria-describedby="id_trl_helptext id_trl_error">' in page


def test_a_demo_link_without_a_demo_is_refused(signed_in: Client, company: Company) -> None:
    response = signed_in.post(url("offering", company), offering(has_demo="no"))

    assert response.context["form"].errors["demo_url"]
    company.refresh_from_db()
    assert company.has_demo is None


# --- partners ----------------------------------------------------------------------------------


def test_adding_a_partner_lists_it_and_bumps_the_profile_version(
    signed_in: Client, company: Company
) -> None:
    response = signed_in.post(
        url("partners", company),
        {"action": "add", "name": "Moscow Integrator", "country": "RU", "relationship": "Reseller"},
    )

    assert response.status_code == 302
    partner = Partner.objects.get()
    assert (partner.company, partner.name, partner.country, partner.relationship) == (
        company,
        "Moscow Integrator",
        "RU",
        "Reseller",
    )
    company.refresh_from_db()
    assert (company.partners_declared, company.profile_version) == (True, 2)
    page = signed_in.get(url("partners", company)).content.decode()
    assert "Moscow Integrator" in page
    assert url("partner-edit", company, partner.pk) in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "Nowhere Ltd", "country": "XX"}, "country"),
        ({"name": "Nowhere Ltd", "country": ""}, "country"),
        ({"name": "", "country": "RU"}, "name"),
        ({"name": "Acme", "country": "RU", "linked_company": "999999"}, "linked_company"),
    ],
)
def test_a_bad_partner_is_refused_next_to_the_field_and_nothing_is_saved(
    signed_in: Client, company: Company, data: dict[str, str], field: str
) -> None:
    response = signed_in.post(url("partners", company), {"action": "add", **data})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Partner.objects.exists()
    company.refresh_from_db()
    assert (company.partners_declared, company.profile_version) == (False, 1)


def test_only_discoverable_companies_can_be_linked_as_partners(
    signed_in: Client, company: Company, rival: User
) -> None:
    visible = services.company_create(
        user=rival, legal_name="Visible Moscow Co", country="RU", discoverable=True
    )
    hidden = services.company_create(user=rival, legal_name="Hidden Co", country="RU")

    page = signed_in.get(url("partners", company)).content.decode()
    assert "Visible Moscow Co" in page
    assert "Hidden Co" not in page
    assert (
        f'value="{company.pk}"' not in page.split('name="linked_company"')[1].split("</select>")[0]
    )

    refused = signed_in.post(
        url("partners", company), {"action": "add", "linked_company": str(hidden.pk)}
    )
    assert refused.context["form"].errors["linked_company"]

    # picking a registered company fills in its name and country
    signed_in.post(url("partners", company), {"action": "add", "linked_company": str(visible.pk)})
    partner = Partner.objects.get()
    assert (partner.linked_company, partner.name, partner.country) == (
        visible,
        "Visible Moscow Co",
        "RU",
    )


def test_a_linked_partner_in_another_country_than_the_company_is_refused(
    signed_in: Client, company: Company, rival: User
) -> None:
    visible = services.company_create(
        user=rival, legal_name="Moscow Co", country="RU", discoverable=True
    )

    response = signed_in.post(
        url("partners", company),
        {"action": "add", "linked_company": str(visible.pk), "country": "DE"},
    )

    assert response.context["form"].errors["country"] == ["Moscow Co is registered in Russia."]
    assert not Partner.objects.exists()


def test_editing_a_partners_country_bumps_the_version_and_its_relationship_does_not(
    signed_in: Client, vendor: User, company: Company
) -> None:
    partner = services.partner_add(company=company, user=vendor, name="Integrator", country="RU")
    edit = url("partner-edit", company, partner.pk)

    signed_in.post(edit, {"name": "Integrator", "country": "RU", "relationship": "Reseller"})
    assert Company.objects.get(pk=company.pk).profile_version == 2
    signed_in.post(edit, {"name": "Integrator", "country": "KZ", "relationship": "Reseller"})

    partner.refresh_from_db()
    assert (partner.country, partner.relationship) == ("KZ", "Reseller")
    assert Company.objects.get(pk=company.pk).profile_version == 3


def test_editing_a_partner_refuses_an_unknown_country(
    signed_in: Client, vendor: User, company: Company
) -> None:
    partner = services.partner_add(company=company, user=vendor, name="Integrator", country="RU")

    response = signed_in.post(
        url("partner-edit", company, partner.pk), {"name": "Integrator", "country": "ZZ"}
    )

    assert response.context["form"].errors["country"]
    partner.refresh_from_db()
    assert partner.country == "RU"


def test_removing_a_partner_asks_first_then_removes_it(
    signed_in: Client, vendor: User, company: Company
) -> None:
    partner = services.partner_add(company=company, user=vendor, name="Integrator", country="RU")
    remove = url("partner-delete", company, partner.pk)

    assert "Remove Integrator from your partners?" in signed_in.get(remove).content.decode()
    assert Partner.objects.exists()
    response = signed_in.post(remove)

    assert response["Location"] == url("partners", company)
    assert not Partner.objects.exists()
    assert Company.objects.get(pk=company.pk).profile_version == 3


def test_declaring_no_partners_completes_the_section_and_bumps_the_version(
    signed_in: Client, company: Company
) -> None:
    response = signed_in.post(url("partners", company), {"action": "declare-none"})

    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.partners_declared, company.profile_version) == (True, 2)
    page = signed_in.get(url("partners", company)).content.decode()
    assert "You have declared that you have no partners." in page
    assert "2 of 4 profile sections complete" in page


def test_a_partner_of_another_company_is_not_found_under_mine(
    signed_in: Client, vendor: User, company: Company
) -> None:
    other = services.company_create(user=vendor, legal_name="Second Co", country="TW")
    partner = services.partner_add(company=other, user=vendor, name="Integrator", country="RU")

    assert signed_in.get(url("partner-edit", company, partner.pk)).status_code == 404
    assert signed_in.post(url("partner-delete", company, partner.pk)).status_code == 404
    assert Partner.objects.count() == 1


# --- visibility --------------------------------------------------------------------------------


def test_consenting_to_be_found_is_saved_without_bumping_the_profile_version(
    signed_in: Client, company: Company
) -> None:
    page = signed_in.get(url("visibility", company)).content.decode()
    assert "Program staff always see the companies that apply" in page

    signed_in.post(url("visibility", company), {"discoverable": "yes"})

    company.refresh_from_db()
    assert (company.discoverable, company.profile_version) == (True, 1)
    signed_in.post(url("visibility", company), {"discoverable": "no"})
    assert Company.objects.get(pk=company.pk).discoverable is False


def test_an_unknown_visibility_answer_is_refused(signed_in: Client, company: Company) -> None:
    response = signed_in.post(url("visibility", company), {"discoverable": "everyone"})

    assert response.context["form"].errors["discoverable"]
    assert Company.objects.get(pk=company.pk).discoverable is False


# --- team --------------------------------------------------------------------------------------


def test_an_owner_invites_a_colleague_who_signs_in_and_joins(
    client: Client,
    signed_in: Client,
    company: Company,
    sent_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given an owner inviting a colleague by email
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            url("team", company), {"email": "Colleague@Example.com", "role": "member"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    link = f"http://testserver{invitation_path(invitation).rsplit(':', 2)[0]}"

    # then they get an email with the link, and the team page shows it to copy
    [mail] = sent_mail
    assert mail.to == ["colleague@example.com"]
    assert link in mail.body
    assert link in signed_in.get(url("team", company)).content.decode()

    # when the colleague signs in with that address and opens the link from the email
    accept = mail.body.split("http://testserver", 1)[1].split()[0]
    colleague = UserFactory(email="colleague@example.com")
    client.force_login(colleague)
    assert "Join Acme Mobility" in client.get(accept).content.decode()
    response = client.post(accept, {"role": "owner"})

    # then they are on the team, as a member, whatever the post said
    assert response["Location"] == url("identity", company)
    membership = CompanyMembership.objects.get(user=colleague)
    assert (membership.company, membership.role) == (company, "member")
    assert Invitation.objects.get().accepted_at is not None


def test_an_invitation_link_for_another_address_answers_404_and_joins_nobody(
    client: Client, vendor: User, company: Company, rival: User
) -> None:
    invitation = services.invitation_create(
        company=company, user=vendor, email="colleague@example.com"
    )
    client.force_login(rival)
    accept = reverse("companies:invitation-accept", args=[invitation_token(invitation)])

    response = client.get(accept)
    assert response.status_code == 404
    assert "Acme Mobility" not in response.content.decode()
    assert client.post(accept).status_code == 404
    assert not CompanyMembership.objects.filter(user=rival).exists()


@pytest.mark.parametrize("token", ["not-a-token", "eyJpZCI6MX0:1tZz:forged", "a" * 300])
def test_a_forged_invitation_link_answers_404(
    client: Client, rival: User, company: Company, token: str
) -> None:
    client.force_login(rival)

    assert client.get(reverse("companies:invitation-accept", args=[token])).status_code == 404


def test_an_invitation_link_stops_working_after_two_weeks(
    client: Client, vendor: User, company: Company, monkeypatch: Any
) -> None:
    invitation = services.invitation_create(
        company=company, user=vendor, email="colleague@example.com"
    )
    accept = reverse("companies:invitation-accept", args=[invitation_token(invitation)])
    client.force_login(UserFactory(email="colleague@example.com"))
    later = timezone.now() + datetime.timedelta(days=15)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())

    assert client.get(accept).status_code == 404


def test_a_used_invitation_cannot_be_used_again(
    client: Client, vendor: User, company: Company
) -> None:
    invitation = services.invitation_create(
        company=company, user=vendor, email="colleague@example.com"
    )
    colleague = UserFactory(email="colleague@example.com")
    services.invitation_accept(invitation=invitation, user=colleague)
    CompanyMembership.objects.filter(user=colleague).delete()  # they left since
    client.force_login(colleague)

    response = client.post(
        reverse("companies:invitation-accept", args=[invitation_token(invitation)])
    )

    assert response.status_code == 404
    assert "This invitation has been used" in response.content.decode()
    assert not CompanyMembership.objects.filter(user=colleague).exists()


def test_a_member_sees_the_team_but_cannot_invite(
    client: Client, company: Company, rival: User
) -> None:
    CompanyMembership.objects.create(company=company, user=rival, role="member")
    client.force_login(rival)

    page = client.get(url("team", company)).content.decode()
    assert "vendor@example.com" in page
    assert "Send invitation" not in page

    response = client.post(url("team", company), {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_refuses_a_bad_address_and_an_unknown_role(
    signed_in: Client, company: Company, sent_mail: list[Any]
) -> None:
    response = signed_in.post(url("team", company), {"email": "not an email", "role": "admin"})

    errors = response.context["form"].errors
    assert set(errors) == {"email", "role"}
    assert not Invitation.objects.exists()
    assert sent_mail == []


def test_inviting_an_address_twice_says_so_next_to_the_field(
    signed_in: Client, company: Company
) -> None:
    signed_in.post(url("team", company), {"email": "colleague@example.com", "role": "member"})

    response = signed_in.post(
        url("team", company), {"email": "colleague@example.com", "role": "owner"}
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["email"]
    assert error.startswith("An invitation to this address is already waiting")
    assert Invitation.objects.get().role == "member"


def test_an_owner_removes_a_member(signed_in: Client, company: Company, rival: User) -> None:
    membership = CompanyMembership.objects.create(company=company, user=rival, role="member")
    remove = url("member-remove", company, membership.pk)

    assert "Remove rival@example.com from the team?" in signed_in.get(remove).content.decode()
    signed_in.post(remove)

    assert not CompanyMembership.objects.filter(user=rival).exists()


def test_the_last_owner_cannot_leave(
    signed_in: Client, vendor: User, company: Company, rival: User
) -> None:
    CompanyMembership.objects.create(company=company, user=rival, role="member")
    mine = CompanyMembership.objects.get(user=vendor)

    response = signed_in.post(url("member-remove", company, mine.pk), follow=True)

    assert "A company needs at least one owner." in response.content.decode()
    assert CompanyMembership.objects.filter(user=vendor, role="owner").exists()


def test_an_owner_withdraws_an_invitation(
    signed_in: Client, vendor: User, company: Company
) -> None:
    invitation = services.invitation_create(company=company, user=vendor, email="x@example.com")

    signed_in.post(url("invitation-cancel", company, invitation.pk))

    assert not Invitation.objects.exists()


# --- every page of a section: what it costs ----------------------------------------------------


@pytest.fixture
def full_company(vendor: User, company: Company, rival: User) -> Company:
    """A company with several of everything a section page lists."""
    services.company_update(
        company=company, user=vendor, sectors=Sector.objects.filter(code__in=["iot", "mobility"])
    )
    for number in range(3):
        services.partner_add(company=company, user=vendor, name=f"P{number}", country="RU")
        services.document_upload(
            company=company,
            user=vendor,
            kind="pitch-deck",
            title=f"Deck {number}",
            upload=SimpleUploadedFile("deck.pdf", PDF),
        )
        services.invitation_create(company=company, user=vendor, email=f"i{number}@example.com")
        services.company_create(
            user=rival, legal_name=f"Findable {number}", country="RU", discoverable=True
        )
    CompanyMembership.objects.create(company=company, user=rival, role="member")
    return company


# Every section page starts with the same ten queries:
#  1 the session, 2 the user,
#  3 the company with the viewer's role, whether a pitch deck is on file and the team's size,
#  4 its sectors, 5 its partners (for the progress, the facts and the partner list),
#  6 the open programs, 7 their criteria, 8 groups, 9 requirements,
#  10 the sector names the preview's wording uses.
# and adds what its own form or list needs:
@pytest.mark.parametrize(
    ("name", "queries"),
    [
        ("identity", 10),
        ("offering", 11),  # 11 the sectors to tick
        ("partners", 11),  # 11 the discoverable companies to link
        ("documents", 11),  # 11 the documents
        ("visibility", 10),
        ("team", 12),  # 11 the members with their accounts, 12 the waiting invitations
        ("preview", 10),
    ],
)
def test_each_section_page_makes_a_fixed_number_of_queries(
    demo: None,
    signed_in: Client,
    full_company: Company,
    django_assert_num_queries: Any,
    name: str,
    queries: int,
) -> None:
    with django_assert_num_queries(queries):
        response = signed_in.get(url(name, full_company))

    assert response.status_code == 200


# --- isolation: another vendor gets 404 on every URL of a company ------------------------------


# Routes with an argument that names no object of a company: "apply" takes a program's slug
# (tests/applicants/test_application_views.py covers who may apply as which company).
NOT_COMPANY_OBJECTS = {"apply"}


def _object_patterns() -> list[URLPattern]:
    return [
        pattern
        for pattern in company_urls.urlpatterns
        if isinstance(pattern, URLPattern)
        and pattern.pattern.converters
        and pattern.name not in NOT_COMPANY_OBJECTS
    ]


def _incoming_partnership_request(company: Company) -> PartnershipRequest:
    """A request another company sent to ``company``, made once."""
    existing = PartnershipRequest.objects.filter(to_company=company).first()
    if existing is not None:
        return existing
    suitor = services.company_create(
        user=UserFactory(email="suitor@example.ru"), legal_name="Suitor", country="RU"
    )
    return PartnershipRequest.objects.create(from_company=suitor, to_company=company)


def _application(company: Company) -> Application:
    """A draft application of ``company``, made once."""
    existing = Application.objects.filter(company=company).first()
    if existing is not None:
        return existing
    return Application.objects.create(company=company, program=ProgramFactory())


def _kwargs(pattern: URLPattern, company: Company, vendor: User) -> dict[str, Any]:
    objects = {
        "pk": company.pk,
        "partner_pk": Partner.objects.get(company=company).pk,
        "document_pk": Document.objects.get(company=company).pk,
        "membership_pk": CompanyMembership.objects.get(company=company, user=vendor).pk,
        "invitation_pk": Invitation.objects.get(company=company).pk,
        "token": invitation_token(Invitation.objects.get(company=company)),
        "request_pk": _incoming_partnership_request(company).pk,
        "application_pk": _application(company).pk,
    }
    unknown = set(pattern.pattern.converters) - set(objects)
    assert not unknown, f"teach the isolation test about {unknown} of {pattern.name}"
    return {name: objects[name] for name in pattern.pattern.converters}


def test_every_company_url_is_covered_by_the_isolation_test() -> None:
    names = {pattern.name for pattern in _object_patterns()}

    assert names == {
        pattern.name for pattern in company_urls.urlpatterns if isinstance(pattern, URLPattern)
    } - {"list", "create", *NOT_COMPANY_OBJECTS}


@pytest.mark.parametrize("pattern", _object_patterns(), ids=lambda pattern: pattern.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_vendor_gets_404_on_every_url_of_my_company_and_changes_nothing(
    client: Client, vendor: User, company: Company, rival: User, pattern: URLPattern, method: str
) -> None:
    services.partner_add(company=company, user=vendor, name="Integrator", country="RU")
    services.document_upload(
        company=company,
        user=vendor,
        kind="pitch-deck",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF),
    )
    services.invitation_create(company=company, user=vendor, email="colleague@example.com")
    services.company_create(user=rival, legal_name="Rival Robotics", country="TW")
    target = reverse(f"companies:{pattern.name}", kwargs=_kwargs(pattern, company, vendor))
    before = snapshot(company)
    client.force_login(rival)

    response = getattr(client, method)(
        target,
        {"legal_name": "Hacked", "country": "RU", "name": "X", "email": "rival@example.com"},
    )

    assert response.status_code == 404
    assert "Acme Mobility" not in response.content.decode()
    assert snapshot(company) == before
    assert Document.objects.count() == Invitation.objects.count() == 1
