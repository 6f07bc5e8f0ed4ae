"""simulation.ppi's compiled period (kernels.py) against a plain per-run reference, and its invariants.

The reference below is PPI 3.0.7's loop for one run (NumPy on vectors, the caller's
indicator order) written with the engine's arithmetic: c = 1/(e^-X + 1) computed once,
C = P·c, r = 1 − c, row sums in einsum's order, exact spillovers on `exact_parts(A)`,
the allocation by `Allocator` (NumPy, not compiled). It reads the same uniforms from the
same streams, so the compiled engine must give its results bit for bit. (PPI's own
arithmetic — C/P, (P − C)/P — differs in the last bits, which PPI's rule for ΔF = 0
turns into different paths in degenerate models, e.g. a single instrumental indicator,
whose normalised change is ±1 and benefit c + (1 − c)·… is 1 or 1 − 2^-53; the replay
against PPI itself is tests/test_ppi_validation.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.ppi import engine, run_ppi
from simulation.ppi.engine import Allocator, Batch, _Network, exact_parts
from simulation.ppi.spec import initial_allocation, prepare
from simulation.ppi.streams import sfc64_generators


def _sum(x):
    return np.einsum("ij->i", x[None])[0]  # the engine's row sum, in einsum's order


def reference_run(draw, spec):
    """One run of PPI's loop in the engine's arithmetic (spec from `prepare`, goals G not used);
    uniforms from `draw(k)`; returns tsI, tsC, tsF, tsP, tsS, tsG as (rows, T)."""
    N, n, T, R = spec.N, spec.n, spec.T, spec.R
    part = exact_parts(spec.A)[0] if spec.A is not None else None
    alloc = Allocator(spec)
    P = initial_allocation(draw(n)[None], spec.Bs[:, 0], spec.prog_members)[0]
    P0 = P.copy()
    F, Ft = draw(n), draw(n)
    X, Xt = draw(n) - 0.5, draw(n) - 0.5
    H, HC = np.ones(n), np.ones(n)
    signt = np.sign(draw(n) - 0.5)
    changeFt = draw(n) - 0.5
    draw(n)  # PPI's initial C, never used
    I, It = spec.I0.copy(), draw(N)

    def level(g):  # qm or rl now: the governing indicator's level, or the given values
        return I[g.index] if g.kind == "endogenous" else g.values

    out = {k: np.empty((r, T)) for k, r in zip("ICFPSG", (N, n, n, n, N, N))}
    for t in range(T):
        out["I"][:, t], out["P"][:, t] = I, P
        up = (I > It).astype(float)
        d = I[R] - It[R]
        total = _sum(np.abs(d))
        d = d * (1.0 / (total if total != 0 else 1.0))
        changeF = F - Ft
        sign = np.sign(changeF * (X - Xt))
        changeF = np.where(changeF == 0, changeFt, changeF)
        sign = np.where(sign == 0, signt, sign)
        Xt, X = X, X + np.abs(changeF) * sign
        c = 1.0 / (np.exp(-X) + 1.0)
        C, r = P * c, 1.0 - c
        signt, changeFt = sign, changeF
        out["C"][:, t], out["F"][:, t] = C, F
        theta = (draw(n) < P * (1.0 / P.max()) * level(spec.qm) * r).astype(float)
        H += r * theta
        HC += theta
        Ft, F = F, d * c + (r - r * theta * level(spec.rl))
        S = up @ part if part is not None else np.zeros(N)
        gam = np.zeros(N)
        gam[R] = C
        gam = (gam + _sum(C) / (_sum(P) + 1.0)) * spec.betas
        gam = gam / (np.exp(-S) + 1.0) if part is not None else gam / 2.0
        if spec.frontier is not None:
            gam = spec.frontier.copy()
        out["S"][:, t], out["G"][:, t] = S, gam
        grew = (draw(N) < gam).astype(float)
        new = I + (grew * (spec.alphas + spec.alphas_prime) - spec.alphas_prime)
        if spec.Imax is not None:
            new = np.where(np.isnan(spec.Imax), new, np.minimum(new, spec.Imax))
        if spec.Imin is not None:
            new = np.where(np.isnan(spec.Imin), new, np.maximum(new, spec.Imin))
        for g in (spec.qm, spec.rl):
            if g.kind == "endogenous":
                new[g.index] = min(max(new[g.index], 0.0), 1.0)
        It, I = I, new
        P0 = P0 + draw(n) * H / HC
        P = alloc.split(P0[None], spec.Bs_floor[:, t])[0]
    return tuple(out[k] for k in "ICFPSG")


@st.composite
def models(draw):
    N = draw(st.integers(2, 7))
    T = draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    R = np.ones(N)
    R[rng.random(N) < draw(st.sampled_from([0.0, 0.3]))] = 0
    R[rng.integers(N)] = 1
    inst = np.flatnonzero(R)
    n = len(inst)
    A = (rng.random((N, N)) < draw(st.sampled_from([0.0, 0.2, 0.6, 1.0]))) * rng.normal(0, 0.5, (N, N))
    np.fill_diagonal(A, 0.0)
    K = min(draw(st.integers(1, 3)), n)  # every programme funds at least one indicator
    Bs = rng.uniform(1, 100, (K, T))
    kw = dict(I0=rng.uniform(0.2, 0.8, N), alphas=rng.uniform(0.001, 0.05, N), alphas_prime=rng.uniform(0, 0.03, N),
              betas=rng.uniform(0.01, 1.5, N), A=A, R=R, bs=rng.uniform(0.5, 1.5, n) if draw(st.booleans()) else np.ones(n),
              Bs=Bs, B_dict={int(i): sorted({k % K, int(rng.integers(K))}) for k, i in enumerate(inst)},
              frontier=rng.uniform(0.1, 0.9, N) if draw(st.integers(0, 3)) == 0 else None)
    gov = draw(st.sampled_from(["exogenous", "endogenous"]))
    if gov == "endogenous":
        kw["qm"], kw["rl"] = int(rng.integers(N)), int(rng.integers(N))
    else:
        kw["qm"], kw["rl"] = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    bound = draw(st.booleans())
    kw["Imax"] = np.where(rng.random(N) < 0.5, kw["I0"] + 0.03, np.nan) if bound else np.full(N, np.nan)
    kw["Imin"] = np.where(rng.random(N) < 0.5, kw["I0"] - 0.02, np.nan) if bound else np.full(N, np.nan)
    return kw


@settings(max_examples=40, deadline=None)
@given(models(), st.integers(0, 2**31 - 1))
def test_compiled_period_matches_a_plain_reference(kw, seed):
    runs = 3
    res = run_ppi(**kw, runs=runs, seed=seed, keep="series")
    draws = sfc64_generators(seed, range(runs))
    spec = prepare(**kw)
    for r in range(runs):
        ref = reference_run(draws[r], spec)
        for name, ours, theirs in zip("ICFPSG", res.as_ppi(r), ref):
            np.testing.assert_array_equal(ours, theirs, err_msg=f"ts{name}, run {r}")


def _net_model(N, density, seed=0):
    rng = np.random.default_rng(seed)
    A = (rng.random((N, N)) < density) * rng.normal(0, 0.3, (N, N))
    R = np.ones(N)
    R[:: 5] = 0
    return dict(I0=rng.uniform(0.2, 0.7, N), alphas=rng.uniform(0.002, 0.01, N), alphas_prime=rng.uniform(0, 0.005, N),
                betas=rng.uniform(0.05, 0.5, N), A=A, R=R, T=12)


@pytest.mark.parametrize("N, density", [(5, 0.5), (23, 0.1), (23, 0.9)])
def test_spillover_tables_and_sparse_rows_give_the_same_bits(monkeypatch, N, density):
    kw = _net_model(N, density)
    out = {}
    for form, cost in (("tables", 1e9), ("sparse", 0.0)):
        monkeypatch.setattr(_Network, "SCATTER_COST", cost)
        net = _Network(exact_parts(kw["A"]), N)
        assert (net.tables.shape[0] > 0) == (form == "tables")
        out[form] = [run_ppi(**kw, runs=37, seed=4, keep="series", chunk=chunk) for chunk in (1, 6, 64)]
    for res in out["tables"][1:] + out["sparse"]:
        for name in "ICFPSG":
            np.testing.assert_array_equal(getattr(res, f"ts{name}"), getattr(out["tables"][0], f"ts{name}"))


@pytest.mark.parametrize("cost", [1e9, 0.0])  # subset tables, sparse rows
def test_spillovers_of_a_network_in_several_parts_are_the_exact_sums(monkeypatch, cost):
    kw = _net_model(9, 0.6, seed=3)
    spec, _ = engine.internal_order(prepare(**kw))
    parts = exact_parts(spec.A, 2)
    assert len(parts) == 2
    monkeypatch.setattr(_Network, "SCATTER_COST", cost)
    u = np.random.default_rng(1).random((11, engine._setup_len(spec)))
    b = Batch(spec, u, parts, engine.Allocator(spec))
    b.advance(np.random.default_rng(2).random((11, 1, 2 * spec.n + spec.N)))
    up = (b.It > u[:, -spec.N:]).astype(float)  # the period's ΔBin: I0 (now the lag) against the drawn lag
    np.testing.assert_array_equal(b.negS, (up @ -parts[0]) + (up @ -parts[1]))


def test_kernels_compile_without_a_cache_location():
    """numba raises at decoration when it finds no writable cache directory; `_jit` compiles uncached instead
    (a function defined from a string has no source file, so no cache location)."""
    from simulation.ppi.kernels import _jit

    ns: dict = {}
    exec("def twice(x):\n    return 2.0 * x\n", ns)
    assert _jit("f8(f8)")(ns["twice"])(1.5) == 3.0
