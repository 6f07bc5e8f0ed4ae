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
    u = np.random.default_rng(1).random((11, engine.setup_length(spec)))
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
    twice = _jit("f8(f8)")(ns["twice"])
    assert twice(1.5) == 3.0
    # kept for the whole session: numba leaves a weakref.proxy to the compiled library on its LLVM
    # module, and once the function is collected that dead proxy makes `isinstance` on every object of
    # gc.get_objects() raise ReferenceError (tests/test_sweep.py scans them) in this worker
    _COMPILED.append(twice)


_COMPILED: list = []


# --------------------------------------------------------------------------- SFC64 drawn inside the kernels

_U64 = st.integers(0, 2**64 - 1)


def _numpy_generator(state) -> np.random.Generator:
    g = np.random.Generator(np.random.SFC64(0))
    g.bit_generator.state = {"bit_generator": "SFC64", "state": {"state": np.array(state, dtype=np.uint64)},
                             "has_uint32": 0, "uinteger": 0}
    return g


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_U64, _U64, _U64, _U64), min_size=1, max_size=6), st.integers(0, 300), st.integers(0, 40))
def test_in_kernel_sfc64_is_numpys_generator_random_from_any_state(states, k, more):
    from simulation.ppi.kernels import sfc64_fill

    arr = np.array(states, dtype=np.uint64)
    out, out2 = np.empty((len(states), k)), np.empty((len(states), more))
    sfc64_fill(arr, out)
    sfc64_fill(arr, out2)  # the states were advanced in place: the streams continue
    for i, s in enumerate(states):
        g = _numpy_generator(s)  # NumPy's state array is (a, b, c, counter), as ours
        np.testing.assert_array_equal(out[i], g.random(k))
        np.testing.assert_array_equal(out2[i], g.random(more))
        np.testing.assert_array_equal(arr[i], g.bit_generator.state["state"]["state"])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**128), st.integers(0, 2**32 - 3), st.integers(1, 3), st.integers(0, 500))
def test_in_kernel_sfc64_reads_each_runs_seed_sequence_stream(seed, r0, runs, k):
    from simulation.ppi.kernels import sfc64_fill
    from simulation.ppi.streams import run_seed_sequence, sfc64_states

    states = sfc64_states(seed, range(r0, r0 + runs))
    out = np.empty((runs, k))
    sfc64_fill(states, out)
    for i in range(runs):
        ref = np.random.Generator(np.random.SFC64(run_seed_sequence(seed, r0 + i))).random(k)
        np.testing.assert_array_equal(out[i], ref)


def _both_paths(kw, runs, seed, chunks, keep="series"):
    """Results with the kernels drawing the uniforms, and through NumPy's generators (the engine's
    fallback for run indices past 2^32, which was its only path before)."""
    new = [run_ppi(**kw, runs=runs, seed=seed, keep=keep, chunk=c) for c in chunks]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(engine, "sfc64_states", lambda seed, runs: None)
        old = [run_ppi(**kw, runs=runs, seed=seed, keep=keep, chunk=c) for c in chunks]
    return new, old


def _assert_same(a, b):
    names = [f"ts{x}" for x in "ICFPSG"] if a.keep == "series" else []
    for name in names + ["I_final", "gamma_mean", "success_rate"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    if a.keep == "mean":
        for name in ("I", "C", "F", "P", "S", "G"):
            np.testing.assert_array_equal(a.mean(name), b.mean(name), err_msg=name)


@pytest.mark.parametrize("N, density, keep", [(5, 0.5, "series"), (23, 0.1, "series"), (23, 0.9, "mean"),
                                              (40, 0.1, "mean")])
def test_in_kernel_draws_give_the_numpy_generators_results_for_any_chunk(N, density, keep):
    kw = _net_model(N, density, seed=N)  # collateral indicators: growth draws permuted to the internal order
    chunks = (1, 2, 7, 32, 33, 64, 100)
    new, old = _both_paths(kw, 101, 11, chunks, keep)
    for a in new + old:
        _assert_same(a, old[-1])


@settings(max_examples=25, deadline=None)
@given(models(), st.integers(0, 2**63), st.integers(1, 100))
def test_in_kernel_draws_give_the_numpy_generators_results_on_any_model(kw, seed, chunk):
    (new,), (old,) = _both_paths(kw, 7, seed, (chunk,))
    _assert_same(new, old)
