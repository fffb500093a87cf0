from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from programs.selectors import clear_compiled_cache
from tests import demo_data
from tests.outbox import sent_mail  # noqa: F401  (a fixture: mail as the outbox sends it)
from tests.smtp import smtp_server, smtp_settings  # noqa: F401  (fixtures: an SMTP server)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # A production-strength hash takes most of a second; tests need no secrecy.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request activates its language in the thread and leaves it active after the response:
    # each test starts in the site's default, whatever the test before it on this worker asked.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_compiled_rules() -> Iterator[None]:
    # Primary keys are reused across rolled-back tests; compiled rules must not leak between them.
    clear_compiled_cache()
    yield
    clear_compiled_cache()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def default_sectors(db: None) -> None:
    """The sector taxonomy of the data migration, which transactional tests flush away."""
    from importlib import import_module

    from programs.models import Sector

    migration = import_module("programs.migrations.0002_default_sectors")
    for code, name in migration.DEFAULT_SECTORS:
        Sector.objects.get_or_create(code=code, defaults={"name": name})


@pytest.fixture(scope="session")
def _demo_recording(django_db_setup: None, django_db_blocker: Any) -> demo_data.Recording | None:
    with django_db_blocker.unblock():
        return demo_data.record()


@pytest.fixture
def demo(db: None, _demo_recording: demo_data.Recording | None) -> None:
    """The demo programs of DESIGN §7, as ``manage.py load_demo`` loads them: its rows copied
    where that gives the same (``tests/demo_data.py``), else loaded by it."""
    from django.core.management import call_command

    if not demo_data.copy(_demo_recording):
        call_command("load_demo", verbosity=0)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    return [
        f"database: {settings.DATABASES['default']['ENGINE']}",
        f"broker: {settings.CELERY_BROKER_URL.split('@')[-1]}",
    ]
