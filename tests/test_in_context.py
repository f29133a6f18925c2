"""theory/in_context.py against independent computations: numerical optimisation, Monte Carlo, finite differences,
sympy, and the algebra of the LSA's monomial span."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize

from theory.in_context import (
    bayes_ridge_predict,
    best_scalar_step,
    fit_lsa,
    fit_preconditioner,
    gd_statistic,
    lsa_forward,
    lsa_span_coefficients,
    lsa_span_features,
    lsa_span_fit,
    one_step_gd_predict,
    one_step_gd_risk,
    optimal_gd_step,
    optimal_preconditioner,
    preconditioned_gd_risk,
    sample_prompts,
    span_weights,
)


def _random_cov(d, seed):
    r = np.random.default_rng(seed)
    A = r.normal(size=(d, d))
    return A @ A.T / d + 0.3 * np.eye(d)


def test_isotropic_risk_is_the_preconditioned_risk_with_G_eta_I():
    for n, d, s2 in [(5, 2, 0.0), (20, 5, 1.0), (3, 7, 0.25)]:
        etas = np.linspace(-0.5, 1.5, 9)
        np.testing.assert_allclose(
            one_step_gd_risk(etas, n, d, s2),
            preconditioned_gd_risk(etas[:, None, None] * np.eye(d), np.eye(d), n, s2),
            rtol=1e-12,
        )


def test_optimal_step_minimises_the_risk_symbolically():
    eta, n, d, s2 = sp.symbols("eta n d s2", positive=True)
    R = d * (eta**2 * (n + d + 1) / n - 2 * eta + 1) + eta**2 * s2 * d / n + s2
    (root,) = sp.solve(sp.diff(R, eta), eta)
    assert sp.simplify(root - n / (n + d + 1 + s2)) == 0
    assert optimal_gd_step(20, 5, 0.5) == pytest.approx(20 / 26.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_optimal_preconditioner_minimises_the_risk_numerically(seed):
    d, n, s2 = 3, 7, 0.4
    S = _random_cov(d, seed)
    f = lambda v: float(preconditioned_gd_risk(v.reshape(d, d), S, n, s2))  # noqa: E731
    res = minimize(f, np.zeros(d * d), method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(res.x.reshape(d, d), optimal_preconditioner(S, n, s2), atol=1e-6)
    # the best scalar step also, and it loses to G* when S is not isotropic
    eta = minimize(lambda e: f(e[0] * np.eye(d).ravel()), [0.5], method="BFGS").x[0]
    assert eta == pytest.approx(best_scalar_step(S, n, s2), rel=1e-6)
    assert f(eta * np.eye(d).ravel()) > res.fun + 1e-6


def test_risk_formula_against_monte_carlo_with_a_random_covariance():
    d, n, s2 = 3, 6, 0.5
    S = _random_cov(d, 5)
    G = np.array([[0.3, 0.1, 0.0], [-0.2, 0.5, 0.1], [0.05, 0.0, 0.4]])
    X, y, xq, yq = sample_prompts(400_000, n, d, rng=3, cov=S, noise_var=s2)
    loss = (one_step_gd_predict(G, X, y, xq) - yq) ** 2
    se = loss.std() / np.sqrt(len(loss))
    assert abs(loss.mean() - float(preconditioned_gd_risk(G, S, n, s2))) < 4 * se


def test_prompts_have_the_stated_distribution():
    S = np.array([[2.0, 0.5], [0.5, 1.0]])
    X, y, xq, _ = sample_prompts(200_000, 3, 2, rng=0, cov=S, noise_var=0.25)
    np.testing.assert_allclose(np.cov(xq.T), S, atol=0.02)
    np.testing.assert_allclose(np.cov(X[:, 1].T), S, atol=0.02)
    # y = w.x + e with w ~ N(0, I): Var(y) = tr(S) + s2
    assert y.var() == pytest.approx(np.trace(S) + 0.25, rel=0.02)
    # nonlinear targets act on w.x before the noise
    _, yr, _, _ = sample_prompts(100_000, 2, 2, rng=0, target=lambda u: np.maximum(u, 0))
    assert yr.min() >= 0


def test_gd_statistic_is_minus_the_gradient_at_zero():
    X, y, _, _ = sample_prompts(5, 4, 3, rng=1)
    g = gd_statistic(X, y)
    for i in range(5):
        loss = lambda v: np.sum((y[i] - X[i] @ v) ** 2) / (2 * 4)  # noqa: E731, B023
        eps = 1e-6
        grad = np.array([(loss(eps * e) - loss(-eps * e)) / (2 * eps) for e in np.eye(3)])
        np.testing.assert_allclose(g[i], -grad, atol=1e-8)


def test_lsa_prediction_is_its_span_expansion_and_matches_a_direct_transformer_computation():
    r = np.random.default_rng(0)
    d, n = 3, 5
    X, y, xq, _ = sample_prompts(40, n, d, rng=2, noise_var=0.3)
    W_kq, W_pv = r.normal(size=(d + 1, d + 1)), r.normal(size=(d + 1, d + 1))
    pred = lsa_forward(W_kq, W_pv, X, y, xq)
    np.testing.assert_allclose(pred, lsa_span_features(X, y, xq) @ lsa_span_coefficients(W_kq, W_pv), atol=1e-12)
    # direct: Z (d+1) x (n+1) with the query column (x_q, 0); f(Z) = Z + W_pv Z M Z' W_kq Z / n, M masks the query
    for i in range(5):
        Z = np.vstack([np.c_[X[i].T, xq[i]], np.r_[y[i], 0.0]])
        M = np.diag(np.r_[np.ones(n), 0.0])
        out = Z + W_pv @ Z @ M @ Z.T @ W_kq @ Z / n
        assert out[d, n] == pytest.approx(pred[i], abs=1e-12)


def test_span_weights_round_trip_and_gd_block_of_a_pure_gd_lsa():
    d, eta = 2, 0.7
    W_kq = np.zeros((d + 1, d + 1))
    W_kq[:d, :d] = eta * np.eye(d)
    W_pv = np.zeros((d + 1, d + 1))
    W_pv[d, d] = 1.0  # v = (0, 1): y_hat = g' (eta I) x_q
    cubic, G, scale = span_weights(lsa_span_coefficients(W_kq, W_pv), d)
    np.testing.assert_allclose(G, eta * np.eye(d))
    assert not cubic.any() and not scale.any()
    X, y, xq, _ = sample_prompts(20, 4, d, rng=0)
    np.testing.assert_allclose(lsa_forward(W_kq, W_pv, X, y, xq), one_step_gd_predict(eta, X, y, xq), atol=1e-12)


def test_fit_lsa_gradient_is_exact_and_training_finds_one_step_gd():
    d, n, s2 = 2, 8, 0.5
    X, y, xq, yq = sample_prompts(8000, n, d, rng=4, noise_var=s2)
    fit = fit_lsa(X, y, xq, yq, n_starts=2, rng=0)
    assert fit.preconditioner is not None
    np.testing.assert_allclose(fit.preconditioner, optimal_gd_step(n, d, s2) * np.eye(d), atol=0.06)
    # the span's least squares on the same prompts is a lower bound on the trained LSA's risk
    assert lsa_span_fit(X, y, xq, yq).risk <= fit.risk + 1e-12
    # and the GD-block least squares is close to G* too
    G, _ = fit_preconditioner(X, y, xq, yq)
    np.testing.assert_allclose(G, optimal_gd_step(n, d, s2) * np.eye(d), atol=0.06)


def test_bayes_ridge_is_the_posterior_mean():
    d, n, s2 = 2, 3, 0.5
    X, y, xq, _ = sample_prompts(3, n, d, rng=6, noise_var=s2)
    for i in range(3):
        # posterior of w ~ N(0, I) given y = X w + e, e ~ N(0, s2 I): mean (X'X + s2 I)^-1 X'y
        w = np.linalg.solve(X[i].T @ X[i] + s2 * np.eye(d), X[i].T @ y[i])
        assert bayes_ridge_predict(X, y, xq, s2)[i] == pytest.approx(xq[i] @ w)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: optimal_gd_step(0, 3), ValueError, "n must be an integer >= 1"),
        (lambda: optimal_gd_step(3, 0), ValueError, "d must be an integer >= 1"),
        (lambda: optimal_gd_step(3, 2, -1.0), ValueError, "noise_var must lie in"),
        (lambda: optimal_preconditioner([[1.0, 2.0], [0.0, 1.0]], 5), ValueError, "cov must be symmetric"),
        (lambda: optimal_preconditioner([[1.0, 0.0], [0.0, -1.0]], 5), ValueError, "cov must be positive definite"),
        (lambda: optimal_preconditioner(np.ones((2, 3)), 5), ValueError, "cov must be a square"),
        (lambda: sample_prompts(10, 3, 2, cov=np.eye(3)), ValueError, r"cov must be of shape \(2, 2\)"),
        (lambda: sample_prompts(10, 3, 2, target="relu"), TypeError, "target must be a callable"),
        (lambda: sample_prompts(10**7, 30, 5), ValueError, "sample in chunks"),
        (lambda: one_step_gd_predict(np.eye(3), *sample_prompts(4, 3, 2, rng=0)[:3]), ValueError, "G must be"),
        (lambda: gd_statistic(np.ones((2, 3, 4)), np.ones((2, 2))), ValueError, "y must have shape"),
        (lambda: lsa_forward(np.eye(2), np.eye(3), *sample_prompts(4, 3, 2, rng=0)[:3]), ValueError, "W_kq must"),
        (lambda: fit_lsa(*sample_prompts(4, 3, 2, rng=0)[:3], np.ones(5)), ValueError, "y_query must have shape"),
        (lambda: fit_lsa(*sample_prompts(4, 3, 2, rng=0)[:3], None), TypeError, "y_query must be an array of numbers"),
        (lambda: bayes_ridge_predict(*sample_prompts(4, 3, 2, rng=0)[:3], 0.0), ValueError, "noise_var must lie in"),
    ],
)
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_extremes_stay_finite_or_raise():
    assert np.isfinite(one_step_gd_risk(1e100, 10**6, 200, 1e6))
    with pytest.raises(ValueError, match="overflows"):
        one_step_gd_risk(1e200, 10, 2)
    # near-singular but positive-definite covariance
    S = np.diag([1e-5, 1.0, 1e5])
    G = optimal_preconditioner(S, 10, 0.1)
    assert np.all(np.isfinite(G)) and np.isfinite(preconditioned_gd_risk(G, S, 10, 0.1))
    with pytest.raises(ValueError, match="condition number"):
        optimal_preconditioner(np.diag([1e-8, 1.0, 1e8]), 10)
