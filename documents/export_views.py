"""The documents list's bulk actions and exports: thin views over documents.services (re-run)
and documents.export_jobs (CSV and Excel, at once or as a background job)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from ocr_review.errors import json_error
from ocr_review.roles import is_clerk, is_supervisor

from . import export_jobs, services
from .exports import CONTENT_TYPES
from .listing import ListQuery
from .models import Document, DocumentExport
from .permissions import documents_for

MAX_SELECTED = 1000  # documents one bulk action may name (a page holds 50)


class ClerkRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    request: HttpRequest

    def test_func(self) -> bool:
        return is_clerk(self.request.user)


class BulkView(ClerkRequiredMixin, View):
    """The list's bulk bar: the ticked documents, re-run (asks first) or exported."""

    def post(self, request: HttpRequest) -> HttpResponse:
        back = _back_url(request)
        ids = _selected_ids(request)
        if not ids:
            messages.warning(request, _("Select documents first."))
            return redirect(back)
        documents = documents_for(request.user).filter(pk__in=ids)
        action = request.POST.get("action", "")
        if action == "rerun":
            if not is_supervisor(request.user):
                raise PermissionDenied
            preview = bulk_preview(list(documents.order_by("-created_at", "-id")))
            return render(
                request, "documents/bulk_rerun_confirm.html", {"preview": preview, "next": back}
            )
        if action in CONTENT_TYPES:
            order = {pk: i for i, pk in enumerate(ids)}
            chosen = sorted(documents.values_list("pk", flat=True), key=order.__getitem__)
            return export_response(request, chosen, action, back)
        return json_error("unknown_action", _("Unknown bulk action."), 400)


class BulkRerunView(LoginRequiredMixin, UserPassesTestMixin, View):
    """The confirmed bulk re-run: the same safe re-run as on a document's page, one by one."""

    def test_func(self) -> bool:
        return is_supervisor(self.request.user)

    def post(self, request: HttpRequest) -> HttpResponse:
        documents = documents_for(request.user).filter(pk__in=_selected_ids(request))
        total = queued = 0
        for document in documents:
            total += 1
            queued += services.rerun_recognition(document, actor=request.user)
        messages.success(
            request,
            ngettext(
                "%(n)d document queued for recognition again.",
                "%(n)d documents queued for recognition again.",
                queued,
            )
            % {"n": queued},
        )
        if queued < total:
            messages.warning(
                request,
                ngettext(
                    "%(n)d document is being processed right now and was left as it is.",
                    "%(n)d documents are being processed right now and were left as they are.",
                    total - queued,
                )
                % {"n": total - queued},
            )
        return redirect(_back_url(request))


class ExportView(ClerkRequiredMixin, View):
    """Every document the list's search and filters select, in the list's order."""

    def post(self, request: HttpRequest) -> HttpResponse:
        fmt = request.POST.get("format", "")
        if fmt not in CONTENT_TYPES:
            return json_error("unknown_format", _("Choose CSV or Excel."), 400)
        query = ListQuery.from_params(request.POST)
        ids = list(query.apply(documents_for(request.user)).values_list("pk", flat=True))
        return export_response(request, ids, fmt, _back_url(request))


def export_response(request: HttpRequest, ids: Sequence[int], fmt: str, back: str) -> HttpResponse:
    """The file at once for a few documents; for many, a background job and its progress page."""
    if not ids:
        messages.warning(request, _("No documents to export."))
        return redirect(back)
    if len(ids) > export_jobs.sync_max():
        job = export_jobs.request_export(ids, fmt, request.user)
        return redirect("document-export-job", pk=job.pk)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(export_jobs.write(ids, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="documents-{stamp}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ExportJobView(ClerkRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(export_jobs.exports_for(request.user), pk=pk)
        return render(request, "documents/export_job.html", {"job": job})


@login_required
def export_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(export_jobs.exports_for(request.user), pk=pk)
    return JsonResponse(job_state(job), headers={"Cache-Control": "private, no-store"})


@login_required
def export_job_download(request: HttpRequest, pk: int) -> FileResponse:
    if not is_clerk(request.user):
        raise PermissionDenied
    job = get_object_or_404(export_jobs.exports_for(request.user), pk=pk)
    fh = export_jobs.open_file(job)
    if fh is None:
        raise Http404(_("This export is not ready."))
    response = FileResponse(
        fh, as_attachment=True, filename=job.filename, content_type=CONTENT_TYPES[job.format]
    )
    response["Cache-Control"] = "private, no-store"
    return response


def job_state(job: DocumentExport) -> dict[str, Any]:
    done = job.status == DocumentExport.Status.DONE
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "download_url": reverse("document-export-download", args=[job.pk]) if done else None,
    }


def recent_exports(user: Any) -> QuerySet[DocumentExport]:
    """The asker's exports of the last day, shown above the list with their progress."""
    since = timezone.now() - timedelta(days=1)
    return export_jobs.exports_for(user).filter(created_by=user, created_at__gte=since)[:5]


@dataclass
class BulkPreview:
    """What a bulk re-run will do: services.rerun_preview summed over the documents."""

    documents: list[Document]
    refreshed: int = 0
    kept: int = 0
    leased: int = 0
    reopens: int = 0
    notifies: int = 0
    busy: int = 0  # being read right now: left as they are
    ids: list[int] = field(default_factory=list)


def bulk_preview(documents: list[Document]) -> BulkPreview:
    out = BulkPreview(documents=documents, ids=[d.pk for d in documents])
    for document in documents:
        one = services.rerun_preview(document)
        out.refreshed += one.refreshed
        out.kept += one.kept
        out.leased += one.leased
        out.reopens += one.reopens
        out.notifies += one.notifies
        out.busy += document.status == Document.Status.PROCESSING
    return out


def _selected_ids(request: HttpRequest) -> list[int]:
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit() and len(v) < 12]
    return list(dict.fromkeys(ids))[:MAX_SELECTED]


def _back_url(request: HttpRequest) -> str:
    """Where the list was (its page, search and filters), if it is a path of this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("document-list")
