"""simulation.ppi engine: seeding, batching, what is kept, inputs left alone, clear errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from simulation.ppi import PPIInputError, run_ppi
from simulation.ppi.engine import exact_parts


def model(N=10, T=25, seed=0, collateral=True, programmes=True):
    rng = np.random.default_rng(seed)
    I0 = rng.random(N) * 0.5 + 0.2
    kw = dict(alphas=rng.random(N) * 0.01 + 0.002, alphas_prime=rng.random(N) * 0.005,
              betas=rng.random(N) * 0.05 + 0.01, A=(rng.random((N, N)) < 0.3) * rng.normal(0, 0.4, (N, N)))
    R = np.ones(N)
    if collateral:
        R[[2, 7]] = 0
        kw["R"] = R
    inst = np.flatnonzero(R == 1)
    if programmes:
        kw["Bs"] = rng.random((3, T)) * 50 + 5
        kw["B_dict"] = {int(i): [j % 3] if j % 2 else [j % 3, (j + 1) % 3] for j, i in enumerate(inst)}
    else:
        kw["T"] = T
    kw["Imax"] = np.where(np.arange(N) % 3 == 0, I0 + 0.05, np.nan)
    return I0, kw


def test_same_seed_gives_identical_runs_whatever_the_batching():
    I0, kw = model()
    whole = run_ppi(I0, runs=23, seed=5, **kw)
    for chunk in (1, 4, 7, 64):
        part = run_ppi(I0, runs=23, seed=5, chunk=chunk, **kw)
        for name in "ICFPSG":
            np.testing.assert_array_equal(getattr(part, f"ts{name}"), getattr(whole, f"ts{name}"))
    # runs 10..22 computed on their own (another call, another process, another machine's batch)
    tail = run_ppi(I0, runs=13, seed=5, first_run=10, chunk=3, **kw)
    np.testing.assert_array_equal(tail.tsI, whole.tsI[10:])
    np.testing.assert_array_equal(tail.tsG, whole.tsG[10:])


def test_different_seeds_differ_and_runs_differ_from_each_other():
    I0, kw = model()
    a = run_ppi(I0, runs=3, seed=1, **kw)
    b = run_ppi(I0, runs=3, seed=2, **kw)
    assert not np.array_equal(a.tsI, b.tsI)
    assert not np.array_equal(a.tsI[0], a.tsI[1])


def test_keep_final_and_mean_agree_with_the_full_series():
    I0, kw = model()
    full = run_ppi(I0, runs=40, seed=3, **kw)
    final = run_ppi(I0, runs=40, seed=3, keep="final", **kw)
    mean = run_ppi(I0, runs=40, seed=3, keep="mean", chunk=6, **kw)
    mean_other_chunks = run_ppi(I0, runs=40, seed=3, keep="mean", chunk=17, **kw)
    np.testing.assert_array_equal(final.I_final, full.tsI[:, :, -1])
    np.testing.assert_array_equal(final.I_final, full.I_final)
    np.testing.assert_allclose(final.gamma_mean, full.tsG.mean(axis=2), rtol=1e-12)
    grew = full.tsI[:, :, 1:] > full.tsI[:, :, :-1]
    assert (final.success_rate >= grew.mean(axis=2) - 1e-12).all()  # bounds can hide a growth step
    for name in "ICFPSG":
        np.testing.assert_allclose(mean.mean(name), getattr(full, f"ts{name}").mean(axis=0), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(mean.mean(name), mean_other_chunks.mean(name))  # run-order sums
    with pytest.raises(AttributeError, match="keep='series'"):
        final.tsI  # noqa: B018
    with pytest.raises(AttributeError, match="means were not kept"):
        final.mean("I")


def test_shapes_have_a_leading_run_axis():
    I0, kw = model(N=9, T=12)
    res = run_ppi(I0, runs=4, seed=0, **kw)
    n = 7
    assert res.tsI.shape == res.tsS.shape == res.tsG.shape == (4, 9, 12)
    assert res.tsC.shape == res.tsF.shape == res.tsP.shape == (4, n, 12)
    assert len(res.as_ppi(2)) == 6 and res.as_ppi(2)[0].shape == (9, 12)
    np.testing.assert_array_equal(res.tsI[:, :, 0], np.broadcast_to(I0, (4, 9)))


def test_budgets_are_spent_in_full_every_period():
    I0, kw = model()
    res = run_ppi(I0, runs=5, seed=0, **kw)
    # P at period t+1 splits Bs[:, t] (PPI allocates each period's budget for the next period)
    np.testing.assert_allclose(res.tsP[:, :, 1:].sum(axis=1), np.broadcast_to(kw["Bs"][:, :-1].sum(axis=0), (5, 24)),
                               rtol=1e-12)
    assert (res.tsC <= res.tsP).all() and (res.tsC > 0).all()


def test_bounds_and_endogenous_governance_are_respected():
    I0, kw = model()
    kw["Imin"] = I0 - 0.01
    kw["qm"], kw["rl"] = 3, 4
    res = run_ppi(I0, runs=30, seed=4, **kw)
    ok = ~np.isnan(kw["Imax"])
    assert (res.tsI[:, ok, :] <= kw["Imax"][ok, None] + 1e-15).all()
    assert (res.tsI >= kw["Imin"][:, None] - 1e-15).all()
    assert ((res.tsI[:, [3, 4], 1:] >= 0) & (res.tsI[:, [3, 4], 1:] <= 1)).all()


def test_inputs_are_never_modified():
    I0, kw = model()
    kw["Bs"][0, 3] = 0.0  # PPI replaces zeros in place
    kw["R"] = np.array([1, 1, 0, 1, 1, 1, 1, 2, 1, 1], dtype=float)  # PPI writes R[R != 1] = 0 into it
    kw["G"] = I0 + 0.2
    before = copy.deepcopy((I0, kw))
    run_ppi(I0, runs=3, seed=0, **kw)
    for x, y in zip(before[1].values(), kw.values()):
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y
    np.testing.assert_array_equal(before[0], I0)


def test_spillovers_are_exact_sums_so_batches_do_not_change_bits():
    rng = np.random.default_rng(0)
    A = rng.normal(0, 0.3, (50, 50))
    (part,) = exact_parts(A)
    assert np.abs(part - A).max() <= 50 * np.abs(A).max() * 2.0**-52
    D = (rng.random((300, 50)) < 0.5).astype(float)
    full = D @ part
    for rows in (1, 3, 7, 64, 257):
        np.testing.assert_array_equal(D[5:5 + rows] @ part, full[5:5 + rows])


@pytest.mark.parametrize("change, message", [
    (dict(T=30), "T=30 but Bs has 25 columns"),
    (dict(B_dict={0: [0], 1: [5]}), "B_dict"),
    (dict(B_dict="x"), "B_dict must be a dictionary"),
    (dict(alphas=np.ones(3)), "alphas has 3 entries"),
    (dict(A=np.ones((3, 3))), "A has shape"),
    (dict(qm=np.ones(4)), "qm has 4 entries"),
    (dict(qm=99), "qm=99 is read as the index"),
    (dict(Imax=np.zeros(10)), "Imax should be greater"),
    (dict(R=np.zeros(10)), "at least one instrumental"),
    (dict(betas=-np.ones(10)), "betas must be non-negative"),
    (dict(compat="3.1"), "compat must be one of"),
])
def test_inconsistent_inputs_raise_clear_errors(change, message):
    I0, kw = model()
    kw.update(change)
    with pytest.raises(PPIInputError, match=message):
        run_ppi(I0, runs=1, seed=0, **kw)


def test_b_dict_errors_name_the_indicator_and_programme():
    I0, kw = model()
    inst = [i for i in range(10) if i not in (2, 7)]
    bad = {i: [0] for i in inst}
    bad[inst[0]] = [3]
    with pytest.raises(PPIInputError, match=r"B_dict\[0\] names programme 3; programme indices are the rows of Bs"):
        run_ppi(I0, runs=1, seed=0, **{**kw, "B_dict": bad})
    with pytest.raises(PPIInputError, match="fund no indicator"):
        run_ppi(I0, runs=1, seed=0, **{**kw, "B_dict": {i: [0] for i in inst}})
    with pytest.raises(PPIInputError, match="collateral"):
        run_ppi(I0, runs=1, seed=0, **{**kw, "B_dict": {**{i: [0, 1, 2] for i in inst}, 2: [0]}})


def test_vectorised_seeding_gives_numpys_own_streams():
    from simulation.ppi.streams import GeneratorPool, _generator_fns, sfc64_states

    pool = GeneratorPool()
    for seed in (0, 5, 2**32 - 1, 2**32, 2**64 + 3, 2**130 + 99):
        for runs in (range(0, 4), range(1000, 1003), range(2**32 - 2, 2**32 + 1)):  # the last falls back
            for ours, numpy in zip(pool.fills(seed, runs), _generator_fns(seed, runs)):
                np.testing.assert_array_equal(ours(9), numpy(9))
    assert sfc64_states(1, range(2**32, 2**32 + 2)) is None


@pytest.mark.parametrize("collateral", [True, False])
def test_streamed_means_are_the_same_bits_for_any_chunking(collateral):
    I0, kw = model(N=9, T=6, collateral=collateral, programmes=False)
    ref = run_ppi(I0, runs=101, seed=8, keep="mean", **kw)
    full = run_ppi(I0, runs=101, seed=8, keep="series", **kw)
    for chunk in (1, 5, 31, 32, 33, 64, 100):
        other = run_ppi(I0, runs=101, seed=8, keep="mean", chunk=chunk, **kw)
        for name in "ICFPSG":
            np.testing.assert_array_equal(other.mean(name), ref.mean(name))
    for name in "ICFPSG":
        np.testing.assert_allclose(ref.mean(name), full.mean(name), rtol=1e-12, atol=1e-15)


def test_a_single_instrumental_indicator_streams_its_means_in_order_too():
    from simulation.ppi.results import RunSums

    rng = np.random.default_rng(3)
    x = rng.standard_normal((70, 1)) * 10.0 ** rng.integers(-10, 10, (70, 1))
    totals = []
    for chunk in (1, 7, 32, 70):
        s = RunSums(1, 1)
        for r0 in range(0, 70, chunk):
            s.add(0, x[r0:r0 + chunk], r0)
        totals.append(s.total(70))
    for t in totals[1:]:
        np.testing.assert_array_equal(t, totals[0])


def test_keep_auto_keeps_series_for_small_calls_and_means_for_large_ones():
    I0, kw = model()
    small = run_ppi(I0, runs=5, seed=1, **kw)
    assert small.keep == "series" and small.tsI.shape[0] == 5
    large = run_ppi(I0, runs=3000, seed=1, **kw)  # 3000 · 25 · 3 · (10 + 8) values > 2^20
    assert large.keep == "mean" and large.mean("I").shape == (10, 25)
    with pytest.raises(AttributeError, match="keep='series'"):
        large.tsI  # noqa: B018
    np.testing.assert_array_equal(large.I_final[:5], small.I_final)
    with pytest.raises(ValueError, match="keep must be one of"):
        run_ppi(I0, runs=2, seed=1, keep="everything", **kw)
