"""Applying the password policy (``org.password_rules``) wherever a password is set: the list of
common passwords the package ships, and the 422 that names the field and each reason.

``data/common-passwords.txt`` holds, one a line, lower case, some 5,000 passwords: first the
most common passwords of Mark Burnett's "10 million passwords" (released into the public
domain, 2015; the top of SecLists' ``10-million-password-list-top-10000.txt``), then patterns
written out for this project (leetspeak and doubled forms of the commonest words, the
commonest passwords of Chinese sites, the service's own names); the file's header says which
is which. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from sqlalchemy.orm import Session

from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.org import password_rules

#: ``Session.info`` key of the shortest password accepted (setting ``password_min_length``)
MIN_LENGTH_KEY = "fenghuo.password_min_length"


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords the package ships, in lower case (read once)."""
    text = resources.files("fenghuo.org").joinpath("data/common-passwords.txt").read_text(
        encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def min_length(s: Session | None) -> int:
    if s is None:
        return password_rules.DEFAULT_MIN_LENGTH
    return int(s.info.get(MIN_LENGTH_KEY, password_rules.DEFAULT_MIN_LENGTH))


def field_errors(password: str, *, username: str | None, session: Session | None = None,
                 field: str = "password") -> list[FieldError]:
    """What the policy says of ``password``, as errors of ``field`` (empty: accepted)."""
    found = password_rules.problems(password, username=username, min_length=min_length(session),
                                    common=common_passwords())
    return [FieldError(field, p.message) for p in found]


def check(password: str, *, username: str | None, session: Session | None = None,
          field: str = "password") -> None:
    """Refuse (422, ``ValidationFailed`` naming ``field``) a password the policy refuses."""
    errors = field_errors(password, username=username, session=session, field=field)
    if errors:
        raise ValidationFailed(errors, "the password is refused by the password policy")
