"""HTML views for intake and documents: thin, all writes through documents.services."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import DetailView, ListView, TemplateView
from PIL import Image

from ocr_review.errors import json_domain_error, json_error
from ocr_review.roles import is_clerk, is_supervisor

from . import services
from .exceptions import IntakeError
from .export_views import recent_exports
from .listing import DEFAULT_SORT, SORTS, ListQuery
from .models import Document, DocumentType, Field, Page
from .permissions import documents_for
from .request_size import refuse_large_content_length


@login_required
def home(request):
    return redirect("document-list")


class DocumentQuerysetMixin(LoginRequiredMixin):
    request: HttpRequest

    def get_queryset(self):
        return documents_for(self.request.user).select_related("document_type")


class DocumentListView(DocumentQuerysetMixin, ListView):
    """Newest first unless a column header says otherwise; search, filters and sort are kept in
    the paging, sort and export links (documents.listing)."""

    template_name = "documents/list.html"
    paginate_by = 50
    context_object_name = "documents"
    with_exports = True  # the asker's recent exports above the table (not in the rows refresh)

    def get_queryset(self):
        self.query = ListQuery.from_params(self.request.GET)
        return self.query.apply(super().get_queryset())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        query = self.query
        ctx["statuses"] = Document.Status.choices
        ctx["types"] = DocumentType.objects.filter(active=True)
        ctx["query"] = query
        ctx["params"] = query.params()
        ctx["page_query"] = urlencode(query.params())
        ctx["columns"] = _sort_columns(query)
        ctx["can_rerun"] = is_supervisor(self.request.user)
        ctx["busy"] = any(
            d.status in (Document.Status.QUEUED, Document.Status.PROCESSING)
            for d in ctx["documents"]
        )
        if self.with_exports:
            ctx["recent_exports"] = recent_exports(self.request.user)
        return ctx


def _sort_columns(query: ListQuery) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it, and its current direction if any."""
    columns = {}
    for key in SORTS:
        params = {**query.params(), "sort": query.next_sort(key)}
        if params["sort"] == DEFAULT_SORT:
            del params["sort"]
        direction = "asc" if query.sort == key else "desc" if query.sort == f"-{key}" else ""
        columns[key] = {"href": "?" + urlencode(params), "direction": direction}
    return columns


class DocumentRowsView(DocumentListView):
    """The table body alone, for the list's self-refresh."""

    template_name = "documents/_rows.html"
    with_exports = False


@method_decorator(csrf_exempt, name="dispatch")  # checked in post(), once the size is known
class UploadView(LoginRequiredMixin, TemplateView):
    """The upload page, and one file per POST (the page sends each dropped file on its own).

    A POST is judged before its body is read: the role, then the Content-Length. Only then is
    the body read, to a temporary file (not memory), and the CSRF token in it checked; Django's
    CSRF middleware would otherwise read and parse the whole body first to find the token.
    """

    template_name = "documents/upload.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["types"] = DocumentType.objects.filter(active=True)
        ctx["max_bytes"] = settings.OCR_MAX_UPLOAD_BYTES
        return ctx

    def get(self, request, *args, **kwargs):
        if not is_clerk(request.user):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not is_clerk(request.user):
            return json_error(
                "not_allowed", _("Only clerks and supervisors may upload documents."), 403
            )
        try:
            refuse_large_content_length(
                request.META.get("CONTENT_LENGTH"), settings.OCR_MAX_UPLOAD_BYTES, base64=False
            )
        except IntakeError as exc:
            return json_domain_error(exc)
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
        return self._receive(request)

    @method_decorator(csrf_protect)
    def _receive(self, request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file")
        if upload is None:
            return json_error("no_file", _("Choose a file to upload."), 400)
        try:
            result = services.ingest(
                upload.read(),
                name=upload.name or "upload",
                document_type=request.POST.get("document_type", ""),
                user=request.user,
                source=Document.Source.WEB,
            )
        except IntakeError as exc:
            return json_domain_error(exc, name=upload.name)
        finally:
            upload.close()  # the temporary file goes at once, not at the end of the response
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
            events=doc.events.select_related("actor", "field__spec")[:200],
            can_rerun=is_supervisor(self.request.user),
            can_correct=is_clerk(self.request.user),
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
