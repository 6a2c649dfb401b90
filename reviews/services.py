"""Every review decision goes through here: the review page, the review API and the tests.

A clerk claims a field with a lease (``claim_next``), keeps it alive with ``heartbeat`` and
decides it with ``decide``: unchanged value → confirmed, changed value → corrected. A decision
needs a live lease and the version of the field the clerk saw, so nothing is silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from documents import events, notify, second_checks, transitions
from documents.models import HUMAN_DECIDED, Field, WebhookEvent
from documents.reasons import localized
from documents.rules import FieldContext, RuleOutcome, build_rules, fold_text, run_rules

from . import queries
from .exceptions import LeaseLost, NotUnderReview, RulesStillFail, StaleVersion
from .models import Claim


def lease() -> timedelta:
    return timedelta(seconds=settings.REVIEW_LEASE_S)


def _take(field: Field, user, now, *, any_status: bool = False) -> bool:
    """Conditional update: the claim becomes ours only if nobody holds a live lease on it (and,
    unless ``any_status``, only while the field waits for review)."""
    with transaction.atomic():
        # The field's row lock (decide holds it until it commits) makes a claim racing a decision
        # see the field decided; on PostgreSQL a join to the field in the claim's update would
        # still see it open and lease a field nobody needs to review any more.
        wanted = Field.objects.filter(pk=field.pk)
        if not any_status:
            wanted = wanted.filter(status=Field.Status.NEEDS_REVIEW)
        if not wanted.select_for_update(of=("self",)).exists():
            return False
        try:
            with transaction.atomic():
                Claim.objects.get_or_create(field=field)
        except IntegrityError:
            pass
        free = Q(locked_until__isnull=True) | Q(locked_until__lte=now) | Q(user=user)
        claims = Claim.objects.filter(free, field=field)
        return bool(claims.update(user=user, claimed_at=now, locked_until=now + lease()))


def claim_next(
    user,
    *,
    document_type: str = "",
    kind: str = "",
    reason: str = "",
    exclude: tuple[int, ...] = (),
) -> Field | None:
    """The next field for ``user`` among those the filters select: one they already hold (an API
    client retrying gets the same field back), else the oldest free one."""
    now = timezone.now()
    selected = queries.open_fields(document_type=document_type, kind=kind, reason=reason)
    held = selected.filter(pk__in=queries.held_by(user).values("pk")).exclude(pk__in=exclude)
    if held.exists():
        return held.first()
    with transaction.atomic():
        candidates = queries.unclaimed(selected).exclude(pk__in=exclude)
        # PostgreSQL: clerks asking at once skip each other's rows instead of queueing on them.
        # One row at a time: a locked batch would hide all of it from the others, who would be
        # told the queue is empty. SQLite serialises writers (BEGIN IMMEDIATE) and ignores this.
        tried: list[int] = []
        for _attempt in range(25):
            field = (
                candidates.exclude(pk__in=tried)
                .select_for_update(skip_locked=True, of=("self",))
                .first()
            )
            if field is None:
                return None
            if _take(field, user, now):
                return field
            tried.append(field.pk)
    return None


def claim(field_id: int, user, *, correcting: bool = False) -> Field:
    """Claim a given field (opening it from a link); LeaseLost if another clerk holds it.

    ``correcting``: a clerk or supervisor opens a field that was accepted automatically or already
    decided, to correct it; the same lease, decision and audit apply.
    """
    field = Field.objects.select_related("document").get(pk=field_id)
    if field.status != Field.Status.NEEDS_REVIEW and not correcting:
        raise NotUnderReview(_("This field has already been decided."))
    if correcting and field.document.status in queries.BEING_READ:
        # The worker's result would skip a leased field: its new reading would be lost.
        raise NotUnderReview(
            _("This document is being read again; correct it once recognition has finished."),
            status=field.status,
        )
    if not _take(field, user, timezone.now(), any_status=correcting):
        holder = Claim.objects.filter(field=field).select_related("user").first()
        raise LeaseLost(
            _("%(user)s is reviewing this field right now.") % {"user": holder.user}
            if holder and holder.user
            else _("Another clerk is reviewing this field right now.")
        )
    return field


def heartbeat(field_id: int, user) -> bool:
    """Extend the lease while the review page is open; False if it was lost."""
    now = timezone.now()
    return bool(
        Claim.objects.filter(field_id=field_id, user=user, locked_until__gt=now).update(
            locked_until=now + lease()
        )
    )


def held_since(field_id: int, user) -> datetime | None:
    """When ``user`` took their hold on the field (it names the hold in ``release``)."""
    return (
        Claim.objects.filter(field_id=field_id, user=user)
        .values_list("claimed_at", flat=True)
        .first()
    )


def release(field_id: int, user, *, claimed_at: datetime | None = None) -> None:
    """The clerk left or skipped the field: it goes back to the queue at once.

    ``claimed_at`` (the hold the leaving page was opened with) releases that hold only: a page
    reloaded, or re-opened in the same tab, has claimed the field afresh by the time the old page's
    release arrives, and must keep it.
    """
    held = Claim.objects.filter(field_id=field_id, user=user)
    if claimed_at is not None:
        held = held.filter(claimed_at=claimed_at)
    held.update(locked_until=None, user=None)


def force_release(field_id: int, supervisor) -> bool:
    """A supervisor takes a field back from the clerk holding it; the audit trail names whom."""
    live = Claim.objects.filter(field_id=field_id, locked_until__gt=timezone.now())
    holder = live.values_list("user__username", flat=True).first()
    released = live.update(locked_until=None, user=None)
    if released:
        field = Field.objects.select_related("document", "spec").get(pk=field_id)
        events.field_decided(
            field,
            actor=supervisor,
            kind="claim_force_released",
            before={"held_by": holder} if holder else None,
            after=None,
        )
    return bool(released)


@dataclass(frozen=True)
class Decision:
    field: Field
    status: str
    document_completed: bool


def _outcome(field: Field, value: str) -> RuleOutcome:
    spec = field.spec
    others = dict(field.document.fields.exclude(pk=field.pk).values_list("spec__key", "value"))
    ctx = FieldContext(kind=spec.kind, required=spec.required, other_values=others)
    return run_rules(value, ctx, build_rules(spec.kind, spec.rules or {}))


def check_value(field: Field, value: str) -> list[dict]:
    """Rule failures of a proposed value, shown to the clerk before saving, in their language."""
    return localized(f.as_reason() for f in _outcome(field, value).failures)


def decide(
    field_id: int,
    user,
    value: str,
    *,
    version: int,
    seconds: float | None = None,
    override_reason: str = "",
) -> Decision:
    """Accept or correct a field; refuses a lost lease, a stale version or a still-failing value.

    A field that is not waiting for review can be decided only by the clerk who opened it for a
    correction (``claim(..., correcting=True)``); the integrator hears ``document.updated`` when a
    completed document changes.
    """
    now = timezone.now()
    field = Field.objects.select_related("document", "spec", "model_version").get(pk=field_id)
    holds = Claim.objects.filter(field=field, user=user, locked_until__gt=now).exists()
    if field.status != Field.Status.NEEDS_REVIEW and not holds:
        raise NotUnderReview(
            _("This field was already decided by someone else."), status=field.status
        )
    if not holds:
        raise LeaseLost(
            _(
                "Your hold on this field expired or was released; it may be with another "
                "clerk now. Open the next field to continue."
            )
        )
    if field.version != version:
        raise StaleVersion(
            _("This field changed since you opened it. Reload to see the new value."),
            current_version=field.version,
        )
    value = fold_text(value).strip() if value else ""
    if value == field.value and field.status in HUMAN_DECIDED and not override_reason.strip():
        # A decision walked through again and left as it was (Enter on each field of a completed
        # document): nothing to write, audit or tell the integrator; the field is given back.
        release(field.pk, user)
        return Decision(field, field.status, False)
    outcome = _outcome(field, value)
    failures = [f.as_reason() for f in outcome.failures]
    if failures and not override_reason.strip():
        shown = localized(failures)
        raise RulesStillFail(
            _("The value still breaks a rule: %(rules)s")
            % {"rules": "; ".join(f["message"] for f in shown)},
            failures=shown,
        )
    if value == field.value and field.status in HUMAN_DECIDED:
        status = field.status  # confirmed again with an override reason: stays what it was
    else:
        status = Field.Status.CONFIRMED if value == field.value else Field.Status.CORRECTED
    correcting = field.status != Field.Status.NEEDS_REVIEW
    before = {
        "value": field.value,
        "raw_text": field.raw_text,
        "confidence": field.confidence,
        "status": field.status,
        "model_version": field.model_version_id,
        "reasons": field.reason_codes,
    }
    with transaction.atomic():
        changed = Field.objects.filter(pk=field.pk, version=version, status=field.status).update(
            value=value,
            normalized=outcome.normalized or value,
            status=status,
            version=F("version") + 1,
            updated_at=now,
        )
        if not changed:
            raise StaleVersion(
                _("This field changed since you opened it. Reload to see the new value.")
            )
        Claim.objects.filter(field=field).update(locked_until=None, user=None)
        field.refresh_from_db()
        second_checks.record(field, value=value, normalized=field.normalized, user=user)
        events.field_decided(
            field,
            actor=user,
            kind=f"field_{status}",
            before=before,
            after={"value": value, "status": status},
            seconds=round(seconds, 1) if seconds is not None else None,
            override_reason=override_reason.strip(),
            rule_failures=failures,
        )
        completed = transitions.complete_if_reviewed(field.document, actor=user)
        document = field.document
        document.refresh_from_db()
        if correcting and document.status == document.Status.COMPLETED:
            notify.document_changed(document, WebhookEvent.Type.UPDATED)
    return Decision(field, status, completed)
