"""Blind second checks in Chromium: the clerk reviews sampled auto-accepted fields like any other
(no confidence, a neutral reason), the supervisor sees the measured error rate with its interval
and drills down to the checks behind it, in English and in Chinese, in the browser's time zone."""

from __future__ import annotations

import pytest

from documents import second_checks
from documents.models import Field, SecondCheck
from tests.browser.test_review_browser import (  # noqa: F401
    ARTIFACTS,
    browser,
    login,
    press,
    start_reviewing,
)
from tests.factories import document_with_fields

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_blind_second_check_and_its_error_rate(
    live_server,
    browser,  # noqa: F811
    demo_types,
    clerk,
    supervisor,
    settings,
):
    settings.REVIEW_SECOND_CHECKS = True
    slip_type = demo_types["bank_slip"]
    slip_type.second_check_rate = 1.0
    slip_type.save()
    slip = document_with_fields(
        slip_type, {"payer_name": ("张伟", 0.99, []), "amount": ("8,650.00", 0.99, [])}
    )
    assert second_checks.sample(slip, {}) == 2
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, timezone_id="America/New_York"
    )
    page = login(context, base, "clerk")
    page.goto(f"{base}/review/")
    start_reviewing(page)
    page.wait_for_selector("#value")
    assert page.locator(".reason").inner_text() == "Check this value against the image."
    assert page.locator(".conf").count() == 0, "nothing tells the clerk it was accepted"
    assert page.locator("body").get_attribute("data-tz") == "America/New_York"
    page.screenshot(path=str(ARTIFACTS / "second-check-review.png"), full_page=True)
    with page.expect_navigation():
        press(page, "Enter")  # the payer's name is right
    page.wait_for_selector("#value")
    page.keyboard.type("8,560.00")  # the amount was not
    with page.expect_navigation():
        press(page, "Enter")
    outcomes = dict(SecondCheck.objects.values_list("field__spec__key", "outcome"))
    assert outcomes == {"payer_name": "agreed", "amount": "corrected"}
    assert Field.objects.get(spec__key="amount").value == "8,560.00"

    boss = login(browser.new_context(viewport={"width": 1400, "height": 1100}), base, "supervisor")
    boss.goto(f"{base}/review/dashboard/")
    rates = boss.locator("#error-rates")
    total = rates.locator("tr.total")
    assert "50.0 %" in total.inner_text() and "above target" in total.inner_text()
    rates.screenshot(path=str(ARTIFACTS / "second-check-dashboard.png"))
    with boss.expect_navigation():
        total.locator("td:nth-child(3) a").click()  # the wrong ones
    rows = boss.locator("table.grid tr.outcome-corrected")
    assert rows.count() == 1 and "8,560.00" in rows.inner_text()
    boss.screenshot(path=str(ARTIFACTS / "second-check-drilldown.png"), full_page=True)

    with boss.expect_navigation():
        boss.select_option("select[name=language]", "zh-hans")
    boss.goto(f"{base}/review/dashboard/")
    heading = boss.locator("#error-rates h2").inner_text()
    assert heading == "自动通过但有误的字段（由盲抽检测得）"
    assert "高于目标" in boss.locator("#error-rates tr.total").inner_text()
    boss.screenshot(path=str(ARTIFACTS / "second-check-dashboard-zh.png"), full_page=True)
