"""How large a request may be, judged from its Content-Length before a byte of the body is read.

Shared by the upload page and the API. The file itself is held to its limit exactly by
documents.files.validate; this check only refuses bodies that cannot hold an acceptable file.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .exceptions import FileTooLarge

# Multipart framing and the form's other fields around the file.
MULTIPART_OVERHEAD = 1024 * 1024


def max_body_bytes(max_file_bytes: int, *, base64: bool) -> int:
    """The largest body that can carry a file of ``max_file_bytes``: base64 (JSON) makes it 4/3
    as large; either way multipart framing and the other fields get :data:`MULTIPART_OVERHEAD`."""
    encoded = max_file_bytes * 4 // 3 if base64 else max_file_bytes
    return encoded + MULTIPART_OVERHEAD


def refuse_large_content_length(
    content_length: str | None, max_file_bytes: int, *, base64: bool = True
) -> None:
    """Raise 413 ``file_too_large`` when the announced body cannot hold an acceptable file.

    A missing or unreadable Content-Length passes: the parsers then hold the body to
    DATA_UPLOAD_MAX_MEMORY_SIZE, and validation holds the file to its limit.
    """
    try:
        length = int(content_length or 0)
    except ValueError:
        length = 0
    if length > max_body_bytes(max_file_bytes, base64=base64):
        raise FileTooLarge(
            _("The request is %(got).1f MB; files are limited to %(max).1f MB.")
            % {"got": length / 1e6, "max": max_file_bytes / 1e6}
        )
