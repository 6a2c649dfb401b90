"""Every message a rule or the review routing gives, in English, with ``{name}`` placeholders.

A review reason is stored as its code, this English template and the parameters, so each reader
sees it in their own language (``documents.reasons.reason_text`` translates the template with
Django's catalogue and fills it in), rows written yesterday included. The module stays pure:
:func:`gettext_noop` only marks a string for ``makemessages``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def gettext_noop(message: str) -> str:
    """Marks ``message`` for translation (``makemessages`` extracts calls of this name)."""
    return message


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template`` with each ``{name}`` replaced by ``params[name]``; unknown names stay as they
    are, so an admin's own message with braces in it is shown unchanged."""
    return _PLACEHOLDER.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], template)


def reason(code: str, template: str, params: Mapping[str, str] | None = None) -> dict[str, object]:
    """A review reason as stored on a field: code, English message, template and parameters."""
    params = dict(params or {})
    return {"code": code, "message": fill(template, params), "template": template, "params": params}


def quoted(value: str) -> str:
    """A value as messages quote it."""
    return repr(value)


REQUIRED = gettext_noop("This field is required but is empty.")
NOT_FOUND = gettext_noop("“{label}” was not found on the document.")
LOW_CONFIDENCE = gettext_noop(
    "Recognition confidence {confidence} is below the threshold {threshold}."
)
LOW_CONFIDENCE_LOWERED = gettext_noop(
    "Recognition confidence {confidence}, lowered to {effective} by rule failures, is below the "
    "threshold {threshold}."
)
SECOND_CHECK = gettext_noop("Check this value against the image.")

REGEX = gettext_noop("{value} does not have the expected form.")
LENGTH_EXACTLY = gettext_noop("Expected exactly {wanted} characters; {n} were read.")
LENGTH_AT_LEAST = gettext_noop("Expected at least {wanted} characters; {n} were read.")
LENGTH_AT_MOST = gettext_noop("Expected at most {wanted} characters; {n} were read.")
LENGTH_BETWEEN = gettext_noop("Expected {min} to {max} characters; {n} were read.")
CHOICES = gettext_noop("{value} is not one of the allowed values: {allowed}.")
PHONE_FORMAT = gettext_noop(
    "{value} is not a mobile number (11 digits starting 13-19) or a landline with area code "
    "(010-12345678)."
)
ACCOUNT_FORMAT = gettext_noop("An account number is {min} to {max} digits; {value} was read.")
ACCOUNT_LUHN = gettext_noop(
    "The card number fails its check digit: the last digit should be {expected}, but {read} was "
    "read."
)

ID_LENGTH = gettext_noop("An ID number has 18 characters; {n} were read.")
ID_FORMAT = gettext_noop("An ID number is 17 digits followed by a digit or X.")
ID_REGION = gettext_noop("An ID number cannot start with 0.")
ID_BIRTH_NOT_A_DATE = gettext_noop("The birth date {date} in the ID number is not a calendar date.")
ID_BIRTH_BEFORE_1900 = gettext_noop("The birth year {year} in the ID number is before 1900.")
ID_BIRTH_FUTURE = gettext_noop("The birth date {date} in the ID number is in the future.")
CHECK_CHARACTER = gettext_noop("The check character should be {expected}, but {read} was read.")
CREDIT_CODE_LENGTH = gettext_noop("A credit code has 18 characters; {n} were read.")
CREDIT_CODE_CHARSET = gettext_noop(
    "A credit code never contains {chars} (only digits and capitals other than I, O, S, V, Z)."
)

DATE_FORMAT = gettext_noop("{value} is not a date such as 2024-03-07 or 2024年3月7日.")
DATE_FUTURE = gettext_noop("The date {date} is in the future (today is {today}).")
DATE_TOO_FAR_AHEAD = gettext_noop(
    "The date {date} is more than {days} days ahead (today is {today})."
)
DATE_RANGE = gettext_noop("The date {date} is outside the allowed range {low} to {high}.")

AMOUNT_FORMAT = gettext_noop("{value} is not an amount such as 8,650.00 or 8650.00.")
AMOUNT_BELOW = gettext_noop("The amount {amount} is below the minimum {bound}.")
AMOUNT_ABOVE = gettext_noop("The amount {amount} is above the maximum {bound}.")
AMOUNT_WORDS_FORMAT = gettext_noop(
    "{value} is not an amount in Chinese capitals such as 捌仟陆佰伍拾元整."
)
AMOUNT_WORDS_MISMATCH = gettext_noop(
    "The amount in words reads {words_amount} ({value}), but the amount in figures is {figures}."
)

LABEL_COLON_INSIDE = gettext_noop(
    "{value} contains a colon: printed label text, not a value; the value was probably taken "
    "from the wrong place."
)
LABEL_WORDS_INSIDE = gettext_noop(
    "{value} contains {words}: printed label text, not a value; the value was probably taken "
    "from the wrong place."
)
COMPANY_SUFFIX = gettext_noop("{value} does not end in a legal form such as 有限公司 or SDN BHD.")
PERSON_NAME_FORMAT = gettext_noop(
    "{value} is not a person's name (2-4 Chinese characters or Latin letters)."
)
ADDRESS_LENGTH = gettext_noop("An address has at least {min} characters; {value} was read.")
ADDRESS_FORMAT = gettext_noop("{value} names no province, city, street or house number.")

SUM_MISMATCH_UNNAMED = gettext_noop("The total ({amount}) is not the sum of {parts} ({sum}).")
SUM_MISMATCH = gettext_noop("{total} ({amount}) is not the sum of this field and {parts} ({sum}).")
AMOUNT_MISMATCH = gettext_noop("{amount} differs from {field} ({other}).")
SAME_AS_OTHER_FIELD = gettext_noop(
    "{value} is also the value of {field}; one of them was read from the wrong place."
)

TEMPLATES: tuple[str, ...] = tuple(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    # split() alternates literal text and placeholder names.
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex + r"\Z", re.S)


_PATTERNS = [(template, _pattern(template)) for template in TEMPLATES]


def parse(message: str) -> tuple[str, dict[str, str]] | None:
    """The template and parameters an English ``message`` was made from (reasons stored before
    they carried their template), or None when no template fits. Where several fit ("{value}
    contains {words}: ..." also fits the colon message), the one with the most fixed text wins."""
    found = [
        (len(_PLACEHOLDER.sub("", template)), template, match.groupdict())
        for template, pattern in _PATTERNS
        if (match := pattern.match(message))
    ]
    if not found:
        return None
    _, template, params = max(found, key=lambda f: f[0])
    return template, params
