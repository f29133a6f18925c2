"""Compiled objective and constraints of the comp-sum tightest-transformation search
(``theory.hconsistency.comp_sum_tightest_transformation``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def _f_tau(s: float, tau: float) -> float:
    """f_tau(s) = (s^(tau - 1) - 1) / (1 - tau), -log s at tau = 1 (``comp_sum_pointwise_f``)."""
    if tau == 1.0:
        return -np.log(s)
    return np.expm1((tau - 1.0) * np.log(s)) / (1.0 - tau)


@numba.njit(cache=True, error_model="numpy")
def _clip8(v: float) -> float:
    return min(max(v, -1e8), 1e8) if v == v else v


@numba.njit(cache=True, error_model="numpy")
def comp_sum_objective(x: np.ndarray, tau: float, m: int) -> tuple[float, np.ndarray]:
    """E_p f(s) - C*(p) and its gradient at x = (p, s) (``theory.hconsistency._comp_sum_objective`` states it)."""
    grad = np.empty(2 * m)
    sp = 0.0
    for i in range(m):
        sp += max(x[i], 0.0)
    # C*(p) in its homogeneous (unnormalised p) form, and its gradient g_c (into grad[:m] for now)
    if tau == 2.0:
        k = 0
        for i in range(1, m):
            if max(x[i], 0.0) > max(x[k], 0.0):
                k = i
        c_star = sp - max(x[k], 0.0)
        for i in range(m):
            grad[i] = 0.0 if i == k else 1.0
    elif tau == 1.0:
        c_star = 0.0
        for i in range(m):
            p = max(x[i], 0.0)
            if p > 0.0:
                logq = np.log(p / sp)
                c_star -= p * logq
                grad[i] = -logq
            else:
                grad[i] = 745.0
    else:
        a = 1.0 / (2.0 - tau)
        z = 0.0
        for i in range(m):
            z += max(x[i], 0.0) ** a
        c_star = (z ** (2.0 - tau) - sp) / (1.0 - tau)
        for i in range(m):
            p = max(x[i], 0.0)
            grad[i] = _f_tau(max(p**a / z, 1e-300) if p > 0.0 else 1e-300, tau)
    # infinite slope of C* at p_y = 0 (tau < 1) and of f at s -> 0: clipped to keep SLSQP finite
    val = 0.0
    for i in range(m):
        p = max(x[i], 0.0)
        s = max(x[m + i], 1e-300)
        f_s = _f_tau(s, tau)
        grad[i] = _clip8(f_s) - _clip8(grad[i])
        grad[m + i] = _clip8(-p * s ** (tau - 2.0)) if p > 0.0 else 0.0
        if p > 0.0:
            val += p * f_s
    return val - c_star, grad


@numba.njit(cache=True)
def comp_sum_equalities(x: np.ndarray, m: int, t: float) -> np.ndarray:
    """sum p - 1, sum s - 1, p_1 - p_0 - t at x = (p, s)."""
    out = np.empty(3)
    sp = 0.0
    ss = 0.0
    for i in range(m):
        sp += x[i]
        ss += x[m + i]
    out[0], out[1], out[2] = sp - 1.0, ss - 1.0, x[1] - x[0] - t
    return out


@numba.njit(cache=True)
def comp_sum_inequalities(x: np.ndarray, m: int) -> np.ndarray:
    """p_1 - p_j (j >= 2) and s_0 - s_j (j >= 1) at x = (p, s): the top class and the predicted class."""
    out = np.empty(2 * m - 3)
    for j in range(2, m):
        out[j - 2] = x[1] - x[j]
    for j in range(1, m):
        out[m - 3 + j] = x[m] - x[m + j]
    return out
