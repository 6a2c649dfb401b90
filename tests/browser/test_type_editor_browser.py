"""An admin builds an e-invoice type in the visual editor from a real sample page, without typing
a coordinate: lines picked with the keyboard become labels, a dragged box a region; the draft is
tried on the page and saved, in Chromium."""

from __future__ import annotations

import pytest

from documents import services
from documents.models import DocumentType
from tests.browser.test_review_browser import ARTIFACTS, browser, login  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = "real-zh/docs/fph_digital_e_invoice_79b53d3d95.png"
NUMBER = "25417000000256819006"
SELLER = "北京假日阳光环球旅行社有限公司漯河分公司"


def _add_field(page, key: str) -> None:
    page.keyboard.press("a")
    page.keyboard.type(key)
    page.keyboard.press("Escape")


def test_admin_builds_an_invoice_type_from_a_sample_page(
    live_server,
    browser,  # noqa: F811
    admin_user,
    samples,
):
    doc_type = DocumentType.objects.create(code="my_invoice", name="My invoice")
    services.ingest(
        (samples / SAMPLE).read_bytes(), name="invoice.png", document_type=doc_type
    )  # recognised inline (the test settings run tasks at once)
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page = login(context, base, admin_user.username)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/admin/documents/documenttype/{doc_type.pk}/change/")
    with page.expect_navigation():
        page.click("text=Place the fields on a sample page")
    page.wait_for_selector("#lines rect")

    _add_field(page, "invoice_number")
    page.locator('#lines rect[aria-label^="发票号码"]').focus()
    page.keyboard.press("Enter")
    page.keyboard.press("l")
    assert page.input_value("#f-label") == "发票号码"

    _add_field(page, "seller_name")
    page.select_option("#f-kind", "company")
    page.keyboard.press("Escape")
    page.locator('#lines rect[aria-label^="名称"]').nth(1).focus()
    page.keyboard.press("Enter")
    page.keyboard.press("l")
    assert '"occurrence":2' in page.input_value("#f-location")

    _add_field(page, "issue_date")
    date_line = page.locator('#lines rect[aria-label^="开票日期"]').bounding_box()
    page.mouse.move(date_line["x"] - 6, date_line["y"] - 4)
    page.mouse.down()
    page.mouse.move(
        date_line["x"] + date_line["width"] + 6, date_line["y"] + date_line["height"] + 4
    )
    page.mouse.up()
    page.keyboard.press("r")
    assert '"by":"region"' in page.input_value("#f-location")

    page.keyboard.press("t")
    page.locator("#editor-message:not(:empty)").wait_for()
    assert page.locator("#editor-message").inner_text() == "Tested on this page."
    found = {
        item.get_attribute("data-key"): item.locator(".found").inner_text()
        for item in page.locator("#field-list li").all()
    }
    assert found["invoice_number"] == NUMBER
    assert found["seller_name"] == SELLER
    assert "2025年11月08日" in found["issue_date"]
    page.screenshot(path=str(ARTIFACTS / "type-editor.png"), full_page=True)

    page.keyboard.press("Control+s")
    page.locator("#editor-message:text-is('Saved.')").wait_for()
    specs = {s.key: s for s in doc_type.fields.all()}
    assert list(specs) == ["invoice_number", "seller_name", "issue_date"]
    assert specs["seller_name"].location == {"occurrence": 2}
    assert specs["issue_date"].location["region"]["frame"] == "content"
    assert not [e for e in errors if "Content Security Policy" in e], errors
