"""A program's texts in every language (``staff:texts``, ``programs.texts``) and what readers
see: their language, else English, else the language the text was written in."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applicants.models import User
from programs.models import Criterion, Program, Requirement, Stage
from programs.texts import program_texts
from tests.factories import AgencyFactory, ProgramFactory, StageFactory, add_criterion
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    agency = AgencyFactory(slug="taipei", name="Taipei", city="Taipei", country="TW")
    program = ProgramFactory(slug="taipei-poc", title="Taipei POC", summary="Test it", owner=agency)
    StageFactory(program=program, order=0, name="Proof of concept")
    add_criterion(program, label="Ready for a field test", groups=[[("trl", "gte", 6)]])
    return program


@pytest.fixture
def admin(program: Program) -> User:
    return make_staff("admin@taipei.example", program.owner)


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(program: Program, **changes: str) -> dict[str, str]:
    data = {}
    for text in program_texts(program):
        for language in ("en", "zh-hant", "ru"):
            data[f"{text.key}-{language}"] = text.value(language)
    data.update(changes)
    return data


def stage_key(program: Program) -> str:
    return f"stage-{Stage.objects.get(program=program).pk}-name"


def criterion_key(program: Program) -> str:
    return f"criterion-{Criterion.objects.get(program=program).pk}-label"


def test_the_page_lists_every_text_with_a_field_per_language(program: Program, admin: User) -> None:
    response = admin_client(admin).get(reverse("staff:texts", args=[program.slug]))

    assert response.status_code == 200
    page = response.content.decode()
    for key in ("program", stage_key(program), criterion_key(program)):
        name = f"program-{program.pk}-title" if key == "program" else key
        for language in ("en", "zh-hant", "ru"):
            assert f'name="{name}-{language}"' in page
    assert 'lang="zh-hant"' in page


def test_saved_texts_are_what_readers_of_each_language_see(program: Program, admin: User) -> None:
    version = program.rules_version
    data = form_data(
        program,
        **{
            f"program-{program.pk}-title-zh-hant": "臺北概念驗證",
            f"{stage_key(program)}-ru": "Проверка концепции",
            f"{criterion_key(program)}-zh-hant": "可進行場域測試",
        },
    )

    response = admin_client(admin).post(reverse("staff:texts", args=[program.slug]), data)

    assert response.status_code == 302
    program.refresh_from_db()
    stage = Stage.objects.get(program=program)
    criterion = Criterion.objects.get(program=program)
    with translation.override("zh-hant"):
        assert (program.title, stage.name, criterion.label) == (
            "臺北概念驗證",
            "Proof of concept",  # no Chinese name: English
            "可進行場域測試",
        )
    with translation.override("ru"):
        assert (program.title, stage.name) == ("Taipei POC", "Проверка концепции")
    # The rules' words are compiled with the rules: a new version, and a rescore.
    assert program.rules_version == version + 1


def test_a_text_only_in_chinese_is_shown_in_chinese_to_everyone(program: Program) -> None:
    program.title_en = ""
    program.title_zh_hant = "臺北概念驗證"
    program.save()

    for language in ("en", "ru"):
        with translation.override(language):
            assert Program.objects.get(pk=program.pk).title == "臺北概念驗證"


def test_a_needed_text_empty_in_every_language_is_refused_and_nothing_is_saved(
    program: Program, admin: User
) -> None:
    data = form_data(
        program,
        **{
            f"program-{program.pk}-summary-ru": "Проверьте",
            f"{stage_key(program)}-en": "",
        },
    )

    response = admin_client(admin).post(reverse("staff:texts", args=[program.slug]), data)

    assert response.status_code == 400
    assert "Give this text in at least one language." in response.content.decode()
    program.refresh_from_db()
    assert program.summary_ru in (None, "")
    assert Stage.objects.get(program=program).name_en == "Proof of concept"


def test_a_text_too_long_in_one_language_is_refused(program: Program, admin: User) -> None:
    data = form_data(program, **{f"program-{program.pk}-title-ru": "Я" * 201})

    response = admin_client(admin).post(reverse("staff:texts", args=[program.slug]), data)

    assert response.status_code == 400
    assert "Keep it to 200 characters in each language." in response.content.decode()


def test_saving_words_outside_the_rules_does_not_rescore(program: Program, admin: User) -> None:
    version = program.rules_version
    data = form_data(program, **{f"program-{program.pk}-summary-ru": "Проверьте"})

    admin_client(admin).post(reverse("staff:texts", args=[program.slug]), data)

    program.refresh_from_db()
    assert program.summary_ru == "Проверьте"
    assert program.rules_version == version


def test_the_program_page_reads_in_the_readers_language(program: Program) -> None:
    program.title_ru = "Тайбэй: проверка концепции"
    program.save()
    requirement = Requirement.objects.get(group__criterion__program=program)
    requirement.hint_en = "A working demo in a real place."
    requirement.hint_ru = "Работающая демонстрация в реальных условиях."
    requirement.save()
    url = reverse("programs:detail", args=[program.slug])

    russian = Client().get(url, headers={"accept-language": "ru"}).content.decode()
    english = Client().get(url, headers={"accept-language": "en"}).content.decode()

    assert "Тайбэй: проверка концепции" in russian
    assert "Работающая демонстрация в реальных условиях." in russian
    assert "Ready for a field test" in russian  # no Russian label: English
    assert "Taipei POC" in english and "A working demo in a real place." in english
