"""The checkpoints file and the second party: reading, signing, appending and posting
checkpoints of the audit chain (the comparison itself is pure: ``rules.check_checkpoints``).

Each line of the file is one JSON object: the signed fields (``rules.checkpoint_payload``: v,
seq, hash, at, count) and ``alg``, ``key`` (the public key's fingerprint) and ``sig`` (base64),
the last three null on an unsigned checkpoint."""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog

from fenghuo.audit import rules, signing
from fenghuo.common.errors import DomainError

log = structlog.get_logger()
FILE_NAME = "audit-checkpoints.jsonl"


@dataclass(frozen=True)
class CheckpointConfig:
    file: Path
    signing_key: Path | None = None
    verify_key: Path | None = None
    url: str | None = None
    timeout: float = 5.0

    def signer(self) -> signing.Signer | None:
        return signing.load_signer(self.signing_key) if self.signing_key else None

    def verifier(self) -> signing.Verifier | None:
        if self.verify_key:
            return signing.load_verifier(self.verify_key)
        if self.signing_key:
            return signing.load_signer(self.signing_key).verifier()
        return None


def config_of(settings) -> CheckpointConfig:  # noqa: ANN001 - fenghuo.config.Settings
    return CheckpointConfig(
        file=settings.audit_checkpoint_file or settings.data_dir / FILE_NAME,
        signing_key=settings.audit_signing_key, verify_key=settings.audit_verify_key,
        url=settings.audit_checkpoint_url, timeout=settings.webhook_timeout)


def line_of(cp: rules.Checkpoint, signer: signing.Signer | None) -> str:
    fields = rules.checkpoint_fields(cp)
    if signer is None:
        fields.update(alg=None, key=None, sig=None)
    else:
        sig = signer.sign(rules.checkpoint_payload(cp))
        fields.update(alg=signer.alg, key=signer.key_id, sig=base64.b64encode(sig).decode())
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def check_line(number: int, text: str, verifier: signing.Verifier | None) -> rules.CheckpointLine:
    """One line parsed and its signature checked (``rules.CheckpointLine``)."""
    try:
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise ValueError("not a JSON object")
        cp = rules.parse_checkpoint(fields)
    except ValueError as exc:
        return rules.CheckpointLine(number, None, "unreadable", str(exc))
    sig = fields.get("sig")
    if sig is None:
        return rules.CheckpointLine(number, cp, "unsigned")
    if verifier is None:
        return rules.CheckpointLine(number, cp, "unchecked")
    if fields.get("alg") != verifier.alg or fields.get("key") != verifier.key_id:
        return rules.CheckpointLine(number, cp, "bad", "signed with another key")
    try:
        raw = base64.b64decode(sig, validate=True)
    except (binascii.Error, TypeError):
        return rules.CheckpointLine(number, cp, "bad", "signature is not base64")
    good = verifier.verify(rules.checkpoint_payload(cp), raw)
    return rules.CheckpointLine(number, cp, "good" if good else "bad")


def read_lines(config: CheckpointConfig) -> tuple[list[rules.CheckpointLine], list[str]]:
    """Every line of the checkpoints file, checked; and warnings (no file, no key)."""
    warnings: list[str] = []
    try:
        text = config.file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], [f"no checkpoints file at {config.file}: only the chain itself was checked "
                    "(a cut tail or a reset log would pass)"]
    except OSError as exc:
        raise DomainError(f"cannot read the checkpoints file {config.file}: "
                          f"{exc.strerror or exc}") from None
    verifier = config.verifier()
    if verifier is None:
        warnings.append("no verify key (FENGHUO_AUDIT_VERIFY_KEY or AUDIT_SIGNING_KEY): "
                        "checkpoint signatures were not checked")
    lines = [check_line(i, t, verifier)
             for i, t in enumerate(text.splitlines(), start=1) if t.strip()]
    return lines, warnings


def append(config: CheckpointConfig, line: str) -> None:
    """Append one line, under an exclusive lock (workers sharing a host share the file), and
    flush it to disk."""
    config.file.parent.mkdir(parents=True, exist_ok=True)
    with open(config.file, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def post(config: CheckpointConfig, line: str) -> None:
    """POST the line to the second party; ``DomainError`` when it is not taken (2xx)."""
    assert config.url
    try:
        r = httpx.post(config.url, content=line.encode(), timeout=config.timeout,
                       headers={"Content-Type": "application/json",
                                "User-Agent": "fenghuo-audit-checkpoint"},
                       follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DomainError(f"checkpoint not posted to {config.url}: "
                          f"{type(exc).__name__}: {exc}") from None
    if not 200 <= r.status_code < 300:
        raise DomainError(f"checkpoint not posted to {config.url}: HTTP {r.status_code}")
