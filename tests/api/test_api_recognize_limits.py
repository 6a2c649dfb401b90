"""POST /api/v1/ocr/recognize measures an image from its header before decoding a pixel of it."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

URL = "/api/v1/ocr/recognize"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height and whose pixel data is junk: any attempt to
    decode it fails, so an answer about its size proves nothing was decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"not zlib data at all")
        + chunk(b"IEND", b"")
    )


def post_image(http, data: bytes, name: str = "crop.png"):
    image = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return http.post(URL, {"image": image, "model": "numeric"}, format="multipart")


@pytest.fixture
def no_models(settings, tmp_path):
    """An empty weights folder: any request that got as far as the model would answer 503."""
    settings.OCR_WEIGHTS_DIR = tmp_path / "no-weights"


def test_junk_png_that_is_really_small_is_refused_as_corrupt(api, no_models):
    response = post_image(api, png_header_only(200, 40))
    assert (response.status_code, response.json()["code"]) == (400, "corrupt_file")


def test_image_larger_than_a_line_is_refused_from_its_header_without_decoding(api, no_models):
    response = post_image(api, png_header_only(30_000, 1_000))
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "image_is_a_page"), body
    assert "30000x1000" in body["detail"] and "POST /api/v1/documents/" in body["detail"]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(8_000, 8_000, id="64-mpx"),
        pytest.param(100_000, 100_000, id="10-gpx"),
        pytest.param(2**31 - 1, 1, id="widest"),
    ],
)
def test_image_over_the_pixel_cap_is_413_before_decoding(api, no_models, settings, width, height):
    settings.OCR_MAX_IMAGE_PIXELS = 60_000_000
    response = post_image(api, png_header_only(width, height))
    body = response.json()
    assert (response.status_code, body["code"]) == (413, "image_too_large"), body
    assert len(body["detail"]) > 20


def test_line_turned_by_exif_is_measured_as_it_will_be_read(api, no_models):
    tall = Image.new("L", (40, 600), 255)  # stored portrait, shown landscape: a 600x40 line
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    tall.save(buffer, "JPEG", exif=exif.tobytes())
    response = post_image(api, buffer.getvalue(), name="line.jpg")
    assert response.json()["code"] == "model_unavailable", "accepted as a line, reached the model"


def test_multi_page_tiff_is_refused_by_the_line_endpoint(api, no_models):
    buffer = io.BytesIO()
    first, second = Image.new("L", (200, 40), 255), Image.new("L", (200, 40), 255)
    first.save(buffer, "TIFF", save_all=True, append_images=[second])
    response = post_image(api, buffer.getvalue(), name="line.tif")
    assert (response.status_code, response.json()["code"]) == (413, "too_many_pages")
