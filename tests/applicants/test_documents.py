"""Documents: PDF only, recognised by content, at most 10 MB, served only to the company's team."""

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from applicants import services
from applicants.documents import MAX_DOCUMENT_BYTES, check_pdf
from applicants.models import Company, Document, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

BAD_UPLOADS = {
    "a renamed Windows executable": ("deck.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "not a PDF"),
    "a renamed Linux executable": ("deck.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "not a PDF"),
    "a PNG image": ("deck.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not a PDF"),
    "a PDF header on something else": ("deck.pdf", b"%PDF-1.4\nno trailer here", "not a PDF"),
    "an empty file": ("deck.pdf", b"", "The file is empty."),
    "a PDF over 10 MB": (
        "big.pdf",
        b"%PDF-1.4\n" + b"0" * MAX_DOCUMENT_BYTES + b"\n%%EOF\n",
        "larger than the 10 MB limit",
    ),
}


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def vendor() -> User:
    user: User = UserFactory(email="vendor@example.com")
    return user


@pytest.fixture
def company(vendor: User) -> Company:
    return services.company_create(user=vendor, legal_name="Acme Mobility", country="TW")


@pytest.fixture
def signed_in(client: Client, vendor: User) -> Client:
    client.force_login(vendor)
    return client


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload_url(company: Company) -> str:
    return reverse("companies:documents", args=[company.pk])


# --- the content check -------------------------------------------------------------------------


def test_a_pdf_passes_the_check() -> None:
    check_pdf(SimpleUploadedFile("deck.pdf", PDF))


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_the_check_refuses_anything_but_a_pdf_of_at_most_10_mb(case: str) -> None:
    name, content, message = BAD_UPLOADS[case]

    with pytest.raises(ValidationError, match=message):
        check_pdf(SimpleUploadedFile(name, content, content_type="application/pdf"))


# --- the documents page ------------------------------------------------------------------------


def test_a_member_uploads_a_pdf_and_downloads_it_under_its_original_name(
    signed_in: Client, company: Company, media_root: Path
) -> None:
    # when
    response = signed_in.post(
        upload_url(company),
        {"kind": "pitch-deck", "title": "", "file": SimpleUploadedFile("Our deck.pdf", PDF)},
    )

    # then it is stored under a generated name, titled after the file
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.kind, document.title, document.original_name, document.size) == (
        "pitch-deck",
        "Our deck",
        "Our deck.pdf",
        len(PDF),
    )
    [stored] = stored_files(media_root)
    assert stored.name != "Our deck.pdf" and stored.suffix == ".pdf"

    # and the page lists it with a link to the download view, never to MEDIA_URL
    page = signed_in.get(upload_url(company)).content.decode()
    download = reverse("companies:document-download", args=[company.pk, document.pk])
    assert download in page
    assert "/media" not in page

    # and the download is the same bytes, as an attachment with the original name
    response = signed_in.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Our deck.pdf"'


def test_a_pitch_deck_completes_the_documents_section(signed_in: Client, company: Company) -> None:
    signed_in.post(
        upload_url(company),
        {"kind": "pitch-deck", "title": "Deck", "file": SimpleUploadedFile("d.pdf", PDF)},
    )

    page = signed_in.get(upload_url(company)).content.decode()

    assert "1 of 4 profile sections complete" in page


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_stored(
    signed_in: Client, company: Company, media_root: Path, case: str
) -> None:
    name, content, message = BAD_UPLOADS[case]

    response = signed_in.post(
        upload_url(company),
        {
            "kind": "pitch-deck",
            "title": "Deck",
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["file"]
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_an_upload_without_a_file_is_refused(signed_in: Client, company: Company) -> None:
    response = signed_in.post(upload_url(company), {"kind": "pitch-deck", "title": "Deck"})

    assert response.context["form"].errors["file"]
    assert not Document.objects.exists()


def test_an_unknown_kind_of_document_is_refused(
    signed_in: Client, company: Company, media_root: Path
) -> None:
    response = signed_in.post(
        upload_url(company),
        {"kind": "malware", "title": "Deck", "file": SimpleUploadedFile("d.pdf", PDF)},
    )

    assert response.context["form"].errors["kind"]
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_a_member_deletes_a_document_and_its_file(
    signed_in: Client,
    company: Company,
    vendor: User,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    document = services.document_upload(
        company=company,
        user=vendor,
        kind="certificate",
        title="ISO 9001",
        upload=SimpleUploadedFile("iso.pdf", PDF),
    )
    url = reverse("companies:document-delete", args=[company.pk, document.pk])

    assert "Delete ISO 9001?" in signed_in.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(url)

    assert response.status_code == 302
    assert not Document.objects.exists()
    assert stored_files(media_root) == []


def test_another_vendor_can_neither_download_nor_delete_nor_upload(
    client: Client, company: Company, vendor: User, media_root: Path
) -> None:
    document = services.document_upload(
        company=company,
        user=vendor,
        kind="pitch-deck",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF),
    )
    client.force_login(UserFactory(email="rival@example.com"))
    download = reverse("companies:document-download", args=[company.pk, document.pk])
    delete = reverse("companies:document-delete", args=[company.pk, document.pk])

    assert client.get(download).status_code == 404
    assert client.post(delete).status_code == 404
    upload = {"kind": "pitch-deck", "title": "X", "file": SimpleUploadedFile("x.pdf", PDF)}
    assert client.post(upload_url(company), upload).status_code == 404
    assert Document.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_a_document_is_only_found_under_its_own_company(
    signed_in: Client, company: Company, vendor: User
) -> None:
    other = services.company_create(user=vendor, legal_name="Second Co", country="TW")
    document = services.document_upload(
        company=other,
        user=vendor,
        kind="pitch-deck",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF),
    )

    url = reverse("companies:document-download", args=[company.pk, document.pk])

    assert signed_in.get(url).status_code == 404


def test_a_signed_out_visitor_is_sent_to_log_in(
    client: Client, company: Company, vendor: User
) -> None:
    document = services.document_upload(
        company=company,
        user=vendor,
        kind="pitch-deck",
        title="Deck",
        upload=SimpleUploadedFile("deck.pdf", PDF),
    )

    response = client.get(reverse("companies:document-download", args=[company.pk, document.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
