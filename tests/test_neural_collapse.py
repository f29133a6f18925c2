"""theory.neural_collapse against independent computations: sympy, brute force, numerical training."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.neural_collapse import (
    collapse_threshold,
    etf_gram,
    nc_metrics,
    simplex_etf,
    train_ufm,
    ufm_mse_parameters,
    ufm_mse_solution,
    ufm_objective,
)


@pytest.mark.parametrize(("K", "d"), [(2, 1), (3, 2), (4, 4), (5, 9)])
def test_simplex_etf_geometry(K, d):
    for rng in (None, 3):
        M = simplex_etf(K, d, rng=rng)
        assert M.shape == (d, K)
        np.testing.assert_allclose(M.T @ M, etf_gram(K), atol=1e-12)
        np.testing.assert_allclose(M.sum(axis=1), 0, atol=1e-12)  # centred: the frame sums to zero


def test_simplex_etf_random_rotation_differs_and_needs_enough_dimensions():
    assert not np.allclose(simplex_etf(4, 6, rng=1), simplex_etf(4, 6, rng=2))
    with pytest.raises(ValueError, match="d must be >= K - 1 = 4"):
        simplex_etf(5, 3)
    with pytest.raises(ValueError, match="K must be an integer >= 2"):
        simplex_etf(1)


def test_nc_metrics_perfect_collapse_and_noise():
    K, d, n = 4, 6, 5
    M = 3.0 * simplex_etf(K, d, rng=0)
    labels = np.repeat(np.arange(K), n)
    H = M[:, labels]
    m = nc_metrics(H, labels, W=M.T, b=np.zeros(K))
    assert m.nc1 == pytest.approx(0, abs=1e-20)
    assert m.nc2_etf == pytest.approx(0, abs=1e-12) and m.nc2_etf_W == pytest.approx(0, abs=1e-12)
    assert m.nc3 == pytest.approx(0, abs=1e-12) and m.nc4 == 0.0
    assert m.nc2_orthogonal == pytest.approx(np.linalg.norm(etf_gram(K) - np.eye(K)) / K)
    # NC1 against its definition computed by brute force (sums over samples)
    noisy = H + 0.3 * np.random.default_rng(1).normal(size=H.shape)
    mu = np.stack([noisy[:, labels == k].mean(1) for k in range(K)], 1)
    g = noisy.mean(1)
    sw = sum(np.outer(noisy[:, i] - mu[:, labels[i]], noisy[:, i] - mu[:, labels[i]]) for i in range(K * n)) / (K * n)
    sb = sum(np.outer(mu[:, k] - g, mu[:, k] - g) for k in range(K)) / K
    assert nc_metrics(noisy, labels).nc1 == pytest.approx(np.trace(sw @ np.linalg.pinv(sb)) / K, rel=1e-10)


def test_nc_metrics_degenerate_cases_are_explicit():
    H = np.random.default_rng(0).normal(size=(3, 6))
    one = nc_metrics(H, np.zeros(6, dtype=int))
    assert one.nc1 is None and one.nc2_etf is None and one.notes
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] of n_classes = 3 have no samples"):
        nc_metrics(H, np.array([0, 0, 2, 2, 0, 2]))
    Z = np.zeros((3, 4))  # every mean zero: no directions
    m = nc_metrics(Z, np.array([0, 0, 1, 1]))
    assert m.nc2_etf is None and m.nc2_orthogonal is None and m.notes
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        nc_metrics(H, np.array([0, 1, 2, 0, 1, 1]), n_classes=2)
    assert nc_metrics(H, np.array([0, 1, 0, 1, 0, 1])).nc4 is None  # no classifier, no NC4


def test_l1_closed_form_against_sympy_derivation():
    """Per class: minimise (n/2N)(s a - 1)^2 + (lW/2) s^2 + (lH/2) n a^2 symbolically over a, then s."""
    s, a = sp.symbols("s a", positive=True)
    n, N, lw, lh = sp.symbols("n N lambda_W lambda_H", positive=True)
    g = n / (2 * N) * (s * a - 1) ** 2 + lw / 2 * s**2 + lh / 2 * n * a**2
    (a_star,) = sp.solve(sp.diff(g, a), a)
    G = sp.simplify(g.subs(a, a_star))
    stationary = sp.solve(sp.diff(G, s), s)
    sizes = np.array([40, 17, 6, 2])
    lW, lH = 2e-3, 7e-3
    sol = ufm_mse_solution(sizes, lW, lH, depth=1)
    Nv = sizes.sum()
    total = 0.0
    for k, nk in enumerate(sizes):
        subs = {n: int(nk), N: int(Nv), lw: sp.Float(lW, 30), lh: sp.Float(lH, 30)}
        cands = [c.subs(subs) for c in stationary]
        cands = [float(c) for c in cands if c.is_real and c > 0]
        # global minimum among the stationary points and the boundary s -> 0 (value n/(2N))
        values = [(float(G.subs(subs).subs(s, c)), c) for c in cands] + [(int(nk) / (2 * int(Nv)), 0.0)]
        best_val, best_s = min(values)
        total += best_val
        assert sol.classifier_sq_norms[k] == pytest.approx(best_s**2, rel=1e-10, abs=1e-14)
        a_v = float(a_star.subs(subs).subs(s, best_s)) if best_s > 0 else 0.0
        assert sol.class_mean_sq_norms[k] == pytest.approx(a_v**2, rel=1e-10, abs=1e-14)
    assert sol.objective == pytest.approx(total, rel=1e-12)
    t = np.maximum(np.sqrt(sizes) - Nv * np.sqrt(lW * lH), 0)  # the paper's form
    np.testing.assert_allclose(sol.class_mean_sq_norms, np.sqrt(lW / lH) * t / sizes, rtol=1e-12)
    np.testing.assert_allclose(np.diag(sol.logits), np.maximum(1 - Nv * np.sqrt(lW * lH / sizes), 0), rtol=1e-12)
    np.testing.assert_array_equal(sol.collapsed, sizes <= Nv**2 * lW * lH)


@pytest.mark.parametrize("L", [2, 3, 4])
def test_collapse_threshold_against_brute_force_1d(L):
    """The 1-d class problem min_u n/(u^L + 1) + b u on a fine grid: u = 0 wins exactly below the threshold."""
    N, lw, lh = 60, 4e-3, 6e-3
    b = L * N * (N * lw**L * lh) ** (1 / L)
    thr = collapse_threshold(N, lw, lh, L)
    u = np.linspace(0, 20, 400_001)
    for nk in (0.9 * thr, 0.99 * thr, 1.01 * thr, 1.1 * thr):
        F = nk / (u**L + 1) + b * u
        assert (np.argmin(F) == 0) == (nk <= thr)


def test_collapse_threshold_broadcasts_over_weight_decays():
    """Arrays of weight decays give, entry by entry, the scalar thresholds (a float for scalars)."""
    lw, lh = np.logspace(-4, -1, 7), np.full(7, 3e-3)
    for L in (1, 2, 5):
        arr = collapse_threshold(40, lw, lh, L)
        assert arr.shape == (7,)
        np.testing.assert_array_equal(arr, [collapse_threshold(40, a, b, L) for a, b in zip(lw, lh, strict=True)])
    assert isinstance(collapse_threshold(40, 1e-3, 1e-3, 2), float)


@pytest.mark.parametrize("L", [1, 2, 3])
def test_closed_form_against_training_at_random_instances(L):
    rng = np.random.default_rng(10 + L)
    for _ in range(2):
        sizes = np.sort(rng.integers(2, 25, size=3))[::-1]
        lw, lh = 10 ** rng.uniform(-3, -2, size=2)
        sol = ufm_mse_solution(sizes, lw, lh, L)
        tr = train_ufm(sizes, 5, L, lw, lh, seed=int(rng.integers(1000)), restarts=4)
        assert tr.objective >= sol.objective - 1e-9  # nothing beats the claimed global minimum
        if tr.objective <= sol.objective + 1e-9:  # reached it: compare the geometry (tolerance from grad norm)
            M = np.stack([tr.H[:, tr.labels == k].mean(1) for k in range(3)], 1)
            scale = max(sol.classifier_sq_norms.max(), 1e-12)
            np.testing.assert_allclose((M**2).sum(0), sol.class_mean_sq_norms, atol=1e-4 * scale)
            np.testing.assert_allclose((tr.W**2).sum(1), sol.classifier_sq_norms, atol=1e-4 * scale)


@pytest.mark.parametrize(("L", "bias"), [(1, False), (2, False), (3, True)])
def test_closed_form_parameters_attain_objective_with_zero_gradient(L, bias):
    sizes = [6, 6, 6] if bias else [9, 4, 1]
    Ws, H, b = ufm_mse_parameters(sizes, 3e-3, 4e-3, L, bias=bias, d=5)
    labels = np.repeat(np.arange(3), sizes)
    shapes = [w.shape for w in Ws] + [H.shape] + ([b.shape] if bias else [])
    x = np.concatenate([w.ravel() for w in Ws] + [H.ravel()] + ([b] if bias else []))
    v, g = ufm_objective(x, shapes, labels, 3, 3e-3, 4e-3, "mse", bias)
    assert v == pytest.approx(ufm_mse_solution(sizes, 3e-3, 4e-3, L, bias=bias).objective, rel=1e-13)
    assert np.linalg.norm(g) < 1e-12


def test_ufm_gradient_against_finite_differences():
    rng = np.random.default_rng(0)
    labels = np.array([0, 0, 1, 2, 2])
    for loss in ("mse", "ce"):
        for bias in (False, True):
            shapes = [(4, 4), (3, 4), (4, 5)] + ([(3,)] if bias else [])
            x = rng.normal(size=sum(int(np.prod(s)) for s in shapes))
            _, g = ufm_objective(x, shapes, labels, 3, 0.01, 0.02, loss, bias)
            fd = np.array(
                [
                    (
                        ufm_objective(x + e, shapes, labels, 3, 0.01, 0.02, loss, bias)[0]
                        - ufm_objective(x - e, shapes, labels, 3, 0.01, 0.02, loss, bias)[0]
                    )
                    / 2e-6
                    for e in np.eye(len(x)) * 1e-6
                ]
            )
            np.testing.assert_allclose(g, fd, atol=1e-7)


def test_negative_control_etf_rejected_for_imbalanced_bias_free_mse():
    sizes = [20, 20, 4, 4]
    tr = train_ufm(sizes, 6, 1, 2e-3, 2e-3, seed=0, restarts=2)
    m = nc_metrics(tr.H, tr.labels, tr.W)
    assert m.nc2_etf > 0.05  # the ETF hypothesis fails clearly
    assert m.nc2_orthogonal < 1e-5  # the orthogonal frame holds


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ufm_mse_solution([5, 5], 0.0, 1e-3), r"lambda_W must lie in \[1e-12, 10000\]"),
        (lambda: ufm_mse_solution([5, 5], 1e-3, -1.0), r"lambda_H must lie in \[1e-12, 10000\]"),
        (lambda: ufm_mse_solution([5, 0, 3], 1e-3, 1e-3), "class size 0 is not a class"),
        (lambda: ufm_mse_solution([5, 3], 1e-3, 1e-3, depth=0), "depth must be an integer >= 1"),
        (lambda: ufm_mse_solution([5, 3], 1e-3, 1e-3, bias=True), "only for balanced"),
        (lambda: train_ufm([5, 3], 4, 1, 1e-3, 1e-3, loss="hinge"), "loss must be one of 'mse', 'ce'"),
        (lambda: nc_metrics(np.zeros((2, 3)), np.array([0, 1])), r"labels must be integers of shape \(3,\)"),
        (lambda: nc_metrics(np.ones((2, 2)), np.array([0, 1]), W=np.ones((3, 2))), r"W must have shape"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
