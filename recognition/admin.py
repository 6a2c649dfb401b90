from django.contrib import admin

from .models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "sha256", "created_at", "activated_at")
    list_filter = ("kind", "active")
    readonly_fields = ("sha256", "created_at", "activated_at", "metrics", "training_data")
