"""Multi-class comp-sum losses (Mao, Mohri and Zhong, ICML 2023): the loss, its gradient, the pointwise function
f_tau, the Bayes risk, and the closed-form H-consistency transformation and bound.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._constraints import Distributions, Integer, Real, Reals, constrained
from theory.hconsistency._base import (
    comp_sum_bayes_risk_checked,
    comp_sum_grad_checked,
    comp_sum_loss_checked,
    pointwise_f_checked,
)
from theory.hconsistency.margin import margin_calibration

__all__ = [
    "as_finite_scores",
    "comp_sum_bayes_risk",
    "comp_sum_bound",
    "comp_sum_grad",
    "comp_sum_loss",
    "comp_sum_pointwise_f",
    "comp_sum_transform",
]


@constrained(scores=Reals(min_len=2), tau=Real(0.0, math.inf))
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
    h = scores
    n = h.shape[-1]
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer labels in [0, {n - 1}]; got dtype {y.dtype}")
    if np.any((y < 0) | (y >= n)):
        raise ValueError(f"y must hold labels in [0, {n - 1}]; got values {np.unique(y[(y < 0) | (y >= n)])}")
    return comp_sum_loss_checked(h, y, tau)


@constrained(scores=Reals(min_len=2), tau=Real(0.0, math.inf))
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
    h = scores
    n = h.shape[-1]
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer) or np.any((y < 0) | (y >= n)):
        raise ValueError(f"y must hold integer labels in [0, {n - 1}]")
    return comp_sum_grad_checked(h, y, tau)


@constrained(scores=Reals(min_len=2))
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
    return scores


@constrained(s=Reals(0.0, 1.0, lo_open=True), tau=Real(0.0, 2.0))
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
    return pointwise_f_checked(s, tau)


@constrained(p=Distributions(min_len=1), tau=Real(0.0, 2.0))
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
    return comp_sum_bayes_risk_checked(p, tau)


@constrained(t=Reals(0.0, 1.0), tau=Real(0.0, 2.0), n_classes=Integer(2))
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
    n = n_classes
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


@constrained(eps=Reals(0.0, math.inf), tau=Real(0.0, 2.0), n_classes=Integer(2))
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

    n = n_classes
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
