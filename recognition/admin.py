"""Model versions in the admin: figures, evaluation in the background, activation through the gate
(shown before anything changes), rollback. The switches themselves live in recognition.registry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse
from django.template import Engine, RequestContext
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ocr_review.admin_mixins import ReadOnlyAdminMixin

from . import activation, registry
from .exceptions import ActivationRefused, RegistryError
from .models import ModelActivation, ModelVersion

_GATE_PAGE = """{% extends "admin/base_site.html" %}
{% block content %}
<h1>{{ title }}</h1>
<table>
<thead><tr><th></th><th>Version</th><th>Exact lines</th></tr></thead>
<tbody>
<tr><th>Candidate</th><td>{{ gate.candidate }}</td><td>{{ candidate_pct }}</td></tr>
<tr><th>Active</th><td>{{ gate.active|default:"—" }}</td><td>{{ active_pct }}</td></tr>
</tbody>
</table>
<p>Fixed evaluation set: {{ gate.lines }} held-out synthetic {{ gate.kind }} lines.
The gate refuses a candidate more than {{ tolerance }} points worse than the active version.</p>
<p class="{% if gate.passed %}success{% else %}errornote{% endif %}">{{ message }}</p>
{% if error %}<p class="errornote">{{ error }}</p>{% endif %}
<form method="post">{% csrf_token %}
<input type="hidden" name="action" value="activate_version">
<input type="hidden" name="_selected_action" value="{{ gate.candidate_id }}">
{% if not gate.passed %}
<p><label for="override_reason">Override reason (supervisors only; recorded with the
activation):</label><br>
<textarea id="override_reason" name="override_reason" rows="3" cols="80"></textarea></p>
{% endif %}
<input type="submit" name="apply" class="default"
 value="{% if gate.passed %}Activate{% else %}Activate anyway{% endif %}">
<a href="" class="button cancel-link">Cancel</a>
</form>
{% endblock %}"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "active",
        "heldout_exact",
        "validation_exact",
        "parent",
        "created_by",
        "created_at",
        "activated_at",
    )
    list_filter = ("kind", "active")
    search_fields = ("name", "sha256")
    fields = (
        "name",
        "kind",
        "active",
        "checkpoint",
        "sha256",
        "parent",
        "created_by",
        "created_at",
        "activated_at",
        "metrics",
        "training_data",
        "notes",
    )
    # The active flag only changes through the gate (activate) or a rollback, never by hand.
    readonly_fields = tuple(f for f in fields if f not in ("name", "notes"))
    actions = ["evaluate", "activate_version", "rollback_to"]

    def has_add_permission(self, request) -> bool:
        return False  # versions come from manage.py finetune_ocr --register (registry.register)

    @admin.display(description=_("held-out exact"))
    def heldout_exact(self, obj: ModelVersion) -> str:
        return _pct(obj.metric("heldout"))

    @admin.display(description=_("validation exact"))
    def validation_exact(self, obj: ModelVersion) -> str:
        lines = obj.metric("validation", "lines")
        if not lines:
            return "—"
        return format_html("{} <small>({} lines)</small>", _pct(obj.metric("validation")), lines)

    @admin.action(
        description=_("Evaluate on the fixed set (in the background)"), permissions=["change"]
    )
    def evaluate(self, request, queryset) -> None:
        ids = set(queryset.values_list("pk", flat=True))
        kinds = set(queryset.values_list("kind", flat=True))
        ids |= set(
            ModelVersion.objects.filter(kind__in=kinds, active=True).values_list("pk", flat=True)
        )
        for pk in sorted(ids):
            registry.enqueue_evaluation(pk)
        self.message_user(
            request,
            _("%(n)d version(s) queued for evaluation (with the active ones, for the gate).")
            % {"n": len(ids)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Activate… (shows the gate first)"), permissions=["change"])
    def activate_version(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.WARNING)
            return None
        version = queryset.get()
        try:
            gate = activation.check_gate(version, evaluate_missing=False)
        except RegistryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        error = ""
        if "apply" in request.POST:
            try:
                record = activation.activate(
                    version,
                    request.user,
                    request.POST.get("override_reason", ""),
                    evaluate_missing=False,
                )
            except RegistryError as exc:
                error = exc.message
            else:
                self.message_user(
                    request,
                    _("%(name)s is now the active %(kind)s model (%(action)s).")
                    % {
                        "name": version.name,
                        "kind": version.kind,
                        "action": record.get_action_display(),
                    },
                    messages.SUCCESS,
                )
                return None
        return self._gate_page(request, gate, error)

    def _gate_page(self, request, gate: activation.Gate, error: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Activate %(name)s?") % {"name": gate.candidate},
            "gate": gate,
            "message": gate.message(),
            "error": error,
            "candidate_pct": _pct(gate.candidate_exact),
            "active_pct": _pct(gate.active_exact),
            "tolerance": f"{gate.tolerance * 100:.1f}",
        }
        html = Engine.get_default().from_string(_GATE_PAGE).render(RequestContext(request, context))
        return HttpResponse(html)

    @admin.action(description=_("Roll back to this version"), permissions=["change"])
    def rollback_to(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.WARNING)
            return
        version = queryset.get()
        try:
            activation.rollback(version, request.user)
        except (RegistryError, ActivationRefused) as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("Rolled back: %(name)s is the active %(kind)s model again.")
            % {"name": version.name, "kind": version.kind},
            messages.SUCCESS,
        )


@admin.register(ModelActivation)
class ModelActivationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "action",
        "version",
        "previous",
        "actor",
        "override_reason",
    )
    list_filter = ("kind", "action")
    readonly_fields = [f.name for f in ModelActivation._meta.fields]
