"""theory.multiplicity against scikit-learn, cvxpy, an independent Lagrangian-path reference and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from sims.multiplicity.common import lagrangian_path_extreme, load_dataset
from theory.multiplicity import (
    SolverError,
    ambiguity,
    discrepancy,
    fit_logistic,
    level_set_threshold,
    logistic_objective,
    small_eps_half_width,
    viable_logit_range,
    viable_prediction_range,
)


@pytest.fixture(scope="module")
def synth():
    return load_dataset("synthetic", 3)


def test_fit_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    X, y = load_dataset("breast_cancer")
    for l2 in (1e-3, 3e-2):
        fit = fit_logistic(X, y, l2)
        sk = LogisticRegression(C=1 / (len(y) * l2), tol=1e-12, max_iter=100_000).fit(X, y)
        np.testing.assert_allclose(fit.w, sk.coef_[0], atol=2e-6)
        assert fit.b == pytest.approx(sk.intercept_[0], abs=2e-6)
        assert fit.grad_norm < 1e-12


def test_fast_ranges_match_lagrangian_path_reference(synth):
    X, y = synth
    tau = level_set_threshold(fit_logistic(X, y, 1e-2), 0.02)
    lo, hi = viable_logit_range(X, y, X[:4], 0.02, 1e-2)
    A = np.hstack([X, np.ones((len(X), 1))])
    for i in range(4):
        assert hi[i] == pytest.approx(lagrangian_path_extreme(X, y, A[i], tau, 1e-2, 1.0), abs=1e-8)
        assert lo[i] == pytest.approx(lagrangian_path_extreme(X, y, A[i], tau, 1e-2, -1.0), abs=1e-8)


def test_fast_ranges_match_cvxpy(synth):
    X, y = synth
    lo, hi = viable_logit_range(X, y, X[:3], 0.01, 1e-2)
    clo, chi = viable_logit_range(X, y, X[:3], 0.01, 1e-2, method="cvxpy")
    np.testing.assert_allclose(lo, clo, atol=1e-4)  # Clarabel default tolerances
    np.testing.assert_allclose(hi, chi, atol=1e-4)
    plo, phi = viable_prediction_range(X, y, X[:3], 0.01, 1e-2)
    np.testing.assert_allclose(plo, expit(lo))
    assert np.all(plo <= phi)


def test_relative_eps_level_and_models_on_the_boundary(synth):
    X, y = synth
    fit = fit_logistic(X, y, 1e-2)
    lo, hi, th_lo, th_hi = viable_logit_range(X, y, X[:5], 0.1, 1e-2, relative=True, return_models=True)
    tau = 1.1 * fit.loss
    np.testing.assert_allclose(logistic_objective(np.vstack([th_lo, th_hi]), X, y, 1e-2), tau, atol=1e-13)
    A5 = np.hstack([X[:5], np.ones((5, 1))])
    np.testing.assert_allclose(np.sum(th_hi * A5, 1), hi, atol=1e-12)
    np.testing.assert_allclose(np.sum(th_lo * A5, 1), lo, atol=1e-12)


def test_monte_carlo_models_stay_inside_and_narrowed_ranges_are_caught(synth):
    X, y = synth
    rng = np.random.default_rng(0)
    lo, hi, th_lo, th_hi = viable_logit_range(X, y, X[:6], 0.05, 1e-2, return_models=True)
    fit = fit_logistic(X, y, 1e-2)
    tau = fit.loss + 0.05
    A6 = np.hstack([X[:6], np.ones((6, 1))])
    models = []
    for _ in range(300):  # random rays, bisection to the boundary
        u = rng.standard_normal(len(fit.theta))
        a, b = 0.0, 10.0
        for _ in range(60):
            mid = (a + b) / 2
            a, b = (mid, b) if logistic_objective(fit.theta + mid * u, X, y, 1e-2) <= tau else (a, mid)
        models.append(fit.theta + a * u)
    models = np.vstack([models, th_lo, th_hi])
    logits = models @ A6.T
    assert np.all(logits <= hi + 1e-9) and np.all(logits >= lo - 1e-9)
    width = hi - lo
    assert np.any(logits > hi - 0.05 * width)  # a 5% narrower range would be violated


def test_small_eps_law(synth):
    X, y = synth
    lo, hi = viable_logit_range(X, y, X[:5], 1e-7, 1e-2)
    np.testing.assert_allclose((hi - lo) / 2, small_eps_half_width(X, y, X[:5], 1e-7, 1e-2), rtol=1e-4)


def test_ambiguity_and_discrepancy_small_case_against_monte_carlo():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(25, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=25) > 0).astype(int)
    eps, delta = 0.05, 0.1
    amb = ambiguity(X, y, eps, delta, l2=1e-2)
    disc = discrepancy(X, y, eps, delta, l2=1e-2)
    assert disc.lower <= amb == disc.upper
    assert logistic_objective(disc.model, X, y, 1e-2) <= fit_logistic(X, y, 1e-2).loss + eps + 1e-12
    # Monte Carlo models in S_eps: their flip sets are within the ambiguity set; no model beats the upper end
    fit = fit_logistic(X, y, 1e-2)
    A = np.hstack([X, np.ones((25, 1))])
    g0 = expit(A @ fit.theta)
    lo, hi = viable_logit_range(X, y, X, eps, 1e-2)
    can = np.maximum(expit(hi) - g0, g0 - expit(lo)) >= delta
    for _ in range(500):
        u = rng.standard_normal(3)
        a, b = 0.0, 50.0
        for _ in range(50):
            mid = (a + b) / 2
            a, b = (mid, b) if logistic_objective(fit.theta + mid * u, X, y, 1e-2) <= fit.loss + eps else (a, mid)
        flips = np.abs(expit(A @ (fit.theta + a * u)) - g0) >= delta
        assert not np.any(flips & ~can)
        assert flips.mean() <= disc.upper
    zo = discrepancy(X, y, eps, zero_one=True, l2=1e-2)
    assert zo.lower <= ambiguity(X, y, eps, zero_one=True, l2=1e-2) == zo.upper


def test_cvxpy_reference_falls_back_then_raises(monkeypatch, synth):
    import cvxpy as cp

    X, y = synth
    real_solve = cp.Problem.solve
    calls = []

    def clarabel_fails(self, *args, **kwargs):
        calls.append(kwargs.get("solver"))
        if kwargs.get("solver") == "CLARABEL":
            raise cp.error.SolverError("Solver 'CLARABEL' failed.")
        return real_solve(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", clarabel_fails)
    lo, hi = viable_logit_range(X, y, X[:1], 0.01, 1e-2, method="cvxpy")
    flo, fhi = viable_logit_range(X, y, X[:1], 0.01, 1e-2)
    assert "SCS" in calls
    np.testing.assert_allclose([lo[0], hi[0]], [flo[0], fhi[0]], atol=1e-3)

    def all_fail(self, *args, **kwargs):
        raise cp.error.SolverError("failed")

    monkeypatch.setattr(cp.Problem, "solve", all_fail)
    with pytest.raises(SolverError, match="query point 0") as info:
        viable_logit_range(X, y, X[:2], 0.01, 1e-2, method="cvxpy")
    assert info.value.index == 0 and set(info.value.statuses) == {"CLARABEL (sum form)", "CLARABEL", "SCS"}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda X, y: viable_logit_range(X, y, X[:2], 0.0), r"eps must lie in \(0, 100\]"),
        (lambda X, y: viable_logit_range(X, y, X[:2], -0.1), r"eps must lie in \(0, 100\]"),
        (lambda X, y: fit_logistic(X, y, -1.0), r"l2 must lie in \[0, inf\)"),
        (lambda X, y: fit_logistic(X, 2 * y - 1), r"y must hold binary labels in \{0, 1\}"),
        (lambda X, y: fit_logistic(X, np.ones_like(y)), "one class only"),
        (lambda X, y: fit_logistic(np.where(X > 3, np.nan, X), y), "X must be finite"),
        (lambda X, y: fit_logistic(X[:-1], y), r"y must have shape \(299,\)"),
        (lambda X, y: viable_logit_range(X, y, X[:2, :3], 0.1), r"X_query must have shape \(m, 8\)"),
        (lambda X, y: viable_logit_range(X, y, X[:2], 0.1, method="magic"), "method must be one of 'fast', 'cvxpy'"),
        (lambda X, y: ambiguity(X, y, 0.1, delta=0.0), r"delta must lie in \(0, 1\]"),
    ],
)
def test_bad_input(synth, call, match):
    X, y = synth
    with pytest.raises(ValueError, match=match):
        call(X, y)


def test_viable_ranges_converge_over_the_whole_valid_eps_range():
    """EPS_MAX is where the KKT Newton solve is known to converge: a sweep up to it on random sets never fails."""
    from theory.multiplicity import EPS_MAX

    for seed in range(4):
        r = np.random.default_rng(seed)
        X = r.normal(size=(20, 2))
        y = (X[:, 0] + 0.8 * r.normal(size=20) > 0).astype(int)
        for eps in np.logspace(-1, np.log10(EPS_MAX), 7):
            lo, hi = viable_logit_range(X, y, X, float(eps), 1e-2)
            assert np.all(np.isfinite(lo)) and np.all(lo <= hi)
    with pytest.raises(ValueError, match=r"eps must lie in \(0, 100\]"):
        viable_logit_range(X, y, X, 150.0, 1e-2)
