"""simulation.ppi reproduces policy-priority-inference 3.0.7 (the real package, a dev dependency).

Two kinds of evidence:
* replay: given PPI's own random numbers (np.random.seed(s) before each PPI run, and
  `legacy_seeds=[s]` for ours) every series of every run agrees to rounding;
* independent streams: with our seeded PCG64 streams, per-indicator mean final levels and
  mean growth probabilities agree with PPI's within Monte Carlo error (standardised
  differences), with enough runs that a 5 % change in α is caught.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from simulation.ppi import run_ppi

ppi = pytest.importorskip("policy_priority_inference", reason="dev dependency policy-priority-inference==3.0.7")
warnings.simplefilter("ignore", RuntimeWarning)

Z_BOUND = 4.0  # |standardised difference| allowed per indicator and statistic


def make_case(kind: str, N: int = 8, T: int = 30, seed: int = 0):
    """A generated PPI model exercising the features named by `kind`."""
    rng = np.random.default_rng(seed)
    I0 = rng.random(N) * 0.4 + 0.3
    alphas = rng.random(N) * 0.01 + 0.005
    alphas_prime = alphas * rng.uniform(0.05, 0.8, N)
    betas = rng.random(N) * 0.03 + 0.01
    kw: dict = {"T": T}
    if kind in ("negnet", "everything"):
        kw["A"] = (rng.random((N, N)) < 0.35) * rng.normal(-0.3, 0.4, (N, N))
    if kind in ("collateral", "everything", "goals_collateral"):
        R = np.ones(N)
        R[[1, 4]] = 0
        kw["R"] = R
    if kind in ("programmes", "everything"):
        inst = np.flatnonzero(kw.get("R", np.ones(N)) == 1)
        K = 3
        Bs = rng.random((K, T)) * 40 + 10
        Bs[1, 3] = 0.0  # a zero budget: PPI floors it at 1e-11
        kw.pop("T")
        kw["Bs"] = Bs
        kw["B_dict"] = {int(i): sorted({j % K, int(rng.integers(K))}) for j, i in enumerate(inst)}
        kw["bs"] = rng.random(len(inst)) + 0.5
    if kind in ("endogenous", "everything"):
        kw["qm"], kw["rl"] = 2, 3
    if kind == "vector_governance":
        kw["qm"], kw["rl"] = rng.random(N), rng.random(N)
    if kind in ("bounds", "everything"):
        Imax = I0 + 0.08
        Imax[::3] = np.nan
        Imin = I0 - 0.04
        Imin[1::4] = np.nan
        kw["Imax"], kw["Imin"] = Imax, Imin
    if kind in ("goals_collateral", "everything"):
        kw["G"] = I0 + rng.random(N) * 0.3
    if kind == "frontier_nan":
        kw["frontier"] = np.where(rng.random(N) < 0.5, 0.8, np.nan)
        kw["frontier"][0] = 0.6
    return I0, alphas, alphas_prime, betas, kw


def ppi_run(I0, a, ap, b, kw, seed):
    """One run of the real PPI on copies (it mutates R and Bs), seeded through NumPy's global state."""
    np.random.seed(seed)
    return ppi.run_ppi(I0.copy(), a.copy(), ap.copy(), b.copy(), **copy.deepcopy(kw))


REPLAY_KINDS = ["plain", "negnet", "collateral", "programmes", "endogenous", "vector_governance", "bounds",
                "goals_collateral", "frontier_nan", "everything"]


@pytest.mark.parametrize("kind", REPLAY_KINDS)
def test_given_ppis_random_numbers_every_series_matches_ppi_3_0_7(kind):
    I0, a, ap, b, kw = make_case(kind, seed=REPLAY_KINDS.index(kind))
    seeds = [101, 202, 303]
    ours = run_ppi(I0, a, ap, b, runs=len(seeds), legacy_seeds=seeds, **copy.deepcopy(kw))
    for r, s in enumerate(seeds):
        ref = ppi_run(I0, a, ap, b, kw, s)
        for name, x, y in zip("ICFPSG", ref, ours.as_ppi(r)):
            assert x.shape == y.shape, name
            np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=f"{kind} ts{name}")


def test_replay_reproduces_ppis_allocation_quirk_with_goals_and_collateral_indicators():
    I0, a, ap, b, kw = make_case("goals_collateral", seed=4)
    ref = ppi_run(I0, a, ap, b, kw, 5)
    ours = run_ppi(I0, a, ap, b, runs=1, legacy_seeds=[5], **copy.deepcopy(kw))
    fixed = run_ppi(I0, a, ap, b, runs=1, legacy_seeds=[5], compat="fixed", **copy.deepcopy(kw))
    np.testing.assert_allclose(ours.tsP[0, :, 0], ref[3][:, 0], rtol=1e-12)
    R = kw["R"] == 1
    gaps = np.maximum(kw["G"] - I0, 0.0)
    # PPI 3.0.7: the first n gaps; fixed: the instrumental indicators' own gaps
    np.testing.assert_allclose(ref[3][:, 0], 100 * gaps[: R.sum()] / gaps[: R.sum()].sum(), rtol=1e-12)
    np.testing.assert_allclose(fixed.tsP[0, :, 0], 100 * gaps[R] / gaps[R].sum(), rtol=1e-12)
    assert not np.allclose(fixed.tsP[0, :, 0], ours.tsP[0, :, 0])


def test_frontier_nan_always_declines_in_3_0_7_and_is_endogenous_when_fixed():
    I0, a, ap, b, kw = make_case("frontier_nan", seed=8)
    nan = np.isnan(kw["frontier"])
    compat = run_ppi(I0, a, ap, b, runs=20, seed=1, **kw)
    fixed = run_ppi(I0, a, ap, b, runs=20, seed=1, compat="fixed", **kw)
    steps = np.arange(kw["T"])
    # PPI 3.0.7 sets γ = frontier, NaN included, and u < NaN is False: every step is −α'
    expected = np.broadcast_to(I0[nan, None] - ap[nan, None] * steps, compat.tsI[:, nan, :].shape)
    np.testing.assert_allclose(compat.tsI[:, nan, :], expected, rtol=1e-12)
    assert np.isnan(compat.tsG[:, nan]).all()
    assert np.isfinite(fixed.tsG).all() and (fixed.tsI[:, nan, -1] > I0[nan] - ap[nan] * (kw["T"] - 1)).any()
    np.testing.assert_array_equal(fixed.tsG[:, ~nan], compat.tsG[:, ~nan])


# --------------------------------------------------------------------------- independent random streams

STAT_T, STAT_N, PPI_RUNS, OUR_RUNS = 20, 6, 800, 8000


def stat_case(kind: str):
    """Models with high, stable growth probabilities so that final levels are informative about α."""
    rng = np.random.default_rng({"single_negnet": 11, "programmes_gov_bounds": 12, "frontier": 13}[kind])
    N, T = STAT_N, STAT_T
    I0 = rng.random(N) * 0.4 + 0.3
    a = rng.random(N) * 0.01 + 0.005
    ap = a * 0.1
    kw: dict = {"T": T, "G": I0 + 0.2 + rng.random(N) * 0.2}
    if kind == "single_negnet":  # one programme, negative spillovers, vector governance
        kw["A"] = (rng.random((N, N)) < 0.4) * rng.normal(-0.4, 0.4, (N, N))
        kw["qm"], kw["rl"] = rng.random(N) * 0.5 + 0.3, rng.random(N) * 0.5 + 0.3
    elif kind == "programmes_gov_bounds":  # programmes, collateral, endogenous governance, bounds
        R = np.ones(N)
        R[4] = 0
        inst = np.flatnonzero(R == 1)
        kw.update(R=R, Bs=rng.random((3, T)) * 30 + 20, bs=rng.random(len(inst)) + 0.5, qm=2, rl=3,
                  B_dict={int(i): sorted({j % 3, int(rng.integers(3))}) for j, i in enumerate(inst)},
                  A=(rng.random((N, N)) < 0.3) * rng.normal(0.0, 0.5, (N, N)))
        kw.pop("T")
        Imax = I0 + 0.15
        Imax[::3] = np.nan
        kw.update(Imax=Imax, Imin=I0 - 0.05)
    else:  # exogenous growth probabilities
        kw["frontier"] = np.where(rng.random(N) < 0.5, 0.75, 0.55)
        kw["A"] = (rng.random((N, N)) < 0.3) * rng.normal(0.0, 0.5, (N, N))
    pilot = run_ppi(I0, a, ap, np.ones(N), runs=50, seed=9, keep="final", **copy.deepcopy(kw))
    b = 0.8 / pilot.gamma_mean.mean(axis=0) * (1 + 0.2 * (rng.random(N) - 0.5))
    return I0, a, ap, b, kw


def z_scores(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Standardised differences of per-column means; exactly equal constant columns give 0."""
    d = x.mean(axis=0) - y.mean(axis=0)
    se = np.sqrt(x.var(axis=0, ddof=1) / len(x) + y.var(axis=0, ddof=1) / len(y))
    return np.where(se > 1e-12, d / np.where(se > 1e-12, se, 1.0), np.where(np.abs(d) < 1e-12, 0.0, np.inf))


@pytest.fixture(scope="module")
def ppi_samples():
    """PPI_RUNS runs of the real PPI per case (the slowest part of these tests: 2,400 PPI runs)."""
    out = {}
    for k, kind in enumerate(("single_negnet", "programmes_gov_bounds", "frontier")):
        I0, a, ap, b, kw = stat_case(kind)
        np.random.seed(1000 + k)
        final, gamma = [], []
        for _ in range(PPI_RUNS):
            tsI, _, _, _, _, tsG = ppi.run_ppi(I0.copy(), a.copy(), ap.copy(), b.copy(), **copy.deepcopy(kw))
            final.append(tsI[:, -1])
            gamma.append(tsG.mean(axis=1))
        out[kind] = (np.array(final), np.array(gamma))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["single_negnet", "programmes_gov_bounds", "frontier"])
def test_mean_final_levels_and_growth_probabilities_agree_with_ppi_within_monte_carlo_error(kind, ppi_samples):
    I0, a, ap, b, kw = stat_case(kind)
    ours = run_ppi(I0, a, ap, b, runs=OUR_RUNS, seed=7, keep="final", **copy.deepcopy(kw))
    final, gamma = ppi_samples[kind]
    z_final = z_scores(final, ours.I_final)
    z_gamma = z_scores(gamma, ours.gamma_mean)
    assert np.abs(z_final).max() < Z_BOUND, z_final
    assert np.abs(z_gamma).max() < Z_BOUND, z_gamma


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["single_negnet", "programmes_gov_bounds", "frontier"])
def test_the_comparison_has_the_power_to_catch_a_5_percent_change_in_alpha(kind, ppi_samples):
    I0, a, ap, b, kw = stat_case(kind)
    wrong = run_ppi(I0, a * 1.05, ap, b, runs=OUR_RUNS, seed=7, keep="final", **copy.deepcopy(kw))
    final, _ = ppi_samples[kind]
    z_final = z_scores(final, wrong.I_final)
    assert np.abs(z_final).max() > Z_BOUND, z_final
