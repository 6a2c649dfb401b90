"""A clerk reviews with the keyboard only, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.models import Document, Field
from reviews.models import Claim
from tests.factories import document_with_fields

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (scripts/bootstrap.sh --browser installs it)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
    # are still plain synchronous calls.
    # (monkeypatch: later tests' subprocesses must not inherit it)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def press(page, key: str) -> None:
    """Keys go to the page in front: with several contexts open, bring this one forward first."""
    page.bring_to_front()
    page.keyboard.press(key)


def start_reviewing(page) -> None:
    """Enter on the queue page once "Start reviewing" has the focus (autofocus lands after load)."""
    page.bring_to_front()
    page.wait_for_selector("#start:focus")
    page.keyboard.press("Enter")


def login(context, base: str, username: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-" + username)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base}/documents/")
    return page


def test_clerk_corrects_and_accepts_with_the_keyboard_only(
    live_server, browser, demo_types, clerk, clerk2, supervisor
):
    slip = document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.99, []),
            "amount_in_words": ("捌仟陆佰伍拾元整", 0.71, ["low_confidence"]),
        },
    )
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page = login(browser.new_context(viewport={"width": 1400, "height": 900}), base, "clerk")

    page.goto(f"{base}/review/")
    start_reviewing(page)
    page.wait_for_selector("#value")
    first = Field.objects.get(claim__user=clerk)
    assert first.spec.key == "payer_name"
    page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)

    # A second clerk in another browser context never sees the claimed field.
    other = login(browser.new_context(), base, "clerk2")
    other.goto(f"{base}/review/")
    start_reviewing(other)
    other.wait_for_selector("#value")
    held_by_2 = Field.objects.get(claim__user=clerk2)
    assert held_by_2.pk != first.pk

    # The input is pre-filled and selected: typing replaces the value, Enter saves and moves on.
    page.bring_to_front()
    page.keyboard.type("张玮")
    with page.expect_navigation():
        press(page, "Enter")
    first.refresh_from_db()
    assert first.status == Field.Status.CORRECTED and first.value == "张玮"

    # Clerk 2 skips the other field (Esc): it goes back to the queue, and clerk 1 accepts it.
    with other.expect_navigation():
        press(other, "Escape")
    assert "skipped" in other.locator(".messages").inner_text()
    assert not Claim.objects.filter(user=clerk2, locked_until__isnull=False).exists()
    page.goto(f"{base}/review/")
    start_reviewing(page)
    page.wait_for_selector("#value")
    second = Field.objects.get(claim__user=clerk, status=Field.Status.NEEDS_REVIEW)
    assert second.pk == held_by_2.pk
    with page.expect_navigation():
        press(page, "Enter")
    second.refresh_from_db()
    assert second.status == Field.Status.CONFIRMED

    slip.refresh_from_db()
    assert slip.status == Document.Status.COMPLETED

    boss = login(browser.new_context(viewport={"width": 1400, "height": 1000}), base, "supervisor")
    boss.goto(f"{base}/review/dashboard/")
    assert boss.locator("svg.chart").count() == 3
    boss.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_help_dialog_opens_with_question_mark(live_server, browser, demo_types, clerk):
    document_with_fields(demo_types["bank_slip"], {"payer_name": ("张伟", 0.5, ["low_confidence"])})
    page = login(browser.new_context(), live_server.url, "clerk")
    page.goto(f"{live_server.url}/review/")
    start_reviewing(page)  # Enter only once autofocus has landed on "Start reviewing"
    page.wait_for_selector("#value")
    page.locator("#help-button").focus()
    press(page, "?")
    assert page.locator("dialog#help").is_visible()


def test_esc_takes_back_typing_and_a_reload_keeps_the_hold(live_server, browser, demo_types, clerk):
    """The first Esc undoes what was typed (the second skips); Shift+Tab from the value saves
    nothing; reloading the page keeps the clerk's hold although the old page's release beacon
    arrives after the new page claimed the field."""
    document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.6, ["low_confidence"]),
        },
    )
    page = login(browser.new_context(), live_server.url, "clerk")
    page.goto(f"{live_server.url}/review/")
    start_reviewing(page)
    page.wait_for_selector("#value")
    field = Field.objects.get(claim__user=clerk)
    page.keyboard.type("李四")
    press(page, "Escape")
    assert page.input_value("#value") == field.value, "the first Esc restores the read value"
    press(page, "Shift+Tab")
    field.refresh_from_db()
    assert field.status == Field.Status.NEEDS_REVIEW, "Shift+Tab saved the field"

    page.reload()
    page.wait_for_selector("#value")
    page.wait_for_timeout(500)  # the old page's beacon has landed by now
    claim = Claim.objects.get(field=field)
    assert claim.user == clerk and claim.locked_until is not None, "the reload lost the hold"

    page.locator("#value").focus()
    with page.expect_navigation():
        press(page, "Escape")
    assert not Claim.objects.filter(field=field, user=clerk, locked_until__isnull=False).exists()


def test_a_page_left_alone_stops_holding_the_field(live_server, browser, demo_types, clerk):
    """Heartbeats keep the lease only while the clerk works on the page: after a lease's time
    without input they stop (the field returns to the queue, the login can time out), and the
    next key starts them again. The page's clock is Playwright's, so no real minutes pass."""
    document_with_fields(demo_types["bank_slip"], {"payer_name": ("张伟", 0.5, ["low_confidence"])})
    context = browser.new_context()
    page = login(context, live_server.url, "clerk")
    page.clock.install()
    beats = []
    page.on("request", lambda r: beats.append(r.url) if r.url.endswith("/heartbeat/") else None)
    page.goto(f"{live_server.url}/review/")
    start_reviewing(page)
    page.wait_for_selector("#value")
    lease = int(page.locator("#review").get_attribute("data-lease").split(".")[0])
    page.clock.run_for(lease * 1000 * 4)  # four leases without a key or a pointer
    page.wait_for_timeout(300)
    assert 1 <= len(beats) <= 3, f"{len(beats)} heartbeats from a page nobody touched"
    idle = len(beats)
    press(page, "End")
    page.clock.run_for(lease * 1000 // 3 + 1000)
    page.wait_for_timeout(300)
    assert len(beats) == idle + 1, "a key brings the heartbeat back"
