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

from fenghuo.api.guard import read_body, replay
from fenghuo.db import cancel

log = logging.getLogger(__name__)


class CancelWhenGone:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # the body first (as the NUL guard reads it), so that the server's next message can
        # only be the disconnect
        buffered, body = await read_body(receive)
        receiving = replay(buffered, receive)
        if body is None:  # too large to hold (guard.MAX_INSPECTED): as it comes, unwatched
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


async def _watch(receive: Receive, answered: asyncio.Event, holder: cancel.Holder,
                 scope: Scope) -> None:
    """The body has been read: the server's next message is the disconnect."""
    message = await receive()
    if message["type"] == "http.disconnect" and not answered.is_set():
        n = holder.cancel()
        if n:
            log.info("client gone: cancelled %d running statement(s) of %s %s", n,
                     scope.get("method"), scope.get("path"))
