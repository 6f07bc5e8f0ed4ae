"""Random streams: one SeedSequence per replication, one named sub-stream per process.

Replication i of a run with seed `seed` uses `SeedSequence(seed).spawn(N)[i]`, so its
numbers do not depend on how replications are batched or on the worker count. Inside a
replication each stochastic process of each entity (a donor's budget noise, a
technology's stage outcomes, ...) has its own stream keyed by a stable hash of its kind
and id. Two scenarios that share a donor therefore give it the same noise in replication
i (common random numbers), even if other entities were added or removed.

`stream` builds one such generator the plain NumPy way. `draws` needs thousands of them
(replications × entities) and seeds them in bulk: it computes the SeedSequence hash of
all streams at once with array arithmetic (`simulation.seeding`, shared with the PPI
engine) and sets each PCG64 state directly, which
gives exactly the numbers `stream` gives (checked on first use; if a NumPy version ever
disagreed, `draws` falls back to `stream`).
"""

from __future__ import annotations

import zlib
from typing import Iterator

import numpy as np

from .. import seeding


def replication_seeds(seed: int, runs: int, start: int = 0, stop: int | None = None) -> list[np.random.SeedSequence]:
    """The seed sequences of replications start..stop-1 of a `runs`-replication run.

    Replication i is `SeedSequence(seed).spawn(runs)[i]`, built directly as
    `SeedSequence(seed, spawn_key=(i,))` (the same entropy and key, so the same streams):
    a batch costs O(its size), not O(runs).
    """
    stop = runs if stop is None else min(stop, runs)
    return [seeding.spawned(seed, i) for i in range(max(0, start), stop)]


def _key(kind: str, ident: str) -> int:
    return zlib.crc32(f"{kind}/{ident}".encode())


def stream(seq: np.random.SeedSequence, kind: str, ident: str = "") -> np.random.Generator:
    """A generator for process `kind` of entity `ident` within one replication."""
    child = np.random.SeedSequence(entropy=seq.entropy, spawn_key=(*seq.spawn_key, _key(kind, ident)))
    return np.random.Generator(np.random.PCG64(child))


def draws(seqs: list[np.random.SeedSequence], kind: str, idents: list[str], shape: tuple[int, ...],
          dist: str = "normal") -> np.ndarray:
    """Stacked draws: (S, len(idents), *shape) from each replication's per-entity stream.

    Replications with the same seed (a batch of several design points under common random
    numbers) share one set of draws, computed once.
    """
    keys = [(repr(seq.entropy), tuple(seq.spawn_key)) for seq in seqs]
    first = {k: i for i, k in reversed(list(enumerate(keys)))}
    if len(first) < len(seqs):
        unique = sorted(first.values())
        rows = {keys[i]: r for r, i in enumerate(unique)}
        return draws([seqs[i] for i in unique], kind, idents, shape, dist)[[rows[k] for k in keys]]
    out = np.empty((len(seqs), len(idents), *shape))
    if out.size == 0:
        return out
    if not _bulk_seeding_ok():
        for s, seq in enumerate(seqs):
            for e, ident in enumerate(idents):
                g = stream(seq, kind, ident)
                out[s, e] = g.standard_normal(shape) if dist == "normal" else g.random(shape)
        return out
    bits = np.random.PCG64(0)
    gen = np.random.Generator(bits)
    fill = gen.standard_normal if dist == "normal" else gen.random
    flat = out.reshape(len(seqs) * len(idents), -1)  # a view: stream n is (n // E, n % E)
    for row, state in zip(flat, _pcg64_states(_stream_words(seqs, [_key(kind, ident) for ident in idents]))):
        bits.state = state
        fill(out=row)
    return out


# ----------------------------------------------------------------------------- bulk seeding
# SeedSequence on arrays of streams (simulation.seeding, shared with the PPI engine), then PCG64
# seeding as numpy/random/pcg64.h does it.
_PCG_MULT, _M128 = 0x2360ED051FC65DA44385DF649FCCF645, (1 << 128) - 1
_checked: bool | None = None


def _pcg64_states(words: np.ndarray) -> Iterator[dict]:
    """PCG64 states seeded from rows of 4 uint64 words (pcg64_set_seed: state, then increment), one
    at a time (thousands of live dicts would cost the garbage collector more than making them)."""
    for w0, w1, w2, w3 in words.tolist():  # Python ints: 128-bit arithmetic
        inc = (((w2 << 64) | w3) << 1 | 1) & _M128
        state = (inc + ((w0 << 64) | w1)) & _M128  # step from 0, add the seed
        state = (state * _PCG_MULT + inc) & _M128  # step
        yield {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}


def _stream_words(seqs: list[np.random.SeedSequence], keys: list[int]) -> np.ndarray:
    """(S·E, 4) uint64 seed words of the streams (seqs[n // E], keys[n % E]) (E keys).

    A stream's assembled entropy is its replication's words then the key's one word (a CRC-32),
    so each replication's words are assembled once and the keys are a column of the block."""
    prefix = [seeding.assembled_entropy(seq.entropy, (*seq.spawn_key, 0))[:-1] for seq in seqs]
    column = np.asarray(keys, dtype=np.uint32)
    out = np.empty((len(seqs), len(keys), 4), np.uint64)
    for length in {len(x) for x in prefix}:  # replications with the same number of words at once
        rows = [s for s, x in enumerate(prefix) if len(x) == length]
        block = np.array([prefix[s] for s in rows], dtype=np.uint32).reshape(len(rows), length)
        entropy = [np.repeat(c, len(keys)) for c in block.T] + [np.tile(column, len(rows))]
        out[rows] = seeding.generate_state64(entropy, 4).reshape(len(rows), len(keys), 4)
    return out.reshape(-1, 4)


def _stream_states(specs: list[tuple]) -> list[dict]:
    """PCG64 states of the streams (entropy, spawn_key), in order (one by one; `draws` seeds in bulk)."""
    words = [seeding.generate_state64(seeding.assembled_entropy(e, k), 4) for e, k in specs]
    return list(_pcg64_states(np.concatenate(words))) if words else []


def _bulk_seeding_ok() -> bool:
    """Does bulk seeding give NumPy's own streams here? Checked once per process."""
    global _checked
    if _checked is None:
        seqs = [np.random.SeedSequence(2**70 + 12345).spawn(2)[1], np.random.SeedSequence(7, spawn_key=(3,))]
        keys = [0, 2**32 - 1, _key("check", "x")]
        bits = np.random.PCG64(0)
        _checked = True
        for n, state in enumerate(_pcg64_states(_stream_words(seqs, keys))):
            seq, key = seqs[n // len(keys)], keys[n % len(keys)]
            bits.state = state
            child = np.random.SeedSequence(entropy=seq.entropy, spawn_key=(*seq.spawn_key, key))
            expected = np.random.Generator(np.random.PCG64(child)).standard_normal(4)
            _checked = _checked and bool(np.array_equal(np.random.Generator(bits).standard_normal(4), expected))
    return _checked
