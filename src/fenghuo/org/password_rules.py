"""Password policy (issue 18 item 1): pure rules, no I/O.

Sources: GB/T 22239-2019 (等保 2.0) 8.1.4.1 a) "身份鉴别信息具有复杂度要求并定期更换"
(identification information has complexity requirements); OWASP ASVS 4.0 V2.1.1 (at least
12 characters), V2.1.7 (refuse the most common passwords, those found in breaches) and NIST
SP 800-63B §5.1.1.2 (refuse "repetitive or sequential characters" and "context-specific
words, such as the name of the service, the username"). Composition rules (one digit, one
capital…) are deliberately not asked for (ASVS V2.1.9).

The list of common passwords is data the caller passes in (``org.passwords`` loads the list the
package ships); these functions only compare.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

#: ASVS V2.1.1: at least 12 characters (the setting ``password_min_length`` may ask more)
DEFAULT_MIN_LENGTH = 12
#: ASVS V2.1.2: at least 64 characters allowed; the schemas allow 200
MAX_LENGTH = 200
#: rows of keys and runs of characters that people type in order (NIST SP 800-63B §5.1.1.2
#: "sequential characters"); a password inside one of them, forwards or backwards, is refused
RUNS = (
    "01234567890123456789",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "1234567890abcdefghijklmnopqrstuvwxyz",
    "1234567890qwertyuiopasdfghjklzxcvbnm",
    "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./",
    "~!@#$%^&*()_+qwertyuiop{}|asdfghjkl:\"zxcvbnm<>?",
    "!@#$%^&*()_+",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
    "q1w2e3r4t5y6u7i8o9p0",
    "1q2w3e4r5t6y7u8i9o0p",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
)
#: a password made of one short piece said again and again ("abcabcabcabc") is refused
MAX_REPEATED_UNIT = 4
#: digits and signs people put after (or before) a common word: "iloveyou2026!" is "iloveyou"
_AFFIX = "0123456789!@#$%^&*()-_=+.?~ "


@dataclass(frozen=True)
class Problem:
    """Why a password is refused: a stable code and the message for the ``password`` field."""

    code: str
    message: str


def _is_run(text: str) -> bool:
    """Inside a keyboard row or an alphabetic/numeric run, or an arithmetic progression of
    characters with a step of at most 2 ("aaaa", "acegik", "97531")."""
    if len(text) < 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    if len(steps) == 1 and abs(next(iter(steps))) <= 2:
        return True
    return any(text in run or text in run[::-1] for run in RUNS)


def _repeats_a_short_unit(text: str) -> bool:
    for size in range(1, MAX_REPEATED_UNIT + 1):
        if len(text) >= 2 * size and len(text) % size == 0 and text[:size] * (
                len(text) // size) == text:
            return True
    return False


def core(password: str) -> str:
    """The password without the digits and signs around it, lower case: what is compared
    with the common passwords as well as the whole password."""
    return password.casefold().strip(_AFFIX)


def problems(password: str, *, username: str | None, min_length: int = DEFAULT_MIN_LENGTH,
             common: Collection[str] = ()) -> list[Problem]:
    """Everything wrong with ``password`` for the user ``username``; empty when it is fine.
    ``common`` holds the common passwords in lower case."""
    found: list[Problem] = []
    if len(password) < min_length:
        found.append(Problem("too_short", f"at least {min_length} characters"))
    if len(password) > MAX_LENGTH:
        found.append(Problem("too_long", f"at most {MAX_LENGTH} characters"))
    folded = password.casefold()
    if folded and (_repeats_a_short_unit(folded) or _is_run(folded)):
        found.append(Problem("trivial", "is one character repeated or a trivial sequence "
                                        "(like aaaaaaaaaaaa or 1234567890ab)"))
    elif folded in common or (len(core(password)) >= 4 and core(password) in common):
        found.append(Problem("common", "is one of the most common passwords (or one with "
                                       "digits or signs added)"))
    name = (username or "").casefold()
    if len(name) >= 3 and (name in folded or name[::-1] in folded):
        found.append(Problem("contains_username", "must not contain the username"))
    return found
