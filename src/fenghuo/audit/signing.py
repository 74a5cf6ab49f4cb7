"""Signers of audit checkpoints: an interface and its Ed25519 implementation.

A checkpoint is signed with a private key that lives in a file outside the database
(``FENGHUO_AUDIT_SIGNING_KEY``) and checked with the matching public key
(``FENGHUO_AUDIT_VERIFY_KEY``, or the one derived from the private key). Other algorithms plug
in through :data:`ALGORITHMS`: an SM2 signer (国密, GB/T 32918) for deployments that must use
the national algorithms would implement :class:`Signer` and :class:`Verifier` with the same
methods (``alg = "sm2"``, a ``key_id``, ``sign`` and ``verify`` over the payload bytes, keys
loaded from PEM files) and register itself there; nothing else changes. This project ships no
SM2 implementation and adds no dependency for one.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fenghuo.common.errors import DomainError


class Verifier(Protocol):
    alg: str
    #: a short fingerprint of the public key, written beside each signature
    key_id: str

    def verify(self, payload: bytes, signature: bytes) -> bool: ...


class Signer(Verifier, Protocol):
    def sign(self, payload: bytes) -> bytes: ...

    def verifier(self) -> Verifier: ...


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Ed25519Verifier:
    alg = "ed25519"

    def __init__(self, public: Ed25519PublicKey) -> None:
        self.public, self.key_id = public, _key_id(public)

    def verify(self, payload: bytes, signature: bytes) -> bool:
        try:
            self.public.verify(signature, payload)
        except InvalidSignature:
            return False
        return True


class Ed25519Signer(Ed25519Verifier):
    def __init__(self, private: Ed25519PrivateKey) -> None:
        super().__init__(private.public_key())
        self.private = private

    def sign(self, payload: bytes) -> bytes:
        return self.private.sign(payload)

    def verifier(self) -> Verifier:
        return Ed25519Verifier(self.public)


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DomainError(f"cannot read the audit {what} key {path}: "
                          f"{exc.strerror or exc}") from None


def load_signer(path: Path) -> Signer:
    """The signer of the PEM private key at ``path`` (PKCS#8, unencrypted)."""
    try:
        key = serialization.load_pem_private_key(_read_pem(path, "signing"), password=None)
    except (ValueError, TypeError) as exc:
        raise DomainError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    for signer, _verifier, key_type, _pub_type in ALGORITHMS.values():
        if isinstance(key, key_type):
            return signer(key)
    raise DomainError(f"{path}: unsupported key type {type(key).__name__} (supported: "
                  f"{', '.join(ALGORITHMS)})")


def load_verifier(path: Path) -> Verifier:
    """The verifier of the PEM public key at ``path``, or of a private key's public half."""
    pem = _read_pem(path, "verify")
    if b"PRIVATE KEY" in pem:
        return load_signer(path).verifier()
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise DomainError(f"{path} is not a PEM public key: {exc}") from None
    for _signer, verifier, _key_type, pub_type in ALGORITHMS.values():
        if isinstance(key, pub_type):
            return verifier(key)
    raise DomainError(f"{path}: unsupported key type {type(key).__name__}")


def keygen(path: Path, alg: str = "ed25519") -> Path:
    """Write a new private key at ``path`` (mode 0600, never over an existing file) and its
    public key at ``path`` + ``.pub``; returns the public key's path."""
    if alg != "ed25519":
        raise DomainError(f"keygen makes ed25519 keys only, not {alg!r}")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    pub_path = path.with_name(path.name + ".pub")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DomainError(f"{path} exists: a key is never overwritten") from None
    except OSError as exc:
        raise DomainError(f"cannot create {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)  # whatever the umask
    pub_path.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return pub_path


#: alg → (signer class, verifier class, private key type, public key type); an SM2 signer
#: would be registered here
ALGORITHMS: dict[str, tuple[type, type, type, type]] = {
    "ed25519": (Ed25519Signer, Ed25519Verifier, Ed25519PrivateKey, Ed25519PublicKey),
}
