"""Random streams: one SeedSequence per replication, one named sub-stream per process.

Replication i of a run with seed `seed` uses `SeedSequence(seed).spawn(N)[i]`, so its
numbers do not depend on how replications are batched or on the worker count. Inside a
replication each stochastic process of each entity (a donor's budget noise, a
technology's stage outcomes, ...) has its own stream keyed by a stable hash of its kind
and id. Two scenarios that share a donor therefore give it the same noise in replication
i (common random numbers), even if other entities were added or removed.
"""

from __future__ import annotations

import zlib

import numpy as np


def replication_seeds(seed: int, runs: int) -> list[np.random.SeedSequence]:
    """The per-replication seed sequences of a run."""
    return np.random.SeedSequence(seed).spawn(runs)


def stream(seq: np.random.SeedSequence, kind: str, ident: str = "") -> np.random.Generator:
    """A generator for process `kind` of entity `ident` within one replication."""
    key = zlib.crc32(f"{kind}/{ident}".encode())
    child = np.random.SeedSequence(entropy=seq.entropy, spawn_key=(*seq.spawn_key, key))
    return np.random.Generator(np.random.PCG64(child))


def draws(seqs: list[np.random.SeedSequence], kind: str, idents: list[str], shape: tuple[int, ...],
          dist: str = "normal") -> np.ndarray:
    """Stacked draws: (S, len(idents), *shape) from each replication's per-entity stream."""
    out = np.empty((len(seqs), len(idents), *shape))
    for s, seq in enumerate(seqs):
        for e, ident in enumerate(idents):
            g = stream(seq, kind, ident)
            out[s, e] = g.standard_normal(shape) if dist == "normal" else g.random(shape)
    return out
