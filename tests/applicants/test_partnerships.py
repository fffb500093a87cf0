"""Partner suggestions on "My matches", partnership requests, and their answers."""

import datetime
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from applicants import selectors, services
from applicants.models import (
    Application,
    Company,
    CompanyMembership,
    Partner,
    PartnershipRequest,
    User,
)
from matchmaker.models import Match
from matchmaker.services import companies_score
from programs.models import Program, Sector
from tests.factories import ProgramFactory, UserFactory, add_criterion

pytestmark = pytest.mark.django_db

BASE_URL = "https://pilots.example"


def sectors(*codes: str) -> list[Sector]:
    return list(Sector.objects.filter(code__in=codes))


@pytest.fixture
def vendor() -> User:
    user: User = UserFactory(email="vendor@example.tw")
    return user


@pytest.fixture
def company(demo: None, vendor: User) -> Company:
    """The Moscow example: a Taiwanese mobility company that declared it has no partners."""
    company = services.company_create(
        user=vendor,
        legal_name="Taipei Mobility",
        country="TW",
        website="https://mobility.example.tw",
        sectors=sectors("mobility"),
        trl=8,
        has_demo=True,
        prior_pilots=2,
    )
    services.partners_declare_none(company=company, user=vendor)
    companies_score(company_ids=[company.pk])
    return company


@pytest.fixture
def russian_owner() -> User:
    user: User = UserFactory(email="owner@integrator.ru", language="ru")
    return user


@pytest.fixture
def russian(russian_owner: User) -> Company:
    """A discoverable Russian company that works in mobility, as the Moscow example needs."""
    return services.company_create(
        user=russian_owner,
        legal_name="Moscow Integrator",
        country="RU",
        sectors=sectors("mobility", "retail"),
        discoverable=True,
    )


def ru_company(name: str, *codes: str, discoverable: bool = True, country: str = "RU") -> Company:
    owner: User = UserFactory(email=f"{name.lower().replace(' ', '.')}@example.ru")
    return services.company_create(
        user=owner,
        legal_name=name,
        country=country,
        sectors=sectors(*codes),
        discoverable=discoverable,
    )


@pytest.fixture
def signed_in(client: Client, vendor: User) -> Client:
    client.force_login(vendor)
    return client


@pytest.fixture
def broker() -> Iterator[list[list[int]]]:
    """The company ids that would have gone to the broker for rescoring (the queue is an edge)."""
    from matchmaker import tasks

    sent: list[list[int]] = []
    with mock.patch.object(tasks.score_companies_task, "delay", sent.append):
        yield sent


def matches_url(company: Company) -> str:
    return reverse("companies:matches", args=[company.pk])


def requests_url(company: Company) -> str:
    return reverse("companies:partnership-requests", args=[company.pk])


def respond_url(partnership: PartnershipRequest) -> str:
    return reverse(
        "companies:partnership-respond", args=[partnership.to_company_id, partnership.pk]
    )


def ask(company: Company, user: User, target: Company, **extra: Any) -> PartnershipRequest:
    return services.partnership_request_send(
        company=company, user=user, to_company_id=target.pk, base_url=BASE_URL, **extra
    )


def suggested(client: Client, company: Company, slug: str = "moscow-pilots") -> list[str]:
    """The names suggested under a program on the matches page, in order."""
    html = client.get(matches_url(company)).content.decode()
    start = html.index(f'data-program="{slug}"')
    end = html.find('<li class="card match"', start)
    return re.findall(
        r'<li class="item suggestion">\s*<div class="item-text">\s*<strong>([^<]+)</strong>',
        html[start : end if end != -1 else None],
    )


# --- suggestions -------------------------------------------------------------------------------


def test_a_discoverable_russian_company_sharing_a_sector_is_suggested_under_moscow(
    company: Company, russian: Company, signed_in: Client
) -> None:
    html = signed_in.get(matches_url(company)).content.decode()

    assert suggested(signed_in, company) == ["Moscow Integrator"]
    assert "Companies you could partner with in Russia" in html
    assert "Shared sectors: Mobility" in html  # retail is theirs alone
    assert f'name="to_company" value="{russian.pk}"' in html


def test_only_programs_asking_for_a_partner_get_suggestions(
    company: Company, russian: Company, signed_in: Client
) -> None:
    assert suggested(signed_in, company, "procure-renewable-buildings") == []
    assert suggested(signed_in, company, "taipei-bottom-up-poc") == []


def test_hidden_unrelated_foreign_and_already_linked_companies_are_not_suggested(
    company: Company, vendor: User, signed_in: Client
) -> None:
    ru_company("Hidden Mobility", "mobility", discoverable=False)
    ru_company("Farm Russia", "agriculture-food")  # no sector in common
    ru_company("Minsk Mobility", "mobility", country="BY")
    linked = ru_company("Linked Mobility", "mobility")
    ru_company("Fitting Mobility", "mobility")
    # linked as a partner already (its Taiwanese branch, so the Russian gate still fails)
    Partner.objects.create(company=company, name="Linked", country="TW", linked_company=linked)

    assert suggested(signed_in, company) == ["Fitting Mobility"]


def test_suggestions_put_more_shared_sectors_first_and_stop_at_five(
    demo: None, vendor: User, signed_in: Client
) -> None:
    company = services.company_create(
        user=vendor,
        legal_name="Taipei Mobility",
        country="TW",
        sectors=sectors("mobility", "retail", "energy"),
        trl=8,
    )
    services.partners_declare_none(company=company, user=vendor)
    companies_score(company_ids=[company.pk])
    for name in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]:
        ru_company(name, "mobility")
    ru_company("Zulu", "mobility", "retail", "energy")
    ru_company("Yankee", "mobility", "retail")

    assert suggested(signed_in, company) == ["Zulu", "Yankee", "Alpha", "Bravo", "Charlie"]


def test_a_gate_asking_for_a_partner_in_any_of_several_countries_suggests_from_each(
    demo: None, vendor: User, signed_in: Client
) -> None:
    program = ProgramFactory(slug="baltic-pilots", title="Baltic pilots")
    add_criterion(
        program,
        label="A partner in the Baltics",
        groups=[[("partner_countries", "overlaps", ["EE", "LV"])]],
    )
    company = services.company_create(
        user=vendor, legal_name="Taipei Mobility", country="TW", sectors=sectors("mobility")
    )
    services.partners_declare_none(company=company, user=vendor)
    companies_score(company_ids=[company.pk])
    ru_company("Tallinn Mobility", "mobility", country="EE")
    ru_company("Riga Mobility", "mobility", country="LV")
    ru_company("Vilnius Mobility", "mobility", country="LT")

    assert suggested(signed_in, company, "baltic-pilots") == ["Riga Mobility", "Tallinn Mobility"]


def test_a_company_already_asked_shows_request_sent_instead_of_the_button(
    company: Company, vendor: User, russian: Company, signed_in: Client
) -> None:
    ask(company, vendor, russian)

    html = signed_in.get(matches_url(company)).content.decode()

    assert "Request sent" in html
    assert f'name="to_company" value="{russian.pk}"' not in html


def test_the_suggestions_selector_makes_two_queries(
    company: Company, django_assert_num_queries: Any
) -> None:
    for number in range(3):
        ru_company(f"Integrator {number}", "mobility")
    workspace = selectors.company_workspace(company.memberships.get().user).get(pk=company.pk)

    # 1 the candidates, ranked per country with their shared-sector count and request state,
    # 2 their shared sectors
    with django_assert_num_queries(2):
        candidates = selectors.partner_candidates(workspace, countries={"RU"})

    assert [candidate.legal_name for candidate in candidates] == [
        "Integrator 0",
        "Integrator 1",
        "Integrator 2",
    ]


# --- asking --------------------------------------------------------------------------------------


def test_requesting_a_partnership_emails_the_other_companys_owners_after_commit(
    company: Company,
    vendor: User,
    russian: Company,
    sent_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a colleague who is a member, not an owner, of the Russian company
    CompanyMembership.objects.create(
        user=UserFactory(email="member@integrator.ru"),
        company=russian,
        role=CompanyMembership.Role.MEMBER,
    )
    moscow = Program.objects.get(slug="moscow-pilots")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        partnership = ask(company, vendor, russian, program_id=moscow.pk)
    assert sent_mail == []  # nothing leaves before the request is saved
    for callback in callbacks:
        callback()

    assert (partnership.from_company, partnership.to_company) == (company, russian)
    assert (partnership.status, partnership.requested_by, partnership.program) == (
        "pending",
        vendor,
        moscow,
    )
    [mail] = sent_mail
    assert mail.to == ["owner@integrator.ru"]
    assert "Taipei Mobility" in mail.subject
    assert f"{BASE_URL}{respond_url(partnership)}" in mail.body
    # The owner reads Russian: the program's Russian title.
    assert "Московская программа пилотирования инноваций" in mail.body
    assert "vendor@example.tw" in mail.body
    [(html, kind)] = mail.alternatives
    assert kind == "text/html"
    assert f'href="{BASE_URL}{respond_url(partnership)}"' in html


def test_each_owner_is_mailed_in_their_own_language(
    company: Company,
    vendor: User,
    russian: Company,
    sent_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    CompanyMembership.objects.create(
        user=UserFactory(email="cofounder@integrator.ru", language="en"),
        company=russian,
        role=CompanyMembership.Role.OWNER,
    )

    with django_capture_on_commit_callbacks(execute=True):
        ask(company, vendor, russian)

    bodies = {mail.to[0]: mail.body for mail in sent_mail}
    # The asking company's country, named in each reader's language.
    assert "Тайвань" in bodies["owner@integrator.ru"]
    assert "Taiwan" in bodies["cofounder@integrator.ru"]
    html = {mail.to[0]: mail.alternatives[0][0] for mail in sent_mail}
    assert '<html lang="ru">' in html["owner@integrator.ru"]
    # Our own words too, subject and body, from the Russian catalog.
    subjects = {mail.to[0]: mail.subject for mail in sent_mail}
    assert "предлагает вам партнёрство в Pilot Match" in subjects["owner@integrator.ru"]
    assert "would like to partner with you" in subjects["cofounder@integrator.ru"]


def test_the_request_button_asks_and_returns_to_the_matches_with_a_message(
    company: Company,
    russian: Company,
    signed_in: Client,
    sent_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    moscow = Program.objects.get(slug="moscow-pilots")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            requests_url(company), {"to_company": russian.pk, "program": moscow.pk}, follow=True
        )

    assert response.redirect_chain == [(f"{matches_url(company)}#program-moscow-pilots", 302)]
    assert "Request sent to Moscow Integrator" in response.content.decode()
    assert PartnershipRequest.objects.get().to_company == russian
    assert len(sent_mail) == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("itself", "This is your own company"),
        ("hidden", "No company open to partnership requests has this number"),
        ("missing", "No company open to partnership requests has this number"),
    ],
)
def test_a_request_to_oneself_a_hidden_or_a_missing_company_is_refused_clearly(
    company: Company, vendor: User, target: str, message: str
) -> None:
    targets = {
        "itself": company.pk,
        "hidden": ru_company("Hidden Mobility", "mobility", discoverable=False).pk,
        "missing": 999_999,
    }

    with pytest.raises(ValidationError) as refused:
        services.partnership_request_send(
            company=company, user=vendor, to_company_id=targets[target], base_url=BASE_URL
        )

    assert message in " ".join(refused.value.messages)
    assert not PartnershipRequest.objects.exists()


def test_a_second_request_while_the_first_waits_is_refused(
    company: Company, vendor: User, russian: Company, sent_mail: list[Any]
) -> None:
    ask(company, vendor, russian)

    with pytest.raises(ValidationError, match="You already asked Moscow Integrator"):
        ask(company, vendor, russian)

    assert PartnershipRequest.objects.count() == 1


def test_the_database_keeps_one_waiting_request_per_pair(
    company: Company, vendor: User, russian: Company
) -> None:
    from django.db import IntegrityError, transaction

    ask(company, vendor, russian)

    with pytest.raises(IntegrityError), transaction.atomic():
        PartnershipRequest.objects.create(from_company=company, to_company=russian)


def test_asking_a_company_that_already_asked_you_points_to_its_request(
    company: Company, vendor: User, russian: Company, russian_owner: User
) -> None:
    Company.objects.filter(pk=company.pk).update(discoverable=True)
    ask(russian, russian_owner, company)

    with pytest.raises(ValidationError, match="has already asked you"):
        ask(company, vendor, russian)


def test_asking_again_soon_after_a_decline_is_refused_and_later_allowed(
    company: Company, vendor: User, russian: Company, russian_owner: User
) -> None:
    partnership = ask(company, vendor, russian)
    services.partnership_request_decline(partnership=partnership, user=russian_owner)

    with pytest.raises(ValidationError, match="declined your request recently"):
        ask(company, vendor, russian)
    later = timezone.now() + datetime.timedelta(days=31)
    assert ask(company, vendor, russian, now=later).status == "pending"


def test_a_refused_request_from_the_page_is_explained_and_saves_nothing(
    company: Company, signed_in: Client
) -> None:
    response = signed_in.post(requests_url(company), {"to_company": company.pk}, follow=True)

    assert "This is your own company" in response.content.decode()
    assert not PartnershipRequest.objects.exists()


def test_a_malformed_request_from_the_page_saves_nothing(
    company: Company, signed_in: Client
) -> None:
    response = signed_in.post(requests_url(company), {"to_company": "9" * 30}, follow=True)

    assert response.status_code == 200
    assert "Choose a company to ask" in response.content.decode()
    assert not PartnershipRequest.objects.exists()


# --- answering -----------------------------------------------------------------------------------


def test_accepting_adds_each_company_as_the_others_partner_and_bumps_both_versions(
    company: Company,
    vendor: User,
    russian: Company,
    russian_owner: User,
    broker: list[list[int]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    partnership = ask(company, vendor, russian)
    versions = {c.pk: c.profile_version for c in Company.objects.all()}

    with django_capture_on_commit_callbacks(execute=True):
        services.partnership_request_accept(partnership=partnership, user=russian_owner)

    partnership.refresh_from_db()
    assert (partnership.status, partnership.responded_by) == ("accepted", russian_owner)
    assert partnership.responded_at is not None
    assert list(company.partners.values_list("name", "country", "linked_company")) == [
        ("Moscow Integrator", "RU", russian.pk)
    ]
    assert list(russian.partners.values_list("name", "country", "linked_company")) == [
        ("Taipei Mobility", "TW", company.pk)
    ]
    after = {c.pk: c.profile_version for c in Company.objects.all()}
    assert after[company.pk] == versions[company.pk] + 1
    assert after[russian.pk] == versions[russian.pk] + 1
    # both are rescored once committed
    assert sorted(ids for [ids] in broker) == sorted([company.pk, russian.pk])


def test_after_accepting_and_rescoring_moscow_is_eligible(
    company: Company,
    vendor: User,
    russian: Company,
    russian_owner: User,
    signed_in: Client,
    broker: list[list[int]],
    sent_mail: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the vendor saw moscow-pilots as a near miss and asked the suggested company
    signed_in.get(matches_url(company))
    moscow = Program.objects.get(slug="moscow-pilots")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(requests_url(company), {"to_company": russian.pk, "program": moscow.pk})
    [mail] = sent_mail
    link = re.search(r"http://testserver(/companies/\S+)", mail.body)
    assert link is not None
    # when the Russian owner follows the mail's link and accepts
    owner = Client()
    owner.force_login(russian_owner)
    path = link.group(1)
    assert owner.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(path, {"decision": "accept"})
    # and the worker scores what the broker was sent
    companies_score(company_ids=[company_id for ids in broker for company_id in ids])

    # then moscow-pilots is eligible, and the vendor's next visit says so
    match = Match.objects.get(company=company, program=moscow)
    assert (match.eligibility, match.score) == ("eligible", 71.88)
    html = signed_in.get(matches_url(company)).content.decode()
    assert 'data-change="now-eligible">Now eligible' in html


def test_declining_records_the_answer_and_adds_no_partner(
    company: Company, vendor: User, russian: Company, russian_owner: User
) -> None:
    partnership = ask(company, vendor, russian)
    version = Company.objects.get(pk=company.pk).profile_version

    services.partnership_request_decline(partnership=partnership, user=russian_owner)

    partnership.refresh_from_db()
    assert (partnership.status, partnership.responded_by) == ("declined", russian_owner)
    assert not Partner.objects.exists()
    assert Company.objects.get(pk=company.pk).profile_version == version


def test_a_requests_status_is_worded_for_a_request_not_an_application() -> None:
    # Russian words a declined request (запрос) and a declined application (заявка) with
    # different endings; one message for both gave the request the application's.
    with translation.override("ru"):
        assert str(PartnershipRequest.Status.DECLINED.label) == "Отклонён"
        assert str(PartnershipRequest.Status.ACCEPTED.label) == "Принят"
        assert str(Application.Status.DECLINED.label) == "Отклонена"


def test_an_answered_request_cannot_be_answered_again(
    company: Company, vendor: User, russian: Company, russian_owner: User, broker: Any
) -> None:
    partnership = ask(company, vendor, russian)
    services.partnership_request_decline(partnership=partnership, user=russian_owner)

    with pytest.raises(ValidationError, match="already been answered"):
        services.partnership_request_accept(partnership=partnership, user=russian_owner)

    assert not Partner.objects.exists()


def test_only_an_owner_of_the_asked_company_may_answer(
    company: Company, vendor: User, russian: Company
) -> None:
    partnership = ask(company, vendor, russian)
    member: User = UserFactory(email="member@integrator.ru")
    CompanyMembership.objects.create(
        user=member, company=russian, role=CompanyMembership.Role.MEMBER
    )

    for user in (member, vendor):
        with pytest.raises(PermissionDenied):
            services.partnership_request_accept(partnership=partnership, user=user)
    assert PartnershipRequest.objects.get().status == "pending"


def test_accepting_also_settles_a_request_the_other_way_round(
    company: Company, vendor: User, russian: Company, russian_owner: User, broker: Any
) -> None:
    Company.objects.filter(pk=company.pk).update(discoverable=True)
    theirs = ask(russian, russian_owner, company)
    # made directly: the service would point the vendor to the waiting request instead
    ours = PartnershipRequest.objects.create(
        from_company=company, to_company=russian, requested_by=vendor
    )

    services.partnership_request_accept(partnership=ours, user=russian_owner)

    theirs.refresh_from_db()
    assert theirs.status == "accepted"
    assert Partner.objects.count() == 2


def test_accepting_does_not_duplicate_a_partner_linked_by_hand(
    company: Company, vendor: User, russian: Company, russian_owner: User, broker: Any
) -> None:
    services.partner_add(
        company=company, user=vendor, name="MI", country="RU", linked_company=russian
    )
    partnership = PartnershipRequest.objects.create(
        from_company=company, to_company=russian, requested_by=vendor
    )

    services.partnership_request_accept(partnership=partnership, user=russian_owner)

    assert company.partners.count() == 1
    assert russian.partners.get().linked_company == company


# --- the requests page ---------------------------------------------------------------------------


@pytest.fixture
def owner_client(russian_owner: User) -> Client:
    # The pages below are read in English (a signed-in user's pages follow the account).
    russian_owner.language = "en"
    russian_owner.save(update_fields=["language"])
    client = Client()
    client.force_login(russian_owner)
    return client


def test_the_requests_page_lists_requests_received_waiting_ones_first(
    company: Company, vendor: User, russian: Company, owner_client: Client
) -> None:
    answered = ru_company("Early Bird", "mobility", country="TW")
    early = PartnershipRequest.objects.create(
        from_company=answered,
        to_company=russian,
        status=PartnershipRequest.Status.DECLINED,
        responded_at=timezone.now(),
    )
    waiting = ask(company, vendor, russian, program_id=Program.objects.get(slug="moscow-pilots").pk)

    html = owner_client.get(requests_url(russian)).content.decode()

    assert html.index("Taipei Mobility") < html.index("Early Bird")
    assert f'href="{respond_url(waiting)}">Answer' in html
    assert f'href="{respond_url(early)}">Details' in html
    assert "for Moscow Innovations Piloting Program" in html
    assert "1 waiting for your answer" in html


def test_the_company_list_and_the_navigation_count_the_requests_waiting(
    company: Company, vendor: User, russian: Company, owner_client: Client
) -> None:
    ask(company, vendor, russian)

    listing = owner_client.get(reverse("companies:list")).content.decode()
    section = owner_client.get(reverse("companies:identity", args=[russian.pk])).content.decode()

    assert f'href="{requests_url(russian)}">1 partnership request waiting' in listing
    assert "1 waiting for your answer" in section


def test_the_requests_page_lists_requests_sent(
    company: Company, vendor: User, russian: Company, signed_in: Client
) -> None:
    ask(company, vendor, russian)

    html = signed_in.get(requests_url(company)).content.decode()

    assert "Requests you sent" in html
    assert "Moscow Integrator" in html
    assert "Waiting for an answer" in html


def test_an_owner_accepts_from_the_request_page(
    company: Company,
    vendor: User,
    russian: Company,
    owner_client: Client,
    broker: Any,
) -> None:
    partnership = ask(company, vendor, russian)
    page = owner_client.get(respond_url(partnership)).content.decode()
    assert 'name="decision" value="accept"' in page
    assert "vendor@example.tw" in page

    response = owner_client.post(respond_url(partnership), {"decision": "accept"}, follow=True)

    assert response.redirect_chain == [(requests_url(russian), 302)]
    assert "You and Taipei Mobility are partners now" in response.content.decode()
    assert Partner.objects.count() == 2


def test_a_member_sees_the_request_but_cannot_answer_it(
    company: Company, vendor: User, russian: Company, client: Client
) -> None:
    partnership = ask(company, vendor, russian)
    member: User = UserFactory(email="member@integrator.ru")
    CompanyMembership.objects.create(
        user=member, company=russian, role=CompanyMembership.Role.MEMBER
    )
    client.force_login(member)

    page = client.get(respond_url(partnership)).content.decode()
    refused = client.post(respond_url(partnership), {"decision": "accept"})

    assert "Only the company's owners can answer" in page
    assert 'name="decision"' not in page
    assert refused.status_code == 403
    assert PartnershipRequest.objects.get().status == "pending"


def test_a_request_sent_is_not_reachable_through_the_senders_answer_page(
    company: Company, vendor: User, russian: Company, signed_in: Client
) -> None:
    partnership = ask(company, vendor, russian)
    mine = reverse("companies:partnership-respond", args=[company.pk, partnership.pk])

    assert signed_in.get(mine).status_code == 404
    assert signed_in.post(mine, {"decision": "accept"}).status_code == 404
    assert PartnershipRequest.objects.get().status == "pending"


def test_the_requests_page_makes_a_fixed_number_of_queries(
    company: Company,
    vendor: User,
    russian: Company,
    russian_owner: User,
    owner_client: Client,
    django_assert_num_queries: Any,
) -> None:
    for number in range(3):
        suitor = ru_company(f"Suitor {number}", "mobility", country="TW")
        PartnershipRequest.objects.create(from_company=suitor, to_company=russian)
    Company.objects.filter(pk=company.pk).update(discoverable=True)
    ask(russian, russian_owner, company)

    # 1 the session, 2 the user, 3 the company with the viewer's role, a pitch deck on file,
    # the team's size and the requests waiting, 4 its sectors, 5 its partners, 6 the requests
    # received with their companies, askers, answerers and programs, 7 the requests sent
    with django_assert_num_queries(7):
        response = owner_client.get(requests_url(russian))

    assert len(response.context["received"]) == 3
    assert len(response.context["sent"]) == 1
