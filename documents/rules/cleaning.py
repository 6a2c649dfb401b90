"""Value cleaning, declared per field: what is cut from a located reading before rules see it.

A field spec lists its steps as JSON (``FieldSpec.cleaning``), each a name or an object with
options, applied in order after the defaults of the field's kind::

    ["strip_symbols", {"op": "remove", "pattern": "\\\\(\\\\d+-[A-Z]\\\\)$"}, "upper"]

Every step works on characters *with their confidences*, so a stripped ``¥`` or ``⊗`` no longer
lowers the value's confidence. The cleaned text is what rules check and what ``Field.value``
stores; the rules' normal form of it (``RuleOutcome.normalized``: 1234.50, 2024-03-07) is stored
as ``Field.normalized``; the reading before cleaning is ``Field.raw_text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from billtext.amounts import DIGITS
from billtext.checksums import uscc_valid
from documents.rules.normalize import fold_text, fold_width
from documents.rules.options import RuleConfigError, str_option

# Marks printed before values (⊗ before 大写 amounts, ※ and * before items) and what a reader
# makes of them.
STRAY_SYMBOLS = "⊗⊕⊙○●◎※*＊·•☆★#№:：;；,，|_-—=~>》«»"
_CURRENCY_RE = re.compile(r"^(?:RM|CNY|RMB|MYR|USD|SGD|[¥￥$€£])\s*|\s*(?:元|RM)$", re.IGNORECASE)
_WORD_CHARS = DIGITS + "拾佰仟万亿元圆角分整正"
# Letters a reader confuses with digits that a credit code never contains (GB 32100 leaves
# I, O, S, V, Z out of its alphabet).
_CODE_FOLDS = {"O": "0", "I": "1", "S": "5", "Z": "2"}
# A character changed by a fold the check character decided keeps at most this confidence:
# the check has then been used to pick the value and no longer vouches for it independently.
FOLDED_CHAR_CONFIDENCE = 0.5

Chars = list[tuple[str, float]]


@dataclass(frozen=True)
class Cleaned:
    text: str
    char_confidences: tuple[float, ...]
    steps: tuple[str, ...] = ()  # the steps that changed something, for the record


def _pairs(text: str, confidences: Sequence[float], default: float) -> Chars:
    if len(confidences) == len(text):
        return list(zip(text, confidences))
    return [(c, default) for c in text]


def _text(chars: Chars) -> str:
    return "".join(c for c, _ in chars)


def _trim(chars: Chars, drop: Callable[[str], bool], *, leading: bool, trailing: bool) -> Chars:
    start, end = 0, len(chars)
    while leading and start < end and drop(chars[start][0]):
        start += 1
    while trailing and end > start and drop(chars[end - 1][0]):
        end -= 1
    return chars[start:end]


def _keep_spans(chars: Chars, spans: Sequence[tuple[int, int]]) -> Chars:
    return [chars[i] for start, end in spans for i in range(start, end)]


def strip_symbols(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    symbols = opts.get("symbols", STRAY_SYMBOLS)
    stripped = _trim(chars, lambda c: c in symbols or c.isspace(), leading=True, trailing=False)
    return _trim(stripped, lambda c: c in symbols or c.isspace(), leading=False, trailing=True)


def strip_label(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """Cut a printed label (the field's label or aliases, or ``words``) off the start."""
    text = _text(chars)
    for word in sorted(opts.get("words", ()), key=len, reverse=True):
        folded = fold_text(word)
        if folded and fold_text(text).startswith(folded):
            return strip_symbols(chars[len(folded) :], {"symbols": " :：;；,，"})
    return chars


def words_only(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """An amount in capitals: what lies before its first numeral or after its last unit goes."""
    return _trim(chars, lambda c: c not in _WORD_CHARS, leading=True, trailing=True)


def amount(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """Currency marks (¥, ￥, RM, CNY, 元) and spaces go: ``¥ 1,234.50`` → ``1,234.50``."""
    text = _text(chars)
    previous = None
    while previous != text:
        previous = text
        text = _CURRENCY_RE.sub("", text.strip())
    start = _text(chars).find(text) if text else 0
    kept = chars[start : start + len(text)] if text else []
    return [(c, p) for c, p in kept if not c.isspace()]


def credit_code(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """Uppercase, no spaces; O/I/S/Z read for 0/1/5/2 are folded where the check character
    then holds (the checksum decides), and only then."""
    code = [(c.upper(), p) for c, p in chars if not c.isspace()]
    folded = [(_CODE_FOLDS.get(c, c), p) for c, p in code]
    if _text(folded) != _text(code) and len(folded) == 18 and uscc_valid(_text(folded)):
        return [
            (f, min(p, FOLDED_CHAR_CONFIDENCE) if f != c else p)
            for (c, p), (f, _) in zip(code, folded)
        ]
    return code


def digits_only(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """Spaces and separators inside a number go: ``0136 6232`` → ``01366232``."""
    return [(c, p) for c, p in chars if not (c.isspace() or c in "-_")]


def no_spaces(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    return [(c, p) for c, p in chars if not c.isspace()]


def upper(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    return [(c.upper(), p) for c, p in chars]


def extract(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """Keep the first match of ``pattern`` (its group ``v`` if it has one); unchanged if none."""
    m = re.search(opts["pattern"], _text(chars))
    if m is None:
        return chars
    group = "v" if "v" in m.re.groupindex else 0
    return chars[m.start(group) : m.end(group)]


def remove(chars: Chars, opts: Mapping[str, Any]) -> Chars:
    """Delete every match of ``pattern`` (a registration number after a company name …)."""
    text = _text(chars)
    kept, at = [], 0
    for m in re.finditer(opts["pattern"], text):
        kept.append((at, m.start()))
        at = m.end()
    kept.append((at, len(text)))
    return strip_symbols(_keep_spans(chars, kept), {"symbols": " "})


STEPS: dict[str, Callable[[Chars, Mapping[str, Any]], Chars]] = {
    "strip_symbols": strip_symbols,
    "strip_label": strip_label,
    "words_only": words_only,
    "amount": amount,
    "credit_code": credit_code,
    "digits_only": digits_only,
    "no_spaces": no_spaces,
    "upper": upper,
    "extract": extract,
    "remove": remove,
}
# Steps every field of a kind gets first: safe for any reading of that kind.
KIND_CLEANING: Mapping[str, tuple[str, ...]] = {"amount_in_words": ("words_only",)}
_OPTIONS = {
    "strip_symbols": {"symbols"},
    "strip_label": {"words"},
    "extract": {"pattern"},
    "remove": {"pattern"},
}


def parse_cleaning(config: Any) -> list[tuple[str, dict[str, Any]]]:
    """``FieldSpec.cleaning`` → [(step, options)]; RuleConfigError says what is wrong."""
    if config in (None, ""):
        return []
    if not isinstance(config, list):
        raise RuleConfigError(f"cleaning must be a list of steps, got {config!r}")
    steps = []
    for i, entry in enumerate(config):
        name, opts = (entry, {}) if isinstance(entry, str) else (None, entry)
        if isinstance(opts, Mapping):
            opts = dict(opts)
            name = name or opts.pop("op", None)
        if not isinstance(name, str) or name not in STEPS or not isinstance(opts, dict):
            known = ", ".join(sorted(STEPS))
            raise RuleConfigError(f"cleaning[{i}]: unknown step {entry!r}; known steps: {known}")
        unknown = sorted(set(opts) - _OPTIONS.get(name, set()))
        if unknown:
            raise RuleConfigError(f"cleaning[{i}]: step {name!r} has no option {unknown[0]!r}")
        if "pattern" in _OPTIONS.get(name, set()):
            pattern = str_option(f"cleaning[{i}].pattern", opts.get("pattern"))
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RuleConfigError(
                    f"cleaning[{i}]: invalid pattern {pattern!r}: {exc}"
                ) from None
        for key in ("symbols",):
            if key in opts:
                str_option(f"cleaning[{i}].{key}", opts[key])
        if "words" in opts and not (
            isinstance(opts["words"], list) and all(isinstance(w, str) for w in opts["words"])
        ):
            raise RuleConfigError(f"cleaning[{i}].words must be a list of strings")
        steps.append((name, opts))
    return steps


def validate_cleaning(config: Any) -> None:
    """Raise RuleConfigError (a ValueError) if ``config`` cannot be used; for the admin form."""
    parse_cleaning(config)


def clean_value(
    text: str,
    char_confidences: Sequence[float],
    kind: str,
    config: Any = None,
    *,
    labels: Sequence[str] = (),
    default_confidence: float = 0.0,
) -> Cleaned:
    """Apply the kind's default steps, then the configured ones, to one reading.

    ``labels`` (the field's label and aliases) are what ``strip_label`` cuts when it is given no
    ``words``. A step that would leave nothing keeps the reading as it was: an empty value says
    "not found", which a cleaning step must never claim.
    """
    chars = _pairs(fold_width(text), char_confidences, default_confidence)
    steps: list[tuple[str, dict[str, Any]]] = [(name, {}) for name in KIND_CLEANING.get(kind, ())]
    steps += parse_cleaning(config)
    applied = []
    for name, opts in steps:
        if name == "strip_label" and "words" not in opts:
            opts = {**opts, "words": list(labels)}
        after = STEPS[name](chars, opts)
        if after and after != chars:
            chars = after
            applied.append(name)
    chars = _trim(chars, str.isspace, leading=True, trailing=True)
    # One space for each run of whitespace, as the recognisers' folding rule writes text.
    chars = [
        (" " if c.isspace() else c, p)
        for n, (c, p) in enumerate(chars)
        if not (c.isspace() and n and chars[n - 1][0].isspace())
    ]
    return Cleaned(_text(chars), tuple(p for _, p in chars), tuple(applied))
