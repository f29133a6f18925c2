"""theory/ldr.py against independent computations: direct sums, finite differences, minimisation, brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from theory.ldr import (
    conditional_minimizer,
    conditional_risk,
    ldr_kl_dual_objective,
    ldr_kl_grad,
    ldr_kl_loss,
    ldr_top1_calibration,
    mae_loss,
    topk_preserving,
)


def _direct(f, y, lam, c):
    K = len(f)
    a = np.array([c * (k != y) + f[k] - f[y] for k in range(K)])
    return lam * np.log(np.mean(np.exp(a / lam)))


def test_loss_equals_the_direct_sum_and_cross_entropy_at_zero_margin():
    r = np.random.default_rng(0)
    f = r.normal(size=(20, 4))
    y = r.integers(4, size=20)
    for lam, c in [(0.5, 0.0), (1.0, 1.0), (3.0, 2.0)]:
        np.testing.assert_allclose(ldr_kl_loss(f, y, lam, c), [_direct(f[i], y[i], lam, c) for i in range(20)])
    ce = -(f[np.arange(20), y] - np.log(np.exp(f).sum(axis=1)))
    np.testing.assert_allclose(ldr_kl_loss(f, y, 1.0, 0.0), ce - np.log(4))


def test_gradient_matches_finite_differences():
    r = np.random.default_rng(1)
    f = r.normal(size=(5, 6))
    y = r.integers(6, size=5)
    g = ldr_kl_grad(f, y, 0.7, 1.3)
    eps = 1e-6
    for j in range(6):
        e = np.zeros(6)
        e[j] = eps
        fd = (ldr_kl_loss(f + e, y, 0.7, 1.3) - ldr_kl_loss(f - e, y, 0.7, 1.3)) / (2 * eps)
        np.testing.assert_allclose(g[:, j], fd, atol=1e-8)


def test_loss_is_the_maximum_of_the_dual_objective():
    r = np.random.default_rng(2)
    f = r.normal(size=(1, 4))
    for trial in range(200):
        p = r.dirichlet(np.ones(4))[None]
        assert ldr_kl_dual_objective(p, f, [1], 0.8, 1.0)[0] <= ldr_kl_loss(f, [1], 0.8, 1.0)[0] + 1e-12, trial
    # attained at p* = softmax(a / lambda)
    a = 1.0 * (np.arange(4) != 1) + f[0] - f[0, 1]
    p_star = np.exp(a / 0.8) / np.exp(a / 0.8).sum()
    assert ldr_kl_dual_objective(p_star[None], f, [1], 0.8, 1.0)[0] == pytest.approx(ldr_kl_loss(f, [1], 0.8, 1.0)[0])


def test_stable_at_extreme_scores_and_temperatures():
    f = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 1e4]])
    for lam in (1e-3, 1.0, 1e3):
        v = ldr_kl_loss(f, [0, 0], lam, 1.0)
        assert np.all(np.isfinite(v))
        assert np.all(np.isfinite(ldr_kl_grad(f, [0, 0], lam, 1.0)))
    # lambda -> 0 reaches the hinge: second row, label 0: max_k a_k = 1 + 1e4
    assert ldr_kl_loss(f, [0, 0], 1e-3, 1.0)[1] == pytest.approx(1e4 + 1 - 1e-3 * np.log(3))


def test_conditional_minimiser_against_bfgs_and_the_closed_form_at_zero_margin():
    r = np.random.default_rng(3)
    q = r.dirichlet(np.ones(4), 5)
    for lam, c in [(0.3, 1.0), (2.0, 0.5)]:
        res = conditional_minimizer(q, lam, c)
        assert res.converged.all()
        for i in range(5):

            def fun(v, i=i, lam=lam, c=c):
                return float(conditional_risk(lambda s, y: ldr_kl_loss(s, y, lam, c), v[None], q[i : i + 1])[0])

            b = minimize(fun, np.zeros(4), method="BFGS", options={"gtol": 1e-10})
            assert res.risk[i] == pytest.approx(b.fun, abs=1e-9)
    # c = 0: the minimiser is lambda log q up to a constant
    res = conditional_minimizer(q, 0.5, 0.0)
    expect = 0.5 * np.log(q)
    np.testing.assert_allclose(res.scores, expect - expect.mean(axis=1, keepdims=True), atol=1e-9)


def test_topk_preserving_against_brute_force_definition():
    r = np.random.default_rng(4)
    for _ in range(300):
        K = 5
        q = np.round(r.dirichlet(np.ones(K)), 1)  # rounding creates ties
        f = np.round(r.normal(size=K), 1)
        for k in range(1, K):
            qs, fs = np.sort(q)[::-1], np.sort(f)[::-1]
            ok = all((q[i] <= qs[k] or f[i] > fs[k]) and (q[i] >= qs[k - 1] or f[i] < fs[k - 1]) for i in range(K))
            assert topk_preserving(f[None], q[None], k)[0] == ok
    assert topk_preserving([[3.0, 2.0, 1.0]], [[0.5, 0.3, 0.2]], 1)[0]
    assert not topk_preserving([[3.0, 1.0, 2.0]], [[0.5, 0.3, 0.2]], 2)[0]
    assert topk_preserving([[3.0, 1.0, 2.0]], [[0.5, 0.25, 0.25]], 2)[0]  # q tied at the boundary: either order


def test_mae_is_symmetric_and_its_near_minimisers_can_swap_the_top_two():
    r = np.random.default_rng(5)
    f = r.normal(size=(7, 4))
    total = sum(mae_loss(f, np.full(7, y)) for y in range(4))
    np.testing.assert_allclose(total, 3.0)
    q = np.array([[0.5, 0.3, 0.2]])
    f_t = np.array([[40.0, 0.0, 1.0]])
    assert conditional_risk(mae_loss, f_t, q)[0] - 0.5 < 1e-15 and not topk_preserving(f_t, q, 2)[0]


def test_top1_calibration_against_a_two_score_brute_force():
    lam, c, t = 0.7, 1.0, 0.4
    T, q = ldr_top1_calibration([t], lam, c, n_grid=7)
    assert q[0, 0] - q[0, 1] == pytest.approx(t) and q[0].argmax() == 0
    # brute force on the same q grid: f = (0, x, y) with class 1 on top, x >= 0, x >= y
    xs, ys = np.meshgrid(np.linspace(0, 15, 301), np.linspace(-15, 15, 601), indexing="ij")
    keep = xs >= ys
    F = np.stack([np.zeros(keep.sum()), xs[keep], ys[keep]], axis=1)
    best = np.inf
    for q1 in np.linspace(max((1 - 2 * t) / 3, 1e-9), (1 - t) / 2 - 1e-9, 7):
        qq = np.clip([q1 + t, q1, 1 - 2 * q1 - t], 1e-9, None)
        qq = qq / qq.sum()
        risk = conditional_risk(lambda s, y: ldr_kl_loss(s, y, lam, c), F, np.broadcast_to(qq, F.shape)).min()
        best = min(best, risk - conditional_minimizer(qq[None], lam, c).risk[0])
    h = 30 / 600
    assert abs(best - T[0]) <= h**2 / (16 * lam) + 1e-9
    assert np.all(np.diff(ldr_top1_calibration([0.1, 0.3, 0.6, 0.9], lam, c)[0]) > 0)  # increasing in t


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ldr_kl_loss([[1.0, 2.0]], [0], lam=0.0), "lam must lie in"),
        (lambda: ldr_kl_loss([[1.0, 2.0]], [0], lam=1e4), "lam must lie in"),
        (lambda: ldr_kl_loss([[1.0, 2.0]], [0], margin=-1.0), "margin must lie in"),
        (lambda: ldr_kl_loss([[1.0, 2.0]], [2]), r"y must hold labels in \[0, 1\]"),
        (lambda: ldr_kl_loss([[1.0, 2.0]], [0.5]), "y must hold 1 integer labels"),
        (lambda: ldr_kl_loss([[1.0]], [0]), "scores must have K classes"),
        (lambda: conditional_minimizer([[0.5, 0.6]]), "q must sum to 1"),
        (lambda: conditional_minimizer([[1.0, 0.0]]), "q must be strictly positive"),
        (lambda: topk_preserving([[1.0, 2.0, 3.0]], [[0.2, 0.3, 0.5]], 3), "k must be an integer"),
        (lambda: conditional_risk("ce", [[1.0, 2.0]], [[0.5, 0.5]]), "loss must be a callable"),
        (lambda: ldr_top1_calibration([0.0, 0.5]), r"t must lie in \(0, 1\)"),
    ],
)
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
