"""POST /api/v1/ocr/recognize: one line read at once; pages and junk refused before any model."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from documents.api.crops import text_bands
from recognition.engine.fonts import FONTS, FontMissing, font_path

URL = "/api/v1/ocr/recognize"
WEIGHTS = Path(django_settings.OCR_WEIGHTS_DIR)


def line_png(text: str = "12500.00", font: str = "dejavu-sans", size: int = 28) -> bytes:
    spec = next(f for f in FONTS if f.name == font)
    try:
        path, index = font_path(spec)
    except FontMissing as exc:
        pytest.skip(str(exc))
    face = ImageFont.truetype(path, size, index=index)
    x0, y0, x1, y1 = face.getbbox(text)
    image = Image.new("L", (x1 + 16, y1 + 16), 255)
    ImageDraw.Draw(image).text((8, 8), text, font=face, fill=0)
    return to_png(image)


def to_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def lines_image(n: int, width: int = 600, line_height: int = 24, gap: int = 16) -> Image.Image:
    image = Image.new("L", (width, 20 + n * (line_height + gap)), 255)
    draw = ImageDraw.Draw(image)
    for i in range(n):
        top = 10 + i * (line_height + gap)
        draw.rectangle((20, top, width - 20, top + line_height), fill=0)
    return image


def post_image(http, data: bytes, model: str = "numeric"):
    image = SimpleUploadedFile("crop.png", data, content_type="image/png")
    return http.post(URL, {"image": image, "model": model}, format="multipart")


@pytest.fixture
def no_models(settings, tmp_path):
    """An empty weights folder: any request that got as far as the model would answer 503."""
    settings.OCR_WEIGHTS_DIR = tmp_path / "no-weights"
    return settings.OCR_WEIGHTS_DIR


def test_numeric_line_is_read_with_the_shipped_model(api):
    if not (WEIGHTS / "numeric.pt").exists():
        pytest.skip("recognition/weights/numeric.pt is not shipped yet")
    response = post_image(api, line_png("12500.00"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True
    assert body["text"] == "12500.00"
    assert 0.5 < body["confidence"] <= 1
    assert 0 < body["time_cost"] < 30
    assert body["model"]["kind"] == "numeric" and len(body["model"]["sha256"]) == 64


def test_general_model_answers_over_json_base64(api):
    data = base64.b64encode(line_png("中国工商银行", font="noto-sans-sc")).decode()
    response = api.post(URL, {"image_base64": data}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["model"]["kind"] == "general", "general is the default model"
    assert set(body) == {"success", "text", "confidence", "time_cost", "model"}
    assert body["success"] == bool(body["text"]) and 0 <= body["confidence"] <= 1
    assert body["text"] == "中国工商银行", "PP-OCRv6 reads a clean printed line exactly"


def test_blank_crop_is_read_as_no_text(api):
    if not (WEIGHTS / "numeric.pt").exists():
        pytest.skip("recognition/weights/numeric.pt is not shipped yet")
    body = post_image(api, to_png(Image.new("L", (200, 40), 255))).json()
    assert body["success"] is False and body["text"] == ""


def test_missing_model_is_503_without_server_paths(api, no_models):
    response = post_image(api, line_png())
    body = response.json()
    assert (response.status_code, body["code"]) == (503, "model_unavailable")
    assert str(no_models) not in body["detail"]


def test_whole_page_is_refused_and_pointed_to_the_documents_endpoint(api, no_models):
    page = to_png(Image.new("L", (1240, 1754), 255))
    response = post_image(api, page)
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "image_is_a_page")
    assert "POST /api/v1/documents/" in body["detail"] and "1240x1754" in body["detail"]


def test_block_of_several_lines_is_refused_as_a_page(api, no_models):
    response = post_image(api, to_png(lines_image(6)))
    assert response.json()["code"] == "image_is_a_page"
    assert "lines" in response.json()["detail"]


def test_a_few_lines_are_still_accepted_as_a_crop(api, no_models):
    assert post_image(api, to_png(lines_image(3))).json()["code"] == "model_unavailable"


def test_pdf_is_refused_and_pointed_to_the_documents_endpoint(api, no_models):
    response = post_image(api, b"%PDF-1.7\n1 0 obj <<>> endobj\n")
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "image_is_a_page")
    assert "POST /api/v1/documents/" in body["detail"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        pytest.param(b"", 400, "empty_file", id="empty"),
        pytest.param(b"GIF89a not supported", 415, "unsupported_media_type", id="gif"),
        pytest.param(b"\x89PNG\r\n\x1a\n broken", 400, "corrupt_file", id="corrupt"),
    ],
)
def test_unreadable_upload_is_refused_with_its_code(api, no_models, data, status, code):
    response = post_image(api, data)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_image_over_the_size_limit_is_413(api, no_models, settings):
    settings.API_RECOGNIZE_MAX_BYTES = 2000
    noise = to_png(Image.effect_noise((300, 60), 80))
    response = post_image(api, noise)
    assert (response.status_code, response.json()["code"]) == (413, "file_too_large")


def test_invalid_base64_is_400(api, no_models):
    response = api.post(URL, {"image_base64": "%%%"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_base64")


def test_missing_image_is_400_no_file(api, no_models):
    response = api.post(URL, {"model": "numeric"}, format="multipart")
    assert (response.status_code, response.json()["code"]) == (400, "no_file")


def test_unknown_model_is_400(api, no_models):
    response = post_image(api, line_png(), model="handwriting")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert "model" in response.json()["errors"]


def test_recognize_needs_a_token(db):
    from rest_framework.test import APIClient

    assert APIClient().post(URL).status_code == 401


@pytest.mark.parametrize(("n", "expected"), [(0, 0), (1, 1), (3, 3), (7, 7)])
def test_text_bands_count_the_lines_of_a_crop(n, expected):
    import numpy as np

    assert text_bands(np.asarray(lines_image(n) if n else Image.new("L", (400, 200), 255))) == (
        expected
    )


def test_a_line_under_a_red_seal_is_read_around_the_seal(api):
    """Read in gray the stamped title scores 0.91; its red channel, without the seal, 0.97."""
    from tests.factories import printed_line, with_supervision_seal

    title = "湖北增值税电子普通发票"
    stamped = with_supervision_seal(printed_line(title), seed=0)
    body = api.post(
        URL, {"image_base64": base64.b64encode(to_png(stamped)).decode()}, format="json"
    ).json()
    assert body["text"] == title
    assert body["confidence"] >= 0.95
