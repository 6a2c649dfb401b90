"""The supervisor's numbers: volume, automation share, correction rates, review time, queue."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document, Event, Field, FieldKind

from .charts import bar_chart, line_chart, stacked_bars

REASON_LABELS = {
    "low_confidence": _("Low confidence"),
    "missing": _("Not found"),
    "id_checksum": _("ID check digit"),
    "id_length": _("ID length"),
    "amount_format": _("Amount format"),
    "amount_words_mismatch": _("Amount in words ≠ amount"),
    "date_format": _("Date format"),
    "date_future": _("Date in the future"),
    "credit_code_checksum": _("Credit code check"),
    "regex": _("Pattern"),
}
S = Field.Status
DECIDED = (S.CORRECTED, S.CONFIRMED)


DAY_CHOICES = (7, 14, 30, 90, 365)


def days_param(raw: str | None) -> int:
    """The dashboard's window from the query string: a number of days from 1 to 365 (14 if absent
    or not a number), so no URL can ask for an unbounded or invalid range."""
    try:
        days = int(raw or 14)
    except ValueError:
        return 14
    return min(max(days, 1), 365)


@dataclass
class VersionFigures:
    kind: str = ""
    fields: int = 0
    auto: int = 0
    corrected: int = 0


def summary(days: int = 14) -> dict:
    since = timezone.now() - timedelta(days=days)
    fields = Field.objects.filter(created_at__gte=since)
    total = fields.count()
    by_status = Counter(dict(fields.values_list("status").annotate(n=Count("id"))))
    reviewed = by_status[S.CORRECTED] + by_status[S.CONFIRMED] + by_status[S.NEEDS_REVIEW]
    docs = Document.objects.filter(created_at__gte=since)
    docs_per_day = dict(
        docs.annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    fields_per_day: defaultdict[date, dict[str, int]] = defaultdict(
        lambda: {"auto": 0, "review": 0}
    )
    for day, status, n in (
        fields.annotate(day=TruncDate("created_at"))
        .values_list("day", "status")
        .annotate(n=Count("id"))
    ):
        fields_per_day[day]["auto" if status == S.AUTO_ACCEPTED else "review"] += n
    touched_docs = docs.filter(fields__status__in=[S.NEEDS_REVIEW, *DECIDED]).distinct().count()
    finished_docs = docs.filter(
        status__in=[Document.Status.COMPLETED, Document.Status.NEEDS_REVIEW]
    ).count()

    by_kind: defaultdict[str, dict[str, int]] = defaultdict(lambda: {"decided": 0, "corrected": 0})
    for kind, status, n in (
        fields.filter(status__in=DECIDED)
        .values_list("spec__kind", "status")
        .annotate(n=Count("id"))
    ):
        by_kind[kind]["decided"] += n
        by_kind[kind]["corrected"] += n if status == S.CORRECTED else 0
    decisions = Event.objects.filter(
        created_at__gte=since, kind__in=["field_corrected", "field_confirmed"]
    )
    seconds = [
        e["seconds"]
        for e in decisions.values_list("detail", flat=True)
        if isinstance(e, dict) and isinstance(e.get("seconds"), (int, float))
    ]
    queue = Field.objects.filter(status=S.NEEDS_REVIEW)
    oldest = queue.aggregate(t=Min("document__created_at"))["t"]
    per_version = []
    for name, kind, status, n in (
        fields.values_list("model_version__name", "model_version__kind", "status")
        .annotate(n=Count("id"))
        .order_by("model_version__name")
    ):
        per_version.append((name or "—", kind or "—", status, n))
    versions: defaultdict[str, VersionFigures] = defaultdict(VersionFigures)
    for name, kind, status, n in per_version:
        v = versions[name]
        v.kind = kind
        v.fields += n
        v.auto += n if status == S.AUTO_ACCEPTED else 0
        v.corrected += n if status == S.CORRECTED else 0

    day_keys = sorted(set(docs_per_day) | set(fields_per_day))
    kind_names = dict(FieldKind.choices)
    return {
        "days": days,
        "total_fields": total,
        "auto_share": by_status[S.AUTO_ACCEPTED] / total if total else None,
        "review_share": reviewed / total if total else None,
        "no_touch_docs": (finished_docs - touched_docs) / finished_docs if finished_docs else None,
        "correction_by_kind": sorted(
            (
                (k, kind_names.get(k, k), v["corrected"] / v["decided"], v["decided"])
                for k, v in by_kind.items()
            ),
            key=lambda row: -row[2],
        ),
        "rates_chart": line_chart(
            rates_per_version(fields),
            title=str(_("Review rate and correction rate per day, per model version")),
            y_label=str(_("share of fields")),
            x_label=str(_("day")),
        ),
        "median_review_s": statistics.median(seconds) if seconds else None,
        "queue_length": queue.count(),
        "oldest": oldest,
        "versions": sorted(versions.items()),
        "docs_chart": bar_chart(
            [(d.strftime("%m-%d"), docs_per_day.get(d, 0)) for d in day_keys],
            title=str(_("Documents received per day")),
            y_label=str(_("documents")),
            x_label=str(_("day")),
        ),
        "fields_chart": stacked_bars(
            [
                (d.strftime("%m-%d"), fields_per_day[d]["auto"], fields_per_day[d]["review"])
                for d in day_keys
            ],
            labels=(str(_("auto-accepted")), str(_("reviewed"))),
            title=str(_("Fields read per day")),
            y_label=str(_("fields")),
            x_label=str(_("day")),
        ),
    }


def rates_per_version(fields: QuerySet[Field]) -> dict[str, list[tuple[str, float]]]:
    """Per model version and day: the share of fields sent to a human ("review") and, of those a
    human decided, the share corrected ("corrected")."""
    counts: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for day, version, status, n in (
        fields.annotate(day=TruncDate("created_at"))
        .values_list("day", "model_version__name", "status")
        .annotate(n=Count("id"))
    ):
        counts[(version or "—", day.strftime("%m-%d"))][status] += n
    series: defaultdict[str, list[tuple[str, float]]] = defaultdict(list)
    for (version, day), c in sorted(counts.items(), key=lambda kv: kv[0][1]):
        total = sum(c.values())
        decided = c[S.CONFIRMED] + c[S.CORRECTED]
        series[f"{version} {_('review')}"].append((day, (total - c[S.AUTO_ACCEPTED]) / total))
        if decided:
            series[f"{version} {_('corrected')}"].append((day, c[S.CORRECTED] / decided))
    return dict(series)
