from django.urls import path

from . import editor_views

urlpatterns = [
    path("<int:pk>/editor/", editor_views.TypeEditorView.as_view(), name="type-editor"),
    path("<int:pk>/editor/test/", editor_views.EditorTestView.as_view(), name="type-editor-test"),
    path("<int:pk>/editor/save/", editor_views.EditorSaveView.as_view(), name="type-editor-save"),
    path(
        "<int:pk>/editor/upload/",
        editor_views.EditorUploadView.as_view(),
        name="type-editor-upload",
    ),
]
