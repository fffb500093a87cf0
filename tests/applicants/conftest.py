"""Fixtures of the vendor tests."""

# make_company builds a company with given facts (see tests/matchmaker/conftest.py); the
# application tests build their applicants with it.
from tests.matchmaker.conftest import make_company  # noqa: F401
