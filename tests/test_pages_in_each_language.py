"""A Taipei vendor uses the service in Traditional Chinese, a Moscow staff member in Russian, a
visitor in either: the main pages hold no English words of our own.

The pages' visible text is scanned for English phrases (three words or more) after removing the
data they show (programs, stages, rules' words, sectors, agencies, companies in every language:
a text missing in the reader's language is shown in English by design) and the product's name.
"""

import re
import zoneinfo
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applicants.models import Company, User
from programs.models import Agency, Challenge, Criterion, Program, Requirement, Sector, Stage
from tests.staff import make_company, make_staff, owner_of

pytestmark = pytest.mark.django_db

ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _data_texts() -> list[str]:
    texts: set[str] = {"Pilot Match"}
    for model, fields in (
        (Program, ["title", "summary"]),
        (Stage, ["name", "description"]),
        (Challenge, ["title", "description"]),
        (Criterion, ["label", "help_text"]),
        (Requirement, ["hint"]),
        (Sector, ["name"]),
        (Agency, ["name", "city"]),
    ):
        for language in ("en", "zh_hant", "ru"):
            columns = [f"{field}_{language}" for field in fields]
            for row in model.objects.values_list(*columns):
                texts.update(value for value in row if value)
    texts.update(Company.objects.values_list("legal_name", flat=True))
    return sorted(texts, key=len, reverse=True)


def english_left(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    data = _data_texts()
    for value in data:
        text = text.replace(value, " | ")
    # What is left of data cut short (a summary's first words) or listed by code (sectors in the
    # history), and the time zones' IANA names.
    codes = {
        word for code in Sector.objects.values_list("code", flat=True) for word in code.split("-")
    }
    codes.update(
        word for zone in zoneinfo.available_timezones() for word in re.split(r"[/_]", zone)
    )
    return [
        phrase
        for phrase in ENGLISH_PHRASE.findall(text)
        if not any(phrase in value for value in data)
        and not set(re.findall(r"[A-Za-z']+", phrase)) <= codes
    ]


@pytest.fixture
def vendor(demo: None) -> tuple[Client, Company]:
    company = make_company("Taipei Mobility", owner="vendor@mobility.tw", country="TW")
    user = owner_of(company)
    user.language = "zh-hant"
    user.time_zone = "Asia/Taipei"
    user.save()
    client = Client()
    client.force_login(user)
    return client, company


@pytest.fixture
def staff(demo: None) -> Client:
    user: User = make_staff("staff@moscow.ru", "moscow-innovation-agency")
    user.language = "ru"
    user.save()
    client = Client()
    client.force_login(user)
    return client


def check(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, url
    left = english_left(response.content.decode())
    assert not left, f"{url}: {left[:10]}"


@pytest.mark.parametrize(
    "page",
    [
        "companies:list",
        "companies:identity",
        "companies:offering",
        "companies:partners",
        "companies:documents",
        "companies:visibility",
        "companies:team",
        "companies:preview",
        "companies:matches",
        "companies:applications",
    ],
)
def test_a_taipei_vendors_company_pages_are_in_chinese(
    vendor: tuple[Client, Company], page: str
) -> None:
    client, company = vendor
    check(client, reverse(page) if page == "companies:list" else reverse(page, args=[company.pk]))


@pytest.mark.parametrize(
    "url",
    [
        "/programs/",
        "/programs/taipei-bottom-up-poc/",
        "/accounts/profile/",
        "/accounts/notifications/",
        "/accounts/password-change/",
    ],
)
def test_a_taipei_vendors_other_pages_are_in_chinese(
    vendor: tuple[Client, Company], url: str
) -> None:
    check(vendor[0], url)


@pytest.mark.parametrize(
    "page", ["dashboard", "matches", "applications", "settings", "texts", "history"]
)
def test_a_moscow_staff_members_pages_are_in_russian(staff: Client, page: str) -> None:
    check(staff, reverse(f"staff:{page}", args=["moscow-pilots"]))


def test_a_moscow_staff_members_workspace_and_rules_are_in_russian(staff: Client) -> None:
    check(staff, reverse("staff:home"))
    check(staff, reverse("staff:team", args=["moscow-innovation-agency"]))
    check(staff, reverse("rules:list", args=["moscow-pilots"]))


@pytest.mark.parametrize("language", ["zh-hant", "ru"])
@pytest.mark.parametrize(
    "url", ["/programs/", "/programs/moscow-pilots/", "/accounts/login/", "/accounts/signup/"]
)
def test_a_visitors_pages_are_in_their_language(demo: None, language: str, url: str) -> None:
    client = Client(headers={"accept-language": language})
    check(client, url)


def test_the_scan_finds_english_left_in_a_page() -> None:
    with translation.override("ru"):
        assert english_left("<p>Сохранить</p><p>Save your profile now</p>") == [
            "Save your profile now"
        ]
