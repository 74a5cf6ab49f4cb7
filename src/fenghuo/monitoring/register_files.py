"""Register files (item 1: "CLI import (CSV/YAML; a bad file rejected whole, naming row and
field)"), read the same way by ``fenghuo register import`` and the console's upload.

CSV: a header ``body,kind,value[,role,verified_by,verified_at,note]`` and one entry a row; an
empty cell takes the field's default (``role`` owner). YAML: a list of such mappings, or a
mapping with the key ``entries``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import yaml
from pydantic import ValidationError

from fenghuo.common.errors import FieldError, ValidationFailed
from fenghuo.monitoring.schemas import EntryIn

MAX_ROWS = 100_000  # as the API's import
Say = Callable[[str], str]  # a gettext: the console passes its own, so its messages translate


def _same(text: str) -> str:
    return text


def rows_of(name: str, text: str, say: Say = _same) -> list[Any]:
    """The rows of a CSV or YAML file (by its name's suffix), before validation."""
    rows = _csv_rows(text) if name.lower().endswith(".csv") else _yaml_rows(name, text, say)
    if not rows or len(rows) > MAX_ROWS:
        raise ValidationFailed([FieldError("file", say(
            "A file holds from 1 to %(n)s entries.") % {"n": MAX_ROWS}, source=name)])
    return rows


def _csv_rows(text: str) -> list[Any]:
    return [{k: v for k, v in r.items() if k and v}  # an empty cell: the default
            for r in csv.DictReader(io.StringIO(text))]


def _yaml_rows(name: str, text: str, say: Say) -> list[Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed([FieldError("file", say("Not valid YAML: %(why)s")
                                           % {"why": exc}, source=name)]) from None
    rows = loaded.get("entries") if isinstance(loaded, dict) else loaded
    if not isinstance(rows, list):
        raise ValidationFailed([FieldError("file", say(
            "Expected a list of entries (or a mapping with the key entries)."), source=name)])
    return rows


def entries_of(name: str, text: str) -> list[EntryIn]:
    """The file's entries; ValidationFailed names the row and field of the first bad row."""
    entries = []
    for i, raw in enumerate(rows_of(name, text), 1):
        try:
            entries.append(EntryIn.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ValidationFailed([FieldError(".".join(str(p) for p in first["loc"]) or "row",
                                               first["msg"], row=i, source=name)]) from None
    return entries
