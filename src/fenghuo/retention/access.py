"""Who a request came from, for the HTTP access log (Law art. 21(3): who read what): the user
a bearer token or console session belongs to. A token's user never changes, so the answer is
cached by the token's hash and read from the database once per token and process."""

from __future__ import annotations

from sqlalchemy import select

from fenghuo.db.session import UnitOfWork
from fenghuo.org.accounts import hash_token
from fenghuo.org.models import ApiToken, User


def username_of(uow: UnitOfWork, token: str) -> str | None:
    """The user the token was issued to, or None for an unknown token."""
    with uow() as s:
        return s.scalar(select(User.username).join(ApiToken, ApiToken.user_id == User.id)
                        .where(ApiToken.token_hash == hash_token(token)))
