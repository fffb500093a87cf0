"""Checks on uploaded documents: PDF only, recognised by content rather than by name."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_PDF_HEADER = b"%PDF-"
_PDF_TRAILER = b"%%EOF"
# Where a PDF's header may start (some writers put a few bytes before it) and how far from the
# end its trailer may sit.
_HEADER_WINDOW = 1024
_TRAILER_WINDOW = 2048


def check_pdf(upload: UploadedFile[bytes]) -> None:
    """Raises ``ValidationError`` unless ``upload`` is a PDF of at most 10 MB.

    The name and the browser's content type are not trusted: a renamed executable has neither a
    PDF header nor a PDF trailer.
    """
    size = upload.size or 0
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file is larger than the %(limit)s MB limit (it is %(size)s bytes).")
            % {"limit": MAX_DOCUMENT_BYTES // (1024 * 1024), "size": f"{size:,}"},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(_HEADER_WINDOW)
    upload.seek(max(0, size - _TRAILER_WINDOW))
    tail = upload.read(_TRAILER_WINDOW)
    upload.seek(0)
    if _PDF_HEADER not in head or _PDF_TRAILER not in tail:
        raise ValidationError(
            _("Only PDF files are accepted, and this file is not a PDF."), code="not_pdf"
        )
