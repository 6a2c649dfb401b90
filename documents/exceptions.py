"""Domain errors of intake and processing; each carries a stable code and an HTTP status."""

from __future__ import annotations

from ocr_review.errors import DomainError


class IntakeError(DomainError):
    """An upload we refuse, with a message a person understands."""

    code = "invalid_file"
    http_status = 400


class EmptyFile(IntakeError):
    code = "empty_file"


class FileTooLarge(IntakeError):
    code = "file_too_large"
    http_status = 413


class UnsupportedType(IntakeError):
    code = "unsupported_media_type"
    http_status = 415


class CorruptFile(IntakeError):
    code = "corrupt_file"


class EncryptedPdf(IntakeError):
    code = "encrypted_pdf"


class TooManyPages(IntakeError):
    code = "too_many_pages"
    http_status = 413


class DecompressionBomb(IntakeError):
    code = "image_too_large"
    http_status = 413


class PageTooLarge(IntakeError):
    """A PDF page so large that even at the lowest useful resolution it is over the pixel cap."""

    code = "page_too_large"
    http_status = 413


class DocumentTooLarge(IntakeError):
    """Every page fits the pixel cap, but together they hold more than a worker should: a
    worker keeps a document's pages in memory while it reads them."""

    code = "document_too_large"
    http_status = 413


class PdfTooComplex(IntakeError):
    """Poppler could not read or render the PDF within its time or memory limit. The same file
    would fail the same way again, so it is refused rather than retried."""

    code = "pdf_too_complex"
    http_status = 422


class UnknownDocumentType(IntakeError):
    code = "unknown_document_type"


class DocumentTypeNotAllowed(IntakeError):
    """The API client is not scoped to this document type."""

    code = "document_type_not_allowed"
    http_status = 403


class IdempotencyKeyReused(IntakeError):
    """A retry must resend the same file: the key already belongs to a different submission."""

    code = "idempotency_key_reused"
    http_status = 422


class ProcessingError(Exception):
    """Recognition of a stored document failed in a way a retry will not fix."""
