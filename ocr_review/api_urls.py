"""/api/v1/: included by ocr_review.urls; names are reversed as ``api:<name>``."""

from __future__ import annotations

from django.urls import path, re_path

from documents.api.views import base, documents, recognize, types
from reviews import api as review

app_name = "api"

urlpatterns = [
    path("documents/", documents.DocumentListCreateView.as_view(), name="document-list"),
    path("documents/<int:pk>/", documents.DocumentDetailView.as_view(), name="document-detail"),
    path(
        "documents/<int:pk>/pages/<int:index>/image",
        documents.PageImageView.as_view(),
        name="document-page-image",
    ),
    path("document-types/", types.DocumentTypeListView.as_view(), name="document-type-list"),
    path(
        "document-types/<slug:code>/",
        types.DocumentTypeDetailView.as_view(),
        name="document-type-detail",
    ),
    path("ocr/recognize", recognize.RecognizeView.as_view(), name="ocr-recognize"),
    path("review/next", review.ReviewNextView.as_view(), name="review-next"),
    path("review/fields/<int:pk>/decision", review.DecisionView.as_view(), name="review-decision"),
    path(
        "review/fields/<int:pk>/heartbeat", review.HeartbeatView.as_view(), name="review-heartbeat"
    ),
    path("review/fields/<int:pk>/release", review.ReleaseView.as_view(), name="review-release"),
    re_path(r"", base.no_such_endpoint),
]
