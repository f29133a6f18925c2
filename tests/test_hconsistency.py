"""theory.hconsistency: calibration functions against sympy derivations and numerical infima."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from sims.hconsistency.common import numerical_conditional_infima
from theory.hconsistency import MARGIN_LOSSES, margin_calibration, margin_loss


def _sympy_psi(phi) -> sp.Expr:
    """psi(t) derived symbolically: minimise C_eta(a) over a (stationary point), wrong side at a = 0.

    For a convex, differentiable phi with eta > 1/2 the overall minimiser is the unique stationary
    point and the wrong-side infimum (a <= 0) sits at a = 0 because C_eta is decreasing on a <= 0.
    """
    eta, t = sp.symbols("eta t", positive=True)
    a = sp.Symbol("a", real=True)
    c = eta * phi(a) + (1 - eta) * phi(-a)
    # eta is only known positive to sympy: keep the stationary point that is real for eta in (1/2, 1)
    sols = [r for r in sp.solve(sp.diff(c, a), a) if r.subs(eta, sp.Rational(7, 10)).is_real]
    (a_star,) = sols
    psi = c.subs(a, 0) - c.subs(a, a_star)
    return sp.simplify(psi.subs(eta, (1 + t) / 2)), t


@pytest.mark.parametrize(
    ("loss", "phi"),
    [("logistic", lambda a: sp.log(1 + sp.exp(-a))), ("exponential", lambda a: sp.exp(-a))],
)
def test_closed_form_matches_sympy_derivation(loss, phi):
    psi, t = _sympy_psi(phi)
    for tv in ["1/1000", "1/7", "1/2", "9/10", "999/1000"]:
        exact = sp.N(psi.subs(t, sp.Rational(tv)), 30)
        ours = margin_calibration(loss, float(sp.Rational(tv)))
        assert float(ours) == pytest.approx(float(exact), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("loss", MARGIN_LOSSES)
def test_closed_form_matches_numerical_infimum_at_random_t(loss):
    t = np.random.default_rng(12345).uniform(0, 1, 25)
    inf_all, _, inf_wrong, _ = numerical_conditional_infima(loss, (1 + t) / 2, 40.0, 4001)
    # error budget of the numerical infimum: see sims.hconsistency.PSI_TOL
    np.testing.assert_allclose(margin_calibration(loss, t), inf_wrong - inf_all, atol=1e-9, rtol=0)


def test_negative_control_wrong_transform_is_detected():
    t = np.array([0.25, 0.5, 0.75])
    inf_all, _, inf_wrong, _ = numerical_conditional_infima("logistic", (1 + t) / 2, 40.0, 4001)
    assert np.all(t > inf_wrong - inf_all + 0.05), "psi(t) = t must be caught as wrong for logistic"


def test_mirrored_eta_gives_same_regret():
    eta = np.array([0.1, 0.3, 0.7, 0.9])
    inf_all, a_all, inf_wrong, _a_wrong = numerical_conditional_infima("logistic", eta, 40.0, 4001)
    np.testing.assert_allclose(inf_wrong - inf_all, (inf_wrong - inf_all)[::-1], atol=1e-12)
    assert np.all(np.sign(a_all) == np.sign(eta - 0.5))


def test_logistic_small_t_has_no_cancellation():
    # psi(t) = t^2/2 + t^4/12 + O(t^6)
    for t in [1e-300, 1e-150, 1e-8, 1e-4]:
        expected = t * t / 2 + t**4 / 12
        assert margin_calibration("logistic", t) == pytest.approx(expected, rel=1e-14)
    assert margin_calibration("exponential", 1e-200) == pytest.approx(0.5e-400 + 0, abs=1e-320)
    assert margin_calibration("logistic", 1.0) == pytest.approx(np.log(2), rel=1e-15)
    assert margin_calibration("exponential", 1.0) == 1.0


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30))
def test_psi_is_monotone_and_in_unit_interval(ts):
    t = np.sort(np.array(ts))
    for loss in MARGIN_LOSSES:
        psi = margin_calibration(loss, t)
        assert np.all(np.isfinite(psi))
        assert np.all(np.diff(psi) >= -1e-15)
        assert np.all((psi >= 0) & (psi <= 1))


def test_margin_losses_finite_at_large_scores():
    a = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lg = margin_loss("logistic", a)
    np.testing.assert_allclose(lg[[0, -1]], [1e4, 0.0], atol=1e-300)
    assert lg[2] == pytest.approx(np.log(2))
    for loss in ("hinge", "squared_hinge", "squared", "sigmoid", "rho_margin"):
        assert np.all(np.isfinite(margin_loss(loss, a)))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: margin_calibration("logistic", 1.5), r"t must lie in \[0, 1\]"),
        (lambda: margin_calibration("logistic", [-0.1, 0.2]), r"t must lie in \[0, 1\]"),
        (lambda: margin_calibration("hinge", np.nan), "t must be finite"),
        (lambda: margin_calibration("cubic", 0.5), "loss must be one of"),
        (lambda: margin_loss("sigmoid", 1.0, k=0.0), r"k must lie in \(0, inf\)"),
        (lambda: margin_loss("rho_margin", 1.0, rho=-1.0), r"rho must lie in \(0, inf\)"),
        # e^1000 is beyond float64: an error naming the margins, not a silent inf
        (lambda: margin_loss("exponential", [0.0, -1000.0]), "not representable in float64 for these margins a"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------------------------------------
# comp-sum losses (Mao, Mohri, Zhong 2023)
# ----------------------------------------------------------------------------------------------------------

from itertools import combinations  # noqa: E402

from scipy.optimize import minimize  # noqa: E402

from theory._solvers import SolverError, solve_checked  # noqa: E402
from theory.hconsistency import (  # noqa: E402
    FiniteDistribution,
    LinearScores,
    ScoreBox,
    comp_sum_bayes_risk,
    comp_sum_bound,
    comp_sum_grad,
    comp_sum_loss,
    comp_sum_transform,
    comp_sum_transform_tight,
    minimizability_gap,
    tight_transform,
)

TAUS = [0.0, 0.25, 0.5, 1.0, 1.5, 1.9, 2.0]


def _direct_comp_sum(h, y, tau):
    """Phi^tau(sum_{y' != y} exp(h_y' - h_y)) written out from the definition (moderate scores only)."""
    u = np.exp(h - h[y]).sum() - 1.0
    return np.log1p(u) if tau == 1.0 else ((1 + u) ** (1 - tau) - 1) / (1 - tau)


@pytest.mark.parametrize("tau", TAUS)
def test_comp_sum_loss_matches_definition(tau):
    rng = np.random.default_rng(1)
    h = rng.normal(0, 3, size=(20, 4))
    y = rng.integers(0, 4, 20)
    expected = [_direct_comp_sum(hi, yi, tau) for hi, yi in zip(h, y, strict=True)]
    np.testing.assert_allclose(comp_sum_loss(h, y, tau), expected, rtol=1e-12, atol=1e-14)


def test_comp_sum_loss_extreme_scores():
    h = np.array([[1e4, 0.0, -1e4], [-1e4, 0.0, 1e4]])
    y = np.array([0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for tau in (1.0, 1.5, 2.0):
            v = comp_sum_loss(h, y, tau)
            assert np.all(np.isfinite(v))
        assert comp_sum_loss(h, y, 1.0)[1] == pytest.approx(2e4)  # -log softmax, exact
        assert comp_sum_loss(h, y, 2.0)[1] == pytest.approx(1.0)  # MAE saturates at 1
        # tau < 1: the true value e^(2e4) exceeds float range; inf is the rounded value, silently
        assert comp_sum_loss(h, y, 0.0)[1] == np.inf
        assert 0 <= comp_sum_loss(h, y, 0.0)[0] < 1e-300 or comp_sum_loss(h, y, 0.0)[0] == 0.0


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 1.7, 2.0])
def test_comp_sum_grad_matches_finite_differences(tau):
    rng = np.random.default_rng(2)
    h = rng.normal(size=5)
    for y in range(5):
        g = comp_sum_grad(h, y, tau)
        fd = np.array([(comp_sum_loss(h + e, y, tau) - comp_sum_loss(h - e, y, tau)) / 2e-6 for e in np.eye(5) * 1e-6])
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 1.5, 1.9])
def test_bayes_risk_matches_numerical_minimisation(tau):
    rng = np.random.default_rng(3)
    labels = np.arange(4)

    def risk_and_grad(h, p):
        hb = np.broadcast_to(h, (4, 4))
        return float(p @ comp_sum_loss(hb, labels, tau)), p @ comp_sum_grad(hb, labels, tau)

    for p in rng.dirichlet(np.ones(4), size=4):
        res = min(
            (
                minimize(risk_and_grad, h0, args=(p,), jac=True, method="BFGS", options={"gtol": 1e-12})
                for h0 in (np.zeros(4), np.log(p))
            ),
            key=lambda r: r.fun,
        )
        assert comp_sum_bayes_risk(p, tau) == pytest.approx(res.fun, abs=1e-8)
        assert comp_sum_bayes_risk(p, tau) <= res.fun + 1e-12  # the closed form is the infimum


@pytest.mark.parametrize(("tau", "loss"), [(1.0, "logistic"), (0.0, "exponential")])
def test_binary_comp_sum_transform_matches_sympy(tau, loss):
    # with two classes, comp-sum tau = 1 / tau = 0 are the logistic / exponential margin losses of h_1 - h_2
    phi = {"logistic": lambda a: sp.log(1 + sp.exp(-a)), "exponential": lambda a: sp.exp(-a)}[loss]
    psi, t = _sympy_psi(phi)
    for tv in ["1/100", "1/3", "4/5"]:
        exact = float(sp.N(psi.subs(t, sp.Rational(tv)), 30))
        for n in (2, 3, 7):  # the published tau <= 1 forms are n-free
            assert float(comp_sum_transform(float(sp.Rational(tv)), tau, n)) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize("tau", [0.0, 0.25, 1.0])
def test_published_transform_tight_for_tau_le_1(tau):
    t = np.array([0.1, 0.5, 0.95])
    r = tight_transform(tau, 3, t, n_starts=2, seed=0)
    np.testing.assert_allclose(r.t_certificate, t, atol=1e-12)
    np.testing.assert_allclose(r.value, comp_sum_transform(t, tau, 3), atol=1e-9)


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 1.5])
def test_tight_search_restarted_on_collapsed_faces_finds_what_uncut_runs_find(tau, monkeypatch):
    # runs cut when some p_j collapses (and restarted on the face) against the same starts run to their end
    import theory.hconsistency.tightest as hc

    t = np.array([0.05, 0.3, 0.8])
    runs, search = [], hc._slsqp_on_support

    def recorded(*args):
        x, collapsed = search(*args)
        runs.append(collapsed)
        return x, collapsed

    monkeypatch.setattr(hc, "_slsqp_on_support", recorded)
    cut = tight_transform(tau, 6, t, n_starts=3, seed=4)
    monkeypatch.setattr(hc, "_slsqp_on_support", search)
    assert any(runs), "no run was cut: the test would not test the restart"
    monkeypatch.setattr(hc, "COLLAPSE_P", -np.inf)  # never cut
    uncut = tight_transform(tau, 6, t, n_starts=3, seed=4)
    np.testing.assert_allclose(cut.value, uncut.value, rtol=0, atol=1e-12)
    assert np.all(cut.value <= uncut.value + 1e-13)


def test_published_transform_loose_at_tau_1_5_by_n_over_2():
    t = np.array([0.2, 0.6])
    r = tight_transform(1.5, 4, t, n_starts=2, seed=0)
    ratio = r.value / comp_sum_transform(t, 1.5, 4)
    np.testing.assert_allclose(ratio, np.sqrt(4 / 2), rtol=1e-8)  # (n/2)^(tau-1)


def test_negative_control_wrong_transform_detected_by_tight_search():
    t = np.array([0.3, 0.7])
    r = tight_transform(1.0, 3, t, n_starts=1)
    assert np.all(t > r.value + 0.05)


def _mae_tight_brute_force(t: float, n: int, grid: int = 4001) -> float:
    """Exact small case for tau = 2 (MAE): the inner infimum over s is an LP whose vertices are uniform
    distributions on sets S containing the predicted class; the outer infimum over p is a grid search."""
    best = np.inf
    for q in np.linspace(max(t, (1 + t) / n), (1 + t) / 2, grid):  # q = p of the Bayes class
        rest = 1 + t - 2 * q
        # spread the rest over the other classes at most q each, greedily (the LP value depends on sums)
        others = []
        for _ in range(n - 2):
            take = min(q, rest)
            others.append(take)
            rest -= take
        if rest > 1e-12:
            continue
        p = np.array([q - t, q, *others])
        risk = min(1 - p[list(S)].sum() / len(S) for k in range(1, n + 1) for S in combinations(range(n), k) if 0 in S)
        best = min(best, risk - (1 - p.max()))
    return best


@pytest.mark.parametrize("t", [0.1, 0.4, 0.6, 0.9])
def test_mae_tight_form_against_exact_small_case(t):
    n = 3
    brute = _mae_tight_brute_force(t, n)
    assert comp_sum_transform_tight(t, 2.0, n) == pytest.approx(brute, abs=1e-3)  # grid step 2.5e-4
    # the published t/n is valid, and tight only for t <= 1/(n-1)
    assert comp_sum_transform(t, 2.0, n) <= brute + 1e-12
    if t <= 1 / (n - 1):
        assert comp_sum_transform(t, 2.0, n) == pytest.approx(brute, abs=1e-3)
    else:
        assert comp_sum_transform(t, 2.0, n) < brute - 0.03


def test_corrected_form_n_dependent_near_tau_2():
    t = np.array([0.2, 0.4])
    r = tight_transform(1.9, 3, t, n_starts=3, seed=1)
    np.testing.assert_allclose(r.value, comp_sum_transform_tight(t, 1.9, 3), atol=1e-9)
    two_class = comp_sum_transform(t, 1.9, 2)
    assert np.any(two_class > r.value + 1e-3), "at tau = 1.9, n = 3 the two-class form is not valid"


@pytest.mark.slow
def test_tight_transform_callable_path_matches_comp_sum_path():
    t = np.array([0.3, 0.8])
    fast = tight_transform(1.0, 3, t, n_starts=1)
    slow = tight_transform(lambda h, y: comp_sum_loss(h, y, 1.0), 3, t, n_starts=0)
    np.testing.assert_allclose(slow.value, fast.value, atol=1e-5)  # inner SLSQP/L-BFGS tolerance ~1e-8


@given(st.lists(st.floats(0.0, 2.0), min_size=1, max_size=20), st.sampled_from(TAUS), st.integers(2, 50))
def test_comp_sum_bound_inverts_transform(eps, tau, n):
    eps = np.sort(np.array(eps))
    g = comp_sum_bound(eps, tau, n)
    assert np.all((g >= 0) & (g <= 1)) and np.all(np.diff(g) >= -1e-15)
    t_max = comp_sum_transform(1.0, tau, n)
    inside = eps < t_max
    np.testing.assert_allclose(comp_sum_transform(g[inside], tau, n), eps[inside], rtol=1e-9, atol=1e-15)
    assert np.all(g[~inside] == 1.0)


def _random_dist(seed=0, m=6, d=3, n=3):
    rng = np.random.default_rng(seed)
    return FiniteDistribution(rng.standard_normal((m, d)), rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n), size=m))


def test_minimizability_gap_convex_and_local_search_agree():
    from theory.hconsistency import linear_best_in_class_risk

    dist = _random_dist(4)
    g = minimizability_gap(1.0, dist, LinearScores(1.5))
    assert g.exact and 0 <= g.gap <= g.approximation_error + 1e-7
    # the non-convex path (SLSQP with restarts) on the same convex instance reaches the cvxpy optimum
    local, _ = linear_best_in_class_risk(1.0, dist, 1.5, np.random.default_rng(0), convex=False)
    assert local == pytest.approx(g.best_in_class, abs=1e-6)


def test_minimizability_gap_box_class_is_zero_and_formula_deterministic():
    rng = np.random.default_rng(5)
    n = 4
    det = FiniteDistribution(rng.standard_normal((5, 2)), rng.dirichlet(np.ones(5)), np.eye(n)[[0, 1, 2, 3, 0]])
    for tau in (0.0, 1.0, 1.5):
        g = minimizability_gap(tau, det, ScoreBox(0.7))
        phi = np.log1p(3 * np.exp(-1.4)) if tau == 1.0 else ((1 + 3 * np.exp(-1.4)) ** (1 - tau) - 1) / (1 - tau)
        assert g.gap == 0.0 and g.pointwise_inf == pytest.approx(phi, abs=1e-10)


def test_solver_failure_raises_solver_error():
    import cvxpy as cp

    x = cp.Variable()
    with pytest.raises(SolverError, match="no optimal solution") as info:
        solve_checked(cp.Problem(cp.Minimize(x), [x >= 1, x <= 0]), "infeasible toy", index=7)
    assert info.value.index == 7 and "CLARABEL" in info.value.statuses


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: comp_sum_loss(np.zeros((2, 3)), [0, 1], -0.5), r"tau must lie in \[0, inf\)"),
        (lambda: comp_sum_loss(np.zeros((2, 3)), [0, 3], 1.0), r"y must hold labels in \[0, 2\]"),
        (lambda: comp_sum_loss(np.zeros((2, 1)), [0, 0], 1.0), "at least 2 entries along its last axis"),
        (lambda: comp_sum_transform(0.5, 1.0, 1), "n_classes must be an integer >= 2"),
        (lambda: comp_sum_transform(0.5, 2.5, 3), r"tau must lie in \[0, 2\]"),
        (lambda: comp_sum_transform(1.2, 1.0, 3), r"t must lie in \[0, 1\]"),
        (lambda: comp_sum_bound(-0.1, 1.0, 3), r"eps must lie in \[0, inf\)"),
        (lambda: comp_sum_bayes_risk([0.5, 0.6], 1.0), "p must sum to 1"),
        (lambda: FiniteDistribution(np.zeros((2, 1)), [0.5, 0.5], [[0.5, 0.4], [1, 0]]), "p_y must sum to 1"),
        (lambda: minimizability_gap("hinge", _random_dist(), ScoreBox(1.0)), "loss must be a comp-sum tau"),
        (lambda: ScoreBox(0.0), r"Lambda must lie in \(0, 10000\]"),
        (lambda: tight_transform(1.0, 3, [0.5], n_starts=-1), "n_starts must be an integer >= 0"),
    ],
)
def test_comp_sum_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_comp_sum_grad_never_nan_at_extreme_scores():
    h = np.array([[0.0, -800.0, 5.0], [1e4, 0.0, -1e4], [-1e4, 0.0, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for tau in (0.0, 0.5, 1.0, 1.5, 2.0):
            for y in range(3):
                g = comp_sum_grad(h, np.full(3, y), tau)
                assert not np.any(np.isnan(g))
    # the true gradient of CE at a confident correct prediction is ~0, at a confident wrong one ~(s - e_y)
    np.testing.assert_allclose(comp_sum_grad(h[1], 0, 1.0), [0, 0, 0], atol=1e-300)
    np.testing.assert_allclose(comp_sum_grad(h[1], 2, 1.0), [1, 0, -1], atol=1e-12)


@pytest.mark.parametrize(("tau", "loss"), [(1.0, "logistic"), (0.0, "exponential")])
@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_bounded_transform_binary_matches_margin_calibration_on_bounded_margins(tau, loss, lam):
    """n = 2, ||h||_inf <= Lambda: margins a = h_1 - h_2 range over [-2 Lambda, 2 Lambda]; the wrong-side infimum
    minus the bounded infimum, by grid + Brent over that interval, is independent of the comp-sum search."""
    t = np.array([0.2, 0.5, 0.9])
    r = tight_transform(tau, 2, t, n_starts=0, score_bound=lam)
    inf_all, _, inf_wrong, _ = numerical_conditional_infima(loss, (1 + t) / 2, 2 * lam, 4001)
    np.testing.assert_allclose(r.value, inf_wrong - inf_all, atol=1e-7)


def test_conservative_inverse_never_undercuts_the_true_inverse():
    from sims.hconsistency.common import conservative_inverse

    t = np.linspace(0.05, 1, 20)
    e = np.linspace(0, 0.99, 50)
    g = conservative_inverse(t, t**2, e)
    assert np.all(g >= np.sqrt(e) - 1e-12) and np.all(np.diff(g) >= -1e-15)
    # a flat zero stretch (no calibration) gives Gamma(0) = the end of that stretch
    v = np.where(t < 0.3, 0.0, t - 0.3)
    assert conservative_inverse(t, v, np.array([0.0]))[0] >= 0.3 - 1e-12


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 1.5, 2.0])
def test_comp_sum_risk_gradient_against_finite_differences(tau):
    """The closed-form gradient that the score-box searches of tight_transform use, against central differences of
    the public comp_sum_loss (an independent evaluation of the same risk)."""
    from theory.hconsistency._base import comp_sum_risk_and_grad

    rng = np.random.default_rng(4)
    risk_and_grad = comp_sum_risk_and_grad(tau)
    for _ in range(20):
        n = int(rng.integers(2, 7))
        h = rng.uniform(-3, 3, n)
        p = rng.dirichlet(np.ones(n))
        value, grad = risk_and_grad(h, p)
        labels = np.arange(n)

        def risk(v, p=p, n=n, labels=labels):
            return float(np.sum(p * comp_sum_loss(np.broadcast_to(v, (n, n)), labels, tau)))

        assert value == pytest.approx(risk(h), rel=1e-12, abs=1e-14)
        step = 1e-6
        fd = np.array([(risk(h + step * e) - risk(h - step * e)) / (2 * step) for e in np.eye(n)])
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 1.5, 2.0])
def test_bound_sims_expected_gradient_is_comp_sum_grad_weighted_by_p(tau):
    from sims.hconsistency.hconsistency_bound import _expected_grad

    rng = np.random.default_rng(int(10 * tau))
    H, P = rng.normal(scale=3.0, size=(40, 4)), rng.dirichlet(np.ones(4), 40)
    ref = np.einsum("my,myk->mk", P, comp_sum_grad(H[:, None, :], np.arange(4), tau))
    np.testing.assert_allclose(_expected_grad(H, P, tau), ref, rtol=1e-12, atol=1e-14)


def test_margin_refinement_never_worse_than_the_grid_and_at_brent_accuracy():
    """The vectorised golden-section refinement against scalar bounded Brent (the former method) on random rows."""
    from scipy.optimize import minimize_scalar

    from sims.hconsistency.common import refined_min
    from theory.hconsistency import conditional_margin_risk

    eta = np.random.default_rng(3).uniform(0.5, 1.0, 40)
    a = np.linspace(-40.0, 40.0, 8001)
    for loss in MARGIN_LOSSES:
        v, x = refined_min(loss, eta, a, 40.0)
        grid = conditional_margin_risk(loss, eta[:, None], a[None, :]).min(axis=1)
        assert np.all(v <= grid)
        for i in range(0, 40, 8):
            b = minimize_scalar(
                lambda t, e=eta[i], loss=loss: float(conditional_margin_risk(loss, e, t)),
                bounds=(x[i] - 0.02, min(x[i] + 0.02, 40.0)),
                method="bounded",
                options={"xatol": 1e-11},
            )
            assert v[i] <= b.fun + 1e-12
