"""simulation.ppi.calibrate: recovers the parameters that generated the data, reports PPI's fit."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.ppi import PPIInputError, calibrate, run_ppi


def truth(seed=5, N=8, T=40, opposite_zero=False):
    rng = np.random.default_rng(seed)
    I0 = rng.random(N) * 0.4 + 0.2
    a = rng.random(N) * 0.01 + 0.003
    ap = rng.random(N) * 0.01 + 0.003
    ap[[0, 3]] = 0.0005  # clearly rising
    a[[1, 5]] = 0.0005  # clearly falling
    A = (rng.random((N, N)) < 0.25) * rng.normal(0, 0.3, (N, N))
    R = np.ones(N)
    R[6] = 0
    kw = dict(A=A, R=R, T=T)
    # β giving mean growth probabilities in [0.2, 0.8] (PPI clips success rates to [0.05, 0.95])
    pilot = run_ppi(I0, a, ap, np.ones(N), runs=100, seed=2, keep="final", **kw)
    b = rng.uniform(0.2, 0.8, N) / pilot.gamma_mean.mean(axis=0)
    if opposite_zero:
        sim = run_ppi(I0, a, ap, b, runs=500, seed=1, keep="final", **kw)
        up = sim.I_final.mean(axis=0) > I0
        ap = np.where(up, 0.0, ap)
        a = np.where(up, a, 0.0)
    data = run_ppi(I0, a, ap, b, runs=6000, seed=77, keep="final", **kw)
    IF, SR = data.I_final.mean(axis=0), data.gamma_mean.mean(axis=0)
    assert (SR < 0.9).all() and (SR > 0.05).all()
    return I0, a, ap, b, kw, IF, SR


def test_calibration_recovers_the_alphas_alphas_prime_and_betas_that_generated_the_data():
    I0, a, ap, b, kw, IF, SR = truth()
    up = IF > I0
    # final values and success rates identify β and the drift; the step against the observed
    # direction is given (see test below), the other step and β are recovered
    res = calibrate(I0, IF, SR, **kw, opposite=np.where(up, ap, a), runs=500, threshold=0.9, seed=3)
    assert res.converged
    fitted, true = np.where(up, res.alphas, res.alphas_prime), np.where(up, a, ap)
    np.testing.assert_allclose(fitted, true, rtol=0.05)
    np.testing.assert_allclose(res.betas, b, rtol=0.05)
    np.testing.assert_array_equal(np.where(up, res.alphas_prime, res.alphas), np.where(up, ap, a))


def test_default_calibration_recovers_models_whose_opposite_steps_are_zero_as_ppi_calibrate_drifts_to():
    I0, a, ap, b, kw, IF, SR = truth(seed=8, opposite_zero=True)
    res = calibrate(I0, IF, SR, **kw, runs=1000, seed=4)
    np.testing.assert_allclose(res.alphas, a, rtol=0.05, atol=1e-12)
    np.testing.assert_allclose(res.alphas_prime, ap, rtol=0.05, atol=1e-12)
    np.testing.assert_allclose(res.betas, b, rtol=0.05)
    assert res.worst_gof >= 0.8


def test_final_values_and_success_rates_do_not_tell_alpha_from_alpha_prime():
    # two models on the same drift line α·s − α'·(1 − s) give the same targets: identification needs `opposite`
    rng = np.random.default_rng(2)
    N, T = 5, 30
    I0 = rng.random(N) * 0.3 + 0.3
    b = np.full(N, 0.5)
    kw = dict(T=T, frontier=np.full(N, 0.6))  # fixed s = 0.6 makes the line exact
    a1, ap1 = np.full(N, 0.004), np.full(N, 0.001)
    a2 = np.full(N, 0.006)
    ap2 = (a2 * 0.6 - (a1 * 0.6 - ap1 * 0.4)) / 0.4
    r1 = run_ppi(I0, a1, ap1, b, runs=4000, seed=1, keep="final", **kw)
    r2 = run_ppi(I0, a2, ap2, b, runs=4000, seed=2, keep="final", **kw)
    d = r1.I_final.mean(0) - r2.I_final.mean(0)
    se = np.sqrt(r1.I_final.var(0) / 4000 + r2.I_final.var(0) / 4000)
    assert (np.abs(d / se) < 4).all()
    np.testing.assert_array_equal(r1.gamma_mean, r2.gamma_mean)


def test_goodness_of_fit_is_reported_per_indicator_in_ppis_format():
    I0, a, ap, b, kw, IF, SR = truth(seed=9)
    sr = SR.copy()
    res = calibrate(I0, IF, sr, **kw, runs=50, check_runs=400, seed=0)
    np.testing.assert_array_equal(sr, SR)  # PPI clips success_rates in place; we work on a copy
    frame = res.to_frame()
    assert list(frame.columns) == ["alpha", "alpha_prime", "beta", "T", "error_alpha", "error_beta", "GoF_alpha",
                                   "GoF_beta"]
    np.testing.assert_allclose(frame.GoF_alpha, 1 - np.abs(frame.error_alpha) / np.abs(IF - I0))
    np.testing.assert_allclose(frame.GoF_beta, 1 - np.abs(frame.error_beta) / SR)
    arr = res.as_ppi_array()
    assert arr.shape == (9, 8) and list(arr[0]) == list(frame.columns)
    assert float(arr[1, 3]) == 40 and arr[2, 3] == "nan"
    assert res.check_runs == 400 and res.runs_simulated > 400 and res.history


def test_same_seed_same_calibration():
    I0, a, ap, b, kw, IF, SR = truth(seed=10, N=7)
    r1 = calibrate(I0, IF, SR, **kw, runs=40, check_runs=200, seed=6)
    r2 = calibrate(I0, IF, SR, **kw, runs=40, check_runs=200, seed=6)
    np.testing.assert_array_equal(r1.alphas, r2.alphas)
    np.testing.assert_array_equal(r1.betas, r2.betas)
    np.testing.assert_array_equal(r1.gof_alpha, r2.gof_alpha)


def test_bad_calibration_inputs_are_reported():
    I0 = np.array([0.2, 0.4, 0.5])
    with pytest.raises(PPIInputError, match="different from the final ones"):
        calibrate(I0, np.array([0.3, 0.4, 0.6]), np.full(3, 0.5), T=20)
    with pytest.raises(PPIInputError, match="IF must be a vector"):
        calibrate(I0, np.ones(2), np.full(3, 0.5), T=20)
    with pytest.raises(PPIInputError, match="threshold"):
        calibrate(I0, I0 + 0.1, np.full(3, 0.5), T=20, threshold=1.0)
