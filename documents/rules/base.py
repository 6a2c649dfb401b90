"""Rule engine core: results, the rule registry, configuration and review routing (pure).

A FieldSpec stores its extra rules as JSON, e.g.::

    {"rules": [{"rule": "regex", "pattern": "^\\d{12}$", "message": "12 digits"},
               {"rule": "length", "min": 8, "max": 8}]}

:func:`build_rules` turns that into rule objects on top of the defaults of the field's kind,
:func:`run_rules` applies them, :func:`needs_review` decides whether a clerk must look.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, ClassVar, TypeVar

from documents.rules import messages
from documents.rules.normalize import normalize_value
from documents.rules.options import RuleConfigError

REASON_MISSING = "missing"
REASON_LOW_CONFIDENCE = "low_confidence"
# An auto-accepted field drawn for a blind second check (documents.second_checks).
REASON_SECOND_CHECK = "second_check"

# Rules every field of a kind gets; "required" is in every list and only fails when
# FieldContext.required is set.
DEFAULT_RULES: Mapping[str, tuple[str, ...]] = {
    "text": ("required",),
    "name": ("required", "person_name"),
    "company": ("required", "company_name"),
    "address": ("required", "address"),
    # Document numbers have no shared shape across bill types; configure a regex per FieldSpec.
    "number": ("required",),
    "id_number": ("required", "id_number"),
    "credit_code": ("required", "credit_code"),
    "amount": ("required", "amount"),
    "amount_in_words": ("required", "amount_in_words"),
    "date": ("required", "date"),
    "account": ("required", "account"),
    "bank_card": ("required", "account"),
    "phone": ("required", "phone"),
}
KINDS: tuple[str, ...] = tuple(DEFAULT_RULES)


@dataclass(frozen=True)
class RuleFailure:
    """A failed check: its code, an English template from :mod:`.messages` (or an admin's own
    message) and the parameters that fill it, so readers get it in their own language."""

    code: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    # Multiplies the recognition confidence before it is compared with the review threshold.
    confidence_factor: float = 1.0

    @property
    def message(self) -> str:
        return messages.fill(self.template, self.params)

    def as_reason(self) -> dict[str, Any]:
        """The JSON stored in a field's review reasons and returned by the API."""
        return messages.reason(self.code, self.template, self.params)


@dataclass(frozen=True)
class FieldContext:
    """What a rule may look at besides the value itself."""

    kind: str
    required: bool = False
    other_values: Mapping[str, str] = field(default_factory=dict)
    today: date | None = None

    def current_date(self) -> date:
        return self.today or date.today()


@dataclass(frozen=True)
class RuleOutcome:
    failures: tuple[RuleFailure, ...]
    confidence_factor: float
    normalized: str
    # Product of the residual error shares of the checks that verified the value (a checksum that
    # holds, two fields that agree): 1.0 when nothing vouched for it. See :func:`needs_review`.
    residual_error: float = 1.0

    @property
    def passed(self) -> bool:
        return not self.failures


class Rule(ABC):
    """One check. Subclasses are frozen dataclasses whose fields are the JSON options.

    ``check`` gets the value after :func:`normalize_value` and is only called for empty values
    when ``checks_empty`` is set. ``normalize`` returns the canonical form of a value the rule
    understands (ISO date, uppercase check character) and the value unchanged otherwise.
    """

    code: ClassVar[str]
    checks_empty: ClassVar[bool] = False

    @abstractmethod
    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]: ...

    def normalize(self, value: str) -> str:
        return value

    def vouch(self, value: str, ctx: FieldContext) -> float | None:
        """When this check *verified* ``value`` (a check digit that holds, a second field that
        agrees), the share of reading errors that could still pass it; None when it verified
        nothing. Only rules configured with a ``residual_error`` vouch."""
        return None


RULES: dict[str, type[Rule]] = {}
_R = TypeVar("_R", bound=type[Rule])


def register(cls: _R) -> _R:
    """Class decorator adding a rule to RULES under its ``code``, the name used in configs."""
    existing = RULES.get(cls.code)
    # The same class seen again (a module reload) is fine; two classes sharing a name are not.
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"rule name {cls.code!r} used by {existing.__name__} and {cls.__name__}")
    RULES[cls.code] = cls
    return cls


def rule_from_config(entry: Any) -> Rule:
    """One ``{"rule": name, **options}`` entry → a rule; RuleConfigError names what is wrong."""
    if not isinstance(entry, Mapping):
        raise RuleConfigError(f"each rule must be an object, got {entry!r}")
    name = entry.get("rule")
    if not isinstance(name, str) or name not in RULES:
        known = ", ".join(sorted(RULES))
        raise RuleConfigError(f"unknown rule {name!r}; known rules: {known}")
    cls = RULES[name]
    options = {k: v for k, v in entry.items() if k != "rule"}
    allowed = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise RuleConfigError(
            f"rule {name!r} has no option {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(allowed)) or 'none'}"
        )
    try:
        return cls(**options)
    except ValueError as exc:
        raise RuleConfigError(f"rule {name!r}: {exc}") from exc


def _rules_from_config(config: Mapping[str, Any] | None) -> list[Rule]:
    if config is None:
        return []
    if not isinstance(config, Mapping):
        raise RuleConfigError(
            f'configuration must be an object like {{"rules": [...]}}, not {config!r}'
        )
    unknown = sorted(set(config) - {"rules"})
    if unknown:
        raise RuleConfigError(f"unknown configuration key(s) {', '.join(map(repr, unknown))}")
    entries = config.get("rules", [])
    if not isinstance(entries, list):
        raise RuleConfigError(f'"rules" must be a list, got {entries!r}')
    rules = []
    for i, entry in enumerate(entries):
        try:
            rules.append(rule_from_config(entry))
        except ValueError as exc:
            raise RuleConfigError(f"rules[{i}]: {exc}") from exc
    return rules


def validate_config(config: Mapping[str, Any] | None) -> None:
    """Raise RuleConfigError (a ValueError) if ``config`` cannot be used; for the admin form.

    The message says where and what, e.g.
    ``rules[1]: rule 'regex': invalid pattern '(': missing ), unterminated subpattern ...``.
    """
    _rules_from_config(config)


def build_rules(kind: str, config: Mapping[str, Any] | None = None) -> list[Rule]:
    """The default rules of ``kind``, then the configured ones.

    A configured rule with the same name as a default replaces it, which is how an admin changes
    a default's options (``{"rule": "account", "luhn": true}``); other configured rules are added.
    """
    if kind not in DEFAULT_RULES:
        raise ValueError(f"unknown field kind {kind!r}; known kinds: {', '.join(KINDS)}")
    configured = _rules_from_config(config)
    replaced = {rule.code for rule in configured}
    defaults = [RULES[code]() for code in DEFAULT_RULES[kind] if code not in replaced]
    return defaults + configured


def run_rules(value: str, ctx: FieldContext, rules: Sequence[Rule]) -> RuleOutcome:
    """Check ``value`` with every rule; rules see the value after :func:`normalize_value`."""
    folded = normalize_value(value, ctx.kind)
    failures: list[RuleFailure] = []
    normalized = folded
    residual = 1.0
    for rule in rules:
        if folded or rule.checks_empty:
            found = rule.check(folded, ctx)
            failures.extend(found)
            share = rule.vouch(folded, ctx) if folded and not found else None
            if share is not None:
                residual *= share
        if folded:
            normalized = rule.normalize(normalized)
    factor = math.prod((f.confidence_factor for f in failures), start=1.0)
    return RuleOutcome(
        failures=tuple(failures),
        confidence_factor=factor,
        normalized=normalized,
        residual_error=1.0 if failures else residual,
    )


def needs_review(confidence: float, threshold: float, outcome: RuleOutcome) -> list[dict[str, Any]]:
    """Review reasons as JSON-able dicts; an empty list means the field is auto-accepted.

    A confidence that is not a finite number (NaN from a broken model) always needs review,
    because NaN compares false with any threshold and would otherwise slip through; its
    ``confidence`` is then None, since NaN is not valid JSON (PostgreSQL jsonb rejects it).

    A value that checks verified is wrong only if the reading was wrong *and* the error slipped
    past them, so its chance of error ``1 - confidence`` is multiplied by their residual error
    share (``RuleOutcome.residual_error``): a credit code whose check character holds needs less
    confidence than a name that nothing can check.
    """
    reasons: list[dict[str, Any]] = []
    effective = confidence * outcome.confidence_factor
    if outcome.residual_error < 1.0 and math.isfinite(effective):
        effective = 1.0 - (1.0 - effective) * outcome.residual_error
    if not math.isfinite(effective) or effective < threshold:
        params = {"confidence": f"{confidence:.2f}", "threshold": f"{threshold:.2f}"}
        template = messages.LOW_CONFIDENCE
        if outcome.confidence_factor != 1.0:
            template = messages.LOW_CONFIDENCE_LOWERED
            params["effective"] = f"{effective:.2f}"
        reasons.append(
            {
                "code": REASON_LOW_CONFIDENCE,
                "message": messages.fill(template, params),
                "template": template,
                "params": params,
                "confidence": confidence if math.isfinite(confidence) else None,
                "threshold": threshold,
            }
        )
    reasons.extend(f.as_reason() for f in outcome.failures)
    return reasons
