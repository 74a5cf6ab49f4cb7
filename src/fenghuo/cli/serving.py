"""``fenghuo serve`` and ``fenghuo worker``: the server and the delivery worker."""

from __future__ import annotations

import signal
from typing import Annotated

import typer
from rich.panel import Panel

from fenghuo import bootstrap
from fenghuo.cli.common import _runtime, out
from fenghuo.config import Settings
from fenghuo.workers.dispatch import Worker


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    processes: Annotated[int, typer.Option(min=1, max=64, help="Server processes (PostgreSQL)")]
    = 1,
) -> None:
    """Migrate, seed the reference data, create the first administrator if none, and serve."""
    settings = Settings()
    rt = bootstrap.build(settings)
    bootstrap.upgrade_and_seed(rt)
    first = bootstrap.ensure_first_admin(rt)
    host, port = host or settings.host, port or settings.port
    url = f"http://{host}:{port}"
    if first:
        out.print(Panel.fit(
            f"First administrator created (shown once):\n\n  username: [bold]{first.username}[/]"
            f"\n  password: [bold]{first.password}[/]\n\nOpen {url}/docs, press [bold]Authorize"
            "[/] and log in.\nChange the password with `fenghuo user passwd admin`.",
            title="Fenghuo 烽火", border_style="green"))
    out.print(f"Database: {settings.resolved_database_url().split('@')[-1]}")
    out.print(f"API docs: {url}/docs")
    from fenghuo import server  # the web stack loads only for `serve`

    server.run(rt, host=host, port=port, processes=processes)



def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due, sweep clocks, exit")] = False,
) -> None:
    """Deliver the outbox (email, webhooks, robots) and flag overdue clocks. Several workers may
    run against one PostgreSQL database."""
    rt = _runtime()
    w = Worker.from_runtime(rt)
    if once:
        sent = 0
        while (n := w.deliver_once()) > 0:
            sent += n
        overdue = w.sweep_if_due()
        out.print(f"attempted {sent} deliveries; flagged {overdue} overdue clocks")
        return
    out.print(f"worker running on {rt.settings.resolved_database_url().split('@')[-1]}; "
              "Ctrl-C stops it")
    signal.signal(signal.SIGTERM, lambda *_: w.stop())
    try:
        w.run()
    except KeyboardInterrupt:
        w.stop()
