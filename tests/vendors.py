"""Vendors for tenancy tests: an owner's account and a company with a partner, a document, an
open invitation and a colleague.

Built through the services, as a vendor would build them. Documents are written to storage, so
tests using ``make_vendor`` point ``MEDIA_ROOT`` at a temporary directory.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model, QuerySet
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applicants.models import Company, CompanyMembership, Document, Invitation, Partner, User
from applicants.services import (
    api_token_issue,
    company_create,
    document_upload,
    invitation_create,
    partner_add,
)
from tests.factories import USER_PASSWORD, UserFactory

PASSWORD = USER_PASSWORD
TINY_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass(frozen=True)
class Vendor:
    user: User
    company: Company
    partner: Partner
    document: Document
    invitation: Invitation
    # A colleague's place on the team (a member, not the owner).
    membership: CompanyMembership

    @property
    def token(self) -> str:
        return api_token_issue(user=self.user).key

    def api(self) -> APIClient:
        """An API client signed in with this vendor's token, as an integrator would be."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")
        return client


def make_user(email: str, **fields: Any) -> User:
    """A verified account whose password is ``PASSWORD``."""
    user: User = UserFactory(email=email, **fields)
    return user


def make_vendor(name: str, *, country: str = "TW") -> Vendor:
    user = make_user(f"{name.lower()}@example.com")
    company = company_create(user=user, legal_name=f"{name} Ltd", country=country)
    partner = partner_add(company=company, user=user, name=f"{name} Partner", country="RU")
    document = document_upload(
        company=company,
        user=user,
        kind=Document.Kind.PITCH_DECK,
        title=f"{name} pitch deck",
        upload=SimpleUploadedFile("deck.pdf", TINY_PDF, content_type="application/pdf"),
    )
    invitation = invitation_create(company=company, user=user, email=f"new@{name.lower()}.test")
    colleague = add_member(company, f"colleague@{name.lower()}.test")
    company.refresh_from_db()
    return Vendor(user, company, partner, document, invitation, colleague.company_memberships.get())


def add_member(company: Company, email: str) -> User:
    user = make_user(email)
    CompanyMembership.objects.create(user=user, company=company, role=CompanyMembership.Role.MEMBER)
    return user


def database_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row a vendor could change: the applicants app's tables, company sectors, tokens.

    ``updated_at`` is in the rows, so even a save that changes no value shows up.
    """
    models = [
        *apps.get_app_config("applicants").get_models(),
        Company.sectors.through,
        Token,
    ]
    return table_rows(models)


def table_rows(models: Iterable[type[Model]]) -> dict[str, list[dict[str, Any]]]:
    """Each model's rows, every column as stored. A plain queryset: a translated model's manager
    would name its fields in the active language, and a snapshot taken in Russian would differ
    from the same rows read in English."""
    return {model._meta.label: list(QuerySet(model).order_by("pk").values()) for model in models}


def changed_tables(before: dict[str, list[dict[str, Any]]], after: dict[str, Any]) -> str:
    """The tables whose rows differ between two snapshots, and the first row that does: what a
    failing "changed the database" names; empty when nothing differs."""
    changes = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label, []), after.get(label, [])
        if old != new:
            first = next((pair for pair in zip(old, new, strict=False) if pair[0] != pair[1]), None)
            changes.append(f"{label} ({len(old)} -> {len(new)} rows; first change {first})")
    return "; ".join(changes)
