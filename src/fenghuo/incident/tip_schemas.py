"""Input and output of the public tip channel (Law art. 14): what the public sends, what the
tipster gets back and may look up with the receipt code, and what the bodies handling a tip see."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fenghuo.common.schemas import Label
from fenghuo.common.types import Timestamp


class TipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jurisdiction: str | None = Field(default=None, description="Code of the province or city "
                                     "where it happened; the national office when omitted")
    unit_name: str = Field(min_length=1, max_length=300, description="Who is affected")
    category: str | None = None
    description: str = Field(min_length=10, max_length=10000)
    found_at: Timestamp | None = None
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=300)


class TipReceipt(BaseModel):
    ref: str
    received_by_zh: str
    received_by_en: str
    #: shown once, here: only its hash is stored; with it the tipster sees the tip's status
    receipt_code: str
    status_url: str = "/public/tips/status"


class ReceiptCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=100, description="The receipt code given when "
                      "the tip was sent")


class PublicTipStatus(BaseModel):
    """All the tipster learns: no handler, no body, no internal note (Law art. 14 ¶2 keeps the
    tipster's identity confidential; this keeps the handling confidential too)."""

    ref: str
    received_at: datetime
    status: str  # tip_rules.PublicStatus
    status_label: Label
    #: the kind of authority it was transferred to, e.g. 公安机关 (not which one)
    authority: Label | None = None
    closed_at: datetime | None = None
    outcome: str | None = None


class TipClockOut(BaseModel):
    kind: str  # tip_rules.ClockKind
    label: Label
    source: str
    starts_at: datetime
    due_at: datetime
    done_at: datetime | None
    state: str  # incident.rules.ClockState: met, late, due, overdue


class TipEventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    body: str  # the body holding the tip after the entry
    detail: dict


class TipOut(BaseModel):
    ref: str
    jurisdiction_path: str
    unit_name: str
    category: str | None
    category_label: Label | None = None
    description: str
    found_at: datetime | None
    state: str  # tip_rules.TipState
    state_label: Label
    created_at: datetime
    updated_at: datetime | None = None
    #: the body that holds it now (received it, or took it over by a transfer)
    holder: str
    holder_name_zh: str
    holder_name_en: str
    authority_kind: str | None = None
    public_status: str
    public_outcome: str | None = None
    closed_at: datetime | None = None
    incident: str | None = None
    clock: TipClockOut | None = None
    #: the tip's history, on a tip's own page (not in lists)
    history: list[TipEventOut] = Field(default_factory=list)
    #: what the caller may do with it now (tip_rules.TipAction values)
    actions: list[str] = Field(default_factory=list)
    #: only for the holding body's incident handlers (Law art. 14 ¶2)
    reporter_name: str | None = None
    reporter_contact: str | None = None


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000, description="Internal note")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=80, description="Key of the competent body: a "
                    "department (e.g. cn.mps, public security) or another region's office")
    reason: str = Field(min_length=3, max_length=4000, description="Why it goes there "
                        "(internal; the tipster sees only the kind of authority)")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=3, max_length=2000, description="What the tipster is told "
                         "on the status page")
    note: str | None = Field(default=None, max_length=4000, description="Internal note, never "
                             "shown to the tipster")


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=4000)


class TargetOut(BaseModel):
    """A body the holder may transfer the tip to, and the kind of authority it is."""

    key: str
    name_zh: str
    name_en: str
    kind: str
    authority: Label
