"""Random numbers of the PPI engine: one SFC64 stream per run, seeded without a per-run cost.

Run r of a call with root seed s reads the stream of
`np.random.Generator(np.random.SFC64(np.random.SeedSequence(entropy=s, spawn_key=(r,))))`.
Building that generator costs about 10 µs per run (SeedSequence's hashing, SFC64's
warm-up, three Python objects) — a fifth of a whole small run. `sfc64_states` computes
the same starting states for a block of runs at once with NumPy integer arithmetic
(SeedSequence's entropy mixing, `simulation.seeding`, shared with the model; SFC64's
seeding, vectorised over runs), and
the engine's compiled loops draw from those states themselves (`kernels.sfc64_fill`, the
same doubles as `Generator.random`). `sfc64_generators` loads them into a reused pool of
NumPy generators instead (the engine's path for run indices past 2^32, where
`sfc64_states` stops, and the tests' reference); tests check the streams are identical
to NumPy's own.
"""

from __future__ import annotations

import ctypes
from typing import Callable, Sequence

import numpy as np

from .. import seeding

UNIFORM_BUFFER_BYTES = 8 * 2**20


def run_seed_sequence(seed: int, run: int) -> np.random.SeedSequence:
    """The seed sequence of run `run`: SeedSequence(seed).spawn(...)[run]."""
    return seeding.spawned(seed, run)


def sfc64_states(seed: int, runs: range) -> np.ndarray | None:
    """(len(runs), 4) uint64 SFC64 states of SFC64(SeedSequence(seed, spawn_key=(r,))) for r in runs,
    after seeding (NumPy's 12 warm-up steps), or None when a run index needs more than 32 bits."""
    if len(runs) == 0 or runs[-1] > seeding.M32 or runs[0] < 0:
        return None
    fixed = seeding.assembled_entropy(int(seed), (0,))[:-1]  # the run's own word comes last
    B = len(runs)
    entropy = [*fixed, np.arange(runs[0], runs[-1] + 1, dtype=np.uint32)]
    s = np.empty((B, 4), dtype=np.uint64)
    s[:, :3] = seeding.generate_state64(entropy, 3)
    s[:, 3] = 1
    with np.errstate(over="ignore"):
        a, b, c, d = (s[:, k].copy() for k in range(4))
        for _ in range(12):  # sfc64_set_seed: 12 steps of sfc64_next
            tmp = a + b + d
            d += np.uint64(1)
            a = b ^ (b >> np.uint64(11))
            b = c + (c << np.uint64(3))
            c = ((c << np.uint64(24)) | (c >> np.uint64(40))) + tmp
        return np.stack((a, b, c, d), axis=1)


class GeneratorPool:
    """Reused `Generator(SFC64())` objects whose states are set per block of runs.

    States are written straight into each bit generator's state struct (its documented
    `ctypes.state_address`: four uint64 words first), 0.2 µs a run instead of 1.1 µs through
    the `state` dict; a self-check at the first use falls back to the dict if that layout
    ever differs.
    """

    def __init__(self):
        self._gens: list[np.random.Generator] = []
        self._addr: list[int] = []
        self._direct: bool | None = None

    def _grow(self, k: int) -> None:
        while len(self._gens) < k:
            g = np.random.Generator(np.random.SFC64(0))
            self._gens.append(g)
            self._addr.append(g.bit_generator.ctypes.state_address)

    def _check_direct(self) -> bool:
        st = sfc64_states(12345, range(3, 4))
        g = np.random.Generator(np.random.SFC64(0))
        ctypes.memmove(g.bit_generator.ctypes.state_address, st.ctypes.data, 32)
        return bool(np.array_equal(g.random(4), _generator_fns(12345, range(3, 4))[0](4)))

    def fills(self, seed: int, runs: range) -> list[Callable[..., np.ndarray]]:
        """`random` of a generator per run, each at the start of that run's stream."""
        states = sfc64_states(seed, runs)
        if states is None:
            return _generator_fns(seed, runs)
        if self._direct is None:
            self._direct = self._check_direct()
        B = len(runs)
        self._grow(B)
        if self._direct:
            states = np.ascontiguousarray(states)
            base = states.ctypes.data
            for b in range(B):
                ctypes.memmove(self._addr[b], base + 32 * b, 32)
        else:
            for g, st in zip(self._gens, states):
                g.bit_generator.state = {"bit_generator": "SFC64", "state": {"state": st}, "has_uint32": 0,
                                         "uinteger": 0}
        return [g.random for g in self._gens[:B]]


def sfc64_generators(seed: int, runs: range) -> list[Callable[..., np.ndarray]]:
    """`random` of run r's generator for r in runs (a fresh pool; see `GeneratorPool`)."""
    return GeneratorPool().fills(seed, runs)


class UniformSource:
    """Uniform draws for a batch of runs, each run reading its own stream in PPI's order, for
    streams the kernels do not draw themselves (`legacy_seeds`, run indices past 2^32).

    `draws[b](k)` returns the next k uniforms of run b (or fills `out=` when `fills`).
    Per-period draws are fetched in blocks of periods into one reused buffer of at most
    UNIFORM_BUFFER_BYTES (fresh large buffers cost page faults on every chunk).
    """

    def __init__(self, setup_len: int, period_len: int, T: int, max_runs: int):
        self.setup_len, self.period_len, self.T = setup_len, period_len, T
        self.block = int(max(1, min(T, UNIFORM_BUFFER_BYTES // max(1, max_runs * period_len * 8))))
        self._buf = np.empty((max_runs, self.block, period_len))
        self._setup = np.empty((max_runs, setup_len))

    def start(self, draws: Sequence[Callable[..., np.ndarray]], fills: bool) -> np.ndarray:
        """Begin a batch of len(draws) runs; returns their setup draws (B, setup_len)."""
        self.draws, self.fills, self.B = list(draws), fills, len(draws)
        self._t0, self._span = 0, 0
        out = self._setup[:self.B]
        for b, f in enumerate(self.draws):
            if fills:
                f(out=out[b])
            else:
                out[b] = f(self.setup_len)
        return out

    def period(self, t: int) -> np.ndarray:
        """(B, period_len) uniforms of period t; periods must be requested in order."""
        if t >= self._t0 + self._span:
            span = min(self.block, self.T - t)
            buf = self._buf[:self.B, :span]
            for b, f in enumerate(self.draws):
                if self.fills:
                    f(out=buf[b])
                else:
                    buf[b] = f(span * self.period_len).reshape(span, self.period_len)
            self._t0, self._span = t, span
        return self._buf[:self.B, t - self._t0]

    def period_block(self, t: int) -> tuple[np.ndarray, int]:
        """(buffer, k): period t's uniforms are buffer[:, k] of the C-ordered (B, periods, period_len)
        buffer (what the compiled kernels read); periods must be requested in order."""
        self.period(t)
        return self._buf[:self.B], t - self._t0


def _generator_fns(seed: int, runs: range) -> list[Callable[[int], np.ndarray]]:
    return [np.random.Generator(np.random.SFC64(run_seed_sequence(seed, r))).random for r in runs]


def _legacy_fns(seeds: Sequence[int]) -> list[Callable[[int], np.ndarray]]:
    return [np.random.RandomState(int(s)).random_sample for s in seeds]
