"""HTML views for intake and documents: thin, all writes through documents.services."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from PIL import Image

from ocr_review.errors import json_domain_error, json_error
from ocr_review.roles import is_supervisor

from . import services
from .exceptions import IntakeError
from .models import Document, DocumentType, Field, Page
from .permissions import documents_for


@login_required
def home(request):
    return redirect("document-list")


class DocumentQuerysetMixin(LoginRequiredMixin):
    request: HttpRequest

    def get_queryset(self):
        return documents_for(self.request.user).select_related("document_type")


class DocumentListView(DocumentQuerysetMixin, ListView):
    template_name = "documents/list.html"
    paginate_by = 50
    context_object_name = "documents"

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .annotate(
                n_fields=Count("fields"),
                n_review=Count("fields", filter=Q(fields__status=Field.Status.NEEDS_REVIEW)),
            )
        )
        status = self.request.GET.get("status")
        if status in Document.Status.values:
            qs = qs.filter(status=status)
        doc_type = self.request.GET.get("type")
        if doc_type:
            qs = qs.filter(document_type__code=doc_type)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["statuses"] = Document.Status.choices
        ctx["types"] = DocumentType.objects.filter(active=True)
        ctx["busy"] = any(
            d.status in (Document.Status.QUEUED, Document.Status.PROCESSING)
            for d in ctx["documents"]
        )
        return ctx


class DocumentRowsView(DocumentListView):
    """The table body alone, for the list's self-refresh."""

    template_name = "documents/_rows.html"


class UploadView(LoginRequiredMixin, TemplateView):
    template_name = "documents/upload.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["types"] = DocumentType.objects.filter(active=True)
        return ctx

    def post(self, request, *args, **kwargs):
        """One file per request (the page sends each dropped file on its own, with progress)."""
        upload = request.FILES.get("file")
        if upload is None:
            return json_error("no_file", _("Choose a file to upload."), 400)
        try:
            result = services.ingest(
                upload.read(),
                name=upload.name,
                document_type=request.POST.get("document_type", ""),
                user=request.user,
                source=Document.Source.WEB,
            )
        except IntakeError as exc:
            return json_domain_error(exc, name=upload.name)
        doc = result.document
        return JsonResponse(
            {
                "id": doc.pk,
                "status": doc.status,
                "status_label": doc.get_status_display(),
                "created": result.created,
                "name": upload.name,
                "url": doc.get_absolute_url(),
            },
            status=201 if result.created else 200,
        )


class DocumentDetailView(DocumentQuerysetMixin, DetailView):
    template_name = "documents/detail.html"
    context_object_name = "document"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        doc = self.object
        fields = list(doc.fields.select_related("spec", "page", "model_version"))
        pages = list(doc.pages.all())
        for page in pages:
            page.field_boxes = [f for f in fields if f.page_id == page.pk and f.box]
        ctx.update(
            fields=fields,
            pages=pages,
            events=doc.events.select_related("actor")[:200],
            can_rerun=is_supervisor(self.request.user),
        )
        return ctx


class RerunView(LoginRequiredMixin, UserPassesTestMixin, View):
    """GET says what a re-run will do (what is kept, what is read again); POST does it."""

    def test_func(self) -> bool:
        return is_supervisor(self.request.user)

    def get(self, request, pk: int):
        document = get_object_or_404(documents_for(request.user), pk=pk)
        preview = services.rerun_preview(document)
        return render(
            request,
            "documents/rerun_confirm.html",
            {"document": document, "preview": preview},
        )

    def post(self, request, pk: int):
        document = get_object_or_404(documents_for(request.user), pk=pk)
        if services.rerun_recognition(document, actor=request.user):
            messages.success(request, _("Recognition queued again."))
        else:
            messages.warning(request, _("The document is being processed right now."))
        return redirect(document)


@login_required
def document_status(request, pk: int):
    doc = get_object_or_404(documents_for(request.user), pk=pk)
    return JsonResponse(
        {
            "id": doc.pk,
            "status": doc.status,
            "status_label": doc.get_status_display(),
            "error": doc.error,
            "fields": doc.fields.count(),
            "needs_review": doc.fields.filter(status=Field.Status.NEEDS_REVIEW).count(),
        }
    )


@login_required
def page_image(request, pk: int):
    page = get_object_or_404(Page.objects.filter(document__in=documents_for(request.user)), pk=pk)
    response = FileResponse(page.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def field_crop(request, pk: int):
    """The field's box cut from its page, with some context around it, as PNG."""
    field = get_object_or_404(
        Field.objects.filter(document__in=documents_for(request.user)).select_related("page"), pk=pk
    )
    if not field.page or not field.box:
        return HttpResponse(status=404)
    with field.page.image.open("rb") as fh:
        image = Image.open(fh)
        image.load()
    x0, y0, x1, y1 = field.box
    pad = max(8, int((y1 - y0) * 0.6))
    crop = image.crop(
        (
            max(0, x0 - pad),
            max(0, y0 - pad),
            min(image.width, x1 + pad),
            min(image.height, y1 + pad),
        )
    )
    out = io.BytesIO()
    crop.save(out, "PNG")
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
