"""The documents list's query: search, filters and sort, read from the page's parameters.

The list page, its self-refresh, and the export of the whole filtered list all read the same
parameters through ``ListQuery``, so an export holds exactly the documents the clerk was looking
at, in the same order.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django import forms
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from .models import Document, Field

# Column → what it sorts by; ties are broken by id so that paging never skips or repeats a row.
SORTS: dict[str, str] = {
    "received": "created_at",
    "name": "original_name",
    "type": "document_type__name",
    "status": "status_order",
    "review": "n_review",
}
DEFAULT_SORT = "-received"
# Columns whose first click sorts from the largest: newest first, most to review first.
DESCENDING_FIRST = {"received", "review"}
PARAMS = ("q", "status", "type", "date_from", "date_to", "sort")


class _ParamsForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", ""), *Document.Status.choices])
    type = forms.CharField(required=False, max_length=64)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)
    sort = forms.ChoiceField(
        required=False, choices=[(s, s) for key in SORTS for s in (key, f"-{key}")]
    )


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    status: str = ""
    type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = DEFAULT_SORT

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ListQuery:
        """The valid parameters of ``params`` (a QueryDict); a malformed one is left out."""
        form = _ParamsForm({k: params.get(k, "") for k in PARAMS})
        form.is_valid()
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        return cls(**data)

    @property
    def filtered(self) -> bool:
        return any((self.q, self.status, self.type, self.date_from, self.date_to))

    def params(self) -> dict[str, str]:
        """The parameters that differ from the defaults, as strings (for links and forms)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value and value != f.default:
                out[f.name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def next_sort(self, column: str) -> str:
        """The sort a click on ``column``'s header asks for: the other way round if it is the
        current one, else the column's natural direction."""
        if self.sort == column:
            return f"-{column}"
        if self.sort == f"-{column}":
            return column
        return f"-{column}" if column in DESCENDING_FIRST else column

    def apply(self, qs: QuerySet[Document]) -> QuerySet[Document]:
        qs = annotate_counts(qs)
        if self.q:
            qs = qs.filter(_search(self.q))
        if self.status:
            qs = qs.filter(status=self.status)
        if self.type:
            qs = qs.filter(document_type__code=self.type)
        if self.date_from:
            qs = qs.filter(created_at__date__gte=self.date_from)
        if self.date_to:
            qs = qs.filter(created_at__date__lte=self.date_to)
        key = self.sort.lstrip("-")
        sign = "-" if self.sort.startswith("-") else ""
        if key == "status":
            qs = qs.annotate(status_order=_status_order())
        return qs.order_by(f"{sign}{SORTS[key]}", f"{sign}id")


def annotate_counts(qs: QuerySet[Document]) -> QuerySet[Document]:
    return qs.annotate(
        n_fields=Count("fields"),
        n_review=Count("fields", filter=Q(fields__status=Field.Status.NEEDS_REVIEW)),
    )


@functools.cache
def has_normalized() -> bool:
    """Whether fields keep the rules' canonical form of their value beside it."""
    return any(f.name == "normalized" for f in Field._meta.get_fields())


def _search(q: str) -> Q:
    """File name, external id, or any field's value (as shown or in its canonical form)."""
    in_value = Q(value__icontains=q)
    if has_normalized():
        in_value |= Q(normalized__icontains=q)
    matching_field = Field.objects.filter(in_value, document=OuterRef("pk"))
    found = Q(original_name__icontains=q) | Q(external_id__icontains=q) | Q(Exists(matching_field))
    number = q.removeprefix("#")
    if number.isdigit() and len(number) < 12:
        found |= Q(pk=int(number))
    return found


def _status_order() -> Case:
    """Statuses in the order a document goes through them, not alphabetically."""
    return Case(
        *(When(status=value, then=Value(i)) for i, value in enumerate(Document.Status.values)),
        default=Value(len(Document.Status.values)),
        output_field=IntegerField(),
    )
