from django.urls import path

from . import export_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/rows/", views.DocumentRowsView.as_view(), name="document-rows"),
    path("documents/bulk/", export_views.BulkView.as_view(), name="document-bulk"),
    path("documents/bulk/rerun/", export_views.BulkRerunView.as_view(), name="document-bulk-rerun"),
    path("documents/export/", export_views.ExportView.as_view(), name="document-export"),
    path(
        "documents/exports/<int:pk>/",
        export_views.ExportJobView.as_view(),
        name="document-export-job",
    ),
    path(
        "documents/exports/<int:pk>/status/",
        export_views.export_job_status,
        name="document-export-status",
    ),
    path(
        "documents/exports/<int:pk>/download/",
        export_views.export_job_download,
        name="document-export-download",
    ),
    path("documents/upload/", views.UploadView.as_view(), name="upload"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path("documents/<int:pk>/status/", views.document_status, name="document-status"),
    path("documents/<int:pk>/rerun/", views.RerunView.as_view(), name="document-rerun"),
    path("pages/<int:pk>/image/", views.page_image, name="page-image"),
    path("fields/<int:pk>/crop.png", views.field_crop, name="field-crop"),
]
