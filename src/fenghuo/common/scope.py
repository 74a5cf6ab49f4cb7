"""The caller's place in the organization tree, as plain data (Law art. 30).

Every use case that reads or writes takes a ``Scope``; the rules deciding what is inside it live in
``fenghuo.org.rules`` and their SQL translation in ``fenghuo.org.scoping``, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    body_id: int
    #: materialized path of the jurisdiction at the root of the caller's subtree, e.g. "/1/4/"
    jurisdiction_path: str
    #: jurisdictions above the root, visible for navigation (names only, never their bodies)
    ancestor_jurisdiction_ids: frozenset[int]
    #: sector codes the caller may see; ``None`` means every sector
    sectors: frozenset[str] | None
    #: operator units and support units see only themselves
    own_body_only: bool

    @property
    def is_national(self) -> bool:
        """True for a caller whose subtree is the whole country and every sector."""
        return (
            self.jurisdiction_path.count("/") == 2
            and self.sectors is None
            and not self.own_body_only
        )


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user, acting in person or through an API token."""

    user_id: int
    username: str
    body_id: int
    roles: frozenset[str]
    scope: Scope
    token_id: int | None = None
