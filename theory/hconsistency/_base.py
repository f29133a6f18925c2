"""Shared by the H-consistency modules: the ranges of tau and of the number of classes, and the comp-sum loss, its
gradient, pointwise function and Bayes risk on arguments already checked (the public functions of
``theory.hconsistency.comp_sum`` check and call these).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from theory._checks import integer_in, scalar


def check_tau(tau: float, upper: float = np.inf, name: str = "tau") -> float:
    return scalar(tau, name, 0.0, upper)


# The numerical tightest transformations search over the simplex of n classes (comp_sum_transform_tight: n - 1
# bounded scalar searches per t; tight_transform: a search in dimension n): valid ranges of n that answer in
# seconds, not hours. The closed forms take any n >= 2.
MAX_CLASSES_TIGHT = 1000


MAX_CLASSES_SEARCH = 200


def check_n_classes(n_classes: int, maximum: int | None = None) -> int:
    return integer_in(n_classes, "n_classes", 2, maximum)


def shifted_logsumexp(z: NDArray) -> tuple[NDArray, NDArray]:
    """(top, rest) with log sum_j exp(z_j) = top + rest along the last axis (kept), top the row maximum: finite
    for any row with a finite maximum (entries of -inf count as 0). The two parts are kept apart so that callers
    can subtract the shift first, which keeps a log-probability near 0 exact (see ``log_softmax``). numpy's own
    reductions: scipy's ``logsumexp``/``log_softmax`` cost ~4x more on the small arrays of the inner loops here."""
    top = z.max(axis=-1, keepdims=True)
    return top, np.log(np.sum(np.exp(z - top), axis=-1, keepdims=True))


def log_softmax(h: NDArray) -> NDArray:
    """log softmax along the last axis, as (h - max) - log sum exp(h - max): the top class keeps a log-probability
    of, e.g., -9.4e-14 at scores (1e4, 1e4 - 30), which h - (max + log sum exp) rounds to 0 (ulp(1e4) = 1.8e-12)."""
    top, rest = shifted_logsumexp(h)
    return (h - top) - rest


def comp_sum_loss_checked(h: NDArray, y: NDArray, tau: float) -> NDArray:
    """``comp_sum_loss`` on checked scores and labels, for inner loops (the checks cost more than the arithmetic)."""
    n = h.shape[-1]
    batch = np.broadcast_shapes(h.shape[:-1], y.shape)
    log_sm = np.broadcast_to(log_softmax(h), (*batch, n))
    log_s = np.take_along_axis(log_sm, np.broadcast_to(y, batch)[..., None], axis=-1)[..., 0]
    if tau == 1.0:
        return -log_s
    with np.errstate(over="ignore"):
        return np.expm1((tau - 1.0) * log_s) / (1.0 - tau) + 0.0  # + 0.0 turns -0.0 into 0.0


def comp_sum_grad_checked(h: NDArray, y: NDArray, tau: float) -> NDArray:
    """``comp_sum_grad`` on checked scores and labels, for inner loops."""
    n = h.shape[-1]
    batch = np.broadcast_shapes(h.shape[:-1], y.shape)
    log_sm = np.broadcast_to(log_softmax(h), (*batch, n))
    yb = np.broadcast_to(y, batch)
    log_sy = np.take_along_axis(log_sm, yb[..., None], axis=-1)
    is_y = np.arange(n) == yb[..., None]
    # each entry is s_y^(tau-1) s_j (j != y) or -s_y^(tau-1) (1 - s_y): computed as exp of a sum of logs, so an
    # overflow gives +-inf (the true value exceeds the float range), never inf * 0 = NaN
    # log(1 - s_y) = log sum_{j != y} s_j, exact even when s_y rounds to 1 (shifted by the largest j != y)
    top, rest = shifted_logsumexp(np.where(is_y, -np.inf, log_sm))
    log_one_minus_sy = top + rest
    log_mag = (tau - 1.0) * log_sy + np.where(is_y, log_one_minus_sy, log_sm)
    with np.errstate(over="ignore"):
        return np.where(is_y, -1.0, 1.0) * np.exp(log_mag)


def _log_expm1_ratio(x: NDArray) -> NDArray:
    """log(expm1(x) / x) for any real x (0 at x = 0): a series near 0, the exponential's tail for large x."""
    small, big, neg = np.abs(x) < 1e-4, x > 30.0, x < -30.0
    safe = np.where(small | big | neg, 1.0, x)
    mid = np.log(np.expm1(safe) / safe)
    tail = np.where(big, x, 1.0)
    left = np.where(neg, x, -1.0)  # expm1(x) = -1 to rounding there: log(1 / -x)
    out = np.where(big, tail + np.log1p(-np.exp(-tail)) - np.log(tail), mid)
    xs = np.where(small, x, 0.0)
    return np.where(small, xs / 2 + xs * xs / 24, np.where(neg, np.log1p(-np.exp(left)) - np.log(-left), out))


def log_comp_sum_losses(h: NDArray, tau: float) -> tuple[NDArray, NDArray]:
    """(L, G): L[..., y] = log l_tau(h, y) for every label y, and G[..., y, :] its gradient in h, computed in the
    log domain so that scores of 1e4 (losses beyond float64, or below its smallest positive number) stay exact.

    With u_y = -log s_y (s = softmax(h)) the loss is u_y (tau = 1) or expm1((1 - tau) u_y) / (1 - tau), so
    L = log u + log(expm1(z) / z), z = (1 - tau) u; log u is taken from log(1 - s_y) where s_y rounds to 1; the
    gradient is (dL/du) (s - e_y), dL/du = 1/u (tau = 1) or (1 - tau) / (1 - exp(-z)), assembled from logs."""
    n = h.shape[-1]
    ls = log_softmax(h)  # (..., n)
    eye = np.eye(n, dtype=bool)
    others = np.where(eye, -np.inf, ls[..., None, :])  # (..., y, j): log s_j for j != y
    top, rest = shifted_logsumexp(others)
    log_r = (top + rest)[..., 0]  # log(1 - s_y)
    u = -ls
    r = np.exp(np.minimum(log_r, 0.0))
    with np.errstate(divide="ignore"):
        log_u = np.where(u < 1e-8, log_r + np.log1p(r / 2), np.log(np.where(u > 0, u, 1.0)))
    with np.errstate(over="ignore"):  # tau of 1e300: z = -inf, handled by the tau > 1 branch below
        z = (1.0 - tau) * u
    if tau == 1.0:
        L, log_F = log_u, -log_u
    else:
        L = log_u + _log_expm1_ratio(z)
        log_F = -log_u - _log_expm1_ratio(-z)  # log((1 - tau) / (1 - e^-z)) = -log u - log(expm1(-z)/(-z))
        if tau > 1.0:  # z < -30: l = (1 - e^z) / (tau - 1) directly, exact for any tau (no product tau x u)
            zz = np.where(z < -30.0, z, -31.0)
            L = np.where(z < -30.0, np.log1p(-np.exp(zz)) - math.log(tau - 1.0), L)
            log_F = np.where(z < -30.0, math.log(tau - 1.0) + zz - np.log1p(-np.exp(zz)), log_F)
    log_mag = log_F[..., None] + np.where(eye, log_r[..., None], ls[..., None, :])
    with np.errstate(over="ignore"):
        G = np.where(eye, -1.0, 1.0) * np.exp(log_mag)
    return L, G


def pointwise_f_checked(s: NDArray, tau: float) -> NDArray:
    """``comp_sum_pointwise_f`` without the argument checks, for checked arguments inside numerical searches
    (the checks cost ~40% of ``tight_transform`` when run on every objective evaluation)."""
    if tau == 1.0:
        with np.errstate(divide="ignore"):
            return -np.log(s)
    with np.errstate(divide="ignore", over="ignore"):
        return np.expm1((tau - 1.0) * np.log(s)) / (1.0 - tau)


def comp_sum_bayes_risk_checked(p: NDArray, tau: float) -> NDArray:
    """``comp_sum_bayes_risk`` without the checks, for inner loops whose arguments are valid by construction."""
    from scipy.special import entr

    if tau == 1.0:
        return entr(p).sum(axis=-1)
    if tau == 2.0:
        return 1.0 - p.max(axis=-1)
    a = 1.0 / (2.0 - tau)
    z = (p**a).sum(axis=-1)
    return np.expm1((2.0 - tau) * np.log(z)) / (1.0 - tau)


def comp_sum_risk_and_grad(tau: float) -> Callable[[NDArray, NDArray], tuple[float, NDArray]]:
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
