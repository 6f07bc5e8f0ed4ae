"""NumPy's SeedSequence, on arrays of streams: the one seeding code of the model and the PPI engine.

Both need thousands of independent streams (the model: replications × entities, PPI: runs), each
exactly NumPy's `SeedSequence(entropy, spawn_key=key)` so that a stream is the same however it is
built. Building them one by one costs about 10 µs each (SeedSequence's hashing and three Python
objects); `generate_state` computes SeedSequence's output words for a block of streams at once with
NumPy integer arithmetic. The model seeds PCG64 from them (model/rng.py), PPI seeds SFC64
(ppi/streams.py); each checks once per process that its streams equal NumPy's own.

This is NumPy's SeedSequence (numpy/random/bit_generator.pyx, after M. E. O'Neill's seed_seq_fe)
with its constants and steps: entropy and spawn key assembled into uint32 words, mixed into a pool
of four words, and the pool hashed into the requested number of uint32 words.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R, _XSHIFT, _POOL = 0xCA01F9DD, 0x4973F715, np.uint32(16), 4
M32 = 0xFFFFFFFF


def spawned(seed: int, index: int) -> np.random.SeedSequence:
    """Child `index` of `SeedSequence(seed)`: `SeedSequence(seed).spawn(index + 1)[index]`, built directly
    (the same entropy and spawn key, so the same streams) at a cost that does not grow with `index`."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(index,))


def words(n: int) -> list[int]:
    """SeedSequence's uint32 words of a non-negative integer (least significant first; 0 → [0])."""
    out = [n & M32]
    n >>= 32
    while n > 0:
        out.append(n & M32)
        n >>= 32
    return out


def assembled_entropy(entropy, spawn_key: Sequence[int]) -> list[int]:
    """SeedSequence's uint32 input words of (entropy, spawn_key): the entropy's words, padded with
    zeros to the pool size when there is a spawn key, then the spawn key's words."""
    values = entropy if isinstance(entropy, (list, tuple, np.ndarray)) else [entropy]
    run = [w for v in values for w in words(int(v))]
    spawn = [w for k in spawn_key for w in words(int(k))]
    if spawn and len(run) < _POOL:
        run += [0] * (_POOL - len(run))
    return run + spawn


def generate_state(entropy: Sequence[np.ndarray], n_words: int) -> np.ndarray:
    """(B, n_words) uint32: `SeedSequence.generate_state(n_words, np.uint32)` of B streams at once.

    `entropy[i]` is the i-th assembled entropy word of every stream ((B,) uint32 each, or a scalar
    shared by all): streams seeded together must have the same number of words.
    """
    B = max((np.shape(e)[0] for e in entropy if np.ndim(e)), default=1)
    cols = [np.broadcast_to(np.asarray(e, dtype=np.uint32), (B,)) for e in entropy]
    const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal const
        value = value ^ np.uint32(const)
        const = (const * _MULT_A) & M32
        value = value * np.uint32(const)
        return value ^ (value >> _XSHIFT)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
        return r ^ (r >> _XSHIFT)

    with np.errstate(over="ignore"):
        pool = [hashmix(cols[i] if i < len(cols) else np.zeros(B, np.uint32)) for i in range(_POOL)]
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    pool[dst] = mix(pool[dst], hashmix(pool[src]))
        for src in range(_POOL, len(cols)):
            for dst in range(_POOL):
                pool[dst] = mix(pool[dst], hashmix(cols[src]))
        const = _INIT_B
        state = np.empty((B, n_words), np.uint32)
        for i in range(n_words):
            value = pool[i % _POOL] ^ np.uint32(const)
            const = (const * _MULT_B) & M32
            value = value * np.uint32(const)
            state[:, i] = value ^ (value >> _XSHIFT)
    return state


def generate_state64(entropy: Sequence[np.ndarray], n_words: int) -> np.ndarray:
    """(B, n_words) uint64: `SeedSequence.generate_state(n_words, np.uint64)` (pairs of uint32 words,
    little-endian, as NumPy builds them)."""
    w = generate_state(entropy, 2 * n_words).astype(np.uint64)
    return w[:, 0::2] | (w[:, 1::2] << np.uint64(32))
