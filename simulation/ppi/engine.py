"""PPI 3.0.7 dynamics, vectorised over Monte Carlo runs.

Each period of PPI (Guerrero & Castañeda's Policy Priority Inference, `run_ppi`) is one
method of `Batch`, in PPI's own order, on arrays with a leading run axis B:

1. `indicator_changes`: ΔBin = 1[I > I_{t-1}] and the normalised changes of the
   instrumental indicators ΔI / Σ|ΔI|.
2. `contributions`: officials adjust their action X by the sign of ΔF·ΔX and contribute
   C = P / (1 + e^-X); the rest, P − C, is diverted.
3. `benefits`: diversion is spotted with probability qm · (P / max P) · (P − C) / P;
   the benefit F = ΔI·C/P + (1 − θ·rl)·(P − C)/P; spotted inefficiency accumulates in H.
4. `spillovers`: S = ΔBin · A.
5. `growth_probabilities`: γ = β (c + ΣC / (ΣP + 1)) / (1 + e^-S) (or the frontier).
6. `indicators`: +α with probability γ, else −α'; bounds Imin/Imax; an endogenous
   governance indicator is clamped to [0, 1].
7. `allocation`: propensities P0 += u · H / HC, then each programme k splits its budget
   Bs[k, t] over its indicators in proportion to (P0 / Σ P0)^bs.

Internally the instrumental indicators come first (`internal_order`), so no step
gathers columns; results are returned in the caller's order.

Random numbers: run r draws uniforms from its own stream (an SFC64 generator seeded by
SeedSequence(seed) child r, `spawn_key=(r,)`), in exactly the order PPI draws them from
NumPy's global state (setup: [p0], F, Ft, X, Xt, sign, ΔFt, C, It; then per period:
monitoring (n), growth (N), allocation (n)). So a run does not depend on how runs are
batched, and with `legacy_seeds` (one NumPy RandomState seed per run) a run reproduces
PPI's own `np.random.seed(s); run_ppi(...)` to rounding.

Spillovers are exact sums (A rounded to a power-of-two grid fine enough that any sum of
N entries is exact in float64), so the matrix product gives the same bits whatever the
batch size — BLAS kernels otherwise round differently for different shapes, and PPI's
dynamics amplify last-bit differences.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from .results import KEEP_MODES, SERIES, SUM_BLOCK, Keep, PPIResult, _Recorder, resolve_keep  # noqa: F401 (re-exported)
from .spec import Governance, PPISpec, initial_allocation, prepare
from .streams import (  # noqa: F401 (re-exported)
    GeneratorPool,
    UniformSource,
    _generator_fns,
    _legacy_fns,
    run_seed_sequence,
    sfc64_generators,
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


def _rows(v: np.ndarray, B: int) -> np.ndarray:
    out = np.empty((B, v.shape[0]))
    out[:] = v
    return out


def rowsum(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Sums of the rows of a C-ordered (B, k) array; each row's bits do not depend on B or on
    the row's position (tested), and einsum is 1.5-3x faster than x.sum(axis=1) for short rows."""
    return np.einsum("ij->i", x, out=out)


def rowmax(x: np.ndarray, xt: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Maxima of the rows of (B, k) x via a transposed copy xt (k, B): NumPy reduces short rows
    one by one (slow); down the columns of xt it is a few vector operations. Exact either way."""
    np.copyto(xt, x.T)
    return np.maximum.reduce(xt, axis=0, out=out)


class Batch:
    """B runs of one PPI model advanced in lock-step; state arrays have a leading run axis.

    Indicators I, It (lagged) and spillovers, kept negated as negS (B, N); officials'
    benefits F, Ft, actions kept negated as Y = −X, Yt, previous direction signt and change
    of benefit changeFt, spotted inefficiency H and count HC, propensities P0 and
    allocation P (B, n). Each method is one step of PPI's period, in PPI's order (the
    arithmetic is reordered where that saves a pass over the arrays, which changes last
    bits only); arrays are updated in place to keep the working set small.
    """

    def __init__(self, spec: PPISpec, u_setup: np.ndarray, parts: list[np.ndarray], allocator: "Allocator"):
        self.spec = spec
        B = u_setup.shape[0]
        N, n = spec.N, spec.n
        self.B, self.N, self.n = B, N, n
        # internal order: the n instrumental indicators are the first n columns (see `internal_order`)
        assert np.array_equal(spec.inst, np.arange(n)), "Batch expects instrumental indicators first"
        self.parts = [np.negative(p) for p in parts]  # −A: the spillovers are kept negated (exact)
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
        self.H, self.HC = np.ones((B, n)), np.ones((B, n))
        self.C, self.c, self.r = np.empty((B, n)), np.empty((B, n)), np.empty((B, n))
        # per-indicator parameters broadcast to (B, ·) once: NumPy is about twice as fast on
        # same-shape operands as on a broadcast row
        self.betas = _rows(spec.betas if parts else spec.betas / 2.0, B)  # S = 0: 1 / (1 + e^0) = 1/2
        self.span = _rows(spec.alphas + spec.alphas_prime, B)
        self.alphas_prime = _rows(spec.alphas_prime, B)
        self._gov = {id(g): _rows(g.values, B) for g in (spec.qm, spec.rl) if g.kind == "exogenous"}
        # bounds with ±inf where PPI has NaN (no bound): plain minimum / maximum give the same values
        self.Imax = None if spec.Imax is None else _rows(np.where(np.isnan(spec.Imax), np.inf, spec.Imax), B)
        self.Imin = None if spec.Imin is None else _rows(np.where(np.isnan(spec.Imin), -np.inf, spec.Imin), B)
        self.frontier_set = None if spec.frontier is None else ~np.isnan(spec.frontier)
        self.negS = np.zeros((B, N))  # −S: the network is stored negated (see `spillovers`)
        self.gamma = np.empty((B, N))
        # work arrays
        self.dI, self.w1, self.changeF, self.sign = (np.empty((B, n)) for _ in range(4))
        self.theta = np.empty((B, n))  # 0/1 as floats: one cast instead of three mixed operations
        self.grew = np.empty((B, N), dtype=bool)
        self.delta_bin = np.empty((B, N), dtype=bool)
        self.wN = np.empty((B, N))
        self.wT = np.empty((n, B))  # transposed copy for row maxima
        self.vB, self.vB2 = np.empty(B), np.empty(B)

    # 1. register indicator changes
    def indicator_changes(self) -> None:
        """ΔBin = 1[I > I_{t-1}]; ΔI = (I − I_{t-1}) / Σ|I − I_{t-1}| over instrumental indicators."""
        np.greater(self.I, self.It, out=self.delta_bin)
        n = self.n
        np.subtract(self.I[:, :n], self.It[:, :n], out=self.dI)
        total = rowsum(np.abs(self.dI, out=self.w1), self.vB)
        total[total == 0] = 1.0
        np.divide(1.0, total, out=total)
        self.dI *= total[:, None]  # one division per run, not per indicator

    # 2. contributions
    def contributions(self) -> None:
        """X ← X + sign(ΔF·ΔX)·|ΔF| (last direction / change when undefined); C = P / (1 + e^-X).

        Also keeps c = C/P = 1/(1 + e^-X) and the diverted share r = (P − C)/P = 1 − c.
        """
        changeF, sign, w1 = self.changeF, self.sign, self.w1
        np.subtract(self.F, self.Ft, out=changeF)
        np.subtract(self.Yt, self.Y, out=w1)  # X − X_{t−1}
        np.multiply(changeF, w1, out=w1)
        np.sign(w1, out=sign)
        if not w1.all():  # rare: a benefit or an action did not change
            np.copyto(changeF, self.changeFt, where=changeF == 0)
            np.copyto(sign, self.signt, where=sign == 0)
        self.Yt, self.Y = self.Y, self.Yt  # the old X becomes the lag; its buffer receives the new X
        np.abs(changeF, out=w1)
        w1 *= sign
        np.subtract(self.Yt, w1, out=self.Y)  # −(X_{t−1} + step)
        c, r = self.c, self.r
        np.exp(self.Y, out=c)
        c += 1.0
        np.divide(1.0, c, out=c)  # the same bits as np.reciprocal, 2x faster
        np.multiply(self.P, c, out=self.C)
        np.subtract(1.0, c, out=r)
        # the buffers of this period's sign and change become the "previous" ones
        self.signt, self.sign = sign, self.signt
        self.changeFt, self.changeF = changeF, self.changeFt

    # 3. benefits, monitoring and punishment
    def benefits(self, u: np.ndarray, qm, rl) -> None:
        """θ = 1[u < qm·(P/max P)·r]; H += θ·r; HC += θ; F = ΔI·c + r − rl·θ·r (c = C/P, r = 1 − c)."""
        P, c, r, w1, theta = self.P, self.c, self.r, self.w1, self.theta
        inv = np.divide(1.0, rowmax(P, self.wT, self.vB2), out=self.vB2)
        np.multiply(P, inv[:, None], out=w1)  # P / max P
        w1 *= qm
        w1 *= r
        np.less(u, w1, out=theta)
        np.multiply(r, theta, out=w1)  # exact: r·1 = r, r·0 = 0
        self.H += w1
        self.HC += theta
        w1 *= rl
        np.subtract(r, w1, out=w1)  # (1 − θ·rl)·r
        self.Ft, self.F = self.F, self.Ft
        np.multiply(self.dI, c, out=self.F)
        self.F += w1

    # 4. spillovers
    def spillovers(self) -> None:
        """S = ΔBin · A, exact (see `exact_parts`); stored as −S = ΔBin · (−A) (`parts` are negated)."""
        if not self.parts:
            return
        D = self.wN
        np.copyto(D, self.delta_bin)
        np.matmul(D, self.parts[0], out=self.negS)
        for part in self.parts[1:]:
            self.negS += D @ part

    @property
    def S(self) -> np.ndarray:
        """Spillovers S (B, N) (a new array)."""
        return -self.negS

    # 5. growth probabilities
    def growth_probabilities(self) -> None:
        """γ = β (c + ΣC / (ΣP + 1)) / (1 + e^-S), c = C on instrumental indicators, 0 elsewhere."""
        spec, gam = self.spec, self.gamma
        share = rowsum(self.C, self.vB)
        share /= rowsum(self.P, self.vB2) + 1.0
        n = self.n
        np.add(self.C, share[:, None], out=gam[:, :n])
        if n < self.N:
            gam[:, n:] = share[:, None]
        gam *= self.betas  # halved when there is no network (S = 0)
        if self.parts:
            np.exp(self.negS, out=self.wN)
            self.wN += 1.0
            gam /= self.wN
        if spec.frontier is not None:
            if spec.compat == "3.0.7":
                gam[:] = spec.frontier  # PPI 3.0.7 replaces the whole vector, NaN entries included
            else:
                self.gamma = np.where(self.frontier_set, spec.frontier, gam)

    # 6. indicators
    def indicators(self, u: np.ndarray) -> None:
        """I ← I + α with probability γ, else I − α'; bounds; governance indicators clamped to [0, 1].

        The step is 1[u < γ]·(α + α') − α' (no masked copy, no new array): the new levels go
        into the buffer of the lag, which `indicator_changes` has used for the last time.
        """
        spec = self.spec
        np.less(u, self.gamma, out=self.grew)
        np.multiply(self.grew, self.span, out=self.wN)
        self.wN -= self.alphas_prime
        new = self.It
        np.add(self.I, self.wN, out=new)
        if self.Imax is not None:
            np.minimum(new, self.Imax, out=new)
        if self.Imin is not None:
            np.maximum(new, self.Imin, out=new)
        for g in (spec.qm, spec.rl):
            if g.kind == "endogenous":
                np.clip(new[:, g.index], 0.0, 1.0, out=new[:, g.index])
        self.It, self.I = self.I, new

    # 7. allocation
    def allocation(self, u: np.ndarray, t: int) -> None:
        """P0 += u·H/HC; P = the programmes' budgets Bs[:, t] split by (P0/ΣP0)^bs."""
        np.multiply(u, self.H, out=self.w1)
        self.w1 /= self.HC
        self.P0 += self.w1
        self.P = self.allocator(self.P0, t)

    def governance(self, g: Governance) -> np.ndarray:
        """qm or rl for `benefits`: (B, n) when exogenous, the governing indicator's level (B, 1) when endogenous."""
        if g.kind == "endogenous":
            return self.I[:, g.index, None]
        full = self._gov.get(id(g))  # this spec's qm / rl, expanded once
        return g.values if full is None else full


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

def _setup_len(spec: PPISpec) -> int:
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
                    rec: _Recorder, r0: int, parts: list[np.ndarray], allocator: Allocator) -> None:
    """Runs r0.. of a batch; `spec` is in internal order, `order` maps it back (None: identity)."""
    N, n, T = spec.N, spec.n, spec.T
    back = None if order is None else np.argsort(order)  # original column i is internal column back[i]
    if order is not None:  # uniforms of the N indicators come in the original order
        k = _setup_len(spec) - N
        u_setup = u_setup.copy()
        u_setup[:, k:] = u_setup[:, k:].take(order, axis=1)
    b = Batch(spec, u_setup, parts, allocator)
    rec.back = back  # the recorder maps N-row series back to the original order
    gam_sum = np.zeros((b.B, N))
    grew = np.zeros((b.B, N))
    grew8 = np.zeros((b.B, N), dtype=np.uint8)  # growth counts since the last flush (at most 255)
    r1 = r0 + b.B
    orig = (lambda x: x) if back is None else (lambda x: x.take(back, axis=1))
    for t in range(T):
        v = src.period(t)
        u_mon, u_grow, u_alloc = v[:, :n], v[:, n:n + N], v[:, n + N:]
        if order is not None:
            u_grow = u_grow.take(order, axis=1)
        qm, rl = b.governance(spec.qm), b.governance(spec.rl)
        if t == T - 1:
            rec.I_final[r0:r1] = orig(b.I)
        I, P, F = b.I, b.P, b.F  # this period's levels, allocations and benefits (recorded below)
        b.indicator_changes()
        b.contributions()
        b.benefits(u_mon, qm, rl)  # F's old buffer becomes Ft: intact until the next period
        b.spillovers()
        b.growth_probabilities()
        gam_sum += b.gamma
        if rec.keep != "final":
            rec.period(r0, r1, t, I=I, C=b.C, F=F, P=P, S=b.negS, G=b.gamma)  # S negated (see Batch)
        b.indicators(u_grow)  # I's buffer is kept until indicator_changes of the next period
        if t < T - 1:
            grew8 += b.grew.view(np.uint8)
            if t % 255 == 254:
                grew += grew8
                grew8[:] = 0
        b.allocation(u_alloc, t)
    grew += grew8
    rec.gamma_mean[r0:r1] = orig(gam_sum) / T
    rec.success[r0:r1] = orig(grew) / max(T - 1, 1)


def default_chunk(N: int) -> int:
    """Runs advanced together: enough to amortise NumPy's per-call cost, small enough for cache
    (a multiple of SUM_BLOCK, so streamed sums over runs take whole blocks)."""
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
    with threadpool_limits(1, user_api="blas"):  # small products: threads only contend
        _run_chunks(spec, rec, runs, chunk, seed, first_run, legacy_seeds, progress)
    return PPIResult(runs=runs, T=spec.T, N=spec.N, instrumental=spec.inst.copy(), seed=seed, first_run=first_run,
                     compat=spec.compat, keep=keep, I_final=rec.I_final, gamma_mean=rec.gamma_mean,
                     success_rate=rec.success, _series=rec.series, _means=rec.means)


def _run_chunks(spec, rec, runs, chunk, seed, first_run, legacy_seeds, progress) -> None:
    spec, order = internal_order(spec)
    parts = exact_parts(spec.A) if spec.A is not None else []
    allocator = Allocator(spec)
    src = UniformSource(_setup_len(spec), 2 * spec.n + spec.N, spec.T, min(chunk, runs))
    pool = GeneratorPool()
    for r0 in range(0, runs, chunk):
        r1 = min(runs, r0 + chunk)
        if legacy_seeds is not None:
            u_setup = src.start(_legacy_fns(legacy_seeds[r0:r1]), fills=False)
        else:
            u_setup = src.start(pool.fills(seed, range(first_run + r0, first_run + r1)), fills=True)
        _simulate_chunk(spec, order, src, u_setup, rec, r0, parts, allocator)
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
