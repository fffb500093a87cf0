from collections.abc import Callable, Iterable
from typing import Any

import pytest

from applicants.models import Company, Partner
from programs.models import Sector


@pytest.fixture
def make_company(db: None) -> Callable[..., Company]:
    """A company with the given facts; ``partners`` is a list of country codes (declares them)."""

    def make(
        *,
        sectors: Iterable[str] = ("mobility",),
        partners: Iterable[str] | None = None,
        **fields: Any,
    ) -> Company:
        defaults: dict[str, Any] = {"legal_name": "Acme", "country": "TW", "trl": 8}
        company = Company.objects.create(**{**defaults, **fields})
        company.sectors.set(Sector.objects.filter(code__in=list(sectors)))
        if partners is not None:
            for index, country in enumerate(partners):
                Partner.objects.create(company=company, name=f"Partner {index}", country=country)
            Company.objects.filter(pk=company.pk).update(partners_declared=True)
            company.refresh_from_db()
        return company

    return make
