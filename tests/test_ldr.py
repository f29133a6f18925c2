"""theory/ldr/ against independent computations: direct sums, finite differences, minimisation, brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from theory.ldr import (
    ALDRState,
    aldr_kl_grad,
    aldr_kl_loss,
    aldr_lambda_floor,
    aldr_lambda_objective,
    aldr_lambda_update,
    aldr_optimal_lambda,
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
        (lambda: conditional_minimizer([[1.0, 0.0]]), "q must be positive everywhere"),
        (lambda: topk_preserving([[1.0, 2.0, 3.0]], [[0.2, 0.3, 0.5]], 3), r"k must lie in \[1, 2\]"),
        (lambda: conditional_risk("ce", [[1.0, 2.0]], [[0.5, 0.5]]), "loss must be a callable"),
        (lambda: ldr_top1_calibration([0.0, 0.5]), r"t must lie in \(0, 1\)"),
    ],
)
def test_bad_input_raises_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ---------------------------------------------------------------------------------------------------------
# The adaptive LDR-KL loss
# ---------------------------------------------------------------------------------------------------------


def _kl_uniform_scipy(p):
    from scipy.special import rel_entr

    K = p.shape[-1]
    return rel_entr(p, np.full_like(p, 1.0 / K)).sum(axis=-1)


def test_aldr_loss_is_the_penalised_max_over_the_simplex():
    """The loss at lambda_i: max over p (SLSQP on the simplex) of <p, a> - lambda KL(p || u), minus the penalty."""
    r = np.random.default_rng(10)
    K = 4
    f, y = r.normal(size=(6, K)), r.integers(K, size=6)
    lam, lam0, alpha, c = r.uniform(0.3, 2.0, size=6), 1.3, 2.5, 0.7
    got = aldr_kl_loss(f, y, lam, lam0, alpha, c)
    for i in range(6):
        a = c * (np.arange(K) != y[i]) + f[i] - f[i, y[i]]
        res = minimize(
            lambda p, a=a, li=lam[i]: -(p @ a - li * _kl_uniform_scipy(np.clip(p, 1e-300, None))),
            np.full(K, 1.0 / K),
            method="SLSQP",
            bounds=[(0, 1)] * K,
            constraints={"type": "eq", "fun": lambda p: p.sum() - 1},
            options={"ftol": 1e-14},
        )
        expected = -res.fun - alpha * np.log(K) / (2 * lam0) * (lam[i] - lam0) ** 2
        assert got[i] == pytest.approx(expected, abs=1e-7)
    np.testing.assert_allclose(aldr_kl_loss(f, y, lam0, lam0, alpha, c), ldr_kl_loss(f, y, lam0, c), rtol=1e-14)


def test_aldr_grad_matches_finite_differences_at_fixed_temperatures():
    r = np.random.default_rng(11)
    f, y, lam = r.normal(size=(5, 3)), r.integers(3, size=5), r.uniform(0.2, 3.0, size=5)
    g = aldr_kl_grad(f, y, lam, 0.5)
    h = 1e-6
    for k in range(3):
        e = np.zeros_like(f)
        e[:, k] = h
        fd = (aldr_kl_loss(f + e, y, lam, 1.0, 2.0, 0.5) - aldr_kl_loss(f - e, y, lam, 1.0, 2.0, 0.5)) / (2 * h)
        np.testing.assert_allclose(g[:, k], fd, atol=1e-8)


def test_aldr_update_is_the_numerical_argmax_of_the_penalised_kl():
    """The released update equals argmax_lambda -lambda KL - penalty, found by bounded Brent, with KL from scipy."""
    from scipy.optimize import minimize_scalar
    from scipy.special import softmax as sm

    r = np.random.default_rng(12)
    for _ in range(20):
        K = int(r.integers(2, 12))
        f = r.normal(scale=r.uniform(0.1, 10), size=(1, K))
        lam, lam0, alpha = r.uniform(0.05, 5), r.uniform(0.05, 5), r.uniform(1.01, 10)
        kl = _kl_uniform_scipy(sm(f[0] / lam))
        res = minimize_scalar(
            lambda t, kl=kl, lam0=lam0, alpha=alpha, K=K: -float(aldr_lambda_objective(t, kl, lam0, alpha, K)),
            bounds=(-10 * lam0, 10 * lam0),
            method="bounded",
            options={"xatol": 1e-12},
        )
        new = aldr_lambda_update(f, lam, lam0, alpha)[0]
        assert new == pytest.approx(res.x, abs=1e-8 * lam0)
        assert aldr_optimal_lambda(kl, lam0, alpha, K) == pytest.approx(new, rel=1e-12)


def test_aldr_floor_holds_and_is_reached_and_fails_for_alpha_at_most_one():
    r = np.random.default_rng(13)
    K = 6
    f = np.vstack([r.normal(scale=s, size=(200, K)) for s in (0.1, 1, 10, 100)])
    lam = r.uniform(0.01, 3, size=len(f))
    one_hot = np.zeros((1, K))
    one_hot[0, 0] = 1e4
    for s in (0.0, 1e-5, 1e-2):
        floor = aldr_lambda_floor(1.0, 2.0, K, s)
        assert aldr_lambda_update(f, lam, 1.0, 2.0, s).min() >= floor - 1e-15
        assert aldr_lambda_update(one_hot, 1.0, 1.0, 2.0, s)[0] == pytest.approx(floor, rel=1e-12)
    assert aldr_lambda_floor(2.0, 4.0) == pytest.approx(1.5)  # lambda_0 (1 - 1/alpha)
    # alpha <= 1 without smoothing: the temperature reaches 0 (alpha = 1) or below (alpha < 1)
    assert aldr_lambda_update(one_hot, 1.0, 1.0, 1.0)[0] == pytest.approx(0.0, abs=1e-12)
    assert aldr_lambda_update(one_hot, 1.0, 1.0, 0.5)[0] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match=r"alpha = 0\.5"):
        ALDRState(2, alpha=0.5).update(one_hot, [1])
    with pytest.raises(ValueError, match="lam"):
        aldr_kl_loss(one_hot, [0], -1.0, 1.0, 0.5)


def test_aldr_state_follows_the_released_order_of_operations():
    """Each call updates from the temperatures the previous call stored, then takes the loss at the new ones."""
    r = np.random.default_rng(14)
    st = ALDRState.released(5, lam0=1.0, alpha=2.0, margin=0.1)
    assert (st.rescale, st.smoothing) == ("l1", 1e-5)
    f1, f2 = r.normal(size=(3, 4)), r.normal(size=(2, 4))
    loss1 = st.loss(f1, [0, 1, 2], [0, 1, 4])
    lam_after1 = st.lam
    g1 = f1 / (np.abs(f1).sum(axis=1, keepdims=True) / 4)
    np.testing.assert_allclose(np.abs(st.rescaled(f1)).sum(axis=1), 4.0)
    expected_lam = aldr_lambda_update(g1, 1.0, 1.0, 2.0, 1e-5)
    np.testing.assert_allclose(lam_after1[[0, 1, 4]], expected_lam, rtol=1e-15)
    np.testing.assert_array_equal(lam_after1[[2, 3]], 1.0)
    np.testing.assert_allclose(loss1, aldr_kl_loss(g1, [0, 1, 2], expected_lam, 1.0, 2.0, 0.1), rtol=1e-15)
    st.loss(f2, [3, 3], [4, 2])  # id 4 again: from its stored temperature, not from lambda_0
    g2 = f2 / (np.abs(f2).sum(axis=1, keepdims=True) / 4)
    np.testing.assert_allclose(st.lam[4], aldr_lambda_update(g2[:1], lam_after1[4], 1.0, 2.0, 1e-5)[0], rtol=1e-15)
    assert ALDRState.released(2, softplus=True).rescale == "softplus_l1"


@pytest.mark.parametrize(
    ("ids", "match"),
    [([0, 5], r"ids must lie in \[0, 4\]"), ([0, 0], "repeat"), ([0], "2 integer"), ([0.5, 1], "2 integer")],
)
def test_aldr_state_rejects_bad_ids(ids, match):
    with pytest.raises(ValueError, match=match):
        ALDRState(5).loss(np.ones((2, 3)), [0, 1], ids)


def test_aldr_state_rejects_a_zero_row_under_l1_rescaling_and_bad_settings():
    with pytest.raises(ValueError, match="row of zeros"):
        ALDRState(2, rescale="l1").update(np.zeros((1, 3)), [0])
    with pytest.raises(ValueError, match="rescale"):
        ALDRState(2, rescale="l2")
    with pytest.raises(ValueError, match="lam0"):
        ALDRState(2, lam0=0.0)
    with pytest.raises(TypeError, match="softplus"):
        ALDRState.released(2, softplus=1)


def test_per_row_temperatures_in_the_conditional_minimiser_match_one_call_per_temperature():
    r = np.random.default_rng(15)
    q = r.dirichlet(np.ones(4), 6)
    lam = np.array([0.05, 0.3, 1.0, 3.0, 10.0, 0.3])
    rows = conditional_minimizer(q, lam, 0.5)
    warm = conditional_minimizer(q, lam * 1.01, 0.5, init=rows.scores)
    for i in range(6):
        one = conditional_minimizer(q[i : i + 1], lam[i], 0.5)
        np.testing.assert_allclose(rows.scores[i], one.scores[0], atol=1e-8)
        again = conditional_minimizer(q[i : i + 1], lam[i] * 1.01, 0.5)
        np.testing.assert_allclose(warm.scores[i], again.scores[0], atol=1e-8)
    with pytest.raises(ValueError, match=r"lam must be a number or hold one value per row of q \(shape \(6,\)\)"):
        conditional_minimizer(q, lam[:5])
    with pytest.raises(ValueError, match=r"init must have shape \(6, 4\) to match q"):
        conditional_minimizer(q, 1.0, init=np.zeros((6, 3)))


def test_the_released_code_anchor_skips_cleanly_without_torch_or_the_repository(monkeypatch, capsys):
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "anchor_ldr_released_code.py"
    spec = importlib.util.spec_from_file_location("anchor_ldr", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch raises ImportError
    assert mod.main() == 0
    assert "skipped: PyTorch is not installed" in capsys.readouterr().out
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setitem(sys.modules, "torch", type(sys)("torch"))  # a stand-in: the repository check comes next
    monkeypatch.delenv("LDR_REPO", raising=False)
    assert mod.main() == 0
    assert "skipped: set LDR_REPO" in capsys.readouterr().out


def test_the_released_rescaling_makes_the_temperature_scale_free():
    f = np.random.default_rng(16).normal(size=(3, 5))
    lams = []
    for c in (0.01, 1.0, 300.0):
        st = ALDRState.released(3, alpha=2.0)
        st.update(c * f, [0, 1, 2])
        lams.append(st.lam)
    np.testing.assert_allclose(lams[0], lams[1], rtol=1e-12)
    np.testing.assert_allclose(lams[2], lams[1], rtol=1e-12)
    pure = [ALDRState(3, alpha=2.0) for _ in range(2)]
    pure[0].update(f, [0, 1, 2])
    pure[1].update(10 * f, [0, 1, 2])
    assert np.all(pure[1].lam < pure[0].lam)  # without the rescaling, larger scores: more confident, smaller lambda
