"""Zoom and pan on the page image and an enlargeable crop, in Chromium (with the CSP on)."""

from __future__ import annotations

import pytest

from tests.browser.test_review_browser import ARTIFACTS, browser, login  # noqa: F401
from tests.factories import document_with_fields

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_page_zooms_with_keys_and_buttons_and_the_crop_enlarges(
    live_server,
    browser,  # noqa: F811
    demo_types,
    clerk,
):
    slip = document_with_fields(
        demo_types["bank_slip"], {"payer_name": ("张伟", 0.62, ["low_confidence"])}
    )
    field = slip.fields.get()
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page = login(browser.new_context(viewport={"width": 1400, "height": 900}), base, "clerk")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/review/fields/{field.pk}/")
    svg = page.locator("#page-view")
    before = svg.get_attribute("viewBox")
    page.click("[data-zoom-target=page-view][data-zoom-step=in]")
    page.click("[data-zoom-target=page-view][data-zoom-step=in]")
    zoomed = svg.get_attribute("viewBox")
    assert zoomed != before and float(svg.get_attribute("data-scale")) > 1.4
    x, y, w, h = (float(v) for v in zoomed.split())
    x0, y0, x1, y1 = field.box
    assert x <= (x0 + x1) / 2 <= x + w and y <= (y0 + y1) / 2 <= y + h, "the field stays in view"
    svg.focus()
    page.keyboard.press("0")
    assert svg.get_attribute("viewBox") == before
    crop = page.locator("img.crop")
    crop.click()
    assert "enlarged" in (crop.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "zoom-review.png"))
    assert not [e for e in errors if "Content Security Policy" in e], errors
