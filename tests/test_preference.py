"""theory.preference: every encoded statement against an independent computation (sympy for the calculus, scipy's
constrained optimiser for the optimum, finite differences for the gradients, mpmath for the limits)."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize
from scipy.special import logsumexp

import theory.preference as tp

RNG = np.random.default_rng(20261203)
CASES = [("reverse_kl", None), ("forward_kl", None), ("jensen_shannon", None), ("alpha", 0.3), ("alpha", 0.8)]


def _sympy_f(name, a):
    u = sp.symbols("u", positive=True)
    f = {
        "reverse_kl": u * sp.log(u),
        "forward_kl": -sp.log(u),
        "jensen_shannon": u * sp.log(u) - (1 + u) * sp.log((1 + u) / 2),
        "alpha": (u ** (1 - a) - (1 - a) * u - a) / (a * (a - 1)) if a else None,
        "chi2": (u - 1) ** 2,
    }[name]
    return u, f


@pytest.mark.parametrize(("name", "alpha"), [*CASES, ("chi2", None)])
def test_f_divergence_table_matches_sympy(name, alpha):
    a = sp.Rational(alpha).limit_denominator(100) if alpha else None
    u, f = _sympy_f(name, a)
    fd = tp.f_divergence(name, alpha=alpha)
    fp = sp.diff(f, u)
    us = np.array([1e-3, 0.2, 1.0, 3.0, 50.0])
    assert f.subs(u, 1) == 0 and sp.diff(f, u, 2).subs(u, 2) > 0  # f(1) = 0, convex
    np.testing.assert_allclose(fd.f(us), [float(f.subs(u, x)) for x in us], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fd.fprime(us), [float(fp.subs(u, x)) for x in us], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fd.fprime_inv(fd.fprime(us)), us, rtol=1e-9)
    assert fd.fprime_inf == pytest.approx(float(sp.limit(fp, u, sp.oo)), rel=1e-12)


def _numerical_optimum(r, p, beta, name, alpha):
    """The maximiser by a general optimiser: L-BFGS over softmax logits for the admissible divergences (their
    optimum is interior), SLSQP on the simplex with bounds for chi2 (whose optimum may sit on the boundary)."""
    fd = tp.f_divergence(name, alpha=alpha)
    K = len(r)

    def obj(x):
        return -(x @ r) / beta + p @ fd.f(np.maximum(x, 1e-300) / p)

    def jac(x):
        return -r / beta + fd.fprime(np.maximum(x, 1e-300) / p)

    if name != "chi2":

        def obj_logits(th):
            x = np.exp(th - logsumexp(th))
            g = jac(x)
            return obj(x), x * (g - x @ g)

        th0 = np.log(p)
        res = minimize(obj_logits, th0, jac=True, method="L-BFGS-B", options={"gtol": 1e-13, "ftol": 1e-16})
        return np.exp(res.x - logsumexp(res.x))
    res = minimize(
        obj,
        p.copy(),
        jac=jac,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * K,
        constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones(K)}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    return res.x


@pytest.mark.parametrize(("name", "alpha"), [*CASES, ("chi2", None)])
def test_closed_form_optimum_matches_a_constrained_optimiser(name, alpha):
    for _ in range(6):
        K = int(RNG.integers(2, 7))
        r, p, beta = RNG.normal(size=K) * 2.0, RNG.dirichlet(np.ones(K)), 10 ** RNG.uniform(-0.7, 0.7)
        pi = tp.f_regularized_optimum(r, p, beta, name, alpha=alpha)
        # the optimisers reach the optimum to ~1e-8 in pi (their stopping rules; measured on these draws)
        np.testing.assert_allclose(pi, _numerical_optimum(r, p, beta, name, alpha), atol=1e-6)
        assert pi.sum() == pytest.approx(1.0, abs=1e-14)


def test_chi2_truncates_and_the_unclipped_closed_form_is_wrong():
    r, p, beta = np.array([3.0, 0.0, -3.0]), np.array([0.3, 0.3, 0.4]), 0.5
    pi = tp.f_regularized_optimum(r, p, beta, "chi2")
    assert pi[2] == 0.0 and np.allclose(pi, _numerical_optimum(r, p, beta, "chi2", None), atol=1e-6)
    naive = p * (1.0 + (r - p @ r) / (2.0 * beta))  # sum pi = 1 solved without the multiplier of pi >= 0
    assert naive.min() < 0.0


@pytest.mark.parametrize(("name", "alpha"), CASES)
def test_implied_reward_minus_reward_is_constant_at_the_optimum_and_bounds_hold(name, alpha):
    r, p = RNG.normal(size=(50, 6)) * 3.0, RNG.dirichlet(np.ones(6), size=50)
    pi = tp.f_regularized_optimum(r, p, 0.7, name, alpha=alpha)
    gap = tp.implied_reward(pi, p, 0.7, name, alpha=alpha) - r
    assert np.ptp(gap, axis=-1).max() < 1e-9 * max(1.0, np.abs(gap).max())
    lo, hi = tp.optimum_ratio_bounds(r, p, 0.7, name, alpha=alpha)
    u = pi / p
    assert np.all(lo <= u * (1 + 1e-12)) and np.all(u <= hi * (1 + 1e-12))
    assert np.all(pi > 0)  # full support


def test_reverse_kl_optimum_is_the_gibbs_policy_at_extreme_scales():
    r, p = np.array([1e3, 0.0, -1e3, 999.0]), np.array([0.1, 0.2, 0.3, 0.4])
    for beta in (1e-2, 1.0, 1e2):
        want = np.exp(np.log(p) + r / beta - logsumexp(np.log(p) + r / beta))
        np.testing.assert_allclose(tp.f_regularized_optimum(r, p, beta, "reverse_kl"), want, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize(("name", "alpha"), [("forward_kl", None), ("jensen_shannon", None), ("alpha", 0.5)])
def test_off_support_mass_is_the_limit_of_a_vanishing_reference_mass(name, alpha):
    r, beta = np.array([0.0, 0.5, 4.0]), 1.0
    p0 = np.array([0.4, 0.6, 0.0])
    m = float(tp.off_support_mass(r, p0, beta, name, alpha=alpha))
    assert m > 0.1
    eps = 1e-10
    pe = np.array([0.4, 0.6 - eps, eps])
    limit = tp.f_regularized_optimum(r, pe, beta, name, alpha=alpha)[2]
    # the alpha optimum converges like eps^alpha (1e-5 at alpha = 1/2); the others like eps
    assert abs(limit - m) < 10 * eps ** (alpha or 1.0)
    pi0 = tp.f_regularized_optimum(r, p0, beta, name, alpha=alpha)
    assert pi0[2] == pytest.approx(m) and pi0.sum() == pytest.approx(1.0, abs=1e-14)
    assert float(tp.off_support_mass(r, p0, beta, "reverse_kl")) == 0.0


def test_fdpo_loss_is_dpo_for_reverse_kl_and_the_bradley_terry_loss_of_the_implied_rewards():
    lw, ll, rw, rl = np.log([0.5, 0.01]), np.log([0.1, 0.2]), np.log([0.3, 0.3]), np.log([0.2, 0.05])
    dpo = np.logaddexp(0.0, -0.3 * ((lw - rw) - (ll - rl)))
    np.testing.assert_allclose(tp.fdpo_loss(lw, ll, rw, rl, 0.3, "reverse_kl"), dpo, rtol=1e-14)
    for name, alpha in CASES:
        fd = tp.f_divergence(name, alpha=alpha)
        margin = 0.3 * (fd.fprime(np.exp(lw - rw)) - fd.fprime(np.exp(ll - rl)))
        np.testing.assert_allclose(
            tp.fdpo_loss(lw, ll, rw, rl, 0.3, name, alpha=alpha), np.logaddexp(0, -margin), rtol=1e-12
        )


def test_fdpo_loss_is_finite_or_explicitly_infinite_at_huge_log_ratios():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        big = tp.fdpo_loss(-1e6, 0.0, 0.0, -1e6, 1e6, "forward_kl")
        small = tp.fdpo_loss(0.0, -1e6, -1e6, 0.0, 1e6, "forward_kl")
        same = tp.fdpo_loss(-5e5, -5e5, 0.0, 0.0, 1.0, "alpha", alpha=0.5)
    assert big == np.inf and small == 0.0 and same == pytest.approx(np.log(2.0))


def test_npo_limit_bounds_against_mpmath():
    mpmath.mp.dps = 50
    for _ in range(200):
        beta, z = 10 ** RNG.uniform(-4, 0.5), RNG.normal() * 10 ** RNG.uniform(-2, 2)
        zm, bm = mpmath.mpf(z), mpmath.mpf(beta)
        exact_gap = (2 / bm) * mpmath.log1p(mpmath.exp(bm * zm)) - (2 / bm) * mpmath.log(2) - zm
        assert 0 <= exact_gap <= bm * zm**2 / 4 * (1 + mpmath.mpf(10) ** -30)
        ref = -abs(z) - 1.0  # log-probabilities <= 0 with log-ratio z
        w = float(tp.npo_weight(ref + z, ref, beta))
        # W - 1 is formed next to 1, so it carries one ulp of 1 (2.2e-16) on top of the bound
        assert 0 < w <= 2 and abs(w - 1) <= beta * abs(z) / 2 + 2.3e-16  # W rounds to 2 once beta z > 37
        loss = float(tp.npo_loss(ref + z, ref, beta))
        exact = (2 / bm) * mpmath.log1p(mpmath.exp(bm * zm))
        assert abs(loss - float(exact)) <= 1e-13 * float(abs(exact))


def test_npo_gradient_is_w_times_ga_gradient_by_finite_differences():
    th, ref, beta, h = RNG.normal(size=5), RNG.normal(size=5), 0.7, 1e-6
    log_ref = ref[2] - logsumexp(ref)

    def logp(t):
        return t[2] - logsumexp(t)

    def fd_grad(fun):
        return np.array([(fun(th + h * e) - fun(th - h * e)) / (2 * h) for e in np.eye(5)])

    g_npo = fd_grad(lambda t: float(tp.npo_loss(logp(t), log_ref, beta)))
    g_ga = fd_grad(lambda t: float(tp.ga_loss(logp(t))))
    np.testing.assert_allclose(g_npo, float(tp.npo_weight(logp(th), log_ref, beta)) * g_ga, rtol=1e-7, atol=1e-9)


def test_npo_flow_is_the_ga_path_on_a_slower_clock():
    th0 = RNG.normal(size=(4, 5))
    t = np.linspace(0.0, 6.0, 13)
    npo = tp.tabular_unlearning_flow(th0, 1, t, "npo", beta=0.8)
    ga = tp.tabular_unlearning_flow(th0, 1, np.unique(npo.other_clock.ravel()), "ga", beta=0.8)
    for i in range(4):
        at = np.searchsorted(ga.times, npo.other_clock[i])
        np.testing.assert_allclose(npo.logits[i], ga.logits[i, at], atol=1e-7)
    assert np.all(np.diff(npo.log_ratio, axis=1) < 0) and np.all(npo.other_clock[:, -1] < t[-1])
    assert np.all(ga.remaining_entropy[:, -1] < ga.remaining_entropy[:, 0])  # GA concentrates the rest
    # and the NPO clock a GA run carries is the NPO run's own time at the same point
    for i in range(4):
        at = np.searchsorted(ga.times, npo.other_clock[i])
        np.testing.assert_allclose(ga.other_clock[i, at], t, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("method", ["ga", "npo"])
def test_logistic_unlearning_step_is_gradient_descent_on_the_library_losses(method):
    """One step against central differences of the mean forget loss written with ga_loss / npo_loss."""
    X, y, th0 = RNG.normal(size=(3, 6)), np.array([1.0, -1.0, 1.0]), RNG.normal(size=6)
    beta, eta = 0.7, 0.3
    ref = -np.logaddexp(0.0, -y * (X @ th0))  # log p_ref(y_i | x_i)

    def loss(th):
        logp = -np.logaddexp(0.0, -y * (X @ th))
        return np.mean(tp.ga_loss(logp) if method == "ga" else tp.npo_loss(logp, ref, beta))

    h = 1e-6
    grad = np.array([(loss(th0 + h * e) - loss(th0 - h * e)) / (2 * h) for e in np.eye(6)])
    run = tp.logistic_unlearning_run(X, y, th0, eta, 1, method, beta=beta)
    np.testing.assert_allclose(run.theta[0], th0 - eta * grad, atol=1e-8)


def test_logistic_unlearning_rates_on_orthonormal_forget_points():
    """X = I: the coordinates decouple; GA's distance grows like eta t ||y|| / n_f, NPO's by sqrt(n_f) ln 10 / beta
    per decade (the module docstring's asymptotics)."""
    X, y, th0 = np.eye(2), np.array([1.0, -1.0]), np.array([0.3, 0.1])
    ga = tp.logistic_unlearning_run(X, y, th0, 0.5, 4000, "ga", record=[2000, 3000, 4000])
    d2 = ga.distance[0] ** 2
    assert np.sqrt((d2[2] - 2 * d2[1] + d2[0]) / (2 * 1000.0**2)) / 0.5 == pytest.approx(np.sqrt(2) / 2, rel=1e-10)
    npo = tp.logistic_unlearning_run(X, y, th0, 0.5, 20_000, "npo", beta=1.0, record=[200, 2000, 20_000])
    last, before = np.diff(npo.distance[0])[::-1]
    assert last == pytest.approx(np.sqrt(2) * np.log(10), rel=abs(before - last) / last)
    assert np.all(np.diff(npo.log_ratio[0]) < 0)  # the forget points' probabilities keep falling


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: tp.f_regularized_optimum([1.0, 0.0], [0.5, 0.5], 0.0, "reverse_kl"), "beta must lie in"),
        (lambda: tp.f_regularized_optimum([1.0, 0.0], [0.7, 0.5], 1.0, "reverse_kl"), "pi_ref must sum to 1"),
        (lambda: tp.f_regularized_optimum([1.0, 0.0], [0.5, 0.5], 1.0, "alpha", alpha=1.5), "alpha must lie in"),
        (lambda: tp.f_regularized_optimum([1.0, 0.0], [0.5, 0.5], 1.0, "tv"), "divergence must be one of"),
        (lambda: tp.f_regularized_optimum([1.0, 0.0], [0.5, 0.5], 1.0, "alpha"), "alpha is required"),
        (lambda: tp.f_regularized_optimum([1.0, 0.0], [0.5, 0.5], 1.0, "forward_kl", 0.5), "alpha applies only"),
        (lambda: tp.f_regularized_optimum([1.0, 0.0, 2.0], [0.5, 0.5], 1.0, "forward_kl"), "must broadcast"),
        (lambda: tp.tabular_unlearning_flow([0.0, 1.0], 2, [0.0, 1.0]), "forget must lie in"),
        (lambda: tp.tabular_unlearning_flow([0.0, 1.0], 0, [1.0, 0.0]), "times must be a non-decreasing"),
        (lambda: tp.logistic_unlearning_run(np.eye(2), [1.0, 0.5], [0.0, 0.0], 0.5, 10), "labels in"),
        (lambda: tp.logistic_unlearning_run(np.eye(2), [1.0, 1.0, 1.0], [0.0, 0.0], 0.5, 10), "one label per"),
        (lambda: tp.logistic_unlearning_run(np.eye(2), [1.0, 1.0], [0.0, 0.0, 0.0], 0.5, 10), "theta_init must"),
        (lambda: tp.logistic_unlearning_run(np.eye(2), [1.0, 1.0], [0.0, 0.0], 0.5, 10, record=[11]), "record must"),
        (lambda: tp.logistic_unlearning_run(np.eye(2), [1.0, 1.0], [0.0, 0.0], 0.0, 10), "eta must lie in"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
