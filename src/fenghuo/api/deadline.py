"""A request whose client has gone away stops its database work (issue 21 item 4).

ASGI middleware: each HTTP request gets a ``db.cancel.Holder`` (the PostgreSQL connections it
checks out). Once the request's body has been read, a watcher waits for the server's
``http.disconnect``; if it comes before the answer is complete, the held connections' running
statements are cancelled (PostgreSQL's cancel request), so a query nobody waits for no longer
keeps the cores busy until its statement timeout. A statement past the timeout
(``statement_timeout_seconds``) is answered 503 naming it (``api.ops``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fenghuo.db import cancel

log = logging.getLogger(__name__)


#: a body up to this size is read before the request runs (so that the server's next message
#: can only be the disconnect); a larger one streams through, unwatched
MAX_BUFFERED = 32 * 1024 * 1024


class CancelWhenGone:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        buffered, complete = await _read_body(receive)
        replay = iter(buffered)

        async def receiving() -> Message:
            return next(replay, None) or await receive()

        if not complete:  # too large to hold: as it comes, and not watched
            await self.app(scope, receiving, send)
            return
        holder = cancel.Holder()
        token = cancel.CURRENT.set(holder)
        answered = asyncio.Event()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()
            await send(message)

        watcher = asyncio.create_task(_watch(receive, answered, holder, scope))
        try:
            await self.app(scope, receiving, sending)
        finally:
            answered.set()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            cancel.CURRENT.reset(token)


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The request's messages up to its whole body (True), or up to ``MAX_BUFFERED`` (False);
    a disconnect meanwhile is kept as the last message."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            return messages, message["type"] == "http.request"
        size += len(message.get("body", b""))
        if size > MAX_BUFFERED:
            return messages, False


async def _watch(receive: Receive, answered: asyncio.Event, holder: cancel.Holder,
                 scope: Scope) -> None:
    """The body has been read: the server's next message is the disconnect."""
    message = await receive()
    if message["type"] == "http.disconnect" and not answered.is_set():
        n = holder.cancel()
        if n:
            log.info("client gone: cancelled %d running statement(s) of %s %s", n,
                     scope.get("method"), scope.get("path"))
