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

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory import _kernels
from theory._checks import as_finite_array, in_interval, integer_in, option, positive, scalar

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
    _check_loss(loss)
    a = in_interval(a, "a")
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - a)
    if loss == "logistic":
        return np.logaddexp(0.0, -a)
    if loss == "exponential":
        with np.errstate(over="ignore"):
            return np.exp(-a)
    if loss == "squared_hinge":
        return np.maximum(0.0, 1.0 - a) ** 2
    if loss == "squared":
        return (1.0 - a) ** 2
    if loss == "sigmoid":
        positive(k, "k")
        return 1.0 - np.tanh(k * a)
    positive(rho, "rho")
    return np.clip(1.0 - a / rho, 0.0, 1.0)


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
    _check_loss(loss)
    t = in_interval(t, "t", 0.0, 1.0)
    if loss in ("hinge", "sigmoid", "rho_margin"):
        return t.copy()
    if loss == "logistic":
        return _logistic_psi(np.atleast_1d(t)).reshape(t.shape)
    if loss == "exponential":
        # 1 - sqrt(1 - t^2) rewritten without cancellation near t = 0
        return t * t / (1.0 + np.sqrt(1.0 - t * t))
    return t * t


def conditional_margin_risk(loss: str, eta: ArrayLike, a: ArrayLike, **params: float) -> NDArray:
    """C_eta(a) = eta phi(a) + (1 - eta) phi(-a), broadcast over ``eta`` and ``a``.

    Parameters
    ----------
    loss
        One of ``MARGIN_LOSSES``.
    eta
        Conditional probabilities P(y = 1 | x) in [0, 1].
    a
        Scores h(x) (finite), broadcast with ``eta``.
    **params
        Loss parameters (``k`` of sigmoid, ``rho`` of rho_margin).

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
    eta = in_interval(eta, "eta", 0.0, 1.0)
    a = np.asarray(a, dtype=float)
    return eta * margin_loss(loss, a, **params) + (1.0 - eta) * margin_loss(loss, -a, **params)


# ---------------------------------------------------------------------------------------------------------
# Multi-class comp-sum losses (Mao, Mohri and Zhong, ICML 2023)
# ---------------------------------------------------------------------------------------------------------


def _check_tau(tau: float, upper: float = np.inf, name: str = "tau") -> float:
    return scalar(tau, name, 0.0, upper)


# The numerical tightest transformations search over the simplex of n classes (comp_sum_transform_tight: n - 1
# bounded scalar searches per t; tight_transform: a search in dimension n): valid ranges of n that answer in
# seconds, not hours. The closed forms take any n >= 2.
MAX_CLASSES_TIGHT = 1000
MAX_CLASSES_SEARCH = 200


def _check_n(n_classes: int, maximum: int | None = None) -> int:
    return integer_in(n_classes, "n_classes", 2, maximum)


def comp_sum_loss(scores: ArrayLike, y: ArrayLike, tau: float) -> NDArray:
    """Comp-sum loss l_tau(h, x, y) = Phi^tau( sum_{y' != y} exp(h(x, y') - h(x, y)) ).

    Phi^1(u) = log(1 + u) (cross-entropy); Phi^tau(u) = ((1 + u)^(1 - tau) - 1)/(1 - tau) otherwise: tau = 0
    sum-exponential, tau in (1, 2) generalised cross-entropy, tau = 2 mean absolute error. Since
    1 + u = 1/s_y with s = softmax(h), l_tau = (s_y^(tau - 1) - 1)/(1 - tau) (MMZ 2023, Eq. (1)-(2)).

    Parameters
    ----------
    scores
        Scores h(x, .), shape (..., n) with n >= 2 on the last axis.
    y
        Labels in {0, ..., n-1}, shape broadcastable to ``scores.shape[:-1]``.
    tau
        tau >= 0.

    Returns
    -------
    loss : ndarray
        l_tau(h, y), shape ``broadcast(scores.shape[:-1], y.shape)``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Notes
    -----
    Computed from log s_y = h_y - logsumexp(h) as expm1((tau - 1) log s_y)/(1 - tau), so scores of 1e4 give
    accurate values (no 1 - s_y cancellation). For tau < 1 the loss grows like exp((1 - tau) margin): when it
    exceeds the float range (a wrong-class margin beyond about 709/(1 - tau)) it is returned as inf, which is
    the correctly rounded value, without an overflow warning.

    Examples
    --------
    >>> round(float(comp_sum_loss([2.0, 0.0, 0.0], 0, 1.0)), 6)  # cross-entropy
    0.239545
    >>> float(comp_sum_loss([1e4, 0.0], 1, 0.5))  # huge margins stay finite where they can
    inf
    """
    tau = _check_tau(tau)
    h = as_finite_scores(scores)
    n = h.shape[-1]
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer labels in [0, {n - 1}]; got dtype {y.dtype}")
    if np.any((y < 0) | (y >= n)):
        raise ValueError(f"y must hold labels in [0, {n - 1}]; got values {np.unique(y[(y < 0) | (y >= n)])}")
    return _comp_sum_loss(h, y, tau)


def _shifted_logsumexp(z: NDArray) -> tuple[NDArray, NDArray]:
    """(top, rest) with log sum_j exp(z_j) = top + rest along the last axis (kept), top the row maximum: finite
    for any row with a finite maximum (entries of -inf count as 0). The two parts are kept apart so that callers
    can subtract the shift first, which keeps a log-probability near 0 exact (see ``_log_softmax``). numpy's own
    reductions: scipy's ``logsumexp``/``log_softmax`` cost ~4x more on the small arrays of the inner loops here."""
    top = z.max(axis=-1, keepdims=True)
    return top, np.log(np.sum(np.exp(z - top), axis=-1, keepdims=True))


def _log_softmax(h: NDArray) -> NDArray:
    """log softmax along the last axis, as (h - max) - log sum exp(h - max): the top class keeps a log-probability
    of, e.g., -9.4e-14 at scores (1e4, 1e4 - 30), which h - (max + log sum exp) rounds to 0 (ulp(1e4) = 1.8e-12)."""
    top, rest = _shifted_logsumexp(h)
    return (h - top) - rest


def _comp_sum_loss(h: NDArray, y: NDArray, tau: float) -> NDArray:
    """``comp_sum_loss`` on checked scores and labels, for inner loops (the checks cost more than the arithmetic)."""
    n = h.shape[-1]
    batch = np.broadcast_shapes(h.shape[:-1], y.shape)
    log_sm = np.broadcast_to(_log_softmax(h), (*batch, n))
    log_s = np.take_along_axis(log_sm, np.broadcast_to(y, batch)[..., None], axis=-1)[..., 0]
    if tau == 1.0:
        return -log_s
    with np.errstate(over="ignore"):
        return np.expm1((tau - 1.0) * log_s) / (1.0 - tau) + 0.0  # + 0.0 turns -0.0 into 0.0


def comp_sum_grad(scores: ArrayLike, y: ArrayLike, tau: float) -> NDArray:
    """Gradient of ``comp_sum_loss`` with respect to the scores: s_y^(tau - 1) (s - e_y), s = softmax(h).

    From l_tau = f_tau(s_y), f_tau'(s) = -s^(tau - 2) and d s_y / d h_j = s_y (1[j = y] - s_j). Shape (..., n).

    Parameters
    ----------
    scores
        Scores, shape (..., n), n >= 2.
    y
        Integer labels in [0, n), broadcast with ``scores.shape[:-1]``.
    tau
        tau >= 0.

    Returns
    -------
    grad : ndarray
        The gradient with respect to the scores, shape (..., n); each row sums to 0.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(comp_sum_grad([0.0, 0.0], 0, 1.0), 3)
    array([-0.5,  0.5])
    """
    tau = _check_tau(tau)
    h = as_finite_scores(scores)
    n = h.shape[-1]
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer) or np.any((y < 0) | (y >= n)):
        raise ValueError(f"y must hold integer labels in [0, {n - 1}]")
    return _comp_sum_grad(h, y, tau)


def _comp_sum_grad(h: NDArray, y: NDArray, tau: float) -> NDArray:
    """``comp_sum_grad`` on checked scores and labels, for inner loops."""
    n = h.shape[-1]
    batch = np.broadcast_shapes(h.shape[:-1], y.shape)
    log_sm = np.broadcast_to(_log_softmax(h), (*batch, n))
    yb = np.broadcast_to(y, batch)
    log_sy = np.take_along_axis(log_sm, yb[..., None], axis=-1)
    is_y = np.arange(n) == yb[..., None]
    # each entry is s_y^(tau-1) s_j (j != y) or -s_y^(tau-1) (1 - s_y): computed as exp of a sum of logs, so an
    # overflow gives +-inf (the true value exceeds the float range), never inf * 0 = NaN
    # log(1 - s_y) = log sum_{j != y} s_j, exact even when s_y rounds to 1 (shifted by the largest j != y)
    top, rest = _shifted_logsumexp(np.where(is_y, -np.inf, log_sm))
    log_one_minus_sy = top + rest
    log_mag = (tau - 1.0) * log_sy + np.where(is_y, log_one_minus_sy, log_sm)
    with np.errstate(over="ignore"):
        return np.where(is_y, -1.0, 1.0) * np.exp(log_mag)


def as_finite_scores(scores: ArrayLike) -> NDArray:
    """``scores`` as a float array of finite scores with n >= 2 classes on the last axis.

    Parameters
    ----------
    scores
        Scores h(x, .), shape (..., n).

    Returns
    -------
    h : ndarray of float, the same shape.

    Raises
    ------
    ValueError
        If a score is NaN or infinite, or the last axis has fewer than 2 classes.

    Examples
    --------
    >>> as_finite_scores([[1.0, 2.0, 3.0]]).shape
    (1, 3)
    """
    h = as_finite_array(scores, "scores")
    if h.ndim == 0 or h.shape[-1] < 2:
        raise ValueError(f"scores must have n >= 2 classes on the last axis; got shape {h.shape}")
    return h


def comp_sum_pointwise_f(s: ArrayLike, tau: float) -> NDArray:
    """f_tau(s) = (s^(tau-1) - 1)/(1 - tau) (-log s at tau = 1): the comp-sum loss as a function of s_y.

    Parameters
    ----------
    s
        Softmax values in (0, 1].
    tau
        tau in [0, 2].

    Returns
    -------
    f : ndarray
        f_tau(s), the shape of ``s``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(comp_sum_pointwise_f([0.5, 1.0], 1.0), 6)
    array([ 0.693147, -0.      ])
    """
    return _pointwise_f(in_interval(s, "s", 0.0, 1.0, lo_open=True), _check_tau(tau, 2.0))


def _pointwise_f(s: NDArray, tau: float) -> NDArray:
    """``comp_sum_pointwise_f`` without the argument checks, for checked arguments inside numerical searches
    (the checks cost ~40% of ``tight_transform`` when run on every objective evaluation)."""
    if tau == 1.0:
        with np.errstate(divide="ignore"):
            return -np.log(s)
    with np.errstate(divide="ignore", over="ignore"):
        return np.expm1((tau - 1.0) * np.log(s)) / (1.0 - tau)


def comp_sum_bayes_risk(p: ArrayLike, tau: float) -> NDArray:
    """Best conditional comp-sum risk C*(p) = inf_h E_{y~p} l_tau(h, x, y) over all scores, for tau in [0, 2].

    Minimising sum_y p_y f_tau(s_y) over the simplex (Lagrange): s_y proportional to p_y^a with
    a = 1/(2 - tau), giving C*(p) = ((sum_y p_y^a)^(2 - tau) - 1)/(1 - tau) for tau in [0, 2), tau != 1;
    the Shannon entropy -sum_y p_y log p_y at tau = 1; 1 - max_y p_y at tau = 2 (f is then 1 - s, linear).
    Elementary calculus; the test suite checks it against numerical minimisation over the scores.

    Parameters
    ----------
    p
        Label distributions, shape (..., n), rows summing to 1.
    tau
        tau in [0, 2].

    Returns
    -------
    C : ndarray
        C*(p), shape ``p.shape[:-1]``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> round(float(comp_sum_bayes_risk([0.5, 0.5], 1.0)), 6)  # entropy ln 2
    0.693147
    >>> float(comp_sum_bayes_risk([0.7, 0.3], 2.0))
    0.30000000000000004
    """
    from theory._checks import probability_vectors

    return _comp_sum_bayes_risk(probability_vectors(p, "p"), _check_tau(tau, 2.0))


def _comp_sum_bayes_risk(p: NDArray, tau: float) -> NDArray:
    """``comp_sum_bayes_risk`` without the checks, for inner loops whose arguments are valid by construction."""
    from scipy.special import entr

    if tau == 1.0:
        return entr(p).sum(axis=-1)
    if tau == 2.0:
        return 1.0 - p.max(axis=-1)
    a = 1.0 / (2.0 - tau)
    z = (p**a).sum(axis=-1)
    return np.expm1((2.0 - tau) * np.log(z)) / (1.0 - tau)


def comp_sum_transform(t: ArrayLike, tau: float, n_classes: int) -> NDArray:
    """The H-consistency transformation T_tau(t) of comp-sum losses (symmetric, complete H), as restated.

    With a = 1/(2 - tau) and M(t) = ((1 + t)^a + (1 - t)^a)/2, as restated by secondary sources from MMZ 2023
    (their theorem on comp-sum losses for symmetric and complete hypothesis sets; the theorem text was not read
    here, so these are the restated forms):

    - tau in [0, 1): T(t) = (2^(1 - tau)/(1 - tau)) (1 - M(t)^(2 - tau))   (tau = 0: 1 - sqrt(1 - t^2));
    - tau = 1:       T(t) = ((1 + t)/2) log(1 + t) + ((1 - t)/2) log(1 - t);
    - tau in (1, 2): T(t) = (1/((tau - 1) n^(tau - 1))) (M(t)^(2 - tau) - 1);
    - tau = 2:       T(t) = t/n.

    The bound reads R_{0-1}(h) - R*_{0-1}(H) + M_{0-1}(H) <= T^{-1}(R_l(h) - R*_l(H) + M_l(H)).
    Source text not re-checked here (the stored copies give only the abstract); ``tight_transform`` computes
    the ground truth numerically and the ``comp_sum_tightness`` sim reports where these forms are tight,
    loose or invalid. See ``comp_sum_transform_tight`` for the forms that the numbers support.

    Parameters
    ----------
    t
        Conditional 0-1 regret, entries in [0, 1].
    tau
        tau in [0, 2].
    n_classes
        n >= 2.

    Returns
    -------
    T : ndarray
        T_tau(t), the shape of ``t``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(comp_sum_transform([0.1, 0.5], 1.0, 10), 6)
    array([0.005008, 0.130812])
    """
    tau = _check_tau(tau, 2.0)
    n = _check_n(n_classes)
    t = in_interval(t, "t", 0.0, 1.0)
    if tau == 1.0:
        return margin_calibration("logistic", t)
    if tau == 2.0:
        return t / n
    if tau == 0.0:
        return margin_calibration("exponential", t)
    m_pow = _m_pow(t, tau)  # M(t)^(2 - tau) - 1, computed without cancellation
    if tau < 1.0:
        return (2.0 ** (1.0 - tau) / (1.0 - tau)) * (-m_pow)
    return m_pow / ((tau - 1.0) * n ** (tau - 1.0))


def _m_pow(t: NDArray, tau: float) -> NDArray:
    """M(t)^(2 - tau) - 1 with M(t) = ((1+t)^a + (1-t)^a)/2, a = 1/(2 - tau), accurate for small t."""
    a = 1.0 / (2.0 - tau)
    # (1+t)^a + (1-t)^a - 2 = expm1(a log1p(t)) + expm1(a log1p(-t)); both ~ +-a t, so for tiny t the sum is
    # dominated by rounding: use the series a(a-1) t^2 (1 + (a-2)(a-3) t^2/12) there.
    with np.errstate(divide="ignore"):
        direct = np.expm1(a * np.log1p(t)) + np.expm1(a * np.log1p(-t))
    series = a * (a - 1.0) * t * t * (1.0 + (a - 2.0) * (a - 3.0) * t * t / 12.0)
    m_minus_1 = np.where(t < 1e-3, series, direct) / 2.0
    return np.expm1((2.0 - tau) * np.log1p(m_minus_1))


def comp_sum_bound(eps: ArrayLike, tau: float, n_classes: int) -> NDArray:
    """Gamma_tau(eps) = T_tau^{-1}(eps): the 0-1 excess guaranteed by a surrogate excess eps >= 0.

    T_tau is increasing on [0, 1]; for eps >= T_tau(1) the guarantee is the trivial 1. Closed forms at
    tau = 0 (sqrt(eps (2 - eps))) and tau = 2 (n eps); elsewhere inverted numerically to machine precision
    (Chandrupatla's bracketing method, ``scipy.optimize.elementwise.find_root``, vectorised).

    Parameters
    ----------
    eps
        Surrogate excess (plus minimizability gap), entries >= 0.
    tau, n_classes
        As in ``comp_sum_transform``.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], monotone non-decreasing in eps.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(comp_sum_bound([0.01, 0.1], 1.0, 10), 4)
    array([0.1412, 0.4396])
    """
    from scipy.optimize.elementwise import find_root

    tau = _check_tau(tau, 2.0)
    n = _check_n(n_classes)
    eps = in_interval(eps, "eps", 0.0)
    t_max = comp_sum_transform(1.0, tau, n)
    out = np.ones_like(eps)
    inside = eps < t_max
    e = eps[inside]
    if tau == 0.0:
        out[inside] = np.sqrt(e * (2.0 - e))
    elif tau == 2.0:
        out[inside] = n * e
    elif e.size:
        res = find_root(
            lambda t, e: comp_sum_transform(np.clip(t, 0.0, 1.0), tau, n) - e,
            (np.zeros_like(e), np.ones_like(e)),
            args=(e,),
            tolerances={"xatol": 1e-300, "xrtol": 4e-16},  # relative: T ~ t^2 near 0
        )
        if not np.all(res.success | (e == 0)):
            raise ArithmeticError("comp_sum_bound: root finding did not converge")
        out[inside] = np.where(e == 0, 0.0, res.x)
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class TightTransform:
    """Numerical tightest transformation with its certificates.

    ``value[i]`` is the smallest conditional surrogate regret found among label distributions p and scores h
    whose conditional 0-1 regret is ``t[i]``; ``p[i]`` and ``scores[i]`` attain it (class 0 is predicted by
    ``scores[i]``, ties broken to the smallest index; class 1 is the most likely label). Every value is
    attained by an explicit (p, h), so it is an upper bound on the true infimum, exact when the search finds
    the global minimum: a closed form above it is *certifiably* invalid.
    """

    t: NDArray
    value: NDArray
    p: NDArray
    scores: NDArray
    t_certificate: NDArray  # max_y p_y - p_{argmax h}, recomputed from the certificate


def tight_transform(
    loss: float | Callable[[NDArray, NDArray], NDArray],
    n_classes: int,
    t: ArrayLike,
    *,
    n_starts: int = 12,
    seed: int | np.random.SeedSequence = 0,
    score_bound: float | None = None,
) -> TightTransform:
    """Tightest H-consistency transformation for the complete hypothesis set, computed numerically.

    With ``score_bound`` = Lambda the hypothesis set is the score box H_Lambda = {h : ||h||_inf <= Lambda}: scores and
    both inner infima are restricted to the box (the conditional 0-1 regret is unchanged, since every argmax is
    reachable in the box). This encodes numerically the Lambda-dependent transformations of bounded hypothesis
    sets (MMZ 2023 give closed forms; not re-checked here): the ``comp_sum_bounded`` sim checks the resulting
    bound.

    T*(t) = inf { E_{y~p} l(h, y) - inf_h' E_{y~p} l(h', y) : p in simplex, h in R^n,
                  max_y p_y - p_{argmax h} = t },

    i.e. the largest function with Delta C_{0-1}(h, x) = t  =>  Delta C_l(h, x) >= T*(t) pointwise; by
    Jensen, its convex hull gives the tightest bound of the form R_{0-1} excess <= Gamma(R_l excess).
    This function uses no closed-form transformation; it is the ground truth that ``comp_sum_transform`` is
    checked against.

    Method. For a comp-sum ``loss`` (a float tau in [0, 2]) the loss depends on h only through s = softmax(h),
    via sum_y p_y f_tau(s_y), which is convex in s on the simplex; the search runs over (p, s) jointly by SLSQP
    with analytic gradients (the envelope theorem gives the gradient of the Bayes risk), for every support
    size m = 2..n of p (classes outside the support get s = 0), from structured starts (two-class, and m - 1
    classes tied at the top) and ``n_starts`` random Dirichlet starts; a run whose p collapses onto a face of
    lower support restarts on that face (``COLLAPSE_P``). For a callable loss(scores, y) the
    search is over p (Nelder-Mead from the same starts) with both inner infima over h solved numerically
    (SLSQP with the argmax constraint, L-BFGS for the Bayes risk): slower, meant for small n.

    Parameters
    ----------
    loss
        tau of a comp-sum loss, or a callable (scores of shape (..., n), labels (...)) -> loss values.
    n_classes
        n >= 2.
    t
        Conditional 0-1 regrets in [0, 1].
    n_starts
        Random starts per support size (>= 0).
    seed
        Seed of the random starts.
    score_bound
        Lambda > 0: the score box H_Lambda; None (the default): all scores.

    Returns
    -------
    result : TightTransform
        ``value`` T*(t) per t, recomputed from the certificates ``p`` (label distributions) and ``scores``,
        and ``t_certificate`` (each certificate's own 0-1 regret).

    Raises
    ------
    TypeError
        If ``loss`` is neither a number nor a callable.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> r = tight_transform(1.0, 3, [0.5], n_starts=0)
    >>> round(float(r.value[0]), 6), round(float(comp_sum_transform(0.5, 1.0, 3)), 6)
    (0.130812, 0.130812)
    """
    n = _check_n(n_classes, MAX_CLASSES_SEARCH)
    t = np.atleast_1d(in_interval(t, "t", 0.0, 1.0))
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"t must be a non-empty 1-d array of values in [0, 1]; got shape {t.shape}")
    integer_in(n_starts, "n_starts", 0, 10_000)
    from theory._checks import rng_from

    rng = rng_from(seed, "seed")
    if not callable(loss):
        _check_tau(loss, 2.0, "loss")
    if score_bound is not None:
        lam = scalar(score_bound, "score_bound", 0.0, lo_open=True)
        if callable(loss):
            fn = loss
        else:
            tau_b = _check_tau(loss, 2.0, "loss")

            def fn(h: NDArray, y: NDArray) -> NDArray:
                return comp_sum_loss(h, y, tau_b)

        grad = None if callable(loss) else _comp_sum_risk_and_grad(tau_b)
        rows = [_tight_callable(fn, n, ti, n_starts, rng, bound=lam, risk_and_grad=grad) for ti in t]
        tau = None
    elif callable(loss):
        rows = [_tight_callable(loss, n, ti, n_starts, rng) for ti in t]
        tau = None
    else:
        tau = _check_tau(loss, 2.0, "loss")
        rows = [_tight_comp_sum(tau, n, ti, n_starts, rng) for ti in t]
    p = np.array([r[0] for r in rows])
    h = np.array([r[1] for r in rows])
    if tau is None:
        value = np.array([r[2] for r in rows])
    else:
        # recompute from the certificate with the public loss, not the optimiser's internal objective
        labels = np.arange(n)
        risk = np.sum(p * comp_sum_loss(h[:, None, :], labels[None, :], tau), axis=-1)
        value = risk - comp_sum_bayes_risk(p, tau)
    pred = np.argmax(h, axis=1)
    t_cert = p.max(axis=1) - p[np.arange(len(t)), pred]
    return TightTransform(t=t, value=value, p=p, scores=h, t_certificate=t_cert)


def _structured_starts(m: int, t: float) -> list[NDArray]:
    """Label distributions on m classes with p_1 - p_0 = t and p_1 = max (class 0 predicted)."""
    starts = []
    q = (1.0 + t) / m  # m - 1 classes tied at the top level q, the predicted class at q - t
    if q >= t:
        starts.append(np.r_[q - t, np.full(m - 1, q)])
    rest = 1e-3 if m > 2 else 0.0  # two-class mass plus a sliver elsewhere
    starts.append(np.r_[(1 - t - rest) / 2, (1 + t - rest) / 2, np.full(m - 2, rest / max(m - 2, 1))])
    if m > 2:  # top level in the middle of its feasible range, the rest spread evenly
        top = (max(t, (1 + t) / m) + (1 + t) / 2) / 2
        starts.append(np.r_[top - t, top, np.full(m - 2, (1 + t - 2 * top) / (m - 2))])
    return starts


def _random_start(m: int, t: float, rng: np.random.Generator) -> NDArray:
    top = rng.uniform(max(t, (1 + t) / m), (1 + t) / 2) if m > 2 else (1 + t) / 2
    others = np.minimum((1 + t - 2 * top) * rng.dirichlet(np.ones(m - 2)), top) if m > 2 else np.zeros(0)
    p = np.r_[top - t, top, others]
    return p / p.sum()


def _starts_by_support(n: int, t: float, n_starts: int, rng: np.random.Generator) -> list[tuple[int, NDArray]]:
    """Structured starts for every support size m = 2..n, plus ``n_starts`` random ones of random support size."""
    starts = [(m, p) for m in range(2, n + 1) for p in _structured_starts(m, t)]
    for _ in range(n_starts if n > 2 else 0):
        m = int(rng.integers(3, n + 1))
        starts.append((m, _random_start(m, t, rng)))
    return starts


# A start of support m whose optimum lies on a face of lower support (p_j -> 0 for some class j >= 2) creeps
# towards that face for hundreds of SLSQP iterations (the slope of C* is infinite there for tau < 1). Once such a
# run has taken COLLAPSE_MIN_ITER iterations with some p_j (j >= 2) below COLLAPSE_P, class j is dropped and the
# search restarts from that point on the m - 1 classes left: the reduced problem is the face itself (the dropped
# mass goes to the other non-top classes, the dropped score mass to every score, which lowers each f_tau(s_y)),
# and the value at the point of collapse is kept as a candidate. Measured on the full sim (8 tau x n in
# {2, 3, 5, 10} x 21 t): the same values as the uncut runs to 2.2e-16, in a third of the time.
COLLAPSE_P = 1e-8
COLLAPSE_MIN_ITER = 20
_S_FLOOR = 1e-15  # lower bound of the scores s in the search (log 1e-15 ~ -34.5: any class can be ~ignored)


def _tight_comp_sum(tau: float, n: int, t: float, n_starts: int, rng: np.random.Generator):
    best = (np.inf, None, None)
    for m, p0 in _starts_by_support(n, t, n_starts, rng):
        x = np.r_[p0, np.full(m, 1.0 / m)]
        while True:
            x, collapsed = _slsqp_on_support(tau, m, t, x)
            p, s = _project(x[:m], x[m:], t)
            val = _comp_sum_objective(np.r_[p, s], tau, m)[0]
            if val < best[0]:
                best = (val, p, s)
            if not collapsed:
                break
            keep = np.ones(m, bool)
            keep[2:] = x[2:m] >= COLLAPSE_P
            x, m = np.concatenate(_project(x[:m][keep], x[m:][keep], t)), int(keep.sum())
    _, p, s = best
    pad = n - len(p)
    p = np.r_[p, np.zeros(pad)]
    with np.errstate(divide="ignore"):
        h = np.r_[np.log(s), np.full(pad, np.log(_S_FLOOR) - 40.0)]
    h = np.maximum(h - h.max(), -745.0)  # scores are shift-invariant; keep them finite
    return p, h


def _slsqp_on_support(tau: float, m: int, t: float, x0: NDArray) -> tuple[NDArray, bool]:
    """One SLSQP search over (p, s) on m classes from x0: its last iterate, and whether it was cut because some
    p_j (j >= 2) collapsed towards 0 (see ``COLLAPSE_P``)."""
    from scipy.optimize import minimize

    eq_jac, ineq_jac = _constraint_jacobians(m)  # constant: built once per start, not per iteration
    cons = [  # compiled residuals (theory._kernels): sum p = 1, sum s = 1, p_1 - p_0 = t; p_1 >= p_j, s_0 >= s_j
        {"type": "eq", "fun": _kernels.comp_sum_equalities, "args": (m, t), "jac": lambda x, m, t, j=eq_jac: j},
        {"type": "ineq", "fun": _kernels.comp_sum_inequalities, "args": (m,), "jac": lambda x, m, j=ineq_jac: j},
    ]
    bounds = [(0.0, 1.0)] * m + [(_S_FLOOR, 1.0)] * m
    state = {"iterations": 0, "cut": None}

    def cut_on_collapse(xk: NDArray) -> None:
        state["iterations"] += 1
        if m > 2 and state["iterations"] >= COLLAPSE_MIN_ITER and xk[2:m].min() < COLLAPSE_P:
            state["cut"] = xk.copy()
            raise StopIteration  # scipy ends the search and returns

    r = minimize(
        _kernels.comp_sum_objective,
        x0,
        args=(tau, m),
        jac=True,
        method="SLSQP",
        bounds=bounds,
        constraints=cons,
        callback=cut_on_collapse,
        options={"maxiter": 500, "ftol": 1e-15},
    )
    return (r.x, False) if state["cut"] is None else (state["cut"], True)


@cache
def _constraint_jacobians(m: int) -> tuple[NDArray, NDArray]:
    """Jacobians of the (linear) constraints of the (p, s) search on m classes: the equalities sum p = 1,
    sum s = 1, p_1 - p_0 = t, and the inequalities p_1 >= p_j (j >= 2), s_0 >= s_j (j >= 1)."""
    eq = np.zeros((3, 2 * m))
    eq[0, :m] = 1.0
    eq[1, m:] = 1.0
    eq[2, :2] = (-1.0, 1.0)
    ineq = np.zeros((2 * m - 3, 2 * m))
    for row, j in enumerate(range(2, m)):
        ineq[row, 1], ineq[row, j] = 1.0, -1.0
    for row, j in enumerate(range(1, m), start=m - 2):
        ineq[row, m], ineq[row, m + j] = 1.0, -1.0
    eq.flags.writeable = ineq.flags.writeable = False  # cached: shared by every call
    return eq, ineq


def _project(p: NDArray, s: NDArray, t: float) -> tuple[NDArray, NDArray]:
    """Snap an SLSQP iterate onto the constraint set exactly (its residuals are ~1e-12)."""
    m = len(p)
    p = np.clip(p, 0.0, None)
    top = float(np.clip(p[1], max(t, (1 + t) / m), (1 + t) / 2))
    others = np.clip(p[2:], 0.0, top)
    rest = 1.0 + t - 2.0 * top  # mass left for the other classes, >= 0 by the clip above
    others = others * (rest / others.sum()) if others.sum() > 0 else np.full(m - 2, rest / max(m - 2, 1))
    p = np.r_[top - t, top, np.minimum(others, top)]
    s = np.clip(s, 1e-300, None)
    s[0] = s.max()
    return p, s / s.sum()


def _comp_sum_objective(x: NDArray, tau: float, m: int) -> tuple[float, NDArray]:
    """E_p f(s) - C*(p) and its gradient, with C* in its homogeneous (unnormalised p) form.

    C*(p) = ((sum_y p_y^a)^(2 - tau) - sum_y p_y) / (1 - tau) with a = 1/(2 - tau) (the entropy form at tau = 1,
    sum p - max p at tau = 2), so that its gradient on the unnormalised p is f_tau of the Bayes scores
    (p^a / sum p^a), the envelope theorem's gradient. The slopes of C* at p_y = 0 (tau < 1) and of f at s -> 0 are
    infinite: they are clipped to +-1e8 to keep SLSQP finite.

    Called tens of thousands of times per t on vectors of length 2m <= 2n: compiled
    (``theory._kernels.comp_sum_objective``, ~4 us a call where the numpy form took ~80 us).
    """
    return _kernels.comp_sum_objective(np.ascontiguousarray(x, dtype=float), float(tau), int(m))


def _comp_sum_risk_and_grad(tau: float) -> Callable[[NDArray, NDArray], tuple[float, NDArray]]:
    """(h, p) -> (sum_y p_y l_tau(h, y), its gradient in h), for the inner searches over a score box.

    With s = softmax(h), l_tau(h, y) = f_tau(s_y) and d s_y / d h_k = s_y (delta_yk - s_k), so with
    g_y = p_y s_y f_tau'(s_y) = -p_y s_y^(tau - 1) the gradient is g_k - s_k sum_y g_y (computed from
    log s, as ``comp_sum_loss`` does; the test suite checks it against finite differences)."""

    def risk_and_grad(h: NDArray, p: NDArray) -> tuple[float, NDArray]:
        z = h - h.max()
        e = np.exp(z)
        total = e.sum()
        log_s = z - np.log(total)
        s = e / total
        if tau == 1.0:
            f, g = -log_s, -p
        else:
            pw = np.exp((tau - 1.0) * log_s)
            f, g = np.expm1((tau - 1.0) * log_s) / (1.0 - tau), -p * pw
        return float(np.dot(p, f)), g - s * g.sum()

    return risk_and_grad


def _tight_callable(
    loss: Callable,
    n: int,
    t: float,
    n_starts: int,
    rng: np.random.Generator,
    bound: float = 30.0,
    risk_and_grad: Callable[[NDArray, NDArray], tuple[float, NDArray]] | None = None,
):
    """The callable-loss search; ``risk_and_grad`` (the risk and its gradient in h, where known in closed form)
    replaces the finite-difference gradients of the inner searches."""
    from scipy.optimize import minimize

    labels = np.arange(n)
    box = [(-bound, bound)] * n
    argmax_jac = np.c_[np.ones(n - 1), -np.eye(n - 1)]  # of h_0 - h_j >= 0, j >= 1

    if risk_and_grad is None:

        def risk(h: NDArray, p: NDArray) -> float:
            return float(np.sum(p * loss(np.broadcast_to(h, (n, n)), labels)))

        objective, jac = risk, None
    else:

        def risk(h: NDArray, p: NDArray) -> float:
            return risk_and_grad(h, p)[0]

        objective, jac = risk_and_grad, True

    def inner(p: NDArray) -> tuple[float, NDArray]:
        # one start each, at the natural point (scores log p, with the predicted class raised to the top)
        h0 = np.clip(np.log(np.maximum(p, 1e-9)), -bound, bound)
        h0[0] = h0.max()
        r = minimize(
            objective,
            h0,
            args=(p,),
            jac=jac,
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": lambda h: h[0] - h[1:], "jac": lambda h: argmax_jac}],
            bounds=box,
            options={"maxiter": 300, "ftol": 1e-14},
        )
        h = np.clip(r.x, -bound, bound)
        h[0] = h.max()
        corner = np.where(np.arange(n) == np.argmax(p), bound, -bound)  # the box optimum for a sure label
        bayes = min(
            minimize(
                objective, x0, args=(p,), jac=jac, method="L-BFGS-B", bounds=box, options={"ftol": 1e-15, "gtol": 1e-10}
            ).fun
            for x0 in (np.clip(np.log(np.maximum(p, 1e-12)), -bound, bound), corner)
        )
        return risk(h, p) - min(bayes, risk(h, p)), h

    def regret_of(z: NDArray) -> float:
        p = _p_from_free(z, n, t)
        return inner(p)[0]

    best = (np.inf, None, None)
    for m, p0 in _starts_by_support(n, t, n_starts, rng):
        p_full = np.r_[p0, np.zeros(n - m)]
        if n > 2:
            r = minimize(
                regret_of,
                _free_from_p(p_full, t),
                method="Nelder-Mead",
                options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 200},
            )
            p = _p_from_free(r.x, n, t)
        else:
            p = p_full
        val, h = inner(p)
        if val < best[0]:
            best = (val, p, h)
    val, p, h = best
    return p, h, val


def _p_from_free(z: NDArray, n: int, t: float) -> NDArray:
    """Map free coordinates to p with p_1 = max, p_1 - p_0 = t (a smooth, always-feasible parametrisation)."""
    w = np.exp(z[1:] - np.max(z[1:])) if n > 2 else np.zeros(0)
    w = w / w.sum() if n > 2 else w
    lo, hi = max(t, (1 + t) / n), (1 + t) / 2
    top = lo + (hi - lo) / (1 + np.exp(-z[0]))
    others = (1 + t - 2 * top) * w
    others = np.minimum(others, top)
    p = np.r_[top - t, top, others]
    return p / p.sum()


def _free_from_p(p: NDArray, t: float) -> NDArray:
    n = len(p)
    lo, hi = max(t, (1 + t) / n), (1 + t) / 2
    u = np.clip((p[1] - lo) / max(hi - lo, 1e-12), 1e-6, 1 - 1e-6)
    return np.r_[np.log(u / (1 - u)), np.log(np.maximum(p[2:], 1e-12))]


def comp_sum_transform_tight(t: ArrayLike, tau: float, n_classes: int) -> NDArray:
    """Tightest comp-sum transformation as established here: min over j = 2..n of tied-softmax certificates.

    Derived in this project (not a statement of MMZ 2023). For j classes, take scores tied on j classes
    (softmax s uniform on them, the predicted class among them) and the label distribution on those classes
    p = (q - t, q, r, ..., r) with r = (1 + t - 2q)/(j - 2) <= q (predicted class first, the Bayes class
    second). Its conditional surrogate regret is U_j(t) = f_tau(1/j) - max_q C*(p(q)), a concave
    one-dimensional maximisation over q in [max(t, (1+t)/j), (1+t)/2] (C* is ``comp_sum_bayes_risk``). Then

        T*(t) <= min_{j=2..n} U_j(t),

    because each U_j is attained. j = 2 gives exactly the restated tau <= 1 forms and, for tau in (1, 2),
    ((M(t)^(2-tau) - 1)/((tau - 1) 2^(tau - 1))), i.e. the restated form times (n/2)^(tau - 1). For tau = 2
    it is min_j [max(t, (1+t)/j) - 1/j], equal to t/n only for t <= 1/(n - 1).

    Equality with the true infimum is *not proved*; it is checked against the independent global search
    ``tight_transform`` by the ``comp_sum_tightness`` sim (tau in {0, .25, .5, 1, 1.5, 1.75, 1.9, 2},
    n in {2, 3, 5, 10}). Note that for tau near 2 and n >= 3 the minimum is attained at j > 2, so the
    two-class form is then *not* a valid transformation.

    Parameters
    ----------
    t
        Conditional 0-1 regrets in [0, 1].
    tau
        tau in [0, 2].
    n_classes
        n >= 2.

    Returns
    -------
    T : ndarray
        The tightest transformation, the shape of ``t``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(comp_sum_transform_tight([0.5], 1.5, 4) / comp_sum_transform([0.5], 1.5, 4), 4)  # (n/2)^(tau-1)
    array([1.4142])
    """
    from theory._solvers import golden_section_min

    tau = _check_tau(tau, 2.0)
    n = _check_n(n_classes, MAX_CLASSES_TIGHT)
    t = in_interval(t, "t", 0.0, 1.0)
    flat = np.atleast_1d(t).ravel()
    out = np.full(flat.shape, np.inf)
    for j in range(2, n + 1):
        lo, hi = np.maximum(flat, (1 + flat) / j), (1 + flat) / 2

        def neg_bayes(q: NDArray, j: int = j) -> NDArray:
            # p(q) on the j classes, every t at once; the clips only absorb rounding at the ends of [lo, hi]
            r = (1 + flat - 2 * q) / (j - 2) if j > 2 else np.zeros_like(q)
            p = np.concatenate(
                [np.maximum(q - flat, 0.0)[:, None], q[:, None], np.repeat(np.maximum(r, 0.0)[:, None], j - 2, 1)],
                axis=1,
            )
            return -_comp_sum_bayes_risk(p / p.sum(axis=1, keepdims=True), tau)

        # concave in q, so golden section finds the maximum; the ends are compared too (a maximum on the boundary)
        q = golden_section_min(neg_bayes, lo, hi, 1e-13)
        best = -np.minimum(np.minimum(neg_bayes(q), neg_bayes(lo)), neg_bayes(hi))
        out = np.minimum(out, float(comp_sum_pointwise_f(1.0 / j, tau)) - best)
    return np.maximum(out, 0.0).reshape(np.shape(t))


# ---------------------------------------------------------------------------------------------------------
# Minimizability gaps on finite distributions
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiniteDistribution:
    """A distribution with finite support: points ``x`` (m, d), weights ``px`` (m,), labels ``p_y`` (m, n)."""

    x: NDArray
    px: NDArray
    p_y: NDArray

    def __post_init__(self) -> None:
        from theory._checks import probability_vectors

        x = as_finite_array(self.x, "x")
        px = probability_vectors(self.px, "px")
        p_y = probability_vectors(self.p_y, "p_y")
        if x.ndim != 2 or px.ndim != 1 or p_y.ndim != 2 or not (len(x) == len(px) == len(p_y)):
            raise ValueError(
                f"x (m, d), px (m,) and p_y (m, n) must agree in m; got shapes {x.shape}, {px.shape}, {p_y.shape}"
            )
        if p_y.shape[1] < 2:
            raise ValueError(f"p_y must have n >= 2 classes; got {p_y.shape[1]}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "px", px)
        object.__setattr__(self, "p_y", p_y)

    @property
    def n_classes(self) -> int:
        return self.p_y.shape[1]


@dataclass(frozen=True)
class ScoreBox:
    """All scoring functions with ||h(x, .)||_inf <= Lambda (the pointwise, 'complete within bounds' class)."""

    Lambda: float

    def __post_init__(self) -> None:
        positive(self.Lambda, "Lambda")


@dataclass(frozen=True)
class LinearScores:
    """Linear scores h(x) = W x with ||W||_F <= B (W of shape (n, d)); no bias."""

    B: float

    def __post_init__(self) -> None:
        positive(self.B, "B")


@dataclass(frozen=True)
class MinimizabilityGap:
    """M_l(H) = R*_l(H) - E_x[inf_{h in H} E_y l(h, x, y)], with the quantities around it.

    ``approximation_error`` = R*_l(H) - E_x[C*_l(x)] (best in class minus Bayes over all measurable functions)
    is always >= ``gap``. ``exact`` is False when R*_l(H) came from a non-convex local search, in which case
    ``best_in_class`` (and so ``gap``) is an upper estimate.
    """

    gap: float
    best_in_class: float
    pointwise_inf: float
    bayes: float
    approximation_error: float
    exact: bool
    W: NDArray | None = None


def _conditional_risk(loss: float | str, scores: NDArray, p: NDArray) -> NDArray:
    """E_{y~p} l(h, y) for scores (..., n) and label distributions p (..., n)."""
    n = scores.shape[-1]
    if loss == "zero_one":
        return 1.0 - np.take_along_axis(p, np.argmax(scores, axis=-1)[..., None], axis=-1)[..., 0]
    labels = np.arange(n)
    per_label = _comp_sum_loss(scores[..., None, :], labels, float(loss))
    return np.sum(p * per_label, axis=-1)


def _check_gap_loss(loss: float | str) -> float | str:
    if isinstance(loss, str) and loss == "zero_one":
        return loss
    if isinstance(loss, str):
        raise ValueError(f"loss must be a comp-sum tau in [0, 2] or 'zero_one'; got {loss!r}")
    return _check_tau(loss, 2.0, "loss")


def minimizability_gap(
    loss: float | str, dist: FiniteDistribution, hypothesis: ScoreBox | LinearScores, *, seed: int = 0
) -> MinimizabilityGap:
    """Minimizability gap of a comp-sum loss (tau in [0, 2]) or the 0-1 loss on a finite distribution.

    M_l(H) = R*_l(H) - E_x[ inf_{h in H} E_y[l(h, x, y) | x] ]  (MMZ 2023, Section 2; >= 0, and 0 for the family
    of all measurable functions).

    - ``ScoreBox(Lambda)``: the class contains every bounded scoring function, so R*_l(H) is the expectation of
      the pointwise infimum and M_l(H) = 0 exactly; the pointwise infimum over the box is computed numerically
      (L-BFGS-B from several starts). For a deterministic label it equals Phi^tau((n - 1) e^(-2 Lambda)).
    - ``LinearScores(B)``: at x the achievable scores are the ball ||v||_2 <= B ||x||_2 (W = v x^T/||x||^2), so the
      pointwise infimum is over that ball; R*_l(H) = min_{||W||_F <= B} E l(W x, y). Both are convex programs for
      tau in {0, 1} (solved with cvxpy, Clarabel then SCS, status checked: ``SolverError`` otherwise); for
      other tau they are non-convex in the scores and solved by SLSQP from several starts (``exact=False``).
      The 0-1 pointwise infimum is 1 - max_y p_y (any argmax is reachable when x != 0); R*_{0-1}(H) is
      estimated by searching W directions (random and surrogate minimisers), an upper estimate.

    Parameters
    ----------
    loss
        tau in [0, 2] of a comp-sum loss, or ``"zero_one"``.
    dist
        ``FiniteDistribution``.
    hypothesis
        ``ScoreBox`` or ``LinearScores``.
    seed
        Seed of the random starts and directions.

    Returns
    -------
    gap : MinimizabilityGap
        The gap with its parts (best-in-class risk, the pointwise infimum).

    Raises
    ------
    TypeError
        If ``dist`` or ``hypothesis`` is of the wrong class.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> x, px, p_y = np.eye(2), np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> d = FiniteDistribution(x, px, p_y)
    >>> g = minimizability_gap(1.0, d, ScoreBox(1.0))
    >>> bool(g.gap >= 0)
    True
    """
    loss = _check_gap_loss(loss)
    if not isinstance(dist, FiniteDistribution):
        raise ValueError(f"dist must be a FiniteDistribution; got {type(dist).__name__}")
    rng = np.random.default_rng(seed)
    if loss == "zero_one":
        bayes_x = 1.0 - dist.p_y.max(axis=1)
    else:
        bayes_x = comp_sum_bayes_risk(dist.p_y, loss)
    bayes = float(dist.px @ bayes_x)
    if isinstance(hypothesis, ScoreBox):
        lam = float(hypothesis.Lambda)
        if loss == "zero_one":
            inf_x = bayes_x
        else:
            inf_x = np.array([_box_inf(loss, p, lam, rng) for p in dist.p_y])
        best = float(dist.px @ inf_x)
        return MinimizabilityGap(0.0, best, best, bayes, best - bayes, True)
    if not isinstance(hypothesis, LinearScores):
        raise ValueError(f"hypothesis must be ScoreBox or LinearScores; got {type(hypothesis).__name__}")
    B = float(hypothesis.B)
    radius = B * np.linalg.norm(dist.x, axis=1)
    if loss == "zero_one":
        inf_x = np.where(radius > 0, 1.0 - dist.p_y.max(axis=1), 1.0 - dist.p_y[:, 0])
        pointwise = float(dist.px @ inf_x)
        best, W = _linear_best_zero_one(dist, B, rng)
        return MinimizabilityGap(best - pointwise, best, pointwise, bayes, best - bayes, False, W)
    convex = loss in (0.0, 1.0)
    inf_x = np.array(
        [_ball_inf(loss, p, r, convex, rng, i) for i, (p, r) in enumerate(zip(dist.p_y, radius, strict=True))]
    )
    pointwise = float(dist.px @ inf_x)
    best, W = _linear_best(loss, dist, B, convex, rng)
    best = max(best, pointwise)  # R*(H) >= E inf_H; equality up to solver accuracy
    return MinimizabilityGap(best - pointwise, best, pointwise, bayes, best - bayes, convex, W)


def _box_inf(tau: float, p: NDArray, lam: float, rng: np.random.Generator) -> float:
    from scipy.optimize import minimize

    n = len(p)
    starts = [np.zeros(n), np.where(np.arange(n) == np.argmax(p), lam, -lam), lam * (2 * p - 1)]
    starts += [rng.uniform(-lam, lam, n) for _ in range(3)]
    best = np.inf
    risk_and_grad = _comp_sum_risk_and_grad(tau)  # closed-form gradient: finite differences cost ~80% here
    for h0 in starts:
        r = minimize(
            risk_and_grad,
            h0,
            args=(p,),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-lam, lam)] * n,
            options={"ftol": 1e-15, "gtol": 1e-12},
        )
        best = min(best, float(r.fun), float(_conditional_risk(tau, np.clip(r.x, -lam, lam), p)))
    return best


def _comp_sum_cvx(tau: float, Z: Any, P: NDArray) -> Any:
    """cvxpy expression sum_i sum_y P[i, y] l_tau(Z[i], y) for tau in {0, 1} (convex in the scores Z)."""
    import cvxpy as cp

    n = P.shape[1]
    if tau == 1.0:
        return cp.sum(cp.multiply(P.sum(axis=1), cp.log_sum_exp(Z, axis=1))) - cp.sum(cp.multiply(P, Z))
    terms = []
    for y in range(n):
        for yp in range(n):
            if yp != y:
                terms.append(P[:, y] @ cp.exp(Z[:, yp] - Z[:, y]))
    return cp.sum(cp.hstack(terms))


def _ball_inf(tau: float, p: NDArray, radius: float, convex: bool, rng: np.random.Generator, i: int) -> float:
    n = len(p)
    if radius == 0:
        return float(_conditional_risk(tau, np.zeros(n), p))
    if convex:
        import cvxpy as cp

        from theory._solvers import solve_checked

        v = cp.Variable((1, n))
        prob = cp.Problem(cp.Minimize(_comp_sum_cvx(tau, v, p[None, :])), [cp.norm(v, "fro") <= radius])
        return solve_checked(prob, "pointwise infimum over the score ball", index=i)
    direction = p - p.mean()
    starts = [np.zeros(n), radius * direction / max(np.linalg.norm(direction), 1e-12)]
    starts += [radius * rng.standard_normal(n) / np.sqrt(n) / 2 for _ in range(4)]
    labels = np.arange(n)

    def risk_grad(v: NDArray) -> tuple[float, NDArray]:
        return float(_conditional_risk(tau, v, p)), p @ _comp_sum_grad(np.broadcast_to(v, (n, n)), labels, tau)

    return _minimise_on_ball(risk_grad, starts, radius)[0]


def _minimise_on_ball(fun_grad, starts: list[NDArray], radius: float) -> tuple[float, NDArray]:
    """Best of SLSQP runs from ``starts`` for min f(v) s.t. ||v|| <= radius (analytic gradient ``fun_grad``).

    f and its gradient are evaluated at the radial projection onto the ball: SLSQP's line search may probe far
    outside, where comp-sum losses overflow; inside the ball every value is finite. The reported value is f at
    the projected (feasible) end point, so it is attained in the class.

    SLSQP minimises log f (same minimisers: comp-sum risks are > 0): with large radii the risk spans many orders
    of magnitude over the ball (1 to 1e14 at B = 20), and on f itself random starts ran into the 1000-iteration
    cap with 10^4 line-search evaluations; on log f the same instances converge in tens of iterations to the same
    values (to 1e-16), about 60 times faster.
    """
    from scipy.optimize import minimize

    def projected(v: NDArray) -> NDArray:
        return v * min(1.0, radius / max(float(np.linalg.norm(v)), 1e-300))

    def log_fun_grad(v: NDArray) -> tuple[float, NDArray]:
        f, g = fun_grad(projected(v))
        return float(np.log(f)), g / f

    best, best_v = np.inf, starts[0]
    for v0 in starts:
        r = minimize(
            log_fun_grad,
            v0,
            jac=True,
            method="SLSQP",
            constraints=[{"type": "ineq", "fun": lambda v: radius**2 - v @ v, "jac": lambda v: -2 * v}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        v = projected(r.x)
        val = fun_grad(v)[0]
        if val < best:  # a non-finite end point (never seen: the risk is finite on the ball) is never kept
            best, best_v = val, v
    if not np.isfinite(best):
        raise ArithmeticError(f"minimisation on the ball of radius {radius:g}: no start ended at a finite risk")
    return best, best_v


def _linear_best(tau: float, dist: FiniteDistribution, B: float, convex: bool, rng: np.random.Generator):
    n, d = dist.n_classes, dist.x.shape[1]
    P = dist.px[:, None] * dist.p_y
    if convex:
        import cvxpy as cp

        from theory._solvers import solve_checked

        W = cp.Variable((n, d))
        prob = cp.Problem(cp.Minimize(_comp_sum_cvx(tau, dist.x @ W.T, P)), [cp.norm(W, "fro") <= B])
        val = solve_checked(prob, "best-in-class risk over linear scores")
        return val, np.asarray(W.value)
    labels = np.arange(n)

    def risk_grad(w: NDArray) -> tuple[float, NDArray]:
        scores = dist.x @ w.reshape(n, d).T
        g_scores = np.einsum("my,myk->mk", dist.p_y, _comp_sum_grad(scores[:, None, :], labels, tau))
        risk = float(dist.px @ _conditional_risk(tau, scores, dist.p_y))
        return risk, ((dist.px[:, None] * g_scores).T @ dist.x).ravel()

    starts = [np.zeros(n * d)] + [rng.standard_normal(n * d) * B / np.sqrt(n * d) for _ in range(7)]
    best, w = _minimise_on_ball(risk_grad, starts, B)
    return best, w.reshape(n, d)


def _linear_best_zero_one(dist: FiniteDistribution, B: float, rng: np.random.Generator, n_dirs: int = 20000):
    n, d = dist.n_classes, dist.x.shape[1]
    Ws = rng.standard_normal((n_dirs, n, d))
    Ws *= B / np.linalg.norm(Ws, axis=(1, 2), keepdims=True)
    scores = np.einsum("knd,md->kmn", Ws, dist.x)
    risks = 1.0 - np.take_along_axis(dist.p_y[None], np.argmax(scores, axis=-1)[..., None], axis=-1)[..., 0]
    total = risks @ dist.px
    k = int(np.argmin(total))
    return float(total[k]), Ws[k]
