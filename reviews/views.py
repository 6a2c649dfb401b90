"""The clerk's workbench: queue, review page and its small JSON endpoints. All writes go through
reviews.services."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView, TemplateView

from documents.models import DocumentType, Field, FieldKind, SecondCheck
from ocr_review.errors import json_domain_error, json_error
from ocr_review.roles import is_clerk, is_supervisor

from . import dashboard, error_rates, queries, services
from .exceptions import ReviewError
from .models import Claim

SKIPPED = "review_skipped"
QUEUE_PAGE_SIZE = 50


class RoleMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Anonymous users go to the login page; logged-in users without the role get 403."""

    request: HttpRequest

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied
        return super().handle_no_permission()


class ClerkMixin(RoleMixin):
    def test_func(self) -> bool:
        return is_clerk(self.request.user)


def _require_clerk(request) -> None:
    if not is_clerk(request.user):
        raise PermissionDenied


def _filters(request) -> dict:
    """The queue's filters, and ``walk`` (a document id) in whole-document review mode."""
    source = request.GET or request.POST
    return {k: source.get(k, "") for k in ("document_type", "kind", "reason", "walk")}


def _filter_query(filters: dict) -> str:
    """The filters that are set, as a URL query (no leading "?"): carried from the queue to the
    review page and on to the next field, so a filtered queue stays filtered."""
    return urlencode({k: v for k, v in filters.items() if v})


def _walk_next(request: HttpRequest, document_id: int, after: int | None):
    """Whole-document review: the document's next field in form order after ``after``, opened for
    review or correction whatever its status; back to the document when none is left."""
    fields = list(
        Field.objects.filter(document_id=document_id)
        .order_by("spec__order", "id")
        .values_list("pk", flat=True)
    )
    start = fields.index(after) + 1 if after in fields else 0
    for pk in fields[start:]:
        return redirect(reverse("review-field", args=[pk]) + f"?walk={document_id}")
    messages.success(request, _("You went through every field of this document."))
    return redirect("document-detail", pk=document_id)


class QueueView(ClerkMixin, TemplateView):
    template_name = "reviews/queue.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filters = _filters(self.request)
        filters.pop("walk")
        qs = queries.open_fields(**filters).select_related(
            "document__document_type", "spec", "claim__user"
        )
        page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(self.request.GET.get("page"))
        ctx.update(
            filters=filters,
            filter_query=_filter_query(filters),
            fields=page.object_list,
            page_obj=page,
            total=page.paginator.count,
            types=DocumentType.objects.filter(active=True),
            kinds=FieldKind.choices,
            reasons=dashboard.REASON_LABELS,
            now=timezone.now(),
            supervisor=is_supervisor(self.request.user),
        )
        return ctx


@login_required
@require_POST
def next_field(request):
    _require_clerk(request)
    filters = _filters(request)
    if filters["walk"].isdigit():
        after = request.POST.get("after", "")
        return _walk_next(request, int(filters["walk"]), int(after) if after.isdigit() else None)
    filters.pop("walk")
    # Never a field this clerk already has open (in another tab), and a skipped field only after
    # its skip timed out (REVIEW_SKIP_S) or when the clerk opens it from the list.
    held = tuple(queries.held_by(request.user).values_list("pk", flat=True))
    skipped = _live_skips(request)
    field = services.claim_next(request.user, exclude=held + skipped, **filters)
    if field is None:
        if skipped and queries.open_fields(**filters).filter(pk__in=skipped).exists():
            messages.info(request, _("Only fields you skipped are left; open one from the list."))
        elif held:
            messages.info(request, _("Only the fields you have open in another window are left."))
        else:
            messages.success(request, _("The queue is empty. Nothing left to review."))
        return redirect("queue")
    query = _filter_query(filters)
    return redirect(reverse("review-field", args=[field.pk]) + (f"?{query}" if query else ""))


class ReviewView(ClerkMixin, TemplateView):
    template_name = "reviews/review.html"

    def get(self, request, *args, **kwargs):
        field = get_object_or_404(Field, pk=kwargs["pk"])
        correcting = self._correcting()
        if field.status == Field.Status.NEEDS_REVIEW or correcting:
            try:
                services.claim(field.pk, request.user, correcting=correcting)
            except ReviewError as exc:
                messages.warning(request, exc.message)
                return redirect("queue")
        return super().get(request, *args, **kwargs)

    def _correcting(self) -> bool:
        """Opened from the document page to correct it, or walking the whole document."""
        return self.request.GET.get("correct") == "1" or self.request.GET.get("walk", "") != ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        field = get_object_or_404(
            Field.objects.select_related(
                "document__document_type", "spec", "page", "model_version"
            ),
            pk=kwargs["pk"],
        )
        chars = list(field.value)
        # A blind second check shows nothing that says the value was accepted automatically.
        blind = field.awaiting_second_check
        confs = field.char_confidences if len(field.char_confidences) == len(chars) else []
        if blind:
            confs = []
        ctx.update(
            field=field,
            blind=blind,
            editable=field.status == Field.Status.NEEDS_REVIEW or self._correcting(),
            chars=[(c, confs[i] if confs else None) for i, c in enumerate(chars)],
            others=field.document.fields.exclude(pk=field.pk).select_related("spec"),
            filters=_filters(self.request),
            lease_s=services.lease().total_seconds(),
            claimed_at=services.held_since(field.pk, self.request.user),
            opened_at=time.time(),
            # What this clerk can still take from the queue as filtered, after this field.
            queue_left=queries.takeable(
                {k: v for k, v in _filters(self.request).items() if k != "walk"},
                skipped=_live_skips(self.request),
            ),
        )
        return ctx


@login_required
@require_POST
def decide(request, pk: int):
    _require_clerk(request)
    try:
        data = _json_body(request)
        version = int(data.get("version", 0))
        seconds = float(data["seconds"]) if data.get("seconds") is not None else None
    except (ValueError, TypeError):
        return json_error(
            "invalid", _("Send JSON with value, version (a number) and seconds (a number)."), 400
        )
    try:
        decision = services.decide(
            pk,
            request.user,
            str(data.get("value", "")),
            version=version,
            seconds=seconds,
            override_reason=str(data.get("override_reason", "")),
        )
    except ReviewError as exc:
        return json_domain_error(exc)
    except Field.DoesNotExist:
        return json_error("not_found", _("No such field."), 404)
    return JsonResponse(
        {
            "status": decision.status,
            "document_completed": decision.document_completed,
            "version": decision.field.version,
        }
    )


@login_required
@require_POST
def check(request, pk: int):
    _require_clerk(request)
    field = get_object_or_404(Field.objects.select_related("spec", "document"), pk=pk)
    try:
        data = _json_body(request)
    except ValueError:
        return json_error("invalid", _("Send JSON with the value to check."), 400)
    return JsonResponse({"failures": services.check_value(field, str(data.get("value", "")))})


def _json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; ValueError for anything else (bad JSON, a list, a number)."""
    data = json.loads(request.body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


@login_required
@require_POST
def heartbeat(request, pk: int):
    _require_clerk(request)
    alive = services.heartbeat(pk, request.user)
    return JsonResponse({"alive": alive}, status=200 if alive else 409)


@login_required
@require_POST
def release(request, pk: int):
    """The review page's ``pagehide`` beacon; ``claimed`` names the hold its page opened with."""
    _require_clerk(request)
    stamp = request.POST.get("claimed", "")
    try:
        claimed_at = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return json_error("invalid", _("claimed is not a date and time."), 400)
    services.release(pk, request.user, claimed_at=claimed_at)
    return JsonResponse({"released": True})


@login_required
@require_POST
def skip(request, pk: int):
    _require_clerk(request)
    services.release(pk, request.user)
    skips = {k: v for k, v in _skips(request).items()}
    skips[str(pk)] = time.time()
    request.session[SKIPPED] = dict(sorted(skips.items(), key=lambda kv: kv[1])[-200:])
    return next_field(request)


def _skips(request: HttpRequest) -> dict[str, float]:
    """Fields this clerk skipped, with when (older sessions kept a plain list: start afresh)."""
    stored = request.session.get(SKIPPED, {})
    return stored if isinstance(stored, dict) else {}


def _live_skips(request: HttpRequest) -> tuple[int, ...]:
    cutoff = time.time() - settings.REVIEW_SKIP_S
    return tuple(int(pk) for pk, at in _skips(request).items() if at >= cutoff)


@login_required
@require_POST
def force_release(request, pk: int):
    if not is_supervisor(request.user):
        raise PermissionDenied
    if services.force_release(pk, request.user):
        messages.success(request, _("Field released back to the queue."))
    return redirect("queue")


class DashboardView(RoleMixin, TemplateView):
    template_name = "reviews/dashboard.html"

    def test_func(self) -> bool:
        return is_supervisor(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        days = dashboard.days_param(self.request.GET.get("days"))
        ctx.update(dashboard.summary(days=days))
        ctx["error_rates"] = error_rates.error_rates(days=days)
        ctx["holders"] = (
            Claim.objects.filter(locked_until__gt=timezone.now())
            .values("user__username")
            .annotate(n=Count("field"))
        )
        return ctx


class SecondChecksView(RoleMixin, ListView):
    """The checks behind one error-rate figure of the dashboard, newest decision first."""

    template_name = "reviews/second_checks.html"
    context_object_name = "checks"
    paginate_by = 50

    def test_func(self) -> bool:
        return is_supervisor(self.request.user)

    def get_queryset(self):
        return error_rates.checks_behind(self.request.GET)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["outcomes"] = SecondCheck.Outcome.choices
        ctx["query"] = self.request.GET.copy()
        ctx["query"].pop("page", None)
        return ctx
