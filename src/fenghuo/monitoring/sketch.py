"""Distinct-host counts that merge: a HyperLogLog sketch (Flajolet et al. 2007) of 4,096
registers, kept sparse while few are set, with linear counting for small cardinalities.

Aggregates count distinct hosts per owner × classification × indicator × day (item 4) across
batches, workers and days; a sketch's union is the register-wise maximum, so merging the same
batch twice changes nothing (idempotent, as at-least-once delivery needs). Up to a few thousand
hosts the estimate is linear counting (about 1 % at 300 hosts); beyond, HLL's 1.6 % error.

Pure numpy; no I/O.
"""

from __future__ import annotations

import math

import numpy as np

P = 12
M = 1 << P
_ALPHA = 0.7213 / (1 + 1.079 / M)
_SPARSE_MAX = M // 3  # beyond this many set registers the dense form is smaller


def host_hashes(hosts: np.ndarray) -> np.ndarray:
    """A 32-bit mixing hash (murmur3's finalizer) of uint32 host keys, vectorized."""
    h = hosts.astype(np.uint64) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h.astype(np.uint32)


def registers(hashes: np.ndarray) -> np.ndarray:
    """The 4,096 registers (uint8) of a set of 32-bit hashes."""
    regs = np.zeros(M, dtype=np.uint8)
    if len(hashes):
        h = hashes.astype(np.uint32)
        index = h >> (32 - P)
        rest = (h << P) | (1 << (P - 1))  # sentinel bit: rank at most 32 - P + 1
        rank = (clz32(rest) + 1).astype(np.uint8)
        np.maximum.at(regs, index, rank)
    return regs


def clz32(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint32)
    out = np.zeros(len(x), dtype=np.int32)
    for shift in (16, 8, 4, 2, 1):
        mask = x < (np.uint32(1) << np.uint32(32 - shift))
        out[mask] += shift
        x = np.where(mask, x << np.uint32(shift), x)
    return out


def encode(regs: np.ndarray) -> bytes:
    """Registers as stored: sparse (b"s" + uint16 index + uint8 rank pairs) or dense (b"d")."""
    nz = np.flatnonzero(regs)
    if len(nz) <= _SPARSE_MAX:
        pairs = np.empty(len(nz), dtype=[("i", "<u2"), ("r", "u1")])
        pairs["i"] = nz
        pairs["r"] = regs[nz]
        return b"s" + pairs.tobytes()
    return b"d" + regs.tobytes()


def decode(blob: bytes | None) -> np.ndarray:
    regs = np.zeros(M, dtype=np.uint8)
    if not blob:
        return regs
    if blob[:1] == b"d":
        return np.frombuffer(blob[1:], dtype=np.uint8).copy()
    pairs = np.frombuffer(blob[1:], dtype=[("i", "<u2"), ("r", "u1")])
    regs[pairs["i"]] = pairs["r"]
    return regs


def union(blobs: list[bytes | None]) -> np.ndarray:
    regs = np.zeros(M, dtype=np.uint8)
    for blob in blobs:
        np.maximum(regs, decode(blob), out=regs)
    return regs


def estimate(regs: np.ndarray) -> int:
    """The estimated number of distinct hosts."""
    zeros = int(np.count_nonzero(regs == 0))
    raw = _ALPHA * M * M / float(np.sum(np.power(2.0, -regs.astype(np.float64))))
    if raw <= 2.5 * M and zeros:
        return round(M * math.log(M / zeros))
    return round(raw)
