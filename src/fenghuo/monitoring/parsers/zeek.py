"""Reading Zeek logs, shared by the ``zeek-notice`` and ``zeek-intel`` parsers.

Zeek's ASCII writer (Zeek documentation, "Zeek Logs" / ``LogAscii``) writes either

* TSV: header lines ``#separator \\x09``, ``#set_separator ,``, ``#empty_field (empty)``,
  ``#unset_field -``, ``#path``, ``#open``, ``#fields``, ``#types``, then one record per line,
  then ``#close``. Field names come from ``#fields``; ``-`` is an unset value, ``(empty)`` an
  empty set or string, sets and vectors are joined by the set separator, and non-printable
  bytes are escaped as ``\\xHH``. A file may hold several logs one after the other (each with
  its own header); the latest header applies.
* JSON (``LogAscii::use_json=T``): one object per line with the dotted field names
  (``"id.orig_h"``); nested objects (as some shippers write ``"id": {"orig_h": …}``) are
  flattened to the same dotted names.

Which one is decided per file from its first non-empty line: ``{`` means JSON, anything else TSV.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any, BinaryIO, NamedTuple

import msgspec

from fenghuo.monitoring.events import Rejected
from fenghuo.monitoring.parsers.common import canonical_ip, clean, lower, text_lines, to_port


class ZeekRecord(NamedTuple):
    """One log record: its line number, its fields by Zeek name, its raw line."""

    line_no: int
    fields: dict[str, Any]
    raw: str


def records(fp: BinaryIO) -> Iterator[ZeekRecord | Rejected]:
    """The records of a Zeek log in TSV or JSON, detected from its first non-empty line."""
    lines = ((n, t) for n, t in text_lines(fp) if t.strip())
    first = next(lines, None)
    if first is None:
        return
    reader = _json if first[1].lstrip().startswith("{") else _Tsv().read
    for line_no, line in chain([first], lines):
        yield from reader(line_no, line)


def _json(line_no: int, text: str) -> Iterator[ZeekRecord | Rejected]:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        yield Rejected(line_no=line_no, reason=f"malformed JSON: {exc}", raw=text)
        return
    if not isinstance(value, dict):
        yield Rejected(line_no=line_no, reason="not a JSON object", raw=text)
        return
    yield ZeekRecord(line_no, _flatten(value), text)


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = item
    return flat


_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "\\x" in text else text


class _Tsv:
    """The state of a TSV log: its separators and its fields, from the latest header."""

    def __init__(self) -> None:
        self.separator, self.set_separator = "\t", ","
        self.unset, self.empty = "-", "(empty)"
        self.fields: list[str] | None = None
        self.sets: set[str] = set()

    def read(self, line_no: int, text: str) -> Iterator[ZeekRecord | Rejected]:
        if text.startswith("#"):
            self._header(text)
            return
        if self.fields is None:
            yield Rejected(line_no=line_no, reason="Zeek TSV record before any #fields line",
                           raw=text)
            return
        values = text.split(self.separator)
        if len(values) != len(self.fields):
            yield Rejected(line_no=line_no, raw=text, reason=(
                f"expected {len(self.fields)} Zeek fields, found {len(values)}"))
            return
        yield ZeekRecord(line_no, {
            name: self._value(name, value) for name, value in zip(self.fields, values, strict=True)
        }, text)

    def _header(self, text: str) -> None:
        if text.startswith("#separator "):
            self.separator = _unescape(text.removeprefix("#separator ")) or "\t"
            return
        key, _, rest = text[1:].partition(self.separator)
        if key == "fields":
            self.fields = rest.split(self.separator)
        elif key == "types":
            types = rest.split(self.separator)
            self.sets = {n for n, t in zip(self.fields or [], types, strict=False)
                         if t.startswith(("set[", "vector["))}
        elif key in ("set_separator", "unset_field", "empty_field"):
            value = _unescape(rest)
            if key == "set_separator":
                self.set_separator = value
            elif key == "unset_field":
                self.unset = value
            else:
                self.empty = value

    def _value(self, name: str, value: str) -> str | list[str] | None:
        if value == self.unset:
            return None
        if name in self.sets:
            if value == self.empty:
                return []
            return [_unescape(v) for v in value.split(self.set_separator)]
        return None if value == self.empty else _unescape(value)


def text(record: dict[str, Any], name: str) -> str | None:
    """A scalar field as stripped text (numbers as their text), or None."""
    return clean(record.get(name))


def items(record: dict[str, Any], name: str) -> list[str]:
    """A set or vector field as a list of non-empty texts (a scalar counts as one item)."""
    value = record.get(name)
    values = value if isinstance(value, list) else [value]
    return [t for t in map(clean, values) if t]


class Conn(NamedTuple):
    """The connection 4-tuple of a record (``id.orig_h`` … ``id.resp_p``), canonicalized."""

    orig_h: str | None
    orig_p: int | None
    resp_h: str | None
    resp_p: int | None

    def port_of(self, ip: str | None) -> int | None:
        """The port of the side whose address is ``ip``, if it is one of the two."""
        if ip is None:
            return None
        return self.orig_p if ip == self.orig_h else self.resp_p if ip == self.resp_h else None


def conn(record: dict[str, Any]) -> Conn:
    """The connection of a record."""
    return Conn(canonical_ip(text(record, "id.orig_h")), to_port(record.get("id.orig_p")),
                canonical_ip(text(record, "id.resp_h")), to_port(record.get("id.resp_p")))


def protocol(record: dict[str, Any]) -> str | None:
    """The transport protocol (``proto``), None for Zeek's ``unknown_transport``."""
    proto = lower(record.get("proto"))
    return None if proto in (None, "unknown_transport") else proto
