"""simulation.ppi's compiled period (kernels.py) against a plain per-run reference, and its invariants.

The reference below follows PPI 3.0.7's `run_ppi` line by line (one run, NumPy on vectors)
and reads the same uniforms from the same streams, so any difference is arithmetic: last
bits, which PPI's dynamics would only turn into different paths by an astronomically
unlikely coin flip at these sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.ppi import engine, run_ppi
from simulation.ppi.engine import Batch, _Network, exact_parts
from simulation.ppi.spec import prepare
from simulation.ppi.streams import sfc64_generators


def reference_run(draw, I0, alphas, alphas_prime, betas, A, R, bs, qm, rl, Imax, Imin, Bs, B_dict, frontier):
    """One run of PPI 3.0.7's loop (no goals G), uniforms from `draw(k)`; returns tsI, tsC, tsF, tsP, tsS, tsG."""
    N, T = len(I0), Bs.shape[1]
    R = R.astype(bool)
    n = int(R.sum())
    inst2idx = np.full(N, -1)
    inst2idx[R] = np.arange(n)
    programs = sorted({p for ps in B_dict.values() for p in ps})
    members = {p: [i for i, ps in B_dict.items() for q in ps if q == p] for p in programs}
    endo = {k: isinstance(v, int) for k, v in (("qm", qm), ("rl", rl))}
    P0 = np.zeros(n)
    p0 = draw(n)
    for k, p in enumerate(programs):
        idx = inst2idx[members[p]]
        P0[idx] += Bs[k, 0] * p0[idx] / p0[idx].sum()
    P0 = Bs[:, 0].sum() * P0 / P0.sum()
    P = P0.copy()
    F, Ft = draw(n), draw(n)
    X, Xt = draw(n) - 0.5, draw(n) - 0.5
    H, HC = np.ones(n), np.ones(n)
    signt = np.sign(draw(n) - 0.5)
    changeFt = draw(n) - 0.5
    draw(n)  # PPI's initial C, never used
    I, It = I0.copy(), draw(N)
    out = {k: np.empty((r, T)) for k, r in zip("ICFPSG", (N, n, n, n, N, N))}
    for t in range(T):
        out["I"][:, t], out["P"][:, t] = I, P
        up = (I > It).astype(float)
        dI = I[R] - It[R]
        if np.abs(dI).sum() > 0:
            dI = dI / np.abs(dI).sum()
        changeF, changeX = F - Ft, X - Xt
        sign = np.sign(changeF * changeX)
        changeF[changeF == 0] = changeFt[changeF == 0]
        sign[sign == 0] = signt[sign == 0]
        Xt, X = X, X + sign * np.abs(changeF)
        C = P / (1 + np.exp(-X))
        signt, changeFt = sign, changeF
        out["C"][:, t], out["F"][:, t] = C, F
        q = I[qm] if endo["qm"] else qm
        theta = (draw(n) < q * P / P.max() * (P - C) / P).astype(float)
        H += theta * (P - C) / P
        HC += theta
        r = I[rl] if endo["rl"] else rl
        Ft, F = F, dI * C / P + (1 - theta * r) * (P - C) / P
        S = up @ A
        cnorm = np.zeros(N)
        cnorm[R] = C
        gam = betas * (cnorm + C.sum() / (P.sum() + 1)) / (1 + np.exp(-S))
        if frontier is not None:
            gam = frontier
        out["S"][:, t], out["G"][:, t] = S, gam
        grew = draw(N) < gam
        new = np.where(grew, I + alphas, I - alphas_prime)
        new = np.where(np.isnan(Imax), new, np.minimum(new, Imax))
        new = np.where(np.isnan(Imin), new, np.maximum(new, Imin))
        for k, v in (("qm", qm), ("rl", rl)):
            if endo[k]:
                new[v] = min(max(new[v], 0.0), 1.0)
        It, I = I, new
        P0 = P0 + draw(n) * H / HC
        P = np.zeros(n)
        for k, p in enumerate(programs):
            idx = inst2idx[members[p]]
            qs = (P0[idx] / P0[idx].sum()) ** bs[idx]
            P[idx] += Bs[k, t] * qs / qs.sum()
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
    for r in range(runs):
        ref = reference_run(draws[r], **kw)
        for name, ours, theirs in zip("ICFPSG", res.as_ppi(r), ref):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12, err_msg=f"ts{name}, run {r}")


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
