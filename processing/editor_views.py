"""The visual type editor: a staff page (linked from the admin's document types) that shows a
sample page with its recognised lines, lets an admin click lines to make them a field's label or
value and drag boxes for regions and sections, tries the draft on the page or on the last 20
documents of the type, and saves it to the field specs. Validation and saving are
``documents.type_editing``'s; the try-out is ``processing.preview``'s."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from documents import services, type_editing
from documents.exceptions import IntakeError
from documents.models import Document, DocumentType, FieldKind
from ocr_review.errors import json_error

from . import preview

PERMISSION = "documents.change_documenttype"
RECENT = 20


def _recent(doc_type: DocumentType):
    return Document.objects.filter(document_type=doc_type, page_count__gt=0).order_by(
        "-created_at", "-id"
    )


class _EditorMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = PERMISSION
    raise_exception = True
    kwargs: dict[str, Any]

    def doc_type(self) -> DocumentType:
        return get_object_or_404(DocumentType, pk=self.kwargs["pk"])


class TypeEditorView(_EditorMixin, TemplateView):
    template_name = "processing/type_editor.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        doc_type = self.doc_type()
        recent = list(_recent(doc_type)[:RECENT])
        waiting = Document.objects.filter(
            document_type=doc_type,
            status__in=(Document.Status.QUEUED, Document.Status.PROCESSING),
        ).first()
        chosen = None
        wanted = self.request.GET.get("document", "")
        if wanted.isdigit():
            chosen = Document.objects.filter(pk=int(wanted), document_type=doc_type).first()
        if chosen is None and recent:
            chosen = recent[0]
        page = chosen.pages.order_by("index").first() if chosen else None
        lines = list(page.lines.order_by("order")) if page else []
        ctx.update(
            doc_type=doc_type,
            recent=recent,
            waiting=waiting,
            document=chosen,
            page=page,
            lines=lines,
            kinds=FieldKind.choices,
            editor_data={
                "draft": type_editing.draft_of(doc_type),
                "document": chosen.pk if chosen else None,
                "page": {"width": page.width, "height": page.height} if page else None,
                "frame": preview.page_frame(page) if page else None,
                "lines": [{"box": line.box, "text": line.text} for line in lines],
                "urls": {
                    "test": reverse("type-editor-test", args=[doc_type.pk]),
                    "save": reverse("type-editor-save", args=[doc_type.pk]),
                },
            },
        )
        return ctx


def _draft_from(request: HttpRequest, doc_type: DocumentType) -> tuple[Any, dict]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise type_editing.DraftError({"fields": _("Send the draft as JSON.")}) from None
    if not isinstance(data, dict):
        raise type_editing.DraftError({"fields": _("Send the draft as JSON.")})
    return type_editing.parse_draft(doc_type, data.get("draft")), data


class EditorTestView(_EditorMixin, View):
    """Try the draft: on one document (``scope: "page"``) or the last 20 (``"recent"``)."""

    def post(self, request: HttpRequest, pk: int) -> JsonResponse:
        doc_type = self.doc_type()
        try:
            draft, data = _draft_from(request, doc_type)
        except type_editing.DraftError as exc:
            return json_error("invalid_draft", str(exc), 400, errors=exc.errors)
        if data.get("scope") == "recent":
            rows = []
            for doc in _recent(doc_type)[:RECENT]:
                results = preview.preview(doc, doc_type, draft.specs, draft.layout)
                rows.append(
                    {
                        "id": doc.pk,
                        "name": doc.original_name,
                        "values": {r["key"]: r["value"] for r in results},
                        "flagged": [r["key"] for r in results if r["reasons"]],
                    }
                )
            return JsonResponse({"documents": rows})
        document = _recent(doc_type).filter(pk=data.get("document") or 0).first()
        if document is None:
            return json_error("no_page", _("Pick or upload a sample page first."), 400)
        return JsonResponse(
            {"results": preview.preview(document, doc_type, draft.specs, draft.layout)}
        )


class EditorSaveView(_EditorMixin, View):
    def post(self, request: HttpRequest, pk: int) -> JsonResponse:
        doc_type = self.doc_type()
        try:
            draft, _data = _draft_from(request, doc_type)
        except type_editing.DraftError as exc:
            return json_error("invalid_draft", str(exc), 400, errors=exc.errors)
        saved = type_editing.save_draft(doc_type, draft)
        return JsonResponse({"saved": len(saved), "draft": type_editing.draft_of(doc_type)})


class EditorUploadView(_EditorMixin, View):
    """A sample file goes through the normal intake as a document of this type."""

    def post(self, request: HttpRequest, pk: int):
        doc_type = self.doc_type()
        upload = request.FILES.get("file")
        url = reverse("type-editor", args=[doc_type.pk])
        if upload is None:
            messages.error(request, _("Choose a file to upload."))
            return redirect(url)
        try:
            result = services.ingest(
                upload.read(),
                name=upload.name or "sample",
                document_type=doc_type,
                user=request.user,
            )
        except IntakeError as exc:
            messages.error(request, exc.message)
            return redirect(url)
        return redirect(f"{url}?document={result.document.pk}")
