"""Check characters of Chinese identifiers and bank cards (pure, no Django).

GB 11643-1999 (resident ID, MOD 11-2), GB 32100-2015 (unified social credit code, MOD 31) and the
Luhn algorithm (ISO/IEC 7812, most UnionPay cards). Both the rule engine and the synthetic data
generators use these, so a generated value always passes its rule.
"""

from __future__ import annotations

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_ascii_digits(text: str) -> bool:
    """``str.isdigit`` also accepts fullwidth digits and superscripts such as ``²``."""
    return text.isascii() and text.isdigit()


def gb11643_check_digit(first17: str) -> str:
    """Check character of an 18-character resident ID number from its first 17 digits."""
    if len(first17) != 17 or not is_ascii_digits(first17):
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def gb11643_valid(number: str) -> bool:
    number = number.upper()
    return (
        len(number) == 18
        and is_ascii_digits(number[:17])
        and gb11643_check_digit(number[:17]) == number[17]
    )


def uscc_check_char(first17: str) -> str:
    """Check character of an 18-character unified social credit code from its first 17."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("need 17 characters of the USCC alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    code = code.upper()
    return (
        len(code) == 18
        and all(c in USCC_ALPHABET for c in code)
        and uscc_check_char(code[:17]) == code[17]
    )


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass the Luhn check."""
    if not is_ascii_digits(partial):
        raise ValueError("need digits")
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return (
        len(number) >= 2 and is_ascii_digits(number) and luhn_check_digit(number[:-1]) == number[-1]
    )
