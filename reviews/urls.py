from django.urls import path

from . import views

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("next/", views.next_field, name="review-next"),
    path("fields/<int:pk>/", views.ReviewView.as_view(), name="review-field"),
    path("fields/<int:pk>/decide/", views.decide, name="review-decide"),
    path("fields/<int:pk>/check/", views.check, name="review-check"),
    path("fields/<int:pk>/heartbeat/", views.heartbeat, name="review-heartbeat"),
    path("fields/<int:pk>/release/", views.release, name="review-release"),
    path("fields/<int:pk>/skip/", views.skip, name="review-skip"),
    path("fields/<int:pk>/force-release/", views.force_release, name="review-force-release"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("second-checks/", views.SecondChecksView.as_view(), name="second-checks"),
]
