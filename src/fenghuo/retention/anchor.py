"""Where verification of the audit chain starts once its oldest rows were purged (issue 18 item
8): the sequence number and hash of the last purged row. Imports no service, so
``fenghuo.audit.service`` may read it without an import cycle."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fenghuo.audit.rules import GENESIS
from fenghuo.retention.models import RetentionPurge
from fenghuo.retention.rules import Kind

#: the audit row written with each new purge point, in the same transaction: the chain itself
#: then says where it starts (``audit.service.verify`` checks the table against it)
ANCHOR_ACTION = "retention.audit_anchor"


def audit_anchor(s: Session) -> tuple[int, str]:
    """(sequence, hash) of the last purged audit row — the first remaining row links back to
    that hash — or (0, GENESIS) when none was purged. Rows at or below it that are still
    present (a purge interrupted between batches) are to be skipped, not reported."""
    row = s.get(RetentionPurge, Kind.AUDIT.value)
    if row is None or row.last_seq is None:
        return 0, GENESIS
    return row.last_seq, row.last_hash
