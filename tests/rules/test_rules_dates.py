from __future__ import annotations

from datetime import date

import pytest

from documents.rules import DateRule, FieldContext, parse_date, run_rules

TODAY = date(2024, 5, 1)
CTX = FieldContext(kind="date", today=TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-07",
        "2024/03/07",
        "2024.03.07",
        "2024年3月7日",
        "2024年03月07日",
        "2024 年 3 月 7 日",
        "20240307",
        "2024-3-7",
        "２０２４－０３－０７",
        " 2024/3/7 ",
    ],
)
def test_parse_date_reads_the_formats_printed_on_bills(text):
    assert parse_date(text) == date(2024, 3, 7)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-03/07",
        "07/03/2024",
        "2024-13-01",
        "2023-02-29",
        "2024年3月7",
        "2024307",
        "240307",
        "2024-003-07",
        "March 7, 2024",
    ],
)
def test_parse_date_rejects_ambiguous_or_impossible_dates(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_parse_date_accepts_a_leap_day():
    assert parse_date("2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "normalized"),
    [("2024年3月7日", "2024-03-07"), ("20240501", "2024-05-01"), ("2024.3.7", "2024-03-07")],
)
def test_date_rule_accepts_past_dates_and_normalizes_them_to_iso(value, normalized):
    outcome = run_rules(value, CTX, [DateRule()])
    assert outcome.failures == ()
    assert outcome.normalized == normalized


@pytest.mark.parametrize(
    ("options", "value", "codes"),
    [
        ({}, "2024-13-07", ["date_format"]),
        ({}, "yesterday", ["date_format"]),
        ({}, "2024-05-02", ["date_future"]),
        ({"max_days_ahead": 3}, "2024-05-04", []),
        ({"max_days_ahead": 3}, "2024-05-05", ["date_future"]),
        ({"max_days_ahead": None}, "2030-01-01", []),
        ({"min": "2000-01-01"}, "1999-12-31", ["date_range"]),
        ({"min": "2000-01-01"}, "2000-01-01", []),
        ({"max": "2023-12-31"}, "2024-01-01", ["date_range"]),
        ({"max": "2023-12-31"}, "2024-06-01", ["date_future", "date_range"]),
        ({"min": "2024-01-01", "max": "2024-12-31", "max_days_ahead": None}, "2024-12-31", []),
    ],
)
def test_date_rule_reports_format_future_and_range(options, value, codes):
    outcome = run_rules(value, CTX, [DateRule(**options)])
    assert [f.code for f in outcome.failures] == codes


def test_a_future_date_message_names_the_date_and_today():
    (failure,) = DateRule().check("2024-05-02", CTX)
    assert "2024-05-02" in failure.message and "2024-05-01" in failure.message


def test_a_date_out_of_range_message_names_the_range():
    (failure,) = DateRule(min="2000-01-01").check("1999-12-31", CTX)
    assert "2000-01-01" in failure.message


def test_date_rule_uses_the_real_clock_when_the_context_has_none():
    assert DateRule().check(date.today().isoformat(), FieldContext(kind="date")) == []
    assert [f.code for f in DateRule().check("2999-01-01", FieldContext(kind="date"))] == [
        "date_future"
    ]
