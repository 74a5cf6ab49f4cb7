"""The IntelMQ side of the ingest comparison: the same EVE alerts and the same register, run
through an IntelMQ 3.5 pipeline on this machine's Redis.

    file collector -> Suricata EVE parser -> asn_lookup expert -> file output

one bot process each, started with ``intelmqctl`` the default IntelMQ way (Redis lists between
the bots, the IntelMQ process manager, file logging). The register's 100,000 prefixes are
loaded into the ``asn_lookup`` expert as a pyasn IPASN database, each prefix's owner number
standing in for its ASN, so the expert's radix-tree lookup is the longest-prefix attribution.

Runs under the fenghuo venv's python (it imports ``bench/monitoring_data.py`` for the events
and the register); everything IntelMQ runs from its own venv (``--venv``, created and filled
with pip when missing) in a self-contained ``INTELMQ_ROOT_DIR`` under ``--workdir``: nothing is
written to /etc or /opt. IntelMQ refuses to run as root, so when this script is root the
IntelMQ commands run as the user ``nobody``.

    python bench/intelmq_side.py --events 1000000

prints a human summary and, last, one JSON line. See bench/intelmq/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import monitoring_data  # noqa: E402  (bench/monitoring_data.py, beside this file)

INTELMQ_SPEC = "intelmq==3.5.*"
PIP_PACKAGES = (INTELMQ_SPEC, "pyasn", "redis", "psutil")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# IntelMQ's defaults: source/destination_pipeline_db, statistics_database
PIPELINE_DB, STATS_DB = 2, 3
PARSER_MODULE = "suricata_eve_parser"  # bench/intelmq/suricata_eve_parser.py
# --parser json: IntelMQ's stock JSON parser on the alerts converted to IntelMQ's format first
JSON_PARSER_MODULE = "intelmq.bots.parsers.json.parser"
# as in suricata_eve_parser.py (which imports intelmq, so it cannot be imported here)
CATEGORY_TYPE = {
    "A Network Trojan was Detected": "infected-system",
    "Attempted Administrator Privilege Gain": "exploit",
    "Attempted User Privilege Gain": "exploit",
    "Attempted Information Leak": "information-disclosure",
    "Detection of a Network Scan": "scanner",
}
CHUNK_SIZE = 1_000_000  # file collector: split the EVE file into reports of at most 1 MB
DEFAULT_WORKDIR = Path("/tmp/fenghuo-intelmq-bench")
# --output sql: IntelMQ's PostgreSQL output into a database of its own on the local server
PG_HOST, PG_PORT, PG_USER, PG_DATABASE = "127.0.0.1", 5432, "postgres", "fenghuo_intelmq_bench"
SAMPLE = 20_000  # output events checked against the register


class BenchError(RuntimeError):
    """A failure with a message meant for the person running the benchmark."""


# --------------------------------------------------------------------------- Redis (RESP)

class Redis:
    """Just enough of the Redis protocol for FLUSHDB, LLEN and INFO (the fenghuo venv has no
    redis client, and the benchmark should not need one)."""

    def __init__(self, db: int, host: str = REDIS_HOST, port: int = REDIS_PORT) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=30)
        except OSError as exc:
            raise BenchError(f"cannot reach Redis at {host}:{port}: {exc}") from exc
        self._file = self._sock.makefile("rb")
        self.call("SELECT", db)

    def call(self, *args: Any) -> Any:
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._sock.sendall(b"".join(parts))
        return self._reply()

    def _reply(self) -> Any:
        line = self._file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise BenchError(f"Redis error: {rest.decode()}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self._file.read(size + 2)
            return data[:-2].decode()
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise BenchError(f"unexpected Redis reply {line!r}")

    def cpu_seconds(self) -> float:
        info = self.call("INFO", "cpu")
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        return float(fields["used_cpu_sys"]) + float(fields["used_cpu_user"])

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def flush_dbs() -> None:
    for db in (PIPELINE_DB, STATS_DB):
        r = Redis(db)
        r.call("FLUSHDB")
        r.close()


# --------------------------------------------------------------------------- the IntelMQ venv

AS_ROOT = os.geteuid() == 0
NOBODY = 65534  # IntelMQ will not run as root: as root, its commands run as nobody:nogroup
BASE_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3")


def _as_bots() -> dict[str, Any]:
    """subprocess keywords that run a command as the user the bots run as."""
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []} if AS_ROOT else {}


def _runs_for_bots(python: str | Path, code: str = "pass") -> bool:
    try:
        return subprocess.run([str(python), "-c", code], capture_output=True,
                              **_as_bots()).returncode == 0
    except OSError:
        return False


def _base_python() -> str:
    """An interpreter the bots' user can run (pyenv's lives under /root, closed to nobody)."""
    candidates = [getattr(sys, "_base_executable", sys.executable), *BASE_PYTHONS]
    for cand in candidates:
        if cand and Path(cand).exists() and _runs_for_bots(cand, "import venv, ensurepip"):
            return cand
    raise BenchError("no Python with venv/ensurepip that the user nobody can run "
                     f"(tried {', '.join(candidates)}); IntelMQ will not run as root")


def ensure_venv(venv: Path, extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """Create ``venv`` with IntelMQ 3.5 and pyasn if it lacks them, and the ``extra``
    (module, pip requirement) pairs; return their versions."""
    python = venv / "bin" / "python"
    if python.exists() and not _runs_for_bots(python):
        raise BenchError(f"{venv}'s python cannot be run by the user nobody (its base "
                         "interpreter is not readable by other users, as pyenv's under /root); "
                         "IntelMQ will not run as root, so remove that venv to have it rebuilt "
                         "on a system python, or give another --venv")
    if not (venv / "bin" / "intelmqctl").exists() or not _has_module(python, "pyasn"):
        if not python.exists():
            base = _base_python()
            print(f"creating {venv} with {base} ...", file=sys.stderr)
            _check([base, "-m", "venv", str(venv)], "creating the IntelMQ venv")
        print(f"pip install {' '.join(PIP_PACKAGES)} into {venv} ...", file=sys.stderr)
        _check([str(python), "-m", "pip", "install", "--quiet", *PIP_PACKAGES],
               "installing IntelMQ with pip")
    missing = [req for module, req in extra if not _has_module(python, module)]
    if missing:
        print(f"pip install {' '.join(missing)} into {venv} ...", file=sys.stderr)
        _check([str(python), "-m", "pip", "install", "--quiet", *missing],
               f"installing {' '.join(missing)} with pip")
    out = subprocess.run(
        [str(python), "-c", "import intelmq, pyasn, redis, sys; print(intelmq.__version__, "
         "pyasn.__version__, redis.__version__, sys.version.split()[0])"],
        capture_output=True, text=True)
    if out.returncode:
        raise BenchError(f"the IntelMQ venv {venv} is not usable:\n{out.stderr}")
    intelmq, pyasn, redis, py = out.stdout.split()
    if not intelmq.startswith("3.5."):
        raise BenchError(f"{venv} holds IntelMQ {intelmq}, not 3.5.x; remove it or give --venv")
    return {"intelmq": intelmq, "pyasn": pyasn, "redis_py": redis, "python": py}


def _has_module(python: Path, module: str) -> bool:
    return python.exists() and subprocess.run(
        [str(python), "-c", f"import {module}"], capture_output=True).returncode == 0


def _check(cmd: list[str], what: str, **kw: Any) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode:
        raise BenchError(f"{what} failed ({' '.join(cmd)}):\n{proc.stdout}\n{proc.stderr}")
    return proc


# --------------------------------------------------------------------------- layout and config

class Layout:
    """The IntelMQ tree under ``workdir`` (``INTELMQ_ROOT_DIR`` = workdir/root/)."""

    def __init__(self, workdir: Path, venv: Path) -> None:
        self.workdir = workdir
        self.venv = venv
        self.root = workdir / "root"
        self.etc = self.root / "etc"
        self.log = self.root / "var" / "log"
        self.run = self.root / "var" / "run"
        self.state = self.root / "var" / "lib" / "bots"
        self.incoming = workdir / "incoming"
        self.output = workdir / "output" / "events.txt"
        self.bin = workdir / "bin"
        self.lib = workdir / "lib"
        self.asn_db = self.state / "asn_lookup" / "ipasn.dat"
        self.eve = workdir / "eve.json"
        self.converted = workdir / "eve-intelmq.json"  # --parser json: IntelMQ-format lines

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("INTELMQ_") and k not in ("VIRTUAL_ENV", "PYTHONPATH",
                                                            "PYTHONHOME")}
        env["INTELMQ_ROOT_DIR"] = str(self.root) + "/"
        env["PATH"] = f"{self.bin}:{self.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["PYTHONPATH"] = str(self.lib)
        env["HOME"] = str(self.workdir)
        return env


def bot_config(layout: Layout, chunk_size: int, output: str = "file",
               parser: str = "eve") -> dict[str, dict]:
    """runtime.yaml: the four bots, IntelMQ's defaults for everything else."""
    out_id = f"{output}-output"
    parser_id = "suricata-parser" if parser == "eve" else "json-parser"

    def bot(bot_id: str, module: str, group: str, name: str, params: dict,
            to: str | None) -> dict:
        if to:
            params = {"destination_queues": {"_default": [f"{to}-queue"]}, **params}
        return {"bot_id": bot_id, "name": name, "group": group, "module": module,
                "description": f"fenghuo ingest comparison: {name}", "enabled": True,
                "run_mode": "continuous", "parameters": params}

    return {
        "file-collector": bot(
            "file-collector", "intelmq.bots.collectors.file.collector_file", "Collector",
            "File", {"path": str(layout.incoming) + "/", "postfix": ".json",
                     "delete_file": True, "chunk_size": chunk_size,
                     "chunk_replicate_header": False, "rate_limit": 300,
                     "name": "Suricata EVE", "provider": "fenghuo-bench",
                     "code": "suricata-eve"},
            parser_id),
        parser_id: bot(
            "suricata-parser", PARSER_MODULE, "Parser", "Suricata EVE", {},
            "asn-lookup-expert") if parser == "eve" else bot(
            "json-parser", JSON_PARSER_MODULE, "Parser", "JSON", {"splitlines": True},
            "asn-lookup-expert"),
        "asn-lookup-expert": bot(
            "asn-lookup-expert", "intelmq.bots.experts.asn_lookup.expert", "Expert",
            "ASN Lookup", {"database": str(layout.asn_db),
                           "autoupdate_cached_database": False},
            out_id),
        out_id: bot(
            "file-output", "intelmq.bots.outputs.file.output", "Output", "File",
            {"file": str(layout.output), "hierarchical_output": False, "single_key": False},
            None) if output == "file" else bot(
            "sql-output", "intelmq.bots.outputs.sql.output", "Output", "SQL",
            {"engine": "postgresql", "host": PG_HOST, "port": PG_PORT, "user": PG_USER,
             "password": None, "database": PG_DATABASE, "table": "events",
             "sslmode": "prefer", "autocommit": True, "jsondict_as_string": True},
            None),
    }


def prepare(layout: Layout, events: int, chunk_size: int, output: str = "file",
            parser: str = "eve") -> dict[str, Any]:
    """Lay out the IntelMQ tree, the pyasn database and the EVE file; return facts on them."""
    marker = layout.workdir / ".intelmq-side"
    if layout.workdir.exists():
        if any(layout.workdir.iterdir()) and not marker.exists():
            raise BenchError(f"--workdir {layout.workdir} is not empty and was not made by "
                             "this script; give another one")
        shutil.rmtree(layout.workdir)
    layout.workdir.mkdir(parents=True)
    marker.touch()
    layout.workdir.chmod(0o755)
    # intelmqsetup: directories, the example runtime.yaml/harmonization.conf, state file
    _check([str(layout.venv / "bin" / "intelmqsetup"), "--skip-ownership", "--skip-api",
            "--skip-webserver", "--skip-manager"], "intelmqsetup", env=layout.env())
    for path in (layout.incoming, layout.output.parent, layout.bin, layout.lib,
                 layout.asn_db.parent):
        path.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    register = monitoring_data.make_register()
    # pyasn's IPASN text format, as pyasn.mrtx.dump_prefixes_to_file writes it
    with layout.asn_db.open("w", encoding="ascii") as out:
        out.write("; IP-ASN32-DAT file\n; Original source: fenghuo bench/monitoring_data.py "
                  "make_register() (owner number as ASN)\n")
        out.write(f"; Prefixes-v4   : {len(register.prefixes)}\n; Prefixes-v6   : 0\n; \n")
        for cidr, owner in register.prefixes:
            out.write(f"{cidr}\t{owner}\n")
    eve_bytes = monitoring_data.write_eve(layout.eve, events, register)
    if parser == "json":
        with layout.eve.open("rb") as src, layout.converted.open("w") as dst:
            for line in src:
                dst.write(json.dumps(eve_to_intelmq(json.loads(line))) + "\n")
    data_s = time.perf_counter() - t

    # the parser bot: importable as a top-level module, runnable by name from PATH
    shutil.copy(BENCH / "intelmq" / f"{PARSER_MODULE}.py", layout.lib / f"{PARSER_MODULE}.py")
    launcher = layout.bin / PARSER_MODULE
    launcher.write_text(f"#!{layout.venv / 'bin' / 'python'}\nimport sys\n"
                        f"sys.path.insert(0, {str(layout.lib)!r})\n"
                        f"from {PARSER_MODULE} import BOT\n"
                        "if __name__ == '__main__':\n    sys.exit(BOT.run())\n")
    launcher.chmod(0o755)

    (layout.etc / "runtime.yaml").write_text(
        json.dumps(bot_config(layout, chunk_size, output, parser), indent=2) + "\n")  # YAML
    if output == "sql":
        schema = layout.workdir / "initdb.sql"
        _check([str(layout.venv / "bin" / "intelmq_psql_initdb"), "-o", str(schema),
                "--harmonization", str(layout.etc / "harmonization.conf")],
               "intelmq_psql_initdb", env=layout.env())
        create_database(schema.read_text())

    # the database loads in pyasn and answers as the register does
    probe = register.prefixes[:50]
    code = ("import json, pyasn, sys; db = pyasn.pyasn(sys.argv[1]); "
            "print(json.dumps([len(db.radix.prefixes()), "
            "[db.lookup(c.split('/')[0]) for c in json.loads(sys.argv[2])]]))")
    out = _check([str(layout.venv / "bin" / "python"), "-c", code, str(layout.asn_db),
                  json.dumps([c for c, _ in probe])], "loading the pyasn database")
    loaded, answers = json.loads(out.stdout)
    if loaded != len(register.prefixes):
        raise BenchError(f"pyasn loaded {loaded} prefixes of {len(register.prefixes)}")
    lpm = Lpm(register.prefixes)
    for (cidr, _), (asn, prefix) in zip(probe, answers, strict=True):
        want = lpm.lookup(cidr.split("/")[0])
        if (asn, prefix) != (want[1], want[0]):
            raise BenchError(f"pyasn answers {asn} {prefix} for {cidr}, the register {want}")

    if AS_ROOT:  # IntelMQ drops root for user 'intelmq', absent here: the bots run as nobody
        for path in [layout.workdir, *layout.workdir.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        if not _runs_for_bots(layout.venv / "bin" / "python",
                              f"import os; os.listdir({str(layout.incoming)!r})"):
            raise BenchError(f"the user nobody cannot reach {layout.workdir} (is a parent "
                             "directory closed to other users?); give another --workdir")
    return {"register": register, "lpm": lpm, "eve_bytes": eve_bytes, "data_s": data_s}


def eve_to_intelmq(e: dict[str, Any]) -> dict[str, Any]:
    """One EVE alert in IntelMQ's data format, mapped as suricata_eve_parser.py maps it."""
    a = e["alert"]
    out = {"time.source": e["timestamp"], "source.ip": e["src_ip"],
           "source.port": e["src_port"], "destination.ip": e["dest_ip"],
           "destination.port": e["dest_port"], "protocol.transport": e["proto"].lower(),
           "protocol.application": e["app_proto"],
           "classification.type": CATEGORY_TYPE.get(a["category"], "ids-alert"),
           "classification.identifier": str(a["signature_id"]),
           "event_description.text": a["signature"], "extra.category": a["category"]}
    for key in ("severity", "action", "gid", "rev"):
        out[f"extra.{key}"] = a[key]
    for key in ("flow_id", "in_iface", "flow"):
        out[f"extra.{key}"] = e[key]
    return out


# --------------------------------------------------------------------------- longest prefix

class Lpm:
    """Reference longest-prefix match over the register, for checking the expert."""

    def __init__(self, prefixes: list[tuple[str, int]]) -> None:
        self.by_len: dict[int, dict[int, tuple[str, int]]] = {}
        for cidr, owner in prefixes:
            base, plen = cidr.split("/")
            self.by_len.setdefault(int(plen), {})[_ip(base)] = (cidr, owner)
        self.lengths = sorted(self.by_len, reverse=True)

    def lookup(self, ip: str) -> tuple[str | None, int | None]:
        a = _ip(ip)
        for plen in self.lengths:
            hit = self.by_len[plen].get(a & ~((1 << (32 - plen)) - 1) & 0xFFFFFFFF)
            if hit:
                return hit
        return None, None


def _ip(quad: str) -> int:
    a, b, c, d = (int(x) for x in quad.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


# --------------------------------------------------------------------------- running the bots

def intelmqctl(layout: Layout, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [str(layout.venv / "bin" / "intelmqctl"), *args]
    kw: dict[str, Any] = {"env": layout.env(), "cwd": layout.workdir}
    kw.update(_as_bots())
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if check and proc.returncode:
        raise BenchError(f"intelmqctl {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
                         f"{log_tails(layout)}")
    return proc


def bot_pid(layout: Layout, bot_id: str) -> int | None:
    try:
        return int((layout.run / f"{bot_id}.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def stop_bots(layout: Layout, bots: dict[str, dict], wait: float = 30.0) -> None:
    """``intelmqctl stop``, then make sure the bot processes are gone (a bot finishes the
    message in hand before it heeds SIGTERM); SIGKILL what is left after ``wait`` seconds."""
    pids = [pid for b in bots if (pid := bot_pid(layout, b)) and proc_usage(pid) is not None]
    intelmqctl(layout, "stop", check=False)
    deadline = time.monotonic() + wait
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if _alive(pid)]
        time.sleep(0.2)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def proc_usage(pid: int) -> tuple[float, int] | None:
    """(CPU seconds user+system, peak RSS bytes) of a live process, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    hwm = next((int(line.split()[1]) * 1024 for line in status.splitlines()
                if line.startswith("VmHWM:")), 0)
    return cpu, hwm


def log_tails(layout: Layout, lines: int = 15) -> str:
    out = []
    for log in sorted(layout.log.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"\n--- {log.name} (last {len(tail)} lines)\n" + "\n".join(tail))
    for dump in sorted(layout.log.glob("*.dump")):
        out.append(f"\n--- {dump.name}: {dump.stat().st_size} bytes of dumped messages")
    return "".join(out)


def _pg(database: str = "postgres"):
    try:
        import psycopg  # the fenghuo venv's; only --output sql needs it
    except ImportError as exc:
        raise BenchError("--output sql needs psycopg (3) in the python running this "
                         "script") from exc
    try:
        return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database,
                               autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise BenchError(f"cannot connect to PostgreSQL {PG_USER}@{PG_HOST}:{PG_PORT}/"
                         f"{database}: {exc}") from exc


def create_database(schema_sql: str) -> None:
    """A fresh database with the events table intelmq_psql_initdb generates."""
    with _pg() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    with _pg(PG_DATABASE) as con:
        con.execute(schema_sql)


def drop_database() -> None:
    with _pg() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


class SqlCounter:
    """Counts the rows of the events table; knows the backends serving the sql output."""

    interval = 1.0

    def __init__(self) -> None:
        self.con = _pg(PG_DATABASE)
        self.own = self.con.execute("SELECT pg_backend_pid()").fetchone()[0]

    def poll(self) -> int:
        return self.con.execute("SELECT count(*) FROM events").fetchone()[0]

    def backends(self) -> list[int]:
        rows = self.con.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                "AND pid <> %s", (PG_DATABASE, self.own)).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        self.con.close()


class LineCounter:
    """Counts the lines of a growing file by reading only what was appended."""

    interval = 0.25

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.lines = path, 0, 0

    def backends(self) -> list[int]:
        return []

    def close(self) -> None:
        pass

    def poll(self) -> int:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                while chunk := f.read(1 << 22):
                    self.lines += chunk.count(b"\n")
                    self.offset += len(chunk)
        except FileNotFoundError:
            pass
        return self.lines


def run_pipeline(layout: Layout, events: int, bots: dict[str, dict], timeout: float,
                 stall: float, output: str = "file", parser: str = "eve") -> dict[str, Any]:
    order = list(bots)  # collector, parser, expert, output
    queues = [f"{b}-queue" for b in order[1:]]
    queues += [f"{q}-internal" for q in queues]
    # downstream bots first, idle on their empty queues; then the file, then the collector
    for bot_id in reversed(order[1:]):
        intelmqctl(layout, "start", bot_id)
    for bot_id in order[1:]:
        if not bot_pid(layout, bot_id) or proc_usage(bot_pid(layout, bot_id)) is None:
            raise BenchError(f"bot {bot_id} did not start{log_tails(layout)}")
    feed = layout.eve if parser == "eve" else layout.converted
    os.link(feed, layout.incoming / feed.name)
    if AS_ROOT:
        os.chown(layout.incoming / feed.name, NOBODY, NOBODY)

    # what the idle downstream bots used to start (imports, harmonization, the pyasn
    # database); the figures count CPU from here on, as the wall time
    startup = {b: proc_usage(bot_pid(layout, b))[0] for b in order[1:]}
    counter = SqlCounter() if output == "sql" else LineCounter(layout.output)
    # PostgreSQL backends serving the sql output: CPU from here on (pid -> (start, last))
    backend_cpu = {pid: [u[0], u[0]] for pid in counter.backends() if (u := proc_usage(pid))}
    redis = Redis(PIPELINE_DB)
    redis_cpu0 = redis.cpu_seconds()
    busy0, own0 = machine_busy(), own_cpu()
    t0 = time.perf_counter()
    intelmqctl(layout, "start", order[0])
    peaks = dict.fromkeys(queues, 0)
    last_lines, last_change, last_print = 0, t0, t0
    usage: dict[str, tuple[float, int]] = {}
    while True:
        time.sleep(counter.interval)
        lines = counter.poll()
        now = time.perf_counter()
        for pid in counter.backends():
            if u := proc_usage(pid):
                backend_cpu.setdefault(pid, [0.0, 0.0])[1] = u[0]
        for q in queues:
            peaks[q] = max(peaks[q], redis.call("LLEN", q))
        for bot_id in order:
            pid = bot_pid(layout, bot_id)
            got = proc_usage(pid) if pid else None
            if got is None:
                raise BenchError(f"bot {bot_id} is not running any more "
                                 f"({lines} of {events} events out){log_tails(layout)}")
            usage[bot_id] = got
        if lines >= events:
            break
        if lines != last_lines:
            last_lines, last_change = lines, now
        elif now - last_change > stall:
            raise BenchError(f"no output for {stall:.0f} s at {lines} of {events} events"
                             f"{log_tails(layout)}")
        if now - t0 > timeout:
            raise BenchError(f"timed out after {timeout:.0f} s at {lines} of {events} events")
        if now - last_print >= 15:
            last_print = now
            depth = ", ".join(f"{q.removesuffix('-queue')}={redis.call('LLEN', q)}"
                              for q in queues[:3])
            print(f"  {now - t0:6.0f} s  {lines:>9,} events out  "
                  f"({lines / (now - t0):,.0f}/s)  queued: {depth}", file=sys.stderr)
    wall = time.perf_counter() - t0
    busy, own = machine_busy() - busy0, own_cpu() - own0
    redis_cpu = redis.cpu_seconds() - redis_cpu0
    for pid in counter.backends():
        if u := proc_usage(pid):
            backend_cpu.setdefault(pid, [0.0, 0.0])[1] = u[0]
    counter.close()
    # the final CPU figures, read while the bots are still alive
    for bot_id in order:
        got = proc_usage(bot_pid(layout, bot_id) or -1)
        if got:
            usage[bot_id] = got
    redis.close()
    usage = {b: (cpu - startup.get(b, 0.0), rss) for b, (cpu, rss) in usage.items()}
    return {"wall_s": wall, "redis_cpu_s": redis_cpu, "usage": usage, "startup": startup,
            "postgres_cpu_s": sum(b - a for a, b in backend_cpu.values()),
            "machine_busy_s": busy, "harness_cpu_s": own,
            "peak_queue": {q: n for q, n in peaks.items() if not q.endswith("-internal")}}


# --------------------------------------------------------------------------- verification

def _file_sample(layout: Layout, step: int):
    with layout.output.open("rb") as f:
        for i, line in enumerate(f):
            if i % step == 0:
                yield i, json.loads(line)


def _sql_sample(step: int):
    cols = ("source.ip", "source.asn", "source.network",
            "destination.ip", "destination.asn", "destination.network")
    with _pg(PG_DATABASE) as con:
        rows = con.execute(
            "SELECT id, " + ", ".join(f'"{c}"' for c in cols) + " FROM events "
            "WHERE (id - 1) %% %s = 0 ORDER BY id", (step,)).fetchall()
    for row in rows:
        # inet/cidr come back as ipaddress objects: compare their text
        yield row[0] - 1, {c: v if isinstance(v, int) else str(v)
                           for c, v in zip(cols, row[1:], strict=True) if v is not None}


def _count(layout: Layout, output: str) -> int:
    if output == "sql":
        with _pg(PG_DATABASE) as con:
            return con.execute("SELECT count(*) FROM events").fetchone()[0]
    with layout.output.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 22), b""))


def verify(layout: Layout, events: int, lpm: Lpm, output: str = "file") -> dict[str, Any]:
    """N events out; every event of a sample carries the register's longest-prefix owner (or
    no ASN when no prefix holds the address) on both source and destination."""
    total = _count(layout, output)
    if total != events:
        raise BenchError(f"output holds {total} events, expected {events}")
    step = max(1, events // SAMPLE)
    checked = inside = 0
    src_ips: list[str] = []
    sample = _sql_sample(step) if output == "sql" else _file_sample(layout, step)
    for i, ev in sample:
        src_ips.append(ev["source.ip"])
        for side in ("source", "destination"):
            cidr, owner = lpm.lookup(ev[f"{side}.ip"])
            got_asn, got_net = ev.get(f"{side}.asn"), ev.get(f"{side}.network")
            if owner is None:
                if got_asn is not None:
                    raise BenchError(f"line {i}: {side}.ip {ev[f'{side}.ip']} is in no "
                                     f"registered prefix but got {side}.asn {got_asn}")
            else:
                inside += 1
                if got_asn != owner or got_net != cidr:
                    raise BenchError(f"line {i}: {side}.ip {ev[f'{side}.ip']} belongs to "
                                     f"{cidr} (owner {owner}), output says {got_net} "
                                     f"{got_asn}")
            checked += 1
    # the events are the input's, in the input's order (one instance per bot, FIFO lists)
    want: list[str] = []
    with layout.eve.open("rb") as f:
        for i, line in enumerate(f):
            if i % step == 0:
                want.append(json.loads(line)["src_ip"])
    if want != src_ips:
        raise BenchError("the sampled output events are not the input events in order")
    dumps = [p.name for p in layout.log.glob("*.dump")]
    if dumps:
        raise BenchError(f"IntelMQ dumped failed messages: {dumps}{log_tails(layout)}")
    return {"lines": total, "addresses_checked": checked, "inside_prefixes": inside}


# --------------------------------------------------------------------------- the whole run

def run(events: int, venv: Path, workdir: Path, *, keep: bool = False,
        chunk_size: int = CHUNK_SIZE, timeout: float | None = None,
        stall: float = 180.0, output: str = "file", parser: str = "eve") -> dict[str, Any]:
    """Run the IntelMQ side on ``events`` alerts; return the figures as a dict.

    ``output`` is "file" (IntelMQ's file output, the default) or "sql" (its PostgreSQL
    output into the database ``fenghuo_intelmq_bench`` on 127.0.0.1:5432, made afresh and
    dropped after). ``parser`` is "eve" (bench/intelmq/suricata_eve_parser.py on the EVE
    lines, the default) or "json" (IntelMQ's stock JSON parser on the alerts converted to
    IntelMQ's format beforehand, outside the timing). Raises BenchError with a readable
    message on failure."""
    if output not in ("file", "sql"):
        raise BenchError(f"unknown output {output!r}")
    if parser not in ("eve", "json"):
        raise BenchError(f"unknown parser {parser!r}")
    venv, workdir = Path(venv).resolve(), Path(workdir).resolve()
    versions = ensure_venv(venv, (("psycopg2", "psycopg2-binary"),) if output == "sql" else ())
    layout = Layout(workdir, venv)
    flush_dbs()
    try:
        facts = prepare(layout, events, chunk_size, output, parser)
        bots = bot_config(layout, chunk_size, output, parser)
        try:
            figures = run_pipeline(layout, events, bots,
                                   timeout if timeout else max(600.0, events / 200), stall,
                                   output, parser)
        finally:
            stop_bots(layout, bots)
            flush_dbs()
        checks = verify(layout, events, facts["lpm"], output)
    finally:
        if output == "sql" and not keep:
            drop_database()
        if not keep:
            shutil.rmtree(layout.workdir, ignore_errors=True)
    usage = figures["usage"]
    bot_cpu = sum(cpu for cpu, _ in usage.values())
    wall = figures["wall_s"]
    redis_cpu = figures["redis_cpu_s"]
    pg_cpu = figures["postgres_cpu_s"] if output == "sql" else 0.0
    # CPU the machine spent on anything else meanwhile (another job spoils the wall time);
    # the intelmqctl start of the collector and short-lived processes land here too
    other = figures["machine_busy_s"] - bot_cpu - redis_cpu - figures["postgres_cpu_s"] \
        - figures["harness_cpu_s"]
    return {
        "tool": "intelmq",
        "version": versions["intelmq"],
        "events": events,
        "wall_s": round(wall, 2),
        "events_per_s": round(events / wall, 1),
        "bot_cpu_s": round(bot_cpu, 2),
        "redis_cpu_s": round(redis_cpu, 2),
        "events_per_cpu_s": round(events / (bot_cpu + redis_cpu + pg_cpu), 1),
        **({"postgres_cpu_s": round(pg_cpu, 2)} if output == "sql" else {}),
        "output": output,
        "parser": parser,
        "other_cpu_s": round(other, 2),
        "harness_cpu_s": round(figures["harness_cpu_s"], 2),
        "pipeline": [
            {"bot": bot_id, "module": bots[bot_id]["module"],
             "cpu_s": round(usage[bot_id][0], 2),
             "peak_rss_mb": round(usage[bot_id][1] / 2**20, 1),
             **({"peak_queue": figures["peak_queue"][f"{bot_id}-queue"]}
                if f"{bot_id}-queue" in figures["peak_queue"] else {})}
            for bot_id in bots],
        "bot_startup_cpu_s": round(sum(figures["startup"].values()), 2),
        "pyasn_version": versions["pyasn"],
        "redis_py_version": versions["redis_py"],
        "python": versions["python"],
        "broker": f"redis {REDIS_HOST}:{REDIS_PORT} db {PIPELINE_DB}",
        "register_prefixes": len(facts["register"].prefixes),
        "eve_bytes": facts["eve_bytes"],
        "chunk_size": chunk_size,
        "verified": checks,
        "cores": os.cpu_count(),
    }


def summary(res: dict[str, Any]) -> str:
    lines = [f"IntelMQ {res['version']} (pyasn {res['pyasn_version']}, python {res['python']}),"
             f" {res['events']:,} EVE alerts ({res['eve_bytes'] / 2**20:,.0f} MiB), "
             f"{res['register_prefixes']:,} prefixes, {res['cores']} cores",
             f"  wall {res['wall_s']:,.1f} s -> {res['events_per_s']:,.0f} events/s",
             f"  CPU: bots {res['bot_cpu_s']:,.1f} s + Redis {res['redis_cpu_s']:,.1f} s"
             + (f" + PostgreSQL {res['postgres_cpu_s']:,.1f} s" if "postgres_cpu_s" in res else "")
             + f" -> {res['events_per_cpu_s']:,.0f} events per CPU second (the downstream bots' "
             f"{res['bot_startup_cpu_s']:.1f} s of start-up CPU not counted)"]
    for b in res["pipeline"]:
        q = f", peak queue {b['peak_queue']:,}" if "peak_queue" in b else ""
        lines.append(f"    {b['bot']:<18} {b['cpu_s']:>8,.1f} CPU s  "
                     f"{b['peak_rss_mb']:>7,.0f} MB{q}  ({b['module']})")
    share = res["other_cpu_s"] / (res["wall_s"] * res["cores"])
    lines.append(f"  meanwhile the rest of the machine used {res['other_cpu_s']:,.1f} CPU s "
                 f"({share:.0%} of its capacity), this script {res['harness_cpu_s']:,.1f} s"
                 + ("  ** the machine was not quiet: the wall time is pessimistic **"
                    if share > 0.05 else ""))
    v = res["verified"]
    lines.append(f"  verified: {v['lines']:,} events out; {v['addresses_checked']:,} sampled "
                 f"addresses, {v['inside_prefixes']:,} inside registered prefixes, all with "
                 f"the register's longest-prefix owner as ASN")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--venv", type=Path, default=Path("/work/intelmq-venv"),
                    help="IntelMQ's own venv (created with pip when missing)")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                    help="scratch tree (INTELMQ_ROOT_DIR, data, output); wiped at start")
    ap.add_argument("--keep", action="store_true", help="keep --workdir after the run")
    ap.add_argument("--chunk-size", type=int, default=CHUNK_SIZE,
                    help="file collector chunk_size in bytes (one report per chunk)")
    ap.add_argument("--output", choices=("file", "sql"), default="file",
                    help="file: IntelMQ's file output (default); sql: its PostgreSQL output "
                         f"into database {PG_DATABASE} on {PG_HOST}:{PG_PORT} as {PG_USER}")
    ap.add_argument("--parser", choices=("eve", "json"), default="eve",
                    help="eve: the Suricata EVE parser bot in bench/intelmq/ (default); json: "
                         "IntelMQ's stock JSON parser on alerts converted to IntelMQ's format "
                         "before the clock starts")
    ap.add_argument("--timeout", type=float, default=None,
                    help="give up after this many seconds (default max(600, events/200))")
    args = ap.parse_args(argv)
    if args.events < 1:
        ap.error("--events must be positive")
    try:
        res = run(args.events, args.venv, args.workdir, keep=args.keep,
                  chunk_size=args.chunk_size, timeout=args.timeout, output=args.output,
                  parser=args.parser)
    except BenchError as exc:
        print(f"intelmq_side: FAILED: {exc}", file=sys.stderr)
        return 1
    print(summary(res))
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
