"""theory.hconsistency: calibration functions against sympy derivations and numerical infima."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from sims.hconsistency import numerical_conditional_infima
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
        (lambda: margin_loss("sigmoid", 1.0, k=0.0), r"k must lie in \(0, inf\]"),
        (lambda: margin_loss("rho_margin", 1.0, rho=-1.0), r"rho must lie in \(0, inf\]"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
