from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from programs.selectors import clear_compiled_cache


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
def demo(db: None) -> None:
    """The demo programs of DESIGN §7, loaded as ``manage.py load_demo`` loads them."""
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
