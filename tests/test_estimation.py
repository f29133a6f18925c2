"""theory.estimation: each encoded result against an independent computation (scipy, scikit-learn, Monte Carlo with
tolerances from the sample size, closed forms written out separately here), and its documented edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats
from sklearn.linear_model import LogisticRegression

import theory.estimation as te

RNG = np.random.default_rng(20261203)
Z4 = 4.0  # Monte Carlo tolerances below are 4 standard errors


def _spd(d: int, rng: np.random.Generator) -> np.ndarray:
    G = rng.standard_normal((d, 2 * d))
    return G @ G.T / (2 * d) + 0.2 * np.eye(d)


# ---------------------------------------------------------------------------------------------------------
# covariate_shift
# ---------------------------------------------------------------------------------------------------------


def test_ols_risk_matches_monte_carlo_and_is_inf_below_d_plus_2():
    S, T = _spd(3, RNG), _spd(3, RNG)
    L, beta, n, R = np.linalg.cholesky(S), RNG.standard_normal(3), 12, 20_000
    X = RNG.standard_normal((R, n, 3)) @ L.T
    y = X @ beta + RNG.standard_normal((R, n))
    b = np.linalg.solve(X.transpose(0, 2, 1) @ X, (X.transpose(0, 2, 1) @ y[..., None]))[..., 0] - beta
    ex = np.einsum("ri,ij,rj->r", b, T, b)
    assert abs(ex.mean() - te.ols_covshift_risk(S, T, n, 1.0)) <= Z4 * ex.std() / math.sqrt(R)
    assert te.ols_covshift_risk(S, T, 4, 1.0) == math.inf
    assert te.ols_covshift_risk(S, S, 10, 2.0) == pytest.approx(2.0 * 3 / 6)


def test_iwls_limit_equals_the_determinant_form_and_is_never_below_ols():
    for _ in range(20):
        S = _spd(3, RNG)
        root = np.linalg.cholesky(S)
        U = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
        T = root @ U @ np.diag(RNG.uniform(0.2, 1.9, 3)) @ U.T @ root.T
        T = (T + T.T) / 2
        Q = 2 * np.linalg.inv(T) - np.linalg.inv(S)
        c = math.sqrt(np.linalg.det(S)) / (np.linalg.det(T) * math.sqrt(np.linalg.det(Q)))
        direct = c * np.trace(np.linalg.solve(T, np.linalg.inv(Q)))
        assert te.iwls_asymptotic_risk(S, T, 1.0) == pytest.approx(direct, rel=1e-9)
        assert te.iwls_asymptotic_risk(S, T, 1.0) >= np.trace(np.linalg.solve(S, T)) * (1 - 1e-12)
    assert te.iwls_asymptotic_risk(np.eye(2), np.diag([1.0, 2.0]), 1.0) == math.inf


def test_density_ratio_matches_scipy_and_stays_exact_where_densities_underflow():
    mS, mT, S, T = np.zeros(2), np.array([0.5, -0.3]), _spd(2, RNG), _spd(2, RNG)
    x = RNG.standard_normal((50, 2))
    ref = stats.multivariate_normal(mT, T).pdf(x) / stats.multivariate_normal(mS, S).pdf(x)
    np.testing.assert_allclose(te.gaussian_density_ratio(x, mS, S, mT, T), ref, rtol=1e-10)
    # at x = 40 both densities underflow to 0 in float64; the ratio exp(x - 1/2) does not
    w = te.gaussian_density_ratio([[40.0]], [0.0], [[1.0]], [1.0], [[1.0]])
    assert w[0] == pytest.approx(math.exp(39.5), rel=1e-12)


def test_logistic_fisher_and_weighted_fisher_match_monte_carlo():
    beta, mS, mT, S = np.array([0.3, 1.0, -0.6]), np.zeros(2), np.array([0.4, 0.2]), _spd(2, RNG)
    T = 0.9 * S
    n = 400_000
    x = RNG.multivariate_normal(mS, S, size=n)
    xt = np.c_[np.ones(n), x]
    p = 1 / (1 + np.exp(-xt @ beta))
    w = te.gaussian_density_ratio(x, mS, S, mT, T)
    for weight, value in ((np.ones(n), te.logistic_fisher(beta, mS, S)),
                          (w**2, te.logistic_weighted_fisher(beta, mS, S, mT, T))):  # fmt: skip
        terms = (weight * p * (1 - p))[:, None, None] * xt[:, :, None] * xt[:, None, :]
        mc, se = terms.mean(0), terms.std(0) / math.sqrt(n)
        assert np.all(np.abs(mc - value) <= Z4 * se + 1e-12)
    assert np.all(te.logistic_weighted_fisher(beta, mS, S, mT, 2.5 * S) == math.inf)


def test_asymptotic_excess_formulas_and_their_order():
    I_T, I_S = _spd(3, RNG), _spd(3, RNG)
    assert te.mle_asymptotic_excess(I_T, I_S) == pytest.approx(0.5 * np.trace(I_T @ np.linalg.inv(I_S)))
    assert te.weighted_mle_asymptotic_excess(I_T, np.full((3, 3), math.inf)) == math.inf
    beta, S = np.array([0.1, 0.8, 0.4]), _spd(2, RNG)
    mT, T = np.array([0.5, -0.5]), 1.2 * S
    I_T, I_S = te.logistic_fisher(beta, mT, T), te.logistic_fisher(beta, np.zeros(2), S)
    B = te.logistic_weighted_fisher(beta, np.zeros(2), S, mT, T)
    assert te.weighted_mle_asymptotic_excess(I_T, B) > te.mle_asymptotic_excess(I_T, I_S)


# ---------------------------------------------------------------------------------------------------------
# generative
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("C", [1.0, None])
def test_logistic_fit_is_sklearns(C):
    X = RNG.standard_normal((4, 150, 3))
    y = (RNG.random((4, 150)) < 1 / (1 + np.exp(-X @ np.array([1.0, -1.0, 0.5])))).astype(int)
    fit = te.logistic_fit(X, y, C=C)
    for r in range(4):
        sk = LogisticRegression(C=np.inf if C is None else C, tol=1e-12, max_iter=10_000).fit(X[r], y[r])
        np.testing.assert_allclose(fit.coef[r], sk.coef_[0], atol=1e-6)
        assert fit.intercept[r] == pytest.approx(sk.intercept_[0], abs=1e-6)
    assert fit.converged.all()


def test_logistic_fit_weights_scale_and_separation():
    X = RNG.standard_normal((60, 2))
    y = (X[:, 0] + RNG.standard_normal(60) > 0).astype(int)
    k = RNG.integers(1, 4, size=60)  # integer weights = repeated rows
    a = te.logistic_fit(X, y, sample_weight=k)
    b = te.logistic_fit(np.repeat(X, k, axis=0), np.repeat(y, k))
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-8)
    np.testing.assert_allclose(te.logistic_fit(X * 1e6, y).coef, a.coef * 0 + te.logistic_fit(X, y).coef / 1e6,
                               rtol=1e-6)  # fmt: skip
    sep = te.logistic_fit([[-2.0], [-1.0], [1.0], [2.0]], [0, 0, 1, 1], max_iter=30)
    assert not sep.converged[0] and np.all(np.isfinite(sep.coef))


def test_gaussian_nb_is_the_authors_pooled_definition():
    X = RNG.standard_normal((40, 3)) * [1.0, 2.0, 0.5]
    y = (RNG.random(40) < 0.4).astype(int)
    fit = te.gaussian_nb_fit(X, y)
    pri = np.array([np.mean(y == k) for k in (0, 1)])
    var = sum(pri[k] * (np.var(X[y == k], axis=0) + 1e-9) for k in (0, 1))
    mu = [X[y == k].mean(0) for k in (0, 1)]
    x = RNG.standard_normal((10, 3))
    scores = np.stack([np.log(pri[k]) - 0.5 * np.sum((x - mu[k]) ** 2 / var, axis=1) for k in (0, 1)], 1)
    w, b = fit.rule()
    np.testing.assert_array_equal(x @ w[0] + b[0] > 0, scores[:, 1] > scores[:, 0])
    np.testing.assert_allclose(fit.var[0], var)
    with pytest.raises(ValueError, match="y must hold every class"):
        te.gaussian_nb_fit(X, np.zeros(40))


def test_linear_rule_error_matches_monte_carlo_and_bayes():
    means, cov = np.array([[-0.5, 0.2], [0.4, -0.1]]), _spd(2, RNG)
    w, b = np.array([1.0, -0.3]), 0.05
    n = 400_000
    y = RNG.integers(0, 2, n)
    x = means[y] + RNG.standard_normal((n, 2)) @ np.linalg.cholesky(cov).T
    wrong = ((x @ w + b > 0).astype(int) != y).astype(float)
    assert abs(wrong.mean() - float(te.linear_rule_error(w, b, means, cov))) <= Z4 * wrong.std() / math.sqrt(n)
    bayes_w = np.linalg.solve(cov, means[1] - means[0])
    bayes_b = -bayes_w @ (means[0] + means[1]) / 2
    assert float(te.linear_rule_error(bayes_w, bayes_b, means, cov)) == pytest.approx(
        te.gaussian_bayes_error(means, cov), rel=1e-12
    )
    assert float(te.linear_rule_error([0.0, 0.0], 3.0, means, cov)) == 0.5
    assert float(te.linear_rule_error(w * 1e300, b * 1e300, means, cov)) == pytest.approx(
        float(te.linear_rule_error(w, b, means, cov))
    )


def test_multiclass_rule_error_matches_monte_carlo_and_the_two_class_formula():
    means = np.array([[1.0, 0.0], [-0.5, 0.8], [-0.5, -0.8], [0.2, 0.2]])
    cov = _spd(2, RNG)
    W, b = RNG.standard_normal((4, 2)), RNG.standard_normal(4) * 0.3
    n = 400_000
    y = RNG.integers(0, 4, n)
    x = means[y] + RNG.standard_normal((n, 2)) @ np.linalg.cholesky(cov).T
    wrong = (np.argmax(x @ W.T + b, axis=1) != y).astype(float)
    err = float(te.multiclass_rule_error(W, b, means, cov))
    assert abs(wrong.mean() - err) <= Z4 * wrong.std() / math.sqrt(n) + 1e-6
    m2 = means[:2]
    two = te.multiclass_rule_error(np.stack([W[:2], 2 * W[:2]]), np.stack([b[:2], 2 * b[:2]]), m2, cov)
    ref = te.linear_rule_error(W[1] - W[0], b[1] - b[0], m2, cov)
    np.testing.assert_allclose(two, [ref, ref], rtol=1e-12)


def test_easy_data_bayes_errors_and_sample_complexity():
    assert te.gaussian_bayes_error(*te.easy_gaussian_classes(2)) == pytest.approx(stats.norm.cdf(-math.sqrt(6) / 2))
    assert te.gaussian_bayes_error(*te.isotropic_gaussian_classes(64, 0.2)) == pytest.approx(0.2)
    assert float(te.sample_complexity([1, 2, 3], [0.5, 0.4, 0.3], 0.0)) == math.inf
    with pytest.raises(ValueError, match="sizes must be strictly increasing"):
        te.sample_complexity([2, 1, 3], [0.5, 0.4, 0.3], 0.0)


# ---------------------------------------------------------------------------------------------------------
# aggregate
# ---------------------------------------------------------------------------------------------------------


def test_bag_identity_and_end_points():
    X, y = RNG.standard_normal((30, 3)), RNG.standard_normal(30)
    bags = te.random_bags(30, 5, rng=1)
    L = te.bag_losses(X, y, bags, RNG.standard_normal((4, 3)))
    np.testing.assert_allclose(L.instance, L.bag + L.penalty, rtol=1e-13)
    xbar = np.stack([X[bags == b].mean(0) for b in range(6)])
    ybar = np.array([y[bags == b].mean() for b in range(6)])
    t = te.interpolating_estimator(X, y, bags, [0.0, 1.0])
    np.testing.assert_allclose(t[0], np.linalg.lstsq(xbar, ybar, rcond=None)[0], rtol=1e-10)
    np.testing.assert_allclose(t[1], np.linalg.lstsq(X, ybar[bags], rcond=None)[0], rtol=1e-10)
    with pytest.raises(ValueError, match="k must divide n"):
        te.random_bags(10, 3)


def test_instance_risk_reduces_to_least_squares_and_matches_monte_carlo():
    r = te.instance_risk_exact(30, 4, 1, 2.0, 5.0)
    assert r.bias == pytest.approx(0.0, abs=1e-15) and r.variance == pytest.approx(2.0 * 4 / 25)
    n, d, k, R = 24, 2, 3, 40_000
    theta = np.array([0.6, 0.8])
    X = RNG.standard_normal((R, n // k, k, d))
    y = X @ theta + 0.7 * RNG.standard_normal((R, n // k, k))
    Xf = X.reshape(R, n, d)
    ybar = np.repeat(y.mean(axis=2), k, axis=1)
    est = np.linalg.solve(Xf.transpose(0, 2, 1) @ Xf, (Xf.transpose(0, 2, 1) @ ybar[..., None]))[..., 0]
    err = np.sum((est - theta) ** 2, axis=1)
    assert abs(err.mean() - te.instance_risk_exact(n, d, k, 0.49, 1.0).risk) <= Z4 * err.std() / math.sqrt(R)
    assert te.bag_risk_exact(21, 6, 3, 1.0) == math.inf  # 7 bags = d + 1


def test_limit_root_solves_the_fixed_point_and_matches_the_exact_end_points():
    for g, k, rho in ((0.1, 2, 0.5), (0.4, 5, 3.0), (0.7, 2, 0.1), (0.05, 10, 20.0)):
        f = 1 / k
        fp = lambda e, f=f, g=g, rho=rho: 1 / e - f / (1 + g * e) - (1 - f) * rho / (1 + g * rho * e)  # noqa: E731
        e = optimize.brentq(fp, 1e-9, 1e9, xtol=1e-14, rtol=1e-14)  # the root by bracketing, not the quadratic
        ep = 1 / (1 / e**2 - g * (f / (1 + g * e) ** 2 + (1 - f) * rho**2 / (1 + g * rho * e) ** 2))
        var = g * ep * f / (1 + g * e) ** 2
        assert float(te.interpolating_risk_limit(g, k, rho, 1.0, 0.0).variance) == pytest.approx(var, rel=1e-9)
    assert float(te.interpolating_risk_limit(0.1, 3, 0.0, 1.0, 7.0).risk) == pytest.approx(0.3 / 0.7)
    n = 400_000
    for g, k in ((0.1, 2), (0.3, 4)):
        exact = te.instance_risk_exact(n, int(g * n), k, 1.3, 0.7)
        lim = te.interpolating_risk_limit(g, k, 1.0, 1.3, 0.7)
        assert lim.bias == pytest.approx(exact.bias, rel=1e-4) and lim.variance == pytest.approx(
            exact.variance, rel=1e-4
        )
    assert float(te.interpolating_risk_limit(0.6, 2, 0.0, 1.0, 1.0).risk) == math.inf
    assert float(te.interpolating_risk_limit(1.5, 2, 0.5, 1.0, 1.0).risk) == math.inf


def test_optimal_rho_beats_both_end_points():
    for g, k, s2, sig in ((0.1, 2, 1.0, 1.0), (0.3, 4, 0.5, 2.0), (0.2, 3, 2.0, 0.3)):
        rho = te.optimal_rho(g, k, s2, sig)
        r = lambda x, g=g, k=k, s2=s2, sig=sig: float(te.interpolating_risk_limit(g, k, x, s2, sig).risk)  # noqa: E731
        assert r(rho) <= min(r(0.0), r(1.0)) + 1e-12
        assert r(rho) <= min(r(rho * 1.01), r(rho * 0.99)) + 1e-12
