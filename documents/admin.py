from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Document, DocumentType, Event, Field, FieldSpec, Page


class FieldSpecInline(admin.StackedInline):
    model = FieldSpec
    extra = 0
    fields = (
        ("key", "label", "kind", "order"),
        ("required", "threshold"),
        "label_aliases",
        "region",
        "rules",
    )


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "confidence_threshold", "active", "field_count")
    list_filter = ("active",)
    search_fields = ("name", "code")
    inlines = [FieldSpecInline]

    @admin.display(description=_("fields"))
    def field_count(self, obj: DocumentType) -> int:
        return obj.fields.count()


class PageInline(admin.TabularInline):
    model = Page
    extra = 0
    fields = ("index", "image", "width", "height", "skew_angle")
    readonly_fields = fields
    can_delete = False


class FieldInline(admin.TabularInline):
    model = Field
    extra = 0
    fields = (
        "spec",
        "value",
        "raw_text",
        "confidence",
        "status",
        "review_reasons",
        "model_version",
    )
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    fields = ("created_at", "kind", "field_key", "actor", "before", "after", "detail")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "original_name",
        "document_type",
        "status",
        "source",
        "external_id",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "document_type", "source")
    search_fields = ("original_name", "sha256", "external_id")
    readonly_fields = (
        "sha256",
        "size",
        "content_type",
        "file",
        "attempts",
        "page_count",
        "model_versions",
        "timings",
        "created_at",
        "updated_at",
        "processing_started_at",
        "processed_at",
        "completed_at",
        "error",
        "status",
    )
    inlines = [PageInline, FieldInline, EventInline]
    actions = ["rerun_recognition"]

    @admin.action(description=_("Re-run recognition"))
    def rerun_recognition(self, request, queryset) -> None:
        queued = sum(services.rerun_recognition(doc, actor=request.user) for doc in queryset)
        self.message_user(
            request,
            _("%(n)d document(s) queued for recognition.") % {"n": queued},
            messages.SUCCESS,
        )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "document", "field_key", "actor")
    list_filter = ("kind",)
    search_fields = ("document__original_name", "field_key")
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
