from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/rows/", views.DocumentRowsView.as_view(), name="document-rows"),
    path("documents/upload/", views.UploadView.as_view(), name="upload"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path("documents/<int:pk>/status/", views.document_status, name="document-status"),
    path("documents/<int:pk>/rerun/", views.RerunView.as_view(), name="document-rerun"),
    path("pages/<int:pk>/image/", views.page_image, name="page-image"),
    path("fields/<int:pk>/crop.png", views.field_crop, name="field-crop"),
]
