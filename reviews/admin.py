"""Corrections exports in the admin: ask for one (a worker runs it), download the zip when done."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from documents.models import DocumentType

from . import export, jobs
from .models import ExportJob


class ExportJobForm(forms.ModelForm):
    month = forms.CharField(
        required=False, help_text=_("YYYY-MM; or leave empty and give since/until.")
    )
    since = forms.DateField(required=False, help_text=_("First day (YYYY-MM-DD)."))
    until = forms.DateField(required=False, help_text=_("Last day, included (YYYY-MM-DD)."))
    document_type = forms.ModelChoiceField(
        DocumentType.objects.all(), required=False, to_field_name="code"
    )
    include_confirmed = forms.FloatField(
        initial=100,
        min_value=0,
        max_value=100,
        help_text=_("Percent of confirmed fields to include; corrections are always all in."),
    )
    formats = forms.MultipleChoiceField(
        choices=[(f, f) for f in export.FORMATS],
        initial=list(export.FORMATS),
        widget=forms.CheckboxSelectMultiple,
    )
    mask_ids = forms.BooleanField(
        required=False, help_text=_("Mask digits of the OCR readings kept as provenance.")
    )
    val_percent = forms.FloatField(initial=10, min_value=0, max_value=99)

    class Meta:
        model = ExportJob
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            since = until = None
            if data.get("month"):
                if data.get("since") or data.get("until"):
                    raise export.ExportError("Give a month or since/until, not both.")
                since, until = export.month_window(data["month"])
            if data.get("since"):
                since = export.parse_moment(data["since"].isoformat())
            if data.get("until"):
                until = export.parse_moment(data["until"].isoformat(), end=True)
            self.params = export.ExportParams(
                since=since,
                until=until,
                document_type=data["document_type"].code if data.get("document_type") else "",
                include_confirmed=data.get("include_confirmed") or 0.0,
                formats=tuple(data.get("formats") or export.FORMATS),
                mask_ids=bool(data.get("mask_ids")),
                val_percent=data.get("val_percent") or 0.0,
            )
        except export.ExportError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "window", "exported", "created_by", "created_at", "download")
    list_filter = ("status",)
    actions = ["run_again"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ExportJobForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(ExportJobForm.base_fields)
        return [
            "status",
            "params",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "download",
            "counts",
            "error",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a job is asked for and then only looked at; "Run again" re-runs it

    def save_model(self, request, obj: ExportJob, form, change: bool) -> None:
        obj.params = form.params.to_json()
        obj.created_by = request.user
        jobs.queue_job(obj)
        self.message_user(
            request,
            _("The export runs in the background; its download link appears here when done."),
            messages.INFO,
        )

    @admin.display(description=_("window"))
    def window(self, obj: ExportJob) -> str:
        params = obj.params or {}
        since, until = params.get("since"), params.get("until")
        text = f"{(since or '…')[:16]} – {(until or '…')[:16]}"
        return f"{text} ({params['document_type']})" if params.get("document_type") else text

    @admin.display(description=_("exported"))
    def exported(self, obj: ExportJob) -> str:
        counts = obj.counts or {}
        if "exported" not in counts:
            return "—"
        return f"{counts['exported']} ({counts['corrected']} corr., {counts['confirmed']} conf.)"

    @admin.display(description=_("download"))
    def download(self, obj: ExportJob) -> str:
        if obj.status == ExportJob.Status.FAILED:
            return format_html("<span title='{}'>failed</span>", obj.error)
        if not jobs.archive_exists(obj):
            return "—"
        url = reverse("admin:reviews_exportjob_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download zip"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reviews_exportjob_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        """Staff only (admin_view), and only with the right to see export jobs."""
        job = get_object_or_404(ExportJob, pk=pk)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        archive = jobs.open_archive(job)
        if archive is None:
            raise Http404("This export has no archive (yet).")
        response = FileResponse(archive, as_attachment=True, filename=f"corrections-{job.pk}.zip")
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=_("Run again (replaces the archive)"), permissions=["add"])
    def run_again(self, request, queryset) -> None:
        again = list(queryset.exclude(status=ExportJob.Status.RUNNING))
        for job in again:
            jobs.queue_job(job)
        self.message_user(
            request, _("%(n)d export(s) queued again.") % {"n": len(again)}, messages.SUCCESS
        )
