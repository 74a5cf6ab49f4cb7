"""Where machine ingest's CPU goes, stage by stage, without a database (issue 15): the chunk
reader (lines cut and joined once for the raw pieces, keys hashed), the Suricata fast path
with windowing and attribution (``ingest._prepare``), the binary COPY rows and aggregation
(one aggregator per group of ``chunking.GROUP_CHUNKS`` chunks, as a transaction has).

    python bench/ingest_stages.py --events 500000 [--chunk 50000] [--decoder msgspec]

Prints microseconds per event for each stage and events per CPU second in all. The figures are
CPU time of this process (``time.process_time``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from monitoring_data import eve_alerts, make_register  # noqa: E402

from fenghuo.monitoring import chunking, fast, ingest, pgcopy, pipeline  # noqa: E402
from fenghuo.monitoring.constituency import (  # noqa: E402
    AttributionIndex,
    Entry,
    EntryKind,
    Role,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _index(reg, bodies: int) -> AttributionIndex:  # noqa: ANN001
    """The register's owners mapped onto ``bodies`` bodies, as bench/ingest.py maps them onto
    the seeded ones."""
    return AttributionIndex(
        [Entry(EntryKind.PREFIX, v, Role.OWNER, o % bodies + 1) for v, o in reg.prefixes]
        + [Entry(EntryKind.DOMAIN, v, Role.OWNER, o % bodies + 1) for v, o in reg.domains])


def _timed(stage: dict[str, float], name: str, fn, *args):  # noqa: ANN001, ANN202
    start = time.process_time()
    result = fn(*args)
    stage[name] += time.process_time() - start
    return result


def _read(stage: dict[str, float], chunks):  # noqa: ANN001, ANN202
    """The chunks, the time to read each counted as "read"."""
    while (c := _timed(stage, "read", next, chunks, None)) is not None:
        yield c


def run(events: int, chunk: int, bodies: int = 100) -> dict[str, float]:
    reg = make_register()
    index = _index(reg, bodies)
    stage = dict.fromkeys(("read", "prepare", "copy rows", "aggregate"), 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "eve.json"
        with path.open("wb") as out:
            for line in eve_alerts(events, reg):
                out.write(line)
        total = time.process_time()
        with path.open("rb") as fp:
            chunks = chunking.line_chunks(fp, "bench", chunk_lines=chunk)
            for group in chunking.groups(_read(stage, chunks)):
                agg = pipeline.Aggregator()  # one a group, as a transaction has
                for c in group:
                    p = _timed(stage, "prepare", ingest._prepare, "suricata", "bench", c, NOW,
                               index)
                    _timed(stage, "copy rows", pgcopy.rows, p.cols, p.att, 1, 1)
                    _timed(stage, "aggregate", agg.add, p.cols, p.att)
                _timed(stage, "aggregate", agg.rows)
        stage["all"] = time.process_time() - total
    return stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--chunk", type=int, default=chunking.CHUNK_LINES)
    ap.add_argument("--decoder", choices=("compiled", "msgspec"), default="compiled",
                    help="the fast path's decoder (msgspec: as where no C compiler was found)")
    args = ap.parse_args()
    if args.decoder == "msgspec":
        fast._eve = None
    elif fast._eve is None:
        sys.exit("the compiled EVE decoder was not built (pip install -e . needs gcc)")
    stage = run(args.events, args.chunk)
    for name, seconds in stage.items():
        print(f"{name:11s} {seconds / args.events * 1e6:6.2f} µs per event")
    print(f"{args.events / stage['all']:,.0f} events per CPU second (no database)")


if __name__ == "__main__":
    main()
