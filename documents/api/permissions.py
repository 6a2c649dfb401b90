"""Who may call the API and what each caller sees.

An API client sees only the documents it submitted and the document types it is allowed; clerks
and supervisors (browser session, or a client whose user holds the role) see what
documents.permissions grants them.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from documents.models import ApiClient, Document, DocumentType
from documents.permissions import documents_for
from ocr_review.roles import is_clerk


def api_client_of(request) -> ApiClient | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiClient) else None


def visible_documents(request) -> QuerySet[Document]:
    if is_clerk(request.user):
        return documents_for(request.user)
    client = api_client_of(request)
    if client is not None:
        return Document.objects.filter(api_client=client)
    return Document.objects.none()


def visible_types(request) -> QuerySet[DocumentType]:
    client = api_client_of(request)
    if client is not None:
        return client.allowed_types.filter(active=True)
    if is_clerk(request.user):
        return DocumentType.objects.filter(active=True)
    return DocumentType.objects.none()


class CanUseApi(BasePermission):
    message = _("Only API clients, clerks and supervisors may use this API.")
    code = "not_allowed"

    def has_permission(self, request, view) -> bool:
        return api_client_of(request) is not None or is_clerk(request.user)


class IsReviewer(BasePermission):
    message = _("Only clerks and supervisors may review fields.")
    code = "not_a_reviewer"

    def has_permission(self, request, view) -> bool:
        return is_clerk(request.user)
