"""PPI 3.0.7 dynamics, vectorised over Monte Carlo runs.

Each period of PPI (Guerrero & Castañeda's Policy Priority Inference, `run_ppi`) runs,
in PPI's own order, on arrays with a leading run axis B:

1. indicator changes: ΔBin = 1[I > I_{t-1}] and the normalised changes of the
   instrumental indicators ΔI / Σ|ΔI|.
2. contributions: officials adjust their action X by the sign of ΔF·ΔX and contribute
   C = P / (1 + e^-X); the rest, P − C, is diverted.
3. benefits: diversion is spotted with probability qm · (P / max P) · (P − C) / P;
   the benefit F = ΔI·C/P + (1 − θ·rl)·(P − C)/P; spotted inefficiency accumulates in H.
4. spillovers: S = ΔBin · A.
5. growth probabilities: γ = β (c + ΣC / (ΣP + 1)) / (1 + e^-S) (or the frontier).
6. indicators: +α with probability γ, else −α'; bounds Imin/Imax; an endogenous
   governance indicator is clamped to [0, 1].
7. allocation: propensities P0 += u · H / HC, then each programme k splits its budget
   Bs[k, t] over its indicators in proportion to (P0 / Σ P0)^bs.

`Batch.advance` runs steps 1–6 (and 7's propensity update) as three compiled loops over
the runs (`kernels`, numba) and two NumPy exponentials; the split of step 7 is
`Allocator` (NumPy), except for one programme with bs = 1, which the loops do.
With SFC64 streams the loops also draw each run's uniforms themselves, from its
generator state (`streams.sfc64_states`), bit for bit NumPy's `Generator.random`.

Internally the instrumental indicators come first (`internal_order`), so no step
gathers columns; results are returned in the caller's order.

Random numbers: run r draws uniforms from its own stream (an SFC64 generator seeded by
SeedSequence(seed) child r, `spawn_key=(r,)`; the compiled loops step SFC64 themselves
from the states `streams.sfc64_states` computes), in exactly the order PPI draws them from
NumPy's global state (setup: [p0], F, Ft, X, Xt, sign, ΔFt, C, It; then per period:
monitoring (n), growth (N), allocation (n)). So a run does not depend on how runs are
batched, and with `legacy_seeds` (one NumPy RandomState seed per run) a run reproduces
PPI's own `np.random.seed(s); run_ppi(...)` to rounding.

Spillovers are exact sums (A rounded to a power-of-two grid fine enough that any sum of
N entries is exact in float64), so they have the same bits whatever the order of
addition — the compiled loop adds only the rows of the indicators that grew — and
whatever the batch size; PPI's dynamics amplify last-bit differences.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .results import KEEP_MODES, SERIES, SUM_BLOCK, Keep, PPIResult, _Recorder, resolve_keep  # noqa: F401 (re-exported)
from .spec import Governance, PPISpec, initial_allocation, prepare
from .streams import (  # noqa: F401 (re-exported)
    GeneratorPool,
    UniformSource,
    _generator_fns,
    _legacy_fns,
    run_seed_sequence,
    sfc64_generators,
    sfc64_states,
)

# --------------------------------------------------------------------------- equations

def exact_parts(A: np.ndarray, parts: int = 1) -> list[np.ndarray]:
    """Split A into matrices on power-of-two grids so that any row sum of N entries is exact.

    For each part, entries are multiples of 2^-k with N·max|part|·2^k ≤ 2^52, so every
    partial sum of a product with a 0/1 matrix is exactly representable and the result does
    not depend on the order of summation. What is left after `parts` parts (below
    2^-100 of max|A| for N ≤ 10^4) is dropped.
    """
    N = A.shape[0]
    out, rest = [], A
    for _ in range(parts):
        m = float(np.abs(rest).max())
        if m == 0.0:
            break
        k = 52 - math.frexp(N * m)[1]
        part = np.ldexp(np.round(np.ldexp(rest, k)), -k)
        out.append(part)
        rest = rest - part
    return out


def rowsum(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Sums of the rows of a C-ordered (B, k) array; each row's bits do not depend on B or on
    the row's position (tested), and einsum is 1.5-3x faster than x.sum(axis=1) for short rows.
    `kernels._rowsum` adds in the same order (NumPy's einsum on 2-double lanes)."""
    return np.einsum("ij->i", x, out=out)


class Batch:
    """B runs of one PPI model advanced in lock-step; state arrays have a leading run axis.

    Indicators I, It (lagged) and spillovers, kept negated as negS (B, N); officials'
    benefits F, Ft, actions kept negated as Y = −X, Yt, previous direction signt and change
    of benefit changeFt, spotted inefficiency H and count HC, propensities P0 and
    allocation P (B, n). `advance` runs steps 1–6 of a period (and, in `run_ppi`, step 7's
    propensity update) as three compiled loops (`kernels`) and two NumPy exponentials;
    `allocation` is step 7 for callers that allocate with their own budgets. New values go
    into the buffers of values no longer needed and the references are swapped, so the
    arrays a caller took at the start of a period (I, P, F) keep that period's values.
    """

    def __init__(self, spec: PPISpec, u_setup: np.ndarray, parts: list[np.ndarray], allocator: "Allocator",
                 order: np.ndarray | None = None, states: np.ndarray | None = None):
        from . import kernels  # numba: imported on first use, not with `import simulation`

        self.kernels = kernels
        self.spec = spec
        self.states = states  # (B, 4) uint64 SFC64 states after the setup draws: `advance(None)` draws from them
        B = u_setup.shape[0]
        N, n = spec.N, spec.n
        self.B, self.N, self.n = B, N, n
        # internal order: the n instrumental indicators are the first n columns (see `internal_order`)
        assert np.array_equal(spec.inst, np.arange(n)), "Batch expects instrumental indicators first"
        self.gorder = np.arange(N) if order is None else np.array(order, dtype=np.intp)  # growth draws' columns
        self.net = _Network(parts, N)
        self.allocator = allocator
        o = 0
        if spec.P_init is None:  # PPI: random initial propensities
            self.P = initial_allocation(u_setup[:, :n], spec.Bs[:, 0], spec.prog_members)
            o = n
        else:
            self.P = np.empty((B, n))  # C order (np.array of a broadcast would be Fortran order)
            self.P[:] = spec.P_init
        seg = [u_setup[:, o + j * n: o + (j + 1) * n] for j in range(7)]
        self.F, self.Ft = seg[0].copy(), seg[1].copy()
        self.Y, self.Yt = 0.5 - seg[2], 0.5 - seg[3]  # Y = −X (actions), kept negated: e^Y needs no negation
        self.signt = np.sign(seg[4] - 0.5)
        self.changeFt = seg[5] - 0.5
        # seg[6] is PPI's initial C = rand(n)·P: drawn, never used
        self.It = u_setup[:, o + 7 * n:].copy()
        self.I = np.empty((B, N))
        self.I[:] = spec.I0
        self.P0 = self.P.copy()  # PPI keeps the first allocation as the running propensities
        self.Pnext = np.empty((B, n))
        self.H, self.HC = np.ones((B, n)), np.ones((B, n))
        self.C, self.c = np.empty((B, n)), np.empty((B, n))
        # parameters as fresh writable float64 copies: one compiled signature for all (`kernels`)
        self.betas = _vec(spec.betas) if parts else spec.betas / 2.0  # S = 0: 1 / (1 + e^0) = 1/2
        self.span = spec.alphas + spec.alphas_prime
        self.alphas_prime = _vec(spec.alphas_prime)
        self.gov = [(_vec(g.values), -1) if g.kind == "exogenous" else (_EMPTY, int(g.index))
                    for g in (spec.qm, spec.rl)]
        self.clamp = np.array([g.index for g in (spec.qm, spec.rl) if g.kind == "endogenous"], dtype=np.intp)
        # bounds with ±inf where PPI has NaN (no bound): plain minimum / maximum give the same values
        self.Imax = _EMPTY if spec.Imax is None else _vec(np.where(np.isnan(spec.Imax), np.inf, spec.Imax))
        self.Imin = _EMPTY if spec.Imin is None else _vec(np.where(np.isnan(spec.Imin), -np.inf, spec.Imin))
        self.fmode = 0 if spec.frontier is None else 1 if spec.compat == "3.0.7" else 2
        self.frontier = _EMPTY if spec.frontier is None else _vec(spec.frontier)
        self.negS = np.zeros((B, N))  # −S: the network is stored negated (see `_Network`)
        self.eS = np.empty((B, N)) if parts else np.empty((0, 0))
        self.gamma = np.empty((B, N))
        self.gam_sum = np.zeros((B, N))  # Σ γ over the periods advanced
        self.grew = np.zeros((B, N), dtype=np.int64)  # growth counts (periods advanced with count=True)
        # work arrays
        self.dI, self.absdI = np.empty((B, n)), np.empty((B, n))
        self.delta_bin = np.empty((B, N), dtype=np.bool_)
        self.acc = np.empty((B, N)) if len(parts) > 1 else np.empty((B, 0))

    def advance(self, u: np.ndarray | None, tt: int = 0, *, count: bool = True, alloc_t: int | None = None) -> None:
        """Steps 1–6 of a period with its draws u[:, tt] (u: C-ordered (B, periods, 2n + N),
        in PPI's order: monitoring n, growth N in the caller's indicator order, allocation n);
        u None: the kernels draw those 2n + N uniforms from each run's SFC64 state (`states`).
        `count`: add this period's growth to `grew`. With `alloc_t`, also step 7 with the
        draws' last n columns and the allocator's budgets of period alloc_t (new P); without,
        P is left to `allocation`.
        """
        k = self.kernels
        if u is None:
            u, states = _NO_DRAWS, self.states
        else:
            states = _NO_STATES
        k.changes_and_actions(self.I, self.It, self.F, self.Ft, self.Y, self.Yt, self.changeFt, self.signt,
                              self.dI, self.delta_bin, self.absdI)
        self.Y, self.Yt = self.Yt, self.Y  # the new actions were written into the lag's buffer
        np.exp(self.Y, out=self.c)
        (qm, qi), (rl, ri) = self.gov
        net = self.net
        k.benefits_and_spillovers(self.c, self.P, self.C, self.dI, self.H, self.HC, self.Ft, u, tt, states, qm, qi, rl, ri,
                                  self.I, self.delta_bin, net.tables, net.indptr, net.indices, net.values,
                                  self.negS, self.acc, self.gamma, self.betas)
        self.F, self.Ft = self.Ft, self.F  # new benefits in the old lag's buffer; this period's F is the lag
        if net.parts:
            np.exp(self.negS, out=self.eS)
        split = alloc_t is not None and self.allocator.fused
        budget = float(self.allocator.Bs[0, alloc_t]) if split else 0.0
        k.growth_and_levels(self.gamma, self.eS, self.frontier, self.fmode, self.gam_sum, u, tt, states, self.gorder,
                            self.I, self.It, self.span, self.alphas_prime, self.Imax, self.Imin, self.clamp,
                            self.grew, count, self.P0, self.H, self.HC, alloc_t is not None, self.Pnext,
                            budget, split)
        self.It, self.I = self.I, self.It  # new levels in the lag's buffer; this period's I is the lag
        if alloc_t is not None:
            if split:
                self.P, self.Pnext = self.Pnext, self.P
            else:
                self.P = self.allocator(self.P0, alloc_t)

    @property
    def S(self) -> np.ndarray:
        """Spillovers S (B, N) (a new array)."""
        return -self.negS

    # 7. allocation
    def allocation(self, u: np.ndarray, t: int) -> None:
        """P0 += u·H/HC; P = the programmes' budgets Bs[:, t] split by (P0/ΣP0)^bs."""
        w = np.multiply(u, self.H)
        w /= self.HC
        self.P0 += w
        self.P = self.allocator(self.P0, t)

    def governance(self, g: Governance) -> np.ndarray:
        """qm or rl as used in a period: (n,) when exogenous, the governing indicator's level (B, 1) when endogenous."""
        if g.kind == "endogenous":
            return self.I[:, g.index, None]
        return g.values


_EMPTY = np.empty(0)
_NO_DRAWS = np.empty((0, 0, 0))
_NO_STATES = np.empty((0, 4), dtype=np.uint64)


def _vec(x) -> np.ndarray:
    return np.array(x, dtype=float)  # a writable, C-ordered copy


class _Network:
    """The negated network parts (`exact_parts`) as `kernels.benefits_and_spillovers` reads them.

    Subset tables (parts, G, 2^g, N): for each group of g consecutive indicators, the sums
    of their rows over every subset of the group, so a run's −S is G row additions instead
    of one per indicator that grew (the largest g ≤ 4 whose tables take at most
    TABLE_BYTES); or CSR rows when the network is so sparse that adding only its non-zero
    entries is cheaper. Every sum is exact (`exact_parts`): the same bits either way.
    """

    TABLE_BYTES = 2**20
    SCATTER_COST = 8.0  # one scattered addition (CSR) against one addition in a row (tables), measured ~8x

    def __init__(self, parts: list[np.ndarray], N: int):
        self.parts = len(parts)
        neg = [np.negative(p) for p in parts]
        nnz = sum(int(np.count_nonzero(p)) for p in neg)
        g = 4
        while g > 1 and len(neg) * -(-N // g) * 2**g * N * 8 > self.TABLE_BYTES:
            g -= 1
        # expected additions per run and period: half the rows grew (CSR), every group's row (tables)
        use_tables = bool(neg) and self.SCATTER_COST * nnz / 2 > -(-N // g) * N
        G = -(-N // g)
        self.tables = np.zeros((len(neg), G, 2**g, N) if use_tables else (0, 0, 1, N))
        self.indptr = np.zeros((len(neg), N + 1), dtype=np.int64)
        self.indices, self.values = np.empty(0, dtype=np.int64), _EMPTY
        if use_tables:
            for p, a in enumerate(neg):
                rows = np.zeros((G * g, N))
                rows[:N] = a
                for mask in range(1, 2**g):
                    low = mask & -mask  # the subset without its lowest member, plus that member's row (exact)
                    self.tables[p, :, mask] = self.tables[p, :, mask ^ low] + rows[low.bit_length() - 1::g]
            return
        idx, val, off = [], [], 0
        for p, a in enumerate(neg):
            rows, cols = np.nonzero(a)
            self.indptr[p, 1:] = off + np.cumsum(np.bincount(rows, minlength=N))
            self.indptr[p, 0] = off
            idx.append(cols)
            val.append(a[rows, cols])
            off += rows.shape[0]
        if idx:
            self.indices, self.values = np.concatenate(idx).astype(np.int64), np.concatenate(val)


class Allocator:
    """The government's allocation by programme: P_i = Σ_k Bs[k,t] q̂_ki / Σ_j q̂_kj, q̂ = (P0/ΣP0)^bs."""

    def __init__(self, spec: PPISpec):
        self.Bs = spec.Bs_floor
        self.bs = spec.bs
        self.ones = bool((spec.bs == 1).all())
        n = spec.n
        mem = spec.prog_members
        self.single = len(mem) == 1 and np.array_equal(mem[0], np.arange(n))
        self.pos = np.concatenate(mem)
        self.prog = np.repeat(np.arange(len(mem)), [len(m) for m in mem])
        self.starts = np.concatenate(([0], np.cumsum([len(m) for m in mem])[:-1]))
        self.bs_pair = self.bs[self.pos]
        self.partition = self.pos.shape[0] == n  # each indicator in exactly one programme
        self.fused = self.single and self.ones  # `Batch.advance` splits P0 itself (kernels.growth_and_levels)
        if not self.partition:
            order = np.lexsort((self.prog, self.pos))
            self.order = order
            self.pos_starts = np.searchsorted(self.pos[order], np.arange(n))

    def __call__(self, P0: np.ndarray, t: int) -> np.ndarray:
        return self.split(P0, self.Bs[:, t])

    def split(self, P0: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Allocate budgets b, (K,) or per replication (S, K), given last period's P0 (S, n)."""
        if self.single:
            if self.ones:  # q / Σq with q = P0 / ΣP0 is P0 / ΣP0
                return P0 * (b[..., 0:1] / rowsum(P0)[:, None])
            q = P0 / rowsum(P0)[:, None]
            q **= self.bs
            q *= b[..., 0:1] / rowsum(q)[:, None]
            return q
        w = P0.take(self.pos, axis=1)  # C order (fancy indexing gives Fortran order)
        if self.ones:
            qs = w
        else:
            qs = w / np.add.reduceat(w, self.starts, axis=1).take(self.prog, axis=1)
            qs **= self.bs_pair
        contrib = qs * (b / np.add.reduceat(qs, self.starts, axis=1)).take(self.prog, axis=1)
        if self.partition:
            P = np.empty_like(P0)
            P[:, self.pos] = contrib
            return P
        return np.add.reduceat(contrib.take(self.order, axis=1), self.pos_starts, axis=1)


# --------------------------------------------------------------------------- simulation

def setup_length(spec: PPISpec) -> int:
    """Uniforms a run draws before its first period (initial propensities, if random, and the setup draws)."""
    return (spec.n if spec.P_init is None else 0) + 7 * spec.n + spec.N


def internal_order(spec: PPISpec) -> tuple[PPISpec, np.ndarray | None]:
    """The same model with its instrumental indicators first (so no period step gathers columns).

    Returns (spec in internal order, order) where internal column k is original indicator
    order[k]; order is None when the model is already in that order.
    """
    n, N = spec.n, spec.N
    if np.array_equal(spec.inst, np.arange(n)):
        return spec, None
    order = np.concatenate((spec.inst, np.flatnonzero(~spec.R)))
    pos = np.empty(N, dtype=np.intp)
    pos[order] = np.arange(N)

    def perm(x):
        if x is None:
            return None
        y = x[order]
        y.setflags(write=False)
        return y

    def gov(g: Governance) -> Governance:
        return g if g.kind == "exogenous" else Governance("endogenous", index=int(pos[g.index]))

    R = np.zeros(N, dtype=bool)
    R[:n] = True
    A = None if spec.A is None else spec.A[np.ix_(order, order)]
    vals = {k: getattr(spec, k) for k in spec.__dataclass_fields__}
    vals.update(I0=perm(spec.I0), alphas=perm(spec.alphas), alphas_prime=perm(spec.alphas_prime),
                betas=perm(spec.betas), A=A, R=R, inst=np.arange(n), qm=gov(spec.qm), rl=gov(spec.rl),
                Imax=perm(spec.Imax), Imin=perm(spec.Imin), G=perm(spec.G), frontier=perm(spec.frontier))
    return PPISpec(**vals), order


def _simulate_chunk(spec: PPISpec, order: np.ndarray | None, src: UniformSource, u_setup: np.ndarray,
                    rec: _Recorder, r0: int, parts: list[np.ndarray], allocator: Allocator,
                    states: np.ndarray | None = None) -> None:
    """Runs r0.. of a batch; `spec` is in internal order, `order` maps it back (None: identity).
    Period draws come from `src`, or with `states` (SFC64, after the setup draws) from the kernels."""
    N, T = spec.N, spec.T
    back = None if order is None else np.argsort(order)  # original column i is internal column back[i]
    if order is not None:  # uniforms of the N indicators come in the original order
        k = setup_length(spec) - N
        u_setup = u_setup.copy()
        u_setup[:, k:] = u_setup[:, k:].take(order, axis=1)
    b = Batch(spec, u_setup, parts, allocator, order, states)
    rec.back = back  # the recorder maps N-row series back to the original order
    r1 = r0 + b.B
    orig = (lambda x: x) if back is None else (lambda x: x.take(back, axis=1))
    for t in range(T):
        if t == T - 1:
            rec.I_final[r0:r1] = orig(b.I)
        I, P, F = b.I, b.P, b.F  # this period's levels, allocations and benefits (kept by `advance`)
        if states is None:
            b.advance(*src.period_block(t), count=t < T - 1, alloc_t=t)
        else:
            b.advance(None, count=t < T - 1, alloc_t=t)
        if rec.keep != "final":
            rec.period(r0, r1, t, I=I, C=b.C, F=F, P=P, S=b.negS, G=b.gamma)  # S negated (see Batch)
    rec.gamma_mean[r0:r1] = orig(b.gam_sum) / T
    rec.success[r0:r1] = orig(b.grew) / max(T - 1, 1)


def default_chunk(N: int) -> int:
    """Runs advanced together: enough to amortise the per-period Python, NumPy and kernel-call
    costs (about 25 µs), small enough for cache (a multiple of SUM_BLOCK, so streamed sums
    over runs take whole blocks; 64–320 runs time the same at N = 100 with the kernels)."""
    return int(min(512, max(32, 2**14 // max(N, 1)))) // SUM_BLOCK * SUM_BLOCK


def simulate(spec: PPISpec, runs: int = 1, seed: int | None = None, *, keep: str = "auto", first_run: int = 0,
             chunk: int | None = None, legacy_seeds: Sequence[int] | None = None,
             progress: Callable[[int], None] | None = None) -> PPIResult:
    """Run `runs` Monte Carlo runs of a prepared PPI model (see `run_ppi`)."""
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise ValueError(f"runs must be a positive integer, got {runs!r}")
    if legacy_seeds is not None:
        legacy_seeds = [int(s) for s in legacy_seeds]
        if len(legacy_seeds) != runs:
            raise ValueError(f"legacy_seeds has {len(legacy_seeds)} seeds for {runs} runs")
        seed = None
    elif seed is None:
        seed = int(np.random.SeedSequence().entropy)
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    else:
        seed = int(seed)
    if first_run < 0:
        raise ValueError("first_run must be >= 0")
    keep = resolve_keep(keep, runs, spec.T, spec.N, spec.n)
    chunk = chunk or default_chunk(spec.N)
    rec = _Recorder(runs, spec.T, spec.N, spec.n, keep)
    _run_chunks(spec, rec, runs, chunk, seed, first_run, legacy_seeds, progress)
    return PPIResult(runs=runs, T=spec.T, N=spec.N, instrumental=spec.inst.copy(), seed=seed, first_run=first_run,
                     compat=spec.compat, keep=keep, I_final=rec.I_final, gamma_mean=rec.gamma_mean,
                     success_rate=rec.success, _series=rec.series, _means=rec.means)


def _run_chunks(spec, rec, runs, chunk, seed, first_run, legacy_seeds, progress) -> None:
    spec, order = internal_order(spec)
    parts = exact_parts(spec.A) if spec.A is not None else []
    allocator = Allocator(spec)
    src = UniformSource(setup_length(spec), 2 * spec.n + spec.N, spec.T, min(chunk, runs))
    pool = GeneratorPool()
    for r0 in range(0, runs, chunk):
        r1 = min(runs, r0 + chunk)
        states = None
        if legacy_seeds is not None:
            u_setup = src.start(_legacy_fns(legacy_seeds[r0:r1]), fills=False)
        elif (states := sfc64_states(seed, range(first_run + r0, first_run + r1))) is not None:
            from . import kernels  # numba: imported on first use

            u_setup = np.empty((r1 - r0, setup_length(spec)))
            kernels.sfc64_fill(states, u_setup)  # the kernels draw the periods' uniforms from here on
        else:  # run indices past 2^32: NumPy's own generators
            u_setup = src.start(pool.fills(seed, range(first_run + r0, first_run + r1)), fills=True)
        _simulate_chunk(spec, order, src, u_setup, rec, r0, parts, allocator, states)
        if progress:
            progress(r1 - r0)


def run_ppi(I0, alphas, alphas_prime, betas, A=None, R=None, bs=None, qm=None, rl=None, Imax=None, Imin=None,
            Bs=None, B_dict=None, G=None, T=None, frontier=None, *, runs: int = 1, seed: int | None = None,
            compat: str = "3.0.7", keep: str = "auto", first_run: int = 0, chunk: int | None = None,
            legacy_seeds: Sequence[int] | None = None,
            progress: Callable[[int], None] | None = None) -> PPIResult:
    """Run PPI's model `runs` times, vectorised over runs.

    The positional and keyword arguments up to `frontier` have the names and meanings of
    `policy_priority_inference.run_ppi` 3.0.7: I0, alphas, alphas_prime, betas (N,);
    A (N, N) network (rows = origins); R (N,) 1 = instrumental; bs (n,); qm and rl: a
    float (constant), an int (index of the indicator that measures it, endogenous) or a
    vector (N or n entries); Imax, Imin (N,) with NaN = no bound; Bs (T,) or (K, T)
    budgets by programme and period; B_dict {indicator: [programme rows of Bs]}; G (N,)
    goals for the initial allocation; T periods (default 50, or the columns of Bs);
    frontier (N,) exogenous growth probabilities (NaN = endogenous).

    Keyword-only:
        runs: Monte Carlo runs. seed: root seed (None → fresh entropy, kept in the
        result); run r uses SeedSequence(seed) child `first_run + r`, so results do not
        depend on `chunk` or on how runs are split over calls.
        compat: "3.0.7" reproduces PPI 3.0.7 including its quirks; "fixed" corrects the
        initial allocation with goals G (gaps of the instrumental indicators, not of the
        first n) and treats NaN frontier entries as endogenous (see docs/ppi.md).
        keep: "series" (all six series per run), "mean" (their means over runs, streamed:
        memory O(T·N) on top of the per-run arrays), "final" (only final levels, mean γ and
        success rates per run: memory O(runs·N)), or "auto" (default): "series" while they
        hold at most 2^20 values (runs·T·3(N+n)), else "mean" — `result.keep` says which.
        legacy_seeds: one seed per run; run r then reproduces PPI's
        `np.random.seed(legacy_seeds[r]); run_ppi(...)`.

    Inputs are never modified. Inconsistent inputs raise `PPIInputError` (a ValueError).
    """
    spec = prepare(I0, alphas, alphas_prime, betas, A=A, R=R, bs=bs, qm=qm, rl=rl, Imax=Imax, Imin=Imin, Bs=Bs,
                   B_dict=B_dict, G=G, T=T, frontier=frontier, compat=compat)
    return simulate(spec, runs, seed, keep=keep, first_run=first_run, chunk=chunk, legacy_seeds=legacy_seeds,
                    progress=progress)
