"""H-consistency and calibration of surrogate losses.

Binary margin losses phi(y h(x)) and their calibration functions psi: for the family of all measurable
scoring functions, with eta = P(y = +1 | x) and t = |2 eta - 1|,

    psi(t) = inf_{a : a (2 eta - 1) <= 0} C_eta(a) - inf_{a in R} C_eta(a),
    C_eta(a) = eta phi(a) + (1 - eta) phi(-a),

is the smallest conditional surrogate regret compatible with a conditional 0-1 regret of t, so that
R_{0-1}(h) - R*_{0-1} <= psi^{-1}(R_phi(h) - R*_phi) (Bartlett, Jordan and McAuliffe 2006; for
non-convex losses, Awasthi, Mao, Mohri and Zhong 2022, where psi need not be convex).
A score of exactly 0 counts as a wrong prediction (the infimum over the wrong side includes a = 0).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import finite_result, option
from theory._constraints import Options, Real, Reals, constrained

__all__ = [
    "MARGIN_LOSSES",
    "conditional_margin_risk",
    "margin_calibration",
    "margin_loss",
]

MARGIN_LOSSES: tuple[str, ...] = (
    "hinge",
    "logistic",
    "exponential",
    "squared_hinge",
    "squared",
    "sigmoid",
    "rho_margin",
)


def _check_loss(loss: str) -> None:
    option(loss, "loss", MARGIN_LOSSES)


@constrained(
    loss=Options(MARGIN_LOSSES),
    a=Reals(),
    k=Real(0.0, math.inf, lo_open=True),
    rho=Real(0.0, math.inf, lo_open=True),
)
def margin_loss(loss: str, a: ArrayLike, *, k: float = 1.0, rho: float = 1.0) -> NDArray:
    """Binary margin loss phi(a) at margin a = y h(x).

    Parameters
    ----------
    loss
        One of ``MARGIN_LOSSES``:
        hinge max(0, 1 - a); logistic log(1 + e^{-a}) (natural log); exponential e^{-a};
        squared_hinge max(0, 1 - a)^2; squared (1 - a)^2; sigmoid 1 - tanh(k a);
        rho_margin min(1, max(0, 1 - a / rho)).
    a
        Margins, any shape. Finite values required.
    k, rho
        Slope of the sigmoid loss and margin of the rho-margin loss (both > 0).

    Returns
    -------
    phi : ndarray
        phi(a), the shape of ``a``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Notes
    -----
    The logistic loss is computed as ``logaddexp(0, -a)``, exact for |a| of 1e4. The exponential loss
    overflows to inf for a < -709.78 because e^{-a} is not representable there.

    Examples
    --------
    >>> np.round(margin_loss("logistic", [-1.0, 0.0, 2.0]), 4)
    array([1.3133, 0.6931, 0.1269])
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a loss beyond float64 is the ValueError below
        phi = _margin_phi(loss, a, k, rho)
    return finite_result(phi, f"the {loss} loss", "margins a")


def _margin_phi(loss: str, a: NDArray, k: float, rho: float) -> NDArray:
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - a)
    if loss == "logistic":
        return np.logaddexp(0.0, -a)
    if loss == "exponential":
        return np.exp(-a)
    if loss == "squared_hinge":
        return np.maximum(0.0, 1.0 - a) ** 2
    if loss == "squared":
        return (1.0 - a) ** 2
    if loss == "sigmoid":
        return 1.0 - np.tanh(k * a)
    return np.clip(1.0 - a / rho, 0.0, 1.0)  # rho_margin; a / rho = +-inf clips to 0 or 1, as the limit


def _logistic_psi(t: NDArray) -> NDArray:
    # psi(t) = t atanh(t) + log(1 - t^2)/2: both terms are ~t^2 near 0, so no cancellation of order 1
    # (the textbook form ((1+t)/2)log(1+t) + ((1-t)/2)log(1-t) loses all digits for t < 1e-8).
    # Near t = 1 atanh blows up, so the xlogy form (exact at t = 1, value log 2) takes over.
    from scipy.special import xlogy

    out = np.empty_like(t)
    small = t <= 0.5
    ts = t[small]
    out[small] = ts * np.arctanh(ts) + 0.5 * np.log1p(-ts * ts)
    tl = t[~small]
    out[~small] = xlogy((1 + tl) / 2, 1 + tl) + xlogy((1 - tl) / 2, 1 - tl)
    return out


@constrained(loss=Options(MARGIN_LOSSES), t=Reals(0.0, 1.0))
def margin_calibration(loss: str, t: ArrayLike) -> NDArray:
    """Calibration function psi(t) of a binary margin loss, for the family of all measurable functions.

    Closed forms (t in [0, 1], natural logarithm):

    ===============  ==========================================================  ==================
    loss             psi(t)                                                      source
    ===============  ==========================================================  ==================
    hinge            t                                                           BJM 2006, Ex. 1
    logistic         ((1+t)/2) log(1+t) + ((1-t)/2) log(1-t)                     BJM 2006, Ex. 4
    exponential      1 - sqrt(1 - t^2)                                           BJM 2006, Ex. 2
    squared_hinge    t^2                                                         BJM 2006, Ex. 3
    squared          t^2                                                         BJM 2006, Ex. 3
    sigmoid          t   (any slope k > 0)                                       AMMZ 2022
    rho_margin       t   (any rho > 0)                                           AMMZ 2022
    ===============  ==========================================================  ==================

    BJM 2006: P. L. Bartlett, M. I. Jordan, J. D. McAuliffe, "Convexity, Classification, and Risk
    Bounds", JASA 101(473). AMMZ 2022: P. Awasthi, A. Mao, M. Mohri, Y. Zhong, "H-Consistency Bounds
    for Surrogate Loss Minimizers", ICML 2022 (complete hypothesis sets). For sigmoid and rho-margin
    the derivation is one line: C_eta(a) = 1 - (2 eta - 1) tanh(k a) has infimum 1 - t (a -> inf)
    and wrong-side infimum 1 (a = 0); for rho-margin the infima are 1 - eta and eta.

    Assumptions: the hypothesis set is all measurable functions (or any symmetric, complete set); a
    score of 0 is a wrong prediction. The values are the tight transformation (not a lower bound).

    Parameters
    ----------
    loss
        One of ``MARGIN_LOSSES``.
    t
        Conditional 0-1 regret |2 eta - 1|, array-like with entries in [0, 1].

    Returns
    -------
    numpy.ndarray
        psi(t), same shape as ``t``; finite on all of [0, 1] and accurate to a few ulp relative to
        psi for t down to 1e-300 (the logistic form avoids the cancellation of the textbook formula).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(margin_calibration("logistic", [0.1, 0.5]), 5)
    array([0.00501, 0.13081])
    >>> margin_calibration("hinge", 0.3)
    array(0.3)
    """
    if loss in ("hinge", "sigmoid", "rho_margin"):
        return t.copy()
    if loss == "logistic":
        return _logistic_psi(np.atleast_1d(t)).reshape(t.shape)
    if loss == "exponential":
        # 1 - sqrt(1 - t^2) rewritten without cancellation near t = 0
        return t * t / (1.0 + np.sqrt(1.0 - t * t))
    return t * t


@constrained(
    loss=Options(MARGIN_LOSSES),
    eta=Reals(0.0, 1.0),
    a=Reals(like="eta"),
    k=Real(0.0, math.inf, lo_open=True),
    rho=Real(0.0, math.inf, lo_open=True),
)
def conditional_margin_risk(loss: str, eta: ArrayLike, a: ArrayLike, *, k: float = 1.0, rho: float = 1.0) -> NDArray:
    """C_eta(a) = eta phi(a) + (1 - eta) phi(-a), broadcast over ``eta`` and ``a``.

    Parameters
    ----------
    loss
        One of ``MARGIN_LOSSES``.
    eta
        Conditional probabilities P(y = 1 | x) in [0, 1].
    a
        Scores h(x) (finite), broadcast with ``eta``.
    k, rho
        Loss parameters (``k`` of sigmoid, ``rho`` of rho_margin), > 0; the other losses ignore them.

    Returns
    -------
    C : ndarray
        The conditional risk, the broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(conditional_margin_risk("hinge", 0.8, 1.0))
    0.3999999999999999
    """
    return eta * margin_loss(loss, a, k=k, rho=rho) + (1.0 - eta) * margin_loss(loss, -a, k=k, rho=rho)
