from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocr_review.admin_mixins import ReadOnlyAdminMixin

from . import retention, services, webhooks
from .api import tokens
from .models import (
    ApiClient,
    Document,
    DocumentExport,
    DocumentType,
    Event,
    Field,
    FieldSpec,
    Page,
    SecondCheck,
    WebhookDelivery,
    WebhookEvent,
)


class FieldSpecInline(admin.StackedInline):
    model = FieldSpec
    extra = 0
    fields = (
        ("key", "label", "kind", "order"),
        ("required", "threshold"),
        "label_aliases",
        "region",
        "location",
        "cleaning",
        "rules",
    )


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "confidence_threshold",
        "second_check_rate",
        "target_error_rate",
        "active",
        "field_count",
        "visual_editor",
    )
    list_filter = ("active",)
    search_fields = ("name", "code")
    inlines = [FieldSpecInline]
    readonly_fields = ("visual_editor",)

    @admin.display(description=_("visual editor"))
    def visual_editor(self, obj: DocumentType) -> str:
        if obj.pk is None:
            return str(_("Save the type first, then place its fields on a sample page."))
        return format_html(
            '<a href="{}">{}</a>',
            reverse("type-editor", args=[obj.pk]),
            _("Place the fields on a sample page"),
        )

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

    @admin.action(description=_("Re-run recognition…"))
    def rerun_recognition(self, request, queryset) -> TemplateResponse | None:
        """First a page that says what will happen per document; the re-run on confirmation."""
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/documents/rerun_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Re-run recognition"),
                    "rows": [(doc, services.rerun_preview(doc)) for doc in queryset],
                    "action": "rerun_recognition",
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        queued = sum(services.rerun_recognition(doc, actor=request.user) for doc in queryset)
        self.message_user(
            request,
            _("%(n)d document(s) queued for recognition.") % {"n": queued},
            messages.SUCCESS,
        )
        return None

    # Deleting: with the files, through documents.retention, recorded in the admin log (which
    # outlives the document's own events) and in the application log.
    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Events cannot be deleted on their own (append-only); they go with their document.
        perms_needed.discard(Event._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def log_deletions(self, request, queryset) -> list[LogEntry]:
        content_type = ContentType.objects.get_for_model(Document)
        return [
            LogEntry.objects.create(
                user_id=request.user.pk,
                content_type=content_type,
                object_id=str(doc.pk),
                object_repr=str(doc)[:200],
                action_flag=DELETION,
                change_message=f"Deleted with its files: {retention.describe(doc)}",
            )
            for doc in queryset
        ]

    def delete_model(self, request, obj: Document) -> None:
        retention.delete_documents([obj], actor=request.user, reason="deleted in the admin")

    def delete_queryset(self, request, queryset) -> None:
        retention.delete_documents(
            queryset.select_related("document_type"),
            actor=request.user,
            reason="deleted in the admin",
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "document", "field_key", "actor")
    list_filter = ("kind",)
    search_fields = ("document__original_name", "field_key")
    readonly_fields = [f.name for f in Event._meta.fields]


@admin.register(SecondCheck)
class SecondCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Blind second checks of auto-accepted fields; the dashboard shows their error rate."""

    list_display = ("created_at", "document_type", "field_kind", "model_version", "outcome")
    list_filter = ("outcome", "reason", "document_type", "field_kind", "model_version")
    readonly_fields = [f.name for f in SecondCheck._meta.fields]


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        # The webhook secret is never shown after creation: an action issues a new one.
        fields = ["name", "user", "allowed_types", "active", "throttle_rate"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].required = False
        self.fields["user"].help_text = _(
            "Leave empty to create a service user for the client (the usual case)."
        )


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ("name", "user", "token_prefix", "active", "throttle_rate", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name", "token_prefix", "user__username")
    filter_horizontal = ("allowed_types",)
    readonly_fields = ("token_prefix", "token_issued_at", "revoked_at", "created_at")
    actions = ["issue_new_token", "issue_new_webhook_secret", "revoke"]

    def save_model(self, request, obj: ApiClient, form, change: bool) -> None:
        if not change:
            if obj.user_id is None:
                obj.user = tokens.service_user(obj.name)
            request._new_api_token = tokens.assign_token(obj)
        if change and "active" in form.changed_data:
            obj.revoked_at = None if obj.active else timezone.now()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: ApiClient, post_url_continue=None):
        token = getattr(request, "_new_api_token", None)
        if token is None:  # pragma: no cover - save_model always sets it on add
            return super().response_add(request, obj, post_url_continue)
        return self._secrets_page(request, obj, token=token, secret=obj.webhook_secret)

    def _secrets_page(self, request, client: ApiClient, *, token: str = "", secret: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credentials of %(name)s") % {"name": client.name},
            "token": token,
            "secret": secret,
            "client": client,
            "back": reverse("admin:documents_apiclient_change", args=[client.pk]),
        }
        response = TemplateResponse(request, "admin/documents/apiclient_secrets.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def issue_new_token(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one client."), messages.WARNING)
            return None
        client = queryset.get()
        return self._secrets_page(request, client, token=tokens.rotate_token(client))

    @admin.action(description=_("Issue a new webhook secret (shown once)"))
    def issue_new_webhook_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one client."), messages.WARNING)
            return None
        client = queryset.get()
        return self._secrets_page(request, client, secret=tokens.rotate_webhook_secret(client))

    @admin.action(description=_("Revoke: tokens stop working at once"))
    def revoke(self, request, queryset) -> None:
        for client in queryset:
            tokens.revoke(client)
        self.message_user(request, _("%(n)d client(s) revoked.") % {"n": queryset.count()})


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    fields = (
        "attempt",
        "manual",
        "started_at",
        "duration_ms",
        "status_code",
        "success",
        "error",
        "response_snippet",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = (
        "event_id",
        "type",
        "client",
        "document",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "type", "client")
    search_fields = ("event_id", "url", "document__external_id")
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    inlines = [WebhookDeliveryInline]
    actions = ["replay"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Replay: send again with the same event id"))
    def replay(self, request, queryset) -> None:
        replayed = sum(webhooks.replay(event) for event in queryset)
        self.message_user(
            request,
            _("%(n)d event(s) queued for delivery again.") % {"n": replayed},
            messages.SUCCESS,
        )


@admin.register(DocumentExport)
class DocumentExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Exports asked for on the documents list; the file is downloaded from the list's link."""

    list_display = ("id", "created_at", "created_by", "format", "status", "done", "total")
    list_filter = ("status", "format")
    # The ids can be many thousands: the count says enough.
    readonly_fields = [f.name for f in DocumentExport._meta.fields if f.name != "document_ids"]
    exclude = ("document_ids",)
