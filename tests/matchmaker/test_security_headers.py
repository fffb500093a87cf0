"""Production hardening seen from outside: the Content Security Policy, request ids, and log
lines for failed sign-ins and refused authorisations."""

import logging
import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client: Client, demo: None) -> None:
    response = client.get("/programs/")

    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy


def test_no_page_template_relies_on_inline_script_or_style(client: Client, demo: None) -> None:
    # The policy above would block them; e-mail templates are not pages and are left out.
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offending = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if "emails" not in path.parts
        and re.search(r"<script>|<script(?![^>]*\bsrc=)[^>]*>|\sstyle=\"|<style", path.read_text())
    ]

    assert offending == []


def test_the_api_docs_page_alone_may_use_inline_styles(client: Client) -> None:
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert "'unsafe-inline'" in response["Content-Security-Policy"]
    assert "fonts.googleapis.com" not in response.content.decode()  # no CDN


def test_every_response_names_its_request_id_and_keeps_a_valid_incoming_one(
    client: Client,
) -> None:
    fresh = client.get("/programs/")
    incoming = client.get("/programs/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    forged = client.get("/programs/", HTTP_X_REQUEST_ID="<script>")

    assert re.fullmatch(r"[0-9a-f]{32}", fresh["X-Request-ID"])
    assert incoming["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    assert forged["X-Request-ID"] != "<script>"


def test_a_failed_sign_in_is_logged_without_the_password(client: Client, caplog: Any) -> None:
    UserFactory(email="vendor@example.com")

    with caplog.at_level(logging.WARNING, logger="matchmaker.security"):
        client.post("/accounts/login/", {"username": "vendor@example.com", "password": "not-it-42"})

    records = [record for record in caplog.records if record.name == "matchmaker.security"]
    assert [record.getMessage() for record in records] == ["sign-in failed for vendor@example.com"]
    assert "not-it-42" not in caplog.text


def test_a_refused_api_request_is_logged(caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="matchmaker.security"):
        response = APIClient().get("/api/v1/applications/")

    assert response.status_code in (401, 403)
    (record,) = [record for record in caplog.records if record.name == "matchmaker.security"]
    assert record.getMessage().startswith("refused GET /api/v1/applications/")
    assert record.status == response.status_code  # type: ignore[attr-defined]


def test_another_agencys_program_is_a_logged_404(client: Client, demo: None, caplog: Any) -> None:
    from tests.staff import make_staff

    client.force_login(make_staff("admin@moscow.example", "moscow-innovation-agency"))

    with caplog.at_level(logging.WARNING, logger="matchmaker.security"):
        response = client.get("/staff/programs/taipei-bottom-up-poc/")

    assert response.status_code == 404
    assert "refused staff access" in caplog.text
