"""``fenghuo ingest-worker``: takes in what ``fenghuo ingest --via nats`` (or any publisher of
the same messages) put on the NATS JetStream stream. Run as many as the load needs, on as many
machines; they share one durable consumer (issue 15 item 5)."""

from __future__ import annotations

from typing import Annotated

import typer

from fenghuo.cli.common import _runtime, out
from fenghuo.monitoring import stream


def ingest_worker(
    batch: Annotated[int | None, typer.Option(min=1, max=1000, help="Messages fetched and taken "
                                              "in per transaction (default: "
                                              "FENGHUO_INGEST_WORKER_BATCH, 20)")] = None,
    once: Annotated[bool, typer.Option(help="Take in what the stream holds, then exit")] = False,
) -> None:
    """Take in the events published to the NATS JetStream stream, a batch per transaction,
    acked after the commit; several workers may run at once. SIGTERM stops a worker after the
    batch in hand; one killed outright loses nothing (its messages come again) and counts
    nothing twice (the batch ledger)."""
    rt = _runtime()
    s = rt.settings
    out.print(f"ingest worker: stream {s.nats_stream} at {s.nats_url}, consumer "
              f"{s.nats_consumer}, database {s.resolved_database_url().split('@')[-1]}",
              soft_wrap=True)
    t = stream.run_worker(rt.uow, rt.clock, s, batch=batch, once=once)
    out.print(f"{t.messages} messages: {t.batches} batches taken in ({t.events} events), "
              f"{t.duplicates} already taken in, {t.redelivered} redelivered, {t.failed} failed "
              f"(delivered again later), {t.bad} unreadable; lag at its last batch "
              f"{t.pending} messages",
              soft_wrap=True)
    rt.engine.dispose()
