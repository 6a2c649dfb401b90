"""Review reasons, refusals and the audit trail in the reader's language; dates in their zone.

Reasons are stored as code, English template and parameters, so a row written in English reads
in Chinese for a clerk who picked Chinese; rows written before reasons carried their template are
matched back to it."""

from __future__ import annotations

import html
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from documents.models import Event
from documents.reasons import reason_text
from documents.rules import FieldContext, build_rules, messages, run_rules
from reviews import services
from tests.factories import document_with_fields


@pytest.fixture(autouse=True)
def _back_to_default_language():
    yield
    translation.deactivate()


def test_every_template_is_parsed_back_from_its_english_message():
    assert len(set(messages.TEMPLATES)) == len(messages.TEMPLATES) > 40
    for template in messages.TEMPLATES:
        names = messages._PLACEHOLDER.findall(template)
        params = {name: f"«{name} 值»" for name in names}
        assert messages.parse(messages.fill(template, params)) == (template, params), template


def _failure(kind: str, value: str, config=None) -> dict:
    outcome = run_rules(value, FieldContext(kind=kind), build_rules(kind, config))
    (failure,) = outcome.failures
    return failure.as_reason()


def test_a_stored_reason_reads_in_chinese_old_rows_included():
    reason = _failure("id_number", "11010519491231002X"[:17] + "1")
    assert reason["message"] == "The check character should be X, but 1 was read."
    old_row = {"code": reason["code"], "message": reason["message"]}
    with translation.override("zh-hans"):
        assert reason_text(reason) == "校验码应为 X，实际读到 1。"
        assert reason_text(old_row) == "校验码应为 X，实际读到 1。"
    with translation.override("en"):
        assert reason_text(reason) == reason["message"]
    custom = _failure(
        "number",
        "12",
        {"rules": [{"rule": "regex", "pattern": "\\d{8}", "message": "8 digits {x}"}]},
    )
    with translation.override("zh-hans"):
        assert reason_text(custom) == "8 digits {x}", "an admin's own message is shown as written"


def test_review_pages_live_check_and_refusals_speak_chinese(client, clerk, demo_types):
    doc = document_with_fields(
        demo_types["loan_application"], {"id_number": ("110105194912310021", 0.99, [])}
    )
    field = doc.fields.get()
    reason = _failure("id_number", "110105194912310021")
    field.status, field.review_reasons = "needs_review", [reason]
    field.save()
    client.force_login(clerk)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/review/"})
    page = client.get(reverse("review-field", args=[field.pk])).content.decode()
    assert "校验码应为 X，实际读到 1。" in page
    assert "校验码应为" in client.get(reverse("queue")).content.decode()
    check = client.post(
        reverse("review-check", args=[field.pk]),
        {"value": "110105194912310021"},
        content_type="application/json",
    ).json()
    assert check["failures"][0]["message"] == "校验码应为 X，实际读到 1。"
    refused = client.post(
        reverse("review-decide", args=[field.pk]),
        {"value": "110105194912310021", "version": field.version},
        content_type="application/json",
    ).json()
    assert refused["code"] == "rules_still_fail"
    assert refused["detail"].startswith("该值仍不符合校验规则：校验码应为 X")


def test_the_history_is_sentences_in_the_readers_language(client, clerk, supervisor, demo_types):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("8,650.00", 0.7, ["x"])})
    field = doc.fields.get()
    services.claim(field.pk, clerk)
    services.decide(field.pk, clerk, "8,660.00", version=field.version)
    Event.objects.create(
        document=doc,
        kind="status_changed",
        before={"status": "queued"},
        after={"status": "processing"},
    )
    client.force_login(supervisor)
    history = _history(client.get(doc.get_absolute_url()).content.decode())
    label = field.spec.label
    assert f"{clerk} corrected {label} from “8,650.00” to “8,660.00”." in history
    assert "Status changed from “Queued” to “Processing”." in history
    assert "{" not in history
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    history = _history(client.get(doc.get_absolute_url()).content.decode())
    assert f"{clerk} 将 {label} 由 “8,650.00” 更正为 “8,660.00”。" in history
    assert "状态由“排队中”变为“识别中”。" in history


def _history(page: str) -> str:
    """The text of the history list, entities decoded."""
    block = page[page.index('<ol class="events">') :]
    block = block[: block.index("</ol>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", block))


def test_dates_are_shown_in_the_time_zone_the_browser_names(client, clerk, demo_types):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.99, [])})
    event = Event.objects.create(document=doc, kind="rerun_requested")
    client.force_login(clerk)
    utc = event.created_at
    client.cookies["tz"] = "America/New_York"
    page = client.get(doc.get_absolute_url()).content.decode()
    shown = utc.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S")
    assert shown in page and 'data-tz="America/New_York"' in page
    client.cookies["tz"] = "Not/AZone"
    page = client.get(doc.get_absolute_url()).content.decode()
    shown = utc.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert shown in page and 'data-tz="Asia/Shanghai"' in page
