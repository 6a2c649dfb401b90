"""The documents list a back office works with: newest first, sortable, searchable by any field
value, filtered by date and status, paged without losing the query, and bulk re-runs that ask
first and keep what clerks decided."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

import pytest
from django.utils import timezone, translation

from documents.models import Document, Field
from documents.views import DocumentListView
from tests.factories import document_with_fields

S = Document.Status


@pytest.fixture(autouse=True)
def _back_to_default_language():
    # LocaleMiddleware activates the request's language on the test thread and leaves it there.
    yield
    translation.deactivate()


@pytest.fixture
def slips(demo_types):
    slip = demo_types["bank_slip"]
    a = document_with_fields(
        slip, {"payer_name": ("张三", 0.99, []), "amount": ("12.50", 0.99, [])}
    )
    b = document_with_fields(slip, {"payer_name": ("李四", 0.5, ["low_confidence"])})
    c = document_with_fields(
        slip, {"payer_name": ("王五", 0.99, []), "purpose": ("货款 INV-778", 0.9, [])}
    )
    Document.objects.filter(pk=c.pk).update(external_id="ERP-42", original_name="zz-last.png")
    return a, b, c


def _ids(client, query: str = "") -> list[int]:
    page = client.get("/documents/" + query).content.decode()
    return [int(pk) for pk in re.findall(r'name="ids" value="(\d+)"', page)]


def _on_day(doc: Document, day: str) -> None:
    when = timezone.make_aware(datetime.fromisoformat(day + " 10:00"))
    Document.objects.filter(pk=doc.pk).update(created_at=when)


def test_newest_first_by_default(client, clerk, slips):
    a, b, c = slips
    client.force_login(clerk)
    assert _ids(client) == [c.pk, b.pk, a.pk]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("received", [0, 1, 2]),
        ("-name", [2, 1, 0]),
        ("-review", [1, 2, 0]),
        ("status", None),  # all need review: ties fall back to the id
    ],
)
def test_columns_sort_the_list(client, clerk, slips, sort, expected):
    client.force_login(clerk)
    ids = _ids(client, f"?sort={sort}")
    pks = [d.pk for d in slips]
    assert ids == ([pks[i] for i in expected] if expected else sorted(pks))


def test_a_header_link_sorts_the_other_way_once_sorted_and_keeps_the_search(client, clerk, slips):
    client.force_login(clerk)
    page = client.get("/documents/?q=bill&sort=name").content.decode()
    links = {unescape(h) for h in re.findall(r'<th[^>]*><a href="([^"]+)"', page)}
    assert "?q=bill&sort=-name" in links
    assert "?q=bill&sort=-review" in links  # most to review first on the first click
    assert "?q=bill" in links  # received: the default, newest first
    assert 'aria-sort="ascending"' in page


@pytest.mark.parametrize(
    ("q", "which"),
    [
        ("李四", [1]),  # a field's value
        ("inv-778", [2]),  # part of a value, any case
        ("ERP-42", [2]),  # the external id
        ("zz-last", [2]),  # the file name
        ("nothing-like-this", []),
    ],
)
def test_search_finds_file_names_external_ids_and_field_values(client, clerk, slips, q, which):
    client.force_login(clerk)
    assert _ids(client, f"?q={q}") == [slips[i].pk for i in which]


def test_search_reads_the_canonical_form_of_a_value_too(client, clerk, slips):
    a = slips[0]
    Field.objects.filter(document=a, spec__key="amount").update(value="12.5", normalized="12.50")
    client.force_login(clerk)
    assert _ids(client, "?q=12.50") == [a.pk]


def test_an_empty_search_says_so_and_does_not_offer_an_upload(client, clerk, slips):
    client.force_login(clerk)
    page = client.get("/documents/?q=nothing-like-this").content.decode()
    assert "No document matches this search and these filters." in page
    assert "No documents yet." not in page


def test_date_range_and_status_filter_the_list(client, clerk, slips):
    a, b, c = slips
    _on_day(a, "2026-03-01")
    _on_day(b, "2026-03-05")
    _on_day(c, "2026-03-09")
    Document.objects.filter(pk=c.pk).update(status=S.COMPLETED)
    client.force_login(clerk)
    assert _ids(client, "?date_from=2026-03-05") == [c.pk, b.pk]
    assert _ids(client, "?date_to=2026-03-05") == [b.pk, a.pk]
    assert _ids(client, "?date_from=2026-03-02&date_to=2026-03-08") == [b.pk]
    assert _ids(client, "?status=completed") == [c.pk]
    assert _ids(client, "?status=completed&date_to=2026-03-05") == []
    # A malformed date is left out rather than refused.
    assert _ids(client, "?date_from=yesterday") == [c.pk, b.pk, a.pk]


def test_paging_links_keep_the_search_filters_and_sort(client, clerk, slips, monkeypatch):
    monkeypatch.setattr(DocumentListView, "paginate_by", 1)
    a, b, c = slips
    client.force_login(clerk)
    first = client.get("/documents/?q=bill&status=needs_review&sort=received").content.decode()
    links = [unescape(h) for h in re.findall(r'<nav class="pager">.*?href="([^"]+)"', first, re.S)]
    assert links == ["?q=bill&status=needs_review&sort=received&page=2"]
    assert _ids(client, links[0]) == [b.pk]


def test_the_rows_refresh_keeps_the_query(client, clerk, slips):
    client.force_login(clerk)
    page = client.get("/documents/?q=%E6%9D%8E%E5%9B%9B").content.decode()
    refresh = unescape(re.search(r'data-refresh="([^"]+)"', page).group(1))
    rows = client.get(refresh).content.decode()
    assert re.findall(r'name="ids" value="(\d+)"', rows) == [str(slips[1].pk)]


def test_only_supervisors_are_offered_and_allowed_the_bulk_rerun(client, clerk, slips):
    client.force_login(clerk)
    assert 'value="rerun"' not in client.get("/documents/").content.decode()
    response = client.post("/documents/bulk/", {"ids": [slips[0].pk], "action": "rerun"})
    assert response.status_code == 403
    assert client.post("/documents/bulk/rerun/", {"ids": [slips[0].pk]}).status_code == 403
    assert Document.objects.get(pk=slips[0].pk).status == S.NEEDS_REVIEW


def test_bulk_rerun_asks_first_then_keeps_a_confirmed_field(
    client, supervisor, clerk, slips, django_capture_on_commit_callbacks
):
    a, b, _ = slips
    confirmed = a.fields.get(spec__key="payer_name")
    Field.objects.filter(pk=confirmed.pk).update(status=Field.Status.CONFIRMED)
    Document.objects.filter(pk=b.pk).update(status=S.COMPLETED)
    client.force_login(supervisor)
    back = "/documents/?q=bill&sort=name"

    asked = client.post("/documents/bulk/", {"ids": [a.pk, b.pk], "action": "rerun", "next": back})
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "2 documents will be read again." in page
    assert "1 field confirmed or corrected by a clerk keeps its value and history" in page
    assert "1 completed document goes back to the queue" in page
    assert set(Document.objects.values_list("status", flat=True)) == {S.NEEDS_REVIEW, S.COMPLETED}

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/documents/bulk/rerun/", {"ids": [a.pk, b.pk], "next": back})
    assert done.status_code == 302 and done["Location"] == back
    a.refresh_from_db()
    assert a.status != S.QUEUED, "recognition ran again"
    assert a.attempts >= 1
    kept = Field.objects.get(pk=confirmed.pk)
    assert (kept.status, kept.value) == (Field.Status.CONFIRMED, "张三")
    assert a.events.filter(kind="rerun_requested", actor=supervisor).exists()
    assert b.events.filter(kind="rerun_requested", actor=supervisor).exists()


def test_bulk_actions_need_a_selection_and_stay_on_this_site(client, supervisor, slips):
    client.force_login(supervisor)
    response = client.post("/documents/bulk/", {"action": "csv", "next": "/documents/?q=x"})
    assert response["Location"] == "/documents/?q=x"
    response = client.post("/documents/bulk/", {"action": "csv", "next": "https://evil.example/"})
    assert response["Location"] == "/documents/"


def test_outsiders_get_no_bulk_action(client, outsider, slips):
    client.force_login(outsider)
    assert (
        client.post("/documents/bulk/", {"ids": [slips[0].pk], "action": "csv"}).status_code == 403
    )
    assert _ids(client) == []


def test_received_shows_the_date(client, clerk, slips):
    _on_day(slips[0], "2026-03-01")
    client.force_login(clerk)
    page = client.get("/documents/").content.decode()
    assert ">2026-03-01 10:00</time>" in page


def test_the_list_speaks_chinese(client, supervisor, slips):
    client.force_login(supervisor)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/documents/"})
    page = client.get("/documents/").content.decode()
    for text in ("搜索", "接收日期从", "重新识别所选单据…", "导出所选（Excel）", "已选 {n} 份"):
        assert text in page
    asked = client.post("/documents/bulk/", {"ids": [slips[0].pk], "action": "rerun"})
    assert "将重新识别 1 份单据。" in asked.content.decode()
