"""theory.optimizers: every encoded statement against an independent computation (scipy's bounded and constrained
optimisers, closed forms of the regularised problem, brute force over weights, the iteration itself)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

import theory.optimizers as to

RNG = np.random.default_rng(20261203)


def _quadratic(rng, d=5, scale=1.0):
    Q = rng.normal(size=(d, d))
    return Q @ Q.T / d + 0.1 * np.eye(d), rng.normal(size=d) * scale


def test_paper_and_google_conventions_are_one_algorithm_with_beta1_times_beta2():
    A, c = _quadratic(RNG)
    b1, b2, eta, lam = 0.9, 0.99, 0.01, 0.5
    x_p, M = np.zeros(5), np.zeros(5)
    x_g, m = np.zeros(5), np.zeros(5)
    b1_g = float(to.lion_equivalent_beta1(b1, b2))
    for _ in range(500):
        x_p, M = to.lion_k_step(x_p, M, A @ (x_p - c), eta, lam, b1, b2, convention="paper")
        x_g, m = to.lion_k_step(x_g, m, A @ (x_g - c), eta, lam, b1_g, b2, convention="google")
    np.testing.assert_allclose(x_p, x_g, atol=1e-12)
    np.testing.assert_allclose(M, -m, atol=1e-12)
    # and the same beta1 in both conventions is a different algorithm (a control)
    x_w, m_w = np.zeros(5), np.zeros(5)
    for _ in range(500):
        x_w, m_w = to.lion_k_step(x_w, m_w, A @ (x_w - c), eta, lam, b1, b2, convention="google")
    assert np.abs(x_w - x_p).max() > 1e-6


def test_box_entry_contracts_at_rate_one_minus_eta_lam_and_is_tight_outward():
    for _ in range(20):
        eta, lam = 10 ** RNG.uniform(-3, -0.5), 10 ** RNG.uniform(-1, 0.5)
        if eta * lam > 1:
            continue
        x, M = RNG.normal(size=6) * 5 / lam, RNG.normal(size=6)
        for _ in range(50):
            d0 = max(0.0, np.abs(lam * x).max() - 1.0)
            x, M = to.lion_k_step(x, M, RNG.normal(size=6), eta, lam, 0.9, 0.99)
            d1 = max(0.0, np.abs(lam * x).max() - 1.0)
            assert d1 <= float(to.lion_box_excess_bound(d0, eta, lam, 1)) * (1 + 1e-12) + 1e-15
    # tight: a coordinate outside, pushed outward
    x1, _ = to.lion_k_step(np.array([3.0]), np.array([1.0]), np.array([-1.0]), 0.1, 1.0, 0.9, 0.99)
    assert abs((x1[0] - 1.0) - 0.9 * (3.0 - 1.0)) < 1e-12


def test_box_fails_above_eta_lam_one_with_the_predicted_amplitude():
    eta, lam = 1.5, 1.0
    x, M = np.zeros(1), np.zeros(1)
    top = 0.0
    for t in range(400):
        x, M = to.lion_k_step(x, M, np.array([(-1.0) ** t * 1e3]), eta, lam, 0.0, 0.0)
        top = max(top, abs(x[0]))
    assert top == pytest.approx(eta / (2 - eta * lam), rel=1e-9) and top > 1 / lam
    with pytest.raises(ValueError, match="eta x lam must be <= 1"):
        to.lion_box_excess_bound(1.0, 1.5, 1.0, 3)


def test_lion_averages_reach_the_box_constrained_minimiser():
    A, c = _quadratic(RNG)
    lam = 1.0
    p = to.lion_run(lambda x: (x - c) @ A, np.zeros(5), eta=1e-3, lam=lam, n_steps=40_000)
    ref = minimize(
        lambda x: 0.5 * (x - c) @ A @ (x - c),
        np.zeros(5),
        jac=lambda x: A @ (x - c),
        method="L-BFGS-B",
        bounds=[(-1 / lam, 1 / lam)] * 5,
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    # the average's error is O(eta) (chatter amplitude): measured ~4e-4 at eta = 1e-3
    np.testing.assert_allclose(p.x_avg[0], ref.x, atol=5e-3)
    assert p.sup_norm.max() <= 1 / lam + 1e-12  # from inside the box, never out


def test_k_half_square_gives_l2_regularisation_not_a_constraint():
    A, c = _quadratic(RNG, scale=3.0)
    lam = 0.3
    p = to.lion_run(
        lambda x: (x - c) @ A, np.zeros(5), eta=0.01, lam=lam, n_steps=20_000, grad_K=lambda m: m, beta1=0.0, beta2=0.0
    )
    np.testing.assert_allclose(p.x[0], np.linalg.solve(A + lam * np.eye(5), A @ c), atol=1e-8)


def test_ef21_constants_and_means():
    for alpha in (1e-3, 0.1, 0.5, 1.0):
        theta, beta = to.ef21_constants(alpha)
        s = 1 / np.sqrt(1 - alpha) - 1 if alpha < 1 else np.inf  # (1 - alpha)(1 + s) = 1 - theta
        if alpha < 1:
            assert (1 - alpha) * (1 + s) == pytest.approx(1 - theta) and (1 - alpha) * (1 + 1 / s) == pytest.approx(
                beta
            )
    L = RNG.uniform(0.1, 10, 7)
    am, qm = to.smoothness_means(L)
    assert am <= qm and am == pytest.approx(L.mean()) and qm == pytest.approx(np.sqrt(np.mean(L**2)))
    w = to.ef21w_weights(L)
    assert to.weighted_smoothness(L, w) == pytest.approx(am) and to.weighted_smoothness(
        L, np.full(7, 1 / 7)
    ) == pytest.approx(qm)
    for _ in range(200):  # no weights on the simplex do better (brute force over random weights)
        assert to.weighted_smoothness(L, RNG.dirichlet(np.ones(7))) >= am * (1 - 1e-12)


def test_top_k_is_contractive_with_alpha_k_over_d_and_homogeneous():
    V = RNG.normal(size=(100, 8))
    C = to.top_k(V, 3)
    assert np.all(np.sum((C - V) ** 2, 1) <= (1 - 3 / 8) * np.sum(V**2, 1) + 1e-12)
    np.testing.assert_allclose(to.top_k(2.5 * V, 3), 2.5 * C)
    with pytest.raises(ValueError, match="k must lie in"):
        to.top_k(V, 9)


def _clients(rng, n=5, d=6):
    A = np.empty((n, d, d))
    for i in range(n):
        Q = rng.normal(size=(d, d)) * rng.uniform(0.2, 3.0)
        A[i] = Q @ Q.T / d + 0.05 * np.eye(d)
    c = rng.normal(size=(n, d))
    L_i = np.linalg.eigvalsh(A)[:, -1]
    Abar, b = A.mean(0), np.einsum("nij,nj->i", A, c) / n
    x_star = np.linalg.solve(Abar, b)

    def loss(x):
        return float(np.mean(0.5 * np.einsum("ni,nij,nj->n", x - c, A, x - c)))

    return A, c, L_i, np.linalg.eigvalsh(Abar)[-1], loss, loss(x_star), lambda x: np.einsum("nij,nj->ni", A, x - c)


def test_ef21_lyapunov_decreases_by_half_gamma_grad_norm_with_the_am_step():
    for _ in range(5):
        _, _, L_i, L, loss, f_inf, grads = _clients(RNG)
        k = 2
        gamma = to.ef21_stepsize(L, L_i, k / 6, "AM")
        p = to.ef21_run(
            grads, np.zeros(6), gamma, 300, lambda V, k=k: to.top_k(V, k), loss=loss, f_inf=f_inf, alpha=k / 6, L_i=L_i
        )
        drop = p.lyapunov[:-1] - p.lyapunov[1:] - gamma / 2 * p.grad_norm2[:-1]
        assert drop.min() >= -1e-12 * p.lyapunov[0]
        G0 = to.ef21_initial_error(to.top_k(grads(np.zeros(6)), k), grads(np.zeros(6)), L_i)
        bound = to.ef21_rate_bound(loss(np.zeros(6)) - f_inf, gamma, 300, G0, to.ef21_constants(k / 6)[0])
        assert p.grad_norm2[:300].mean() <= bound


def test_ef21w_and_ef21_give_the_same_iterates_for_top_k():
    _, _, L_i, _, _, _, grads = _clients(RNG)
    a = to.ef21_run(grads, np.zeros(6), 0.01, 100, lambda V: to.top_k(V, 2))
    b = to.ef21_run(grads, np.zeros(6), 0.01, 100, lambda V: to.top_k(V, 2), weights=to.ef21w_weights(L_i))
    np.testing.assert_allclose(a.x, b.x, atol=1e-12)
    np.testing.assert_allclose(a.grad_norm2, b.grad_norm2, rtol=1e-10)


@pytest.mark.parametrize("kinetic", ["logcosh", "smooth_l2", "quadratic"])
def test_conjugates_match_a_numerical_supremum(kinetic):
    """K*(y) = sup_m <m, y> - K(m), by BFGS on random y inside the domain (independent of the closed forms)."""
    kin = to.lion_kinetic(kinetic)
    rng = np.random.default_rng(3)
    for _ in range(5):
        y = rng.uniform(-0.8, 0.8, 3) / (np.sqrt(3) if kinetic == "smooth_l2" else 1.0)
        res = minimize(
            lambda m, y=y: kin.K(m) - m @ y,
            np.zeros(3),
            jac=lambda m, y=y: kin.grad_K(m) - y,
            method="BFGS",
            options={"gtol": 1e-12},
        )
        assert abs(-res.fun - float(kin.K_star(y))) < 1e-9
        np.testing.assert_allclose(kin.grad_K(kin.grad_K_star(y)), y, atol=1e-12)  # grad K* inverts grad K


def test_paper_step_is_forward_euler_of_the_ode_with_lion_ode_params():
    rng = np.random.default_rng(4)
    for _ in range(20):
        eta, b1, b2, lam = 10 ** rng.uniform(-4, -1), rng.uniform(), rng.uniform(0, 0.999), rng.uniform(0.1, 2)
        x, m, g = rng.normal(size=(3, 5))
        xn, mn = to.lion_k_step(x, m, g, eta, lam, b1, b2, grad_K=np.tanh)
        xd, md = to.lion_k_ode_field(x, m, g, *to.lion_ode_params(eta, b1, b2), lam, "logcosh")
        np.testing.assert_allclose(xn, x + eta * xd, atol=1e-14)
        np.testing.assert_allclose(mn, m + eta * md, atol=1e-14)
        assert to.lion_ode_params(eta, b1, b2)[2] * to.lion_ode_params(eta, b1, b2)[1] <= 1.0 + 1e-15


@pytest.mark.parametrize("kinetic", ["logcosh", "smooth_l2", "quadratic"])
def test_lyapunov_rate_is_the_chain_rule_derivative_and_its_sign_follows_eps_gamma(kinetic):
    """dH/dt against central differences of H(z + s F(z)) in s (the directional derivative along the field, at
    random states: the identity holds pointwise, not only on trajectories); <= 0 iff-ish eps gamma <= 1."""
    rng = np.random.default_rng(5)
    A = rng.normal(size=(4, 4))
    f = lambda x: np.sum(np.cos(x @ A), axis=-1)  # noqa: E731  (non-convex)
    grad = lambda x: -np.sin(x @ A) @ A.T  # noqa: E731
    signs = []
    for eg in (0.0, 0.4, 1.0, 4.0):
        for _ in range(25):
            alpha, gamma, lam = rng.uniform(0.5, 2, 3)
            params = (alpha, gamma, eg / gamma, lam)
            x = rng.uniform(-0.4, 0.4, 4) / lam
            m = rng.normal(size=4) * 2
            xd, md = to.lion_k_ode_field(x, m, grad(x), *params, kinetic)
            h = np.array([[1e-5], [-1e-5]])  # H(z + s F(z)) at s = +-h, one call
            Hs = to.lion_k_lyapunov(x + h * xd, m + h * md, f(x + h * xd), *params, kinetic)
            fd = (Hs[0] - Hs[1]) / 2e-5
            rate = float(to.lion_k_lyapunov_rate(x, m, grad(x), *params, kinetic))
            assert abs(fd - rate) < 1e-6 * (1 + abs(rate))
            signs.append((eg, rate))
    assert max(r for eg, r in signs if eg <= 1) <= 1e-12
    assert max(r for eg, r in signs if eg > 1) > 0  # the negative control: eps gamma > 1 lets H increase


def test_lyapunov_domain_and_rate_need_a_smooth_conjugate():
    with pytest.raises(ValueError, match="lam \\* x must lie in"):
        to.lion_k_lyapunov([2.0, 0.0], [0.0, 0.0], 0.0, 1.0, 1.0, 0.5, 1.0, "logcosh")
    with pytest.raises(ValueError, match="interior"):
        to.lion_k_lyapunov_rate([1.0, 0.0], [0.0, 0.0], [0.0, 0.0], 1.0, 1.0, 0.5, 1.0, "logcosh")
    with pytest.raises(ValueError, match="no differentiable K"):
        to.lion_k_lyapunov_rate([0.5, 0.0], [0.0, 0.0], [0.0, 0.0], 1.0, 1.0, 0.5, 1.0, "l1")
    with pytest.raises(ValueError, match="f_x must hold one value per row"):
        to.lion_k_lyapunov([0.5, 0.0], [0.0, 0.0], [0.0, 0.0, 0.0], 1.0, 1.0, 0.5, 1.0, "l1")
    # on the box's boundary (where the iteration keeps lam x) K* is finite: 2 log 2 at a corner
    assert float(to.lion_k_lyapunov([1.0, -1.0], [0.0, 0.0], 0.0, 0.0, 0.0, 0.0, 1.0, "logcosh")) == pytest.approx(
        2 * np.log(2)
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: to.lion_k_step([0.0], [0.0], [1.0], 0.0, 1.0, 0.9, 0.99), "eta must lie in"),
        (lambda: to.lion_k_step([0.0], [0.0], [1.0], 0.1, -1.0, 0.9, 0.99), "lam must lie in"),
        (lambda: to.lion_k_step([0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0], 0.1, 1.0, 0.9, 0.99), "must broadcast"),
        (lambda: to.lion_k_step([0.0], [0.0], [1.0], 0.1, 1.0, 0.9, 0.99, grad_K="sign"), "grad_K must be a callable"),
        (lambda: to.top_k([[1.0, 2.0]], 0), "k must be an integer"),
        (lambda: to.ef21_constants(0.0), "alpha must lie in"),
        (
            lambda: to.ef21_run(lambda x: np.ones((2, 3)), np.zeros(3), 10.0, 2, lambda V: V, weights=[1.0]),
            "weights must hold one entry per client",
        ),
        (lambda: to.ef21_run(lambda x: np.array([x * 10.0]), np.ones(2), 1e3, 200, lambda V: V), "diverges"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
