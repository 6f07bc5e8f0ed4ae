"""Compiled (numba) loops for one PPI period over a chunk of runs: what `engine.Batch.advance` runs.

One period of PPI was about 45 NumPy array operations over (runs, N) arrays; here it is
three fused loops, each run's row handled start to finish before the next one:

* `changes_and_actions`: step 1 (ΔBin, normalised ΔI) and step 2 up to the new actions;
* `benefits_and_spillovers`: the rest of step 2 (c = 1/(1 + e^-X), C), step 3
  (monitoring, punishment, H, HC, new benefits F), step 4 (spillovers: exact sums of the
  network rows of the indicators that grew, from tables of the sums of groups of four
  rows or from sparse rows, the same bits either way) and step 5 up to β·(c + ΣC/(ΣP + 1));
* `growth_and_levels`: the rest of step 5 (÷ (1 + e^-S), frontier), step 6 (new levels,
  bounds, governance clamp), the running sums of γ and growth counts, and step 7's
  propensity update P0 += u·H/HC with, for one programme and bs = 1, the split itself.

`run_sums_add` is the streamed sum over runs of `results.RunSums` (keep="mean").

The uniforms: with SFC64 streams the loops draw them themselves, each run's from its own
generator state ((runs, 4) uint64 as NumPy's state array: a, b, c, counter), with NumPy's
`sfc64_next` and `Generator.random`'s (x >> 11)·2^-53, so the doubles are NumPy's bit for
bit, in PPI's order: the setup draws (`sfc64_fill`), then per period the n monitoring
draws in `benefits_and_spillovers` and the N growth and n allocation draws in
`growth_and_levels`. Otherwise (legacy seeds) they read a buffer of draws made by NumPy.
That removes the buffer's memory traffic and NumPy's per-run calls as well as the
drawing.

The two exponentials stay NumPy calls between the loops (`np.exp` on the whole chunk):
NumPy's vectorised exp is 5x faster here than numba's scalar one (libm), which also
differs from it in the last bit for about 5 % of arguments. Every other operation is
+, −, ×, ÷, a comparison or a maximum, done in the order the NumPy engine did them (row
sums in the order of NumPy's einsum, `_rowsum`; maxima and the exact spillover sums in
any order), so the compiled engine gives the NumPy engine's bits. No fastmath, no
threads; each run's arithmetic touches only its own row, so the results do not depend
on how runs are chunked.

Compiled with `cache=True` when this module is first imported (by the first `Batch`, not
by `import simulation`; `make demo` and `make test` import it after installing and whenever
this file changes, so their commands do not pay it): in a fresh environment that compiles (6-13 s on the development
machine, depending on its load; a line on stderr says so after 2 s) and writes the machine
code next to this file (`__pycache__`), later processes load it (about 0.4-0.6 s).
When that directory is not writable numba caches in the user's cache directory
(~/.cache/numba); when neither is, `_jit` compiles without a cache, in every process.
`error_model="numpy"`: a division by zero gives inf/NaN as in NumPy (no exception check,
which would also keep the loops from being vectorised).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from ..extras import require

require("ppi")  # numba comes with the 'ppi' extra: without it a MissingExtra naming it, not a ModuleNotFoundError
from numba import njit  # noqa: E402 - after the check above

# Compiling takes seconds the first time (then the cache loads in under a second): say so if
# this import takes longer than a cached load, so a first `sdgsim ppi` does not look stuck.
_NOTICE = threading.Timer(2.0, lambda: print("sdgsim: compiling the PPI engine's loops (once after installing, "
                                             "about 10-15 s)...", file=sys.stderr, flush=True))
_NOTICE.daemon = True
_NOTICE.start()

# Explicit signatures: every array is C-ordered float64 (bool, int64 where noted); the
# uniforms come as the (runs, periods, 2n + N) buffer and the period's index in it. One
# compiled version per kernel, compiled (or loaded from the cache) when this module is imported.
_M = "f8[:, ::1]"
_V = "f8[::1]"
_U = "f8[:, :, ::1]"
_SIG_CHANGES = f"void({', '.join([_M] * 9)}, b1[:, ::1], {_M})"
_S = "u8[:, ::1]"
_SIG_BENEFITS = (f"void({_M}, {_M}, {_M}, {_M}, {_M}, {_M}, {_M}, {_U}, i8, {_S}, {_V}, i8, {_V}, i8, {_M}, "
                 f"b1[:, ::1], f8[:, :, :, ::1], i8[:, ::1], i8[::1], {_V}, {_M}, {_M}, {_M}, {_V})")
_SIG_GROWTH = (f"void({_M}, {_M}, {_V}, i8, {_M}, {_U}, i8, {_S}, i8[::1], {_M}, {_M}, {_V}, {_V}, {_V}, {_V}, "
               f"i8[::1], i8[:, ::1], b1, {_M}, {_M}, {_M}, b1, {_M}, f8, b1)")

# SFC64 (numpy/random/src/sfc64): shifts and the step as uint64 constants (a Python int
# would make numba compute in float64); doubles are the top 53 bits times 2^-53.
_SH3, _SH11, _SH24, _SH40, _ONE = (np.uint64(k) for k in (3, 11, 24, 40, 1))
_TO_DOUBLE = 1.0 / 9007199254740992.0


def _jit(signature: str):
    """njit(signature, cache=True, nogil=True, error_model="numpy"), or the same without the
    cache when numba finds no writable cache location (a read-only install with a read-only
    home: numba then raises at decoration instead of falling back)."""

    def wrap(fn):
        try:
            return njit(signature, cache=True, nogil=True, error_model="numpy")(fn)
        except RuntimeError as e:
            if "cannot cache" not in str(e):
                raise
            return njit(signature, cache=False, nogil=True, error_model="numpy")(fn)

    return wrap


@njit(inline="always")
def _sfc64_fill(states, b, out):
    """out[:] = the next len(out) doubles of run b's SFC64 stream, as NumPy's
    `Generator(SFC64).random`; states[b] = (a, b, c, counter) as NumPy's state array,
    advanced in place."""
    a, s1, c, w = states[b, 0], states[b, 1], states[b, 2], states[b, 3]
    for i in range(out.shape[0]):
        tmp = a + s1 + w
        w += _ONE
        a = s1 ^ (s1 >> _SH11)
        s1 = c + (c << _SH3)
        c = ((c << _SH24) | (c >> _SH40)) + tmp
        out[i] = np.float64(tmp >> _SH11) * _TO_DOUBLE
    states[b, 0], states[b, 1], states[b, 2], states[b, 3] = a, s1, c, w


@_jit("void(u8[:, ::1], f8[:, ::1])")
def sfc64_fill(states, out):
    """Row b of out = the next out.shape[1] uniforms of the SFC64 stream whose state is
    states[b] (the same doubles as NumPy's `Generator(SFC64).random`); states advance in place."""
    for b in range(out.shape[0]):
        _sfc64_fill(states, b, out[b])


@njit(inline="always")
def _rowsum(x):
    """Σ x (1-d) in NumPy einsum's order ("ij->i" on 2-double SIMD lanes, 4 vectors a step).

    Lane 0 adds the even positions, lane 1 the odd ones, in blocks of 8 pre-added as
    (a0 + a2) + (a4 + a6); the remainder goes lane by lane; the lanes are added last.
    A fixed order of our own; it is einsum's on NumPy builds whose baseline SIMD has
    128-bit vectors (x86-64 and arm64 wheels), which is what made this engine give the
    same bits as the NumPy one it replaced (checked on 13 models, both compat modes).
    """
    n = x.shape[0]
    l0 = 0.0
    l1 = 0.0
    i = 0
    while n - i >= 8:
        l0 = ((x[i] + x[i + 2]) + (x[i + 4] + x[i + 6])) + l0
        l1 = ((x[i + 1] + x[i + 3]) + (x[i + 5] + x[i + 7])) + l1
        i += 8
    while i < n:
        l0 = x[i] + l0
        l1 = (x[i + 1] if i + 1 < n else 0.0) + l1
        i += 2
    return l0 + l1


@njit(inline="always")
def _rowmax(x):
    """max x (1-d) as np.maximum.reduce (NaN if any), with four independent running maxima."""
    n = x.shape[0]
    m0 = m1 = m2 = m3 = x[0]
    nan = False
    i = 0
    while n - i >= 4:
        a, b, c, d = x[i], x[i + 1], x[i + 2], x[i + 3]
        m0 = a if a > m0 else m0
        m1 = b if b > m1 else m1
        m2 = c if c > m2 else m2
        m3 = d if d > m3 else m3
        nan |= (a != a) | (b != b) | (c != c) | (d != d)
        i += 4
    while i < n:
        a = x[i]
        m0 = a if a > m0 else m0
        nan |= a != a
        i += 1
    m0 = m1 if m1 > m0 else m0
    m2 = m3 if m3 > m2 else m2
    m0 = m2 if m2 > m0 else m0
    return np.nan if nan else m0


@_jit(_SIG_CHANGES)
def changes_and_actions(I, It, F, Ft, Y, Yt, changeFt, signt, dI, dbin, absdI):
    """Steps 1 and 2 (to the new actions), per run b:

    dbin = 1[I > I_{t-1}]; dI = (I − I_{t-1})/Σ|I − I_{t-1}| over the n instrumental
    indicators (÷ 1 when Σ = 0); ΔF = F − F_{t-1} and s = sign(ΔF·ΔX), the last period's
    ΔF or s where zero; X ← X + s·|ΔF|, kept negated (Y = −X): the new Y goes into the
    buffer of Yt (the caller swaps Y and Yt), ΔF and s into changeFt and signt.
    """
    B, N = I.shape
    n = dI.shape[1]
    for b in range(B):
        Ib, Itb, db, ab = I[b], It[b], dI[b], absdI[b]
        Fb, Ftb, Yb, Ytb, cfb, sb = F[b], Ft[b], Y[b], Yt[b], changeFt[b], signt[b]
        for j in range(N):
            dbin[b, j] = Ib[j] > Itb[j]
        for i in range(n):
            d = Ib[i] - Itb[i]
            db[i] = d
            ab[i] = abs(d)
        total = _rowsum(ab)
        inv = 1.0 / (1.0 if total == 0.0 else total)
        for i in range(n):
            db[i] *= inv
        for i in range(n):
            cf = Fb[i] - Ftb[i]
            x = cf * (Ytb[i] - Yb[i])  # ΔF·(X − X_{t−1})
            s = np.float64(x > 0.0) - np.float64(x < 0.0)  # np.sign without branches (NaN: below)
            s = x if x != x else s
            cf = cfb[i] if cf == 0.0 else cf
            s = sb[i] if s == 0.0 else s
            cfb[i] = cf
            sb[i] = s
            Ytb[i] = Yb[i] - abs(cf) * s


@_jit(_SIG_BENEFITS)
def benefits_and_spillovers(c, P, C, dI, H, HC, Fnew, u, tt, states, qm, qm_idx, rl, rl_idx, I, dbin,
                            tables, indptr, indices, values, negS, acc, gam, betas):
    """Step 2's contributions, step 3, step 4 and step 5 up to γ·(1 + e^-S), per run b.

    On entry c = e^Y (Y = −X, from NumPy); on exit c = 1/(1 + e^-X) and C = P·c.
    θ = 1[u < ((P/max P)·qm)·r] with r = 1 − c and u = u[b, tt, :n], or, when `states` is not
    empty, the next n draws of run b's SFC64 stream (`sfc64_fill`); H += r·θ; HC += θ;
    the new benefits F = ΔI·c + (r − (r·θ)·rl) go into Fnew. qm, rl (n,) values, or the
    level of indicator qm_idx / rl_idx when that is ≥ 0 (endogenous).
    −S = Σ over indicators j that grew of the negated network's row j, for each part of
    the network (`engine.exact_parts`), read from `tables` (parts, G, 2^g, N): the sums of
    the rows of each group of g consecutive indicators over the 2^g subsets of the group
    (a group's growth flags index its row), or, when `tables` is empty, from CSR rows
    (indptr (parts, N + 1), indices, values). Every partial sum is exact, so the order of
    addition does not matter. γ = β·(C + ΣC/(ΣP + 1)) on the
    instrumental indicators, β·ΣC/(ΣP + 1) on the others.
    """
    B, N = gam.shape
    n = P.shape[1]
    parts = indptr.shape[0]
    use_tables = tables.shape[0] > 0
    groups, g = tables.shape[1], 0
    while (1 << g) < tables.shape[2]:
        g += 1
    active = np.empty(N, dtype=np.int64)
    qrow, rrow = np.empty(n), np.empty(n)
    r, w = np.empty(n), np.empty(n)
    ub = np.empty(n)
    gen = states.shape[0] > 0
    for b in range(B):
        cb, Pb, Cb, db, Hb, HCb, Fb = c[b], P[b], C[b], dI[b], H[b], HC[b], Fnew[b]
        if gen:
            _sfc64_fill(states, b, ub)
        else:
            ub[:] = u[b, tt, :n]
        inv = 1.0 / _rowmax(Pb)
        if qm_idx >= 0:
            qrow[:] = I[b, qm_idx]
        if rl_idx >= 0:
            rrow[:] = I[b, rl_idx]
        q = qm if qm_idx < 0 else qrow
        rv = rl if rl_idx < 0 else rrow
        for i in range(n):
            ci = 1.0 / (cb[i] + 1.0)
            cb[i] = ci
            Cb[i] = Pb[i] * ci
            r[i] = 1.0 - ci
        for i in range(n):
            w[i] = ((Pb[i] * inv) * q[i]) * r[i]
        for i in range(n):
            theta = np.float64(ub[i] < w[i])
            rt = r[i] * theta
            Hb[i] += rt
            HCb[i] += theta
            w[i] = rt * rv[i]
        for i in range(n):
            Fb[i] = db[i] * cb[i] + (r[i] - w[i])
        m = 0
        if use_tables:  # each group's subset of indicators that grew, as a number 0 .. 2^g − 1
            for q in range(groups):
                mask = 0
                for i in range(g):
                    j = q * g + i
                    if j < N:
                        mask |= np.int64(dbin[b, j]) << i
                active[q] = mask
        else:
            for j in range(N):  # the indicators that grew, listed without a branch per indicator
                active[m] = j
                m += dbin[b, j]
        for p in range(parts):
            a = negS[b] if p == 0 else acc[b]
            a[:] = 0.0
            if use_tables:
                for q in range(groups):
                    if active[q]:
                        row = tables[p, q, active[q]]
                        for col in range(N):
                            a[col] += row[col]
            else:
                for k in range(m):
                    j = active[k]
                    for e in range(indptr[p, j], indptr[p, j + 1]):
                        a[indices[e]] += values[e]
            if p > 0:
                for col in range(N):
                    negS[b, col] += a[col]
        share = _rowsum(Cb) / (_rowsum(Pb) + 1.0)
        gb = gam[b]
        for i in range(n):
            gb[i] = (Cb[i] + share) * betas[i]
        for j in range(n, N):
            gb[j] = share * betas[j]


@_jit(_SIG_GROWTH)
def growth_and_levels(gam, eS, frontier, fmode, gam_sum, u, tt, states, gorder, I, Inew, span, alphas_prime,
                      Imax, Imin, clamp, grew, count, P0, H, HC, update_p0, Pnew, budget, split):
    """The rest of step 5, step 6, and step 7's propensity update, per run b.

    γ ÷= 1 + e^-S when eS (= e^-S from NumPy) is not empty; fmode 1: γ = frontier (PPI
    3.0.7 replaces the whole vector), 2: γ = frontier where it is not NaN; gam_sum += γ.
    New levels I + (1[u < γ]·(α + α') − α') into Inew, where the draw of indicator j is
    u[b, tt, n + gorder[j]] (with `states` not empty, the run's next N + n SFC64 draws stand
    for u[b, tt, n:], as in `benefits_and_spillovers`); then ≤ Imax, ≥ Imin (±inf for
    none; empty arrays: no bound), indicators `clamp` to [0, 1]; grew += 1[u < γ] when `count`. With `update_p0`:
    P0 += (u·H)/HC with u = u[b, tt, n + N:], and with `split` (one programme, bs = 1)
    Pnew = P0·(budget/ΣP0).
    """
    B, N = gam.shape
    n = P0.shape[1]
    net = eS.shape[0] > 0
    has_max = Imax.shape[0] > 0
    has_min = Imin.shape[0] > 0
    ug = np.empty(N)
    x = np.empty(N)
    ub = np.empty(N + n)  # this period's growth and allocation draws
    gen = states.shape[0] > 0
    for b in range(B):
        gb, gsb, Ib, Inb, grb = gam[b], gam_sum[b], I[b], Inew[b], grew[b]
        if gen:
            _sfc64_fill(states, b, ub)
        else:
            ub[:] = u[b, tt, n:]
        for j in range(N):
            ug[j] = ub[gorder[j]]
        if net:
            eb = eS[b]
            for j in range(N):
                gb[j] = gb[j] / (eb[j] + 1.0)
        if fmode == 1:
            gb[:] = frontier
        elif fmode == 2:
            for j in range(N):
                gb[j] = frontier[j] if frontier[j] == frontier[j] else gb[j]
        for j in range(N):
            gsb[j] += gb[j]
        for j in range(N):
            up = ug[j] < gb[j]
            x[j] = Ib[j] + (np.float64(up) * span[j] - alphas_prime[j])  # as NumPy: bool → 0.0 / 1.0, times
            grb[j] += up & count
        if has_max:
            for j in range(N):
                x[j] = Imax[j] if Imax[j] < x[j] else x[j]
        if has_min:
            for j in range(N):
                x[j] = Imin[j] if Imin[j] > x[j] else x[j]
        for k in range(clamp.shape[0]):
            j = clamp[k]
            x[j] = min(max(x[j], 0.0), 1.0)
        Inb[:] = x
        if update_p0:
            P0b, Hb, HCb = P0[b], H[b], HC[b]
            ua = ub[N:]
            for i in range(n):
                P0b[i] += (ua[i] * Hb[i]) / HCb[i]
            if split:
                s = budget / _rowsum(P0b)
                Pnb = Pnew[b]
                for i in range(n):
                    Pnb[i] = P0b[i] * s


@_jit("void(f8[::1], f8[::1], f8[:, ::1], i8, i8)")
def run_sums_add(acc, part, v, r0, block):
    """`results.RunSums.add` for one period: runs r0.. (rows of v) into the block sums.

    Blocks of `block` runs counted from run 0; a block's sum adds its runs one after the
    other, starting from its first run (or from `part`, the sum so far of a block an
    earlier chunk began); a completed block is added to `acc`, an incomplete one is left
    in `part`.
    """
    B, rows = v.shape
    i = 0
    off = r0 % block
    if off:
        m = min(block - off, B)
        for q in range(m):
            for k in range(rows):
                part[k] += v[q, k]
        i = m
        if off + m < block:
            return
        for k in range(rows):
            acc[k] += part[k]
    s = np.empty(rows)
    while B - i >= block:
        s[:] = v[i]
        for q in range(i + 1, i + block):
            for k in range(rows):
                s[k] += v[q, k]
        for k in range(rows):
            acc[k] += s[k]
        i += block
    if i < B:
        part[:] = v[i]
        for q in range(i + 1, B):
            for k in range(rows):
                part[k] += v[q, k]


_NOTICE.cancel()
