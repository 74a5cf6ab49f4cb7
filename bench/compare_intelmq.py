"""Fenghuo and IntelMQ side by side, in one run, on the same generated Suricata EVE alerts and
register (bench/monitoring_data.py): IntelMQ's file collector, an EVE parser bot, its
asn_lookup expert (pyasn over the register's prefixes) and its file output on the local Redis
(bench/intelmq_side.py), then Fenghuo's `ingest` use case into PostgreSQL (bench/ingest.py).

    python bench/compare_intelmq.py --events 200000

Prints both figures and the ratios, and one JSON line. IntelMQ is installed on first use in
its own virtual environment (--venv, default /work/intelmq-venv); its runs are slow (about
700 events/s here), so the default is 200,000 events.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import ingest as fenghuo_side  # noqa: E402
import intelmq_side  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--venv", type=Path, default=Path("/work/intelmq-venv"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        work = Path(tmp)
        work.chmod(0o777)  # IntelMQ's bots run as an unprivileged user when we are root
        theirs = intelmq_side.run(args.events, args.venv, work / "intelmq")
    ours = fenghuo_side.run(args.events, "postgresql")
    wall = ours["events_per_s"] / theirs["events_per_s"]
    cpu = ours["events_per_cpu_s"] / theirs["events_per_cpu_s"]
    print(f"IntelMQ {theirs.get('version', '')}: {theirs['events_per_s']:,.0f} events/s, "
          f"{theirs['events_per_cpu_s']:,.0f} events per CPU second (bots + Redis)")
    print(f"Fenghuo: {ours['events_per_s']:,.0f} events/s, {ours['events_per_cpu_s']:,.0f} "
          f"events per CPU second (ingest process)")
    print(f"ratio: {wall:,.0f}× the events per second, {cpu:,.0f}× the events per CPU second")
    print(json.dumps({"events": args.events, "intelmq": theirs, "fenghuo": ours,
                      "ratio_events_per_s": wall, "ratio_events_per_cpu_s": cpu}))


if __name__ == "__main__":
    main()
