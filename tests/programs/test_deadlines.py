"""``{% deadline %}``: the program's time, with the reader's own beside it, formatted for the
language."""

import datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# 18:00 in Moscow on 4 December 2026.
MOMENT = datetime.datetime(2026, 12, 4, 15, 0, tzinfo=datetime.UTC)


def render(user: object = None, zone: str = "Europe/Moscow", language: str = "en") -> str:
    request = RequestFactory().get("/")
    if user is not None:
        request.user = user  # type: ignore[assignment]
    with translation.override(language):
        return Template("{% load deadlines %}{% deadline moment zone %}").render(
            Context({"moment": MOMENT, "zone": zone, "request": request})
        )


def test_a_signed_in_reader_elsewhere_sees_their_own_time_beside() -> None:
    html = render(UserFactory(time_zone="Asia/Taipei"))

    assert "Dec. 4, 2026, 6 p.m. (Europe/Moscow)" in html
    assert "(your time: Dec. 4, 2026, 11 p.m.)" in html


def test_a_reader_in_the_programs_time_zone_sees_it_once() -> None:
    html = render(UserFactory(time_zone="Europe/Moscow"))

    assert "6 p.m. (Europe/Moscow)" in html and "your time" not in html


def test_a_visitor_gets_the_zone_for_the_browser_to_add_its_own_time() -> None:
    html = render()

    assert 'data-zone="Europe/Moscow"' in html and 'datetime="2026-12-04T18:00:00+03:00"' in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ru", "4 декабря 2026 г. 18:00"), ("zh-hant", "2026年12月4日 18:00")],
)
def test_the_format_follows_the_language(language: str, expected: str) -> None:
    assert expected in render(UserFactory(time_zone="Europe/Moscow"), language=language)


def test_no_moment_renders_nothing() -> None:
    assert Template("{% load deadlines %}{% deadline None 'UTC' %}").render(Context()) == ""


def test_a_deadline_written_once_a_process_is_its_own_for_each_language_zone_and_reader() -> None:
    taipei, moscow = UserFactory(time_zone="Asia/Taipei"), UserFactory(time_zone="Europe/Moscow")

    first = render(taipei)

    assert render(taipei) == first
    assert "your time" not in render(moscow)
    assert "(ваше время: 4 декабря 2026 г. 23:00)" in render(taipei, language="ru")
    assert "Dec. 4, 2026, 11 p.m. (Asia/Taipei)" in render(moscow, zone="Asia/Taipei")
    assert "data-zone" in render() and "data-zone" not in first
