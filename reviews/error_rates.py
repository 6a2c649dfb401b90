"""The automation's measured error rate: of the auto-accepted fields a clerk checked blind
(``documents.second_checks``), the share the clerk had to correct, with a 95 % Wilson interval,
per document type, field kind and model version, against each type's target."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from documents.models import DocumentType, FieldKind, SecondCheck

Z_95 = 1.959964


def wilson(wrong: int, checked: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion: sound with few checks and with zero errors, where
    the normal approximation would claim an interval of [0, 0]."""
    if checked <= 0:
        return 0.0, 1.0
    p = wrong / checked
    denominator = 1 + z * z / checked
    centre = (p + z * z / (2 * checked)) / denominator
    half = z * math.sqrt(p * (1 - p) / checked + z * z / (4 * checked * checked)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ErrorRate:
    """One row of figures; ``label`` names the group (a type, a field kind or a model version)."""

    label: str
    checked: int
    wrong: int
    pending: int
    target: float
    query: str  # the second-checks page's filter for the checks behind the row

    @property
    def rate(self) -> float | None:
        return self.wrong / self.checked if self.checked else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.wrong, self.checked)

    @property
    def low(self) -> float:
        return self.interval[0]

    @property
    def high(self) -> float:
        return self.interval[1]

    @property
    def above_target(self) -> bool:
        """The measured rate exceeds the target (a warning)."""
        return self.rate is not None and self.rate > self.target

    @property
    def surely_above_target(self) -> bool:
        """Even the interval's lower bound exceeds the target: not a matter of few checks."""
        return self.checked > 0 and self.low > self.target


@dataclass(frozen=True)
class TypeErrorRates:
    total: ErrorRate
    by_kind: list[ErrorRate]
    by_version: list[ErrorRate]


def _counts(rows) -> dict[tuple, dict[str, int]]:
    out: defaultdict[tuple, dict[str, int]] = defaultdict(
        lambda: {"checked": 0, "wrong": 0, "pending": 0}
    )
    for *key, outcome, n in rows:
        bucket = out[tuple(key)]
        if outcome == SecondCheck.Outcome.PENDING:
            bucket["pending"] += n
        else:
            bucket["checked"] += n
            bucket["wrong"] += n if outcome == SecondCheck.Outcome.CORRECTED else 0
    return out


def error_rates(days: int | None = None) -> list[TypeErrorRates]:
    """Figures of every document type with second checks (sampled in the last ``days``)."""
    checks = SecondCheck.objects.all()
    if days:
        checks = checks.filter(created_at__gte=timezone.now() - timedelta(days=days))
    types = {t.pk: t for t in DocumentType.objects.filter(pk__in=checks.values("document_type"))}
    kind_names = dict(FieldKind.choices)

    def grouped(*keys: str) -> dict[tuple, dict[str, int]]:
        return _counts(checks.values_list(*keys, "outcome").annotate(n=Count("id")).order_by())

    per_type = grouped("document_type")
    per_kind = grouped("document_type", "field_kind")
    per_version = grouped("document_type", "model_version", "model_version__name")
    result = []
    for type_id, t in sorted(types.items(), key=lambda kv: kv[1].name):
        base = f"type={type_id}"

        def row(label: str, c: dict[str, int], query: str, t=t) -> ErrorRate:
            return ErrorRate(
                label, c["checked"], c["wrong"], c["pending"], t.target_error_rate, query
            )

        result.append(
            TypeErrorRates(
                total=row(str(t), per_type[(type_id,)], base),
                by_kind=[
                    row(str(kind_names.get(kind, kind)), c, f"{base}&kind={kind}")
                    for (tid, kind), c in sorted(per_kind.items(), key=lambda kv: str(kv[0][1]))
                    if tid == type_id
                ],
                by_version=[
                    row(name or "—", c, f"{base}&version={vid if vid else 'none'}")
                    for (tid, vid, name), c in sorted(
                        per_version.items(), key=lambda kv: str(kv[0][2])
                    )
                    if tid == type_id
                ],
            )
        )
    return result


def checks_behind(params: Mapping[str, str]) -> QuerySet[SecondCheck]:
    """The second checks one figure counts: ``type`` and ``version`` ids (``version=none`` for
    fields no model version read), ``kind`` and ``outcome`` codes; unknown values select none."""
    checks = SecondCheck.objects.select_related(
        "field__document", "field__spec", "model_version", "checked_by", "document_type"
    )
    for param, lookup in (("type", "document_type_id"), ("version", "model_version_id")):
        raw = params.get(param, "")
        if raw == "none" and param == "version":
            checks = checks.filter(model_version__isnull=True)
        elif raw:
            checks = checks.filter(**{lookup: int(raw)}) if raw.isdigit() else checks.none()
    for param, lookup in (("kind", "field_kind"), ("outcome", "outcome")):
        if params.get(param):
            checks = checks.filter(**{lookup: params[param]})
    return checks.order_by("-checked_at", "-created_at", "-id")
