"""theory.logistic_gd against independent computations: exact rationals, brute-force margins, finite differences."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

from sims.logistic_gd.common import degenerate_dataset, iterations_to_separate
from theory.logistic_gd import (
    NotSeparableError,
    batch_perceptron,
    batch_perceptron_iteration_bound,
    logistic_grad,
    logistic_loss,
    lr_gd,
    margin,
    normalized_lr_gd_iteration_bound,
    normalized_perceptron_iteration_bound,
    perceptron_worst_case_dataset,
    perceptron_worst_case_iterations,
    planted_margin_dataset,
    step_size_paradox_dataset,
)


def fraction_perceptron(A, y, n_iters, normalized=False):
    """The batch perceptron in exact rational arithmetic, written independently of the library."""
    n, d = len(A), len(A[0])
    ya = [[Fraction(y[i]) * Fraction(A[i][j]) for j in range(d)] for i in range(n)]
    theta = [Fraction(0)] * d
    out = [list(theta)]
    for t in range(n_iters):
        if t == 0:
            w = Fraction(1, n) if normalized else Fraction(1, 2 * n)
            S = list(range(n))
        else:
            S = [i for i in range(n) if sum(ya[i][j] * theta[j] for j in range(d)) <= 0]
            if not S:
                out.append(list(theta))
                continue
            w = Fraction(1, len(S)) if normalized else Fraction(1, n)
        theta = [theta[j] + w * sum(ya[i][j] for i in S) for j in range(d)]
        out.append(list(theta))
    return out


def _first_sep_exact(A, y, path):
    for t, th in enumerate(path):
        if all(y[i] * sum(Fraction(A[i][j]) * th[j] for j in range(len(th))) > 0 for i in range(len(A))):
            return t
    return None


@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_perceptron_matches_exact_rationals(seed, normalized):
    rng = np.random.default_rng(seed)
    theta_star = np.array([2, -1, 1])
    A = rng.integers(-4, 5, size=(9, 3)).astype(float)
    y = np.sign(A @ theta_star)
    keep = y != 0
    A, y = A[keep], y[keep]
    exact = fraction_perceptron(A.astype(int).tolist(), y.astype(int).tolist(), 40, normalized)
    ours = batch_perceptron(A, y, 40, normalized=normalized)
    np.testing.assert_allclose(ours.iterates, np.array(exact, dtype=float), rtol=1e-13, atol=1e-13)
    assert ours.first_separated == _first_sep_exact(A.tolist(), y.tolist(), exact)


@pytest.mark.parametrize("n", [3, 4, 5, 7, 10, 13, 26, 40])
def test_worst_case_count_formula_against_exact_rationals(n):
    A, y = perceptron_worst_case_dataset(n)
    A2 = [[Fraction(a).limit_denominator(2) for a in row] for row in A.tolist()]
    exact = fraction_perceptron(A2, y.astype(int).tolist(), n + 5)
    assert _first_sep_exact(A2, y.tolist(), exact) == perceptron_worst_case_iterations(n)
    if n >= 6:
        exact_n = fraction_perceptron(A2, y.astype(int).tolist(), 6, normalized=True)
        assert _first_sep_exact(A2, y.tolist(), exact_n) == perceptron_worst_case_iterations(n, normalized=True)


def test_limit_on_paradox_data_against_exact_rationals():
    A, y = step_size_paradox_dataset()
    exact = np.array(fraction_perceptron(A.astype(int).tolist(), y.astype(int).tolist(), 4), dtype=float)
    np.testing.assert_array_equal(exact[2], [1.0, 0.25])
    for gamma in (1e6, 1e9, 1e12):
        path = lr_gd(A, y, gamma, 4).iterates / gamma
        np.testing.assert_allclose(path, exact, atol=1e-12)


def test_negative_control_degenerate_data_breaks_the_limit():
    A, y = degenerate_dataset()
    hat = batch_perceptron(A, y, 3).iterates
    err = np.abs(lr_gd(A, y, 1e12, 3).iterates / 1e12 - hat).max()
    assert err == pytest.approx(0.25, abs=1e-9)  # sigma(0)/n instead of 1/n on point 1


def test_loss_and_grad_against_direct_formulas():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(7, 4))
    y = rng.choice([-1.0, 1.0], 7)
    thetas = rng.normal(size=(5, 4))
    direct = np.array([np.mean(np.log(1 + np.exp(-y * (A @ th)))) for th in thetas])
    np.testing.assert_allclose(logistic_loss(thetas, A, y), direct, rtol=1e-13)
    for th in thetas:
        fd = np.array([(logistic_loss(th + e, A, y) - logistic_loss(th - e, A, y)) / 2e-6 for e in np.eye(4) * 1e-6])
        np.testing.assert_allclose(logistic_grad(th, A, y), fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(logistic_grad(thetas, A, y)[2], logistic_grad(thetas[2], A, y))


def test_normalized_direction_matches_naive_formula():
    A, y = planted_margin_dataset(30, 4, 0.2, 0)
    theta0 = np.random.default_rng(1).normal(size=4)
    step = 0.7
    m = y * (A @ theta0)
    sig = 1 / (1 + np.exp(m))
    beta = 1 / sig.mean()
    naive = theta0 - step * beta * (-(sig * y) @ A / len(y))
    np.testing.assert_allclose(lr_gd(A, y, step, 1, theta0=theta0, normalized=True).iterates[1], naive, rtol=1e-12)


def test_extreme_steps_and_features_raise_no_warning():
    A, y = planted_margin_dataset(50, 5, 0.1, 4)
    A = A * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for normalized in (False, True):
            p = lr_gd(A, y, 1e12, 50, normalized=normalized)
            assert np.all(np.isfinite(p.iterates))
            f = logistic_loss(p.iterates, A, y)
            assert np.all(np.isfinite(f)) and f[-1] == 0.0
            assert np.all(np.isfinite(logistic_grad(p.iterates, A, y)))


def _brute_force_margin_2d(A, y, k=200_001):
    ang = np.linspace(0, 2 * np.pi, k)
    dirs = np.stack([np.cos(ang), np.sin(ang)], 1)
    return float(np.max(np.min((dirs @ A.T) * y, axis=1)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_margin_against_brute_force_over_directions(seed):
    A, y = planted_margin_dataset(20, 2, 0.15, seed)
    mu, R = margin(A, y)
    brute = _brute_force_margin_2d(A, y)
    # angular grid step 3.1e-5: the grid maximum is within R * step of the true one (Lipschitz in the angle)
    assert brute - 1e-8 <= mu <= brute + R * 2 * np.pi / 200_000
    assert R == pytest.approx(np.linalg.norm(A, axis=1).max())
    assert margin(*step_size_paradox_dataset())[0] == pytest.approx(1.0, rel=1e-7)


def test_not_separable_raises():
    A = np.array([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(NotSeparableError, match="not linearly separable"):
        margin(A, np.array([1, -1]))
    xor = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    with pytest.raises(NotSeparableError):
        margin(xor, np.array([1, 1, -1, -1]))
    assert issubclass(NotSeparableError, ValueError)


def test_iteration_bounds_are_vectorised():
    n = np.array([10, 100])
    np.testing.assert_allclose(batch_perceptron_iteration_bound(n, 2.0, 0.5), [160, 1600])
    assert normalized_perceptron_iteration_bound(2.0, 0.5) == 16
    np.testing.assert_allclose(
        normalized_lr_gd_iteration_bound(n, 2.0, 0.5, np.array([1.0, 10.0])),
        16 + 2 * np.log(2 * n - 1) / (np.array([1.0, 10.0]) * 0.25),
    )


def test_normalized_lr_gd_bound_on_random_data():
    # Thm 6.1 on a few data sets (the sim runs many): count <= R^2/mu^2 + 2 log(2n-1)/(gamma mu^2)
    for seed in range(3):
        A, y = planted_margin_dataset(40, 3, 0.3, seed)
        mu, R = margin(A, y)
        for gamma in (0.1, 1.0):
            count = iterations_to_separate(A, y, gamma, 5000, normalized=True)
            assert 0 <= count <= normalized_lr_gd_iteration_bound(40, R, mu, gamma) * (1 + 1e-6)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: lr_gd(np.zeros((0, 2)), np.zeros(0), 1.0, 3), r"A must be an \(n, d\) array with n >= 1 rows"),
        (lambda: lr_gd(np.ones((3, 2)), np.ones(2), 1.0, 3), r"y must have shape \(3,\)"),
        (lambda: lr_gd(np.ones((2, 2)), np.array([1, 0]), 1.0, 3), r"y must hold labels in \{-1, \+1\}"),
        (lambda: lr_gd(np.ones((2, 2)), np.array([1, -1]), 0.0, 3), r"step must lie in \(0, inf\)"),
        (lambda: lr_gd(np.ones((2, 2)), np.array([1, -1]), -1.0, 3), r"step must lie in \(0, inf\)"),
        (lambda: lr_gd(np.ones((2, 2)), np.array([1, -1]), 1.0, -1), "n_iters must be an integer >= 0"),
        (lambda: batch_perceptron(np.ones((2, 2)), np.array([1, -1]), -2), "n_iters must be an integer >= 0"),
        (lambda: logistic_loss(np.zeros(3), np.ones((2, 2)), np.array([1, -1])), r"theta must have shape \(2,\)"),
        (lambda: lr_gd(np.array([[np.nan, 1.0]]), np.array([1]), 1.0, 1), "A must be finite"),
        (lambda: normalized_perceptron_iteration_bound(1.0, 2.0), "mu must be <= R"),
        (lambda: batch_perceptron_iteration_bound(10, 1.0, 0.0), r"mu must lie in \(0, inf\)"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_blocked_steps_match_unblocked_formulas_across_blocks():
    # n = 3000, d = 100 spans three ~1 MiB row blocks: the one-pass step must equal the plain formulas
    A, y = planted_margin_dataset(3000, 100, 0.05, 7)
    theta0 = np.random.default_rng(2).normal(size=100) * 3
    plain = theta0 - 2.0 * logistic_grad(theta0, A, y)
    np.testing.assert_allclose(lr_gd(A, y, 2.0, 1, theta0=theta0).iterates[1], plain, rtol=1e-12, atol=1e-14)
    m = y * (A @ theta0)
    logw = -np.logaddexp(0, m)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    np.testing.assert_allclose(
        lr_gd(A, y, 2.0, 1, theta0=theta0, normalized=True).iterates[1],
        theta0 + 2.0 * (w * y) @ A,
        rtol=1e-12,
        atol=1e-14,
    )
