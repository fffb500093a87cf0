"""The tests' ``demo`` fixture copies the rows ``load_demo`` wrote once; a copy must be what
``load_demo`` gives, and must not stand in where it would not be."""

import datetime
from typing import Any
from unittest import mock

import pytest
from django.db import models
from django.utils import timezone

from programs.demo import demo_load
from programs.models import Program
from tests import demo_data
from tests.factories import AgencyFactory


def _counts() -> dict[str, int]:
    return {
        model._meta.label: models.QuerySet(model).count() for model in demo_data.project_tables()
    }


@pytest.mark.django_db
def test_a_copy_is_what_load_demo_leaves(_demo_recording: demo_data.Recording | None) -> None:
    assert _demo_recording is not None
    assert demo_data.copy(_demo_recording)
    copied = _counts()
    assert Program.objects.count() == 5

    # Loading the demo over the copy finds every agency, program, stage (dates of the day) and
    # rule as it would make them: nothing changes, nothing is added, not even an audit entry.
    result = demo_load()

    assert result.changed == []
    assert _counts() == copied


@pytest.mark.django_db
def test_a_database_with_a_catalog_row_more_gets_no_copy(
    _demo_recording: demo_data.Recording | None,
) -> None:
    AgencyFactory()

    assert not demo_data.copy(_demo_recording)
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_another_day_gets_no_copy(_demo_recording: demo_data.Recording | None) -> None:
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    with mock.patch("django.utils.timezone.now", return_value=tomorrow):
        assert not demo_data.copy(_demo_recording)
    assert not Program.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_gets_no_copy(
    _demo_recording: demo_data.Recording | None, default_sectors: Any
) -> None:
    assert not demo_data.copy(_demo_recording)
    assert not Program.objects.exists()
