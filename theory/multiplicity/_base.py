"""Shared by the multiplicity modules: valid ranges, the logistic fit record and its Newton solver, the
KKT extremes of a linear function over the level set, and the range computations (fast and cvxpy).

The setting and symbols are in the package docstring (``theory.multiplicity``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from theory._checks import as_finite_array, scalar
from theory._constraints import (
    Flag,
    Integer,
    Options,
    Real,
    Reals,
    record,
)
from theory._solvers import SolverError

# Valid ranges and iteration caps, as data.
MAX_NEWTON = 200  # Newton on a standardised, strictly convex problem converges in ~10-30 steps; 200 means failure
# tau - L* must be resolvable against L* in float64 and the set's logit ranges (~ sqrt(eps / l2)) representable
EPS_MIN_REL = 1e-10
# eps is in nats per sample above L* (the trivial model is ~ln 2 above it on balanced data): the level set then holds
# logits up to ~sqrt(2 eps / l2). Up to 100 the KKT Newton solve converges on every set tried (a sweep of eps over
# 1e-1..1e2 on random sets, tests/test_multiplicity.py); beyond ~150 it was seen to stall in float64, and such sets are
# of no use for multiplicity, so a larger eps raises instead of risking a solver failure.
EPS_MAX = 100.0
# Declared constraints shared by the public functions (the data X, y keep their own checks: shapes and labels)
_L2 = Real(0.0, math.inf)
_EPS = Real(0.0, EPS_MAX, lo_open=True)
_METHOD = Options(("fast", "cvxpy"))
_ROUNDS = Integer(0, 100_000)
WEIGHT_MAX = 1e300  # penalty weights l2 / s_j^2 of columns of scale s_j < 1e-150 are clipped here (never inf)


class ConvergenceError(RuntimeError):
    """Newton's method did not reach the stated accuracy within its iteration cap (the message says how far)."""


@dataclass(frozen=True)
@record(
    w=Reals(min_len=1),
    b=Real(),
    loss=Real(0.0, math.inf),
    grad_norm=Real(0.0, math.inf),
    l2=Real(0.0, math.inf),
    fit_intercept=Flag(),
    n_iter=Integer(0),
)
class LogisticFit:
    """Baseline model h0: ``theta`` = (w, b) (b = 0 without intercept), objective value, gradient norm.

    ``grad_norm`` is the norm of the gradient in the column-standardised coordinates the fit is computed in
    (scale-free: it does not grow with the features' scale); ``n_iter`` the Newton steps taken. A fit that did not
    converge is never returned (``ConvergenceError``).
    """

    w: NDArray
    b: float
    loss: float
    grad_norm: float
    l2: float
    fit_intercept: bool
    n_iter: int = 0

    # a fit built by hand (not by ``fit_logistic``) is checked too: ``level_set_threshold`` and the viable ranges
    # take it as input, and a NaN field would reach their answers

    @property
    def theta(self) -> NDArray:
        return np.r_[self.w, self.b] if self.fit_intercept else self.w.copy()


def _check_xy(X: ArrayLike, y: ArrayLike) -> tuple[NDArray, NDArray]:
    X = as_finite_array(X, "X")
    y = as_finite_array(y, "y")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty (n, d) array; got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X; got {y.shape}")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"y must hold binary labels in {{0, 1}}; got values {np.unique(y)[:5]}")
    if np.all(y == y[0]):
        raise ValueError("y has one class only: the level set is unbounded (no baseline model exists)")
    return X, y.astype(float)


def _design(X: NDArray, fit_intercept: bool) -> NDArray:
    return np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X


@dataclass(frozen=True)
class _Problem:
    """The problem in column-standardised coordinates: features X_j / s_j (s_j = max_i |x_ij|), so that features
    of any scale (1e-150 to 1e150) give a well-conditioned Newton system. With v_j = s_j w_j the logits, the loss
    and the level sets are unchanged; the penalty (l2/2) sum_j w_j^2 becomes (l2/2) sum_j v_j^2 / s_j^2, i.e.
    per-coordinate weights ``wts`` (0 for the intercept)."""

    A: NDArray  # standardised design (n, D)
    z: NDArray  # labels in {-1, +1}
    l2: float
    wts: NDArray  # penalty weights (D,)
    s: NDArray  # column scales (d,)
    fit_intercept: bool

    def design(self, Q: NDArray) -> NDArray:
        return _design(Q / self.s, self.fit_intercept)

    def to_original(self, theta: NDArray) -> NDArray:
        """theta (..., D) in standardised coordinates -> (w, b) in the original ones."""
        out = np.array(theta, dtype=float, copy=True)
        out[..., : len(self.s)] /= self.s
        return out


def _prepare(X: ArrayLike, y: ArrayLike, l2: float, fit_intercept: bool) -> _Problem:
    X, yv = _check_xy(X, y)
    l2 = scalar(l2, "l2", 0.0)
    if not isinstance(fit_intercept, bool | np.bool_):
        raise TypeError(f"fit_intercept must be a bool; got {type(fit_intercept).__name__}")
    s = np.max(np.abs(X), axis=0)
    s[s == 0] = 1.0  # an all-zero column carries nothing to scale
    with np.errstate(over="ignore"):
        wts = np.minimum(
            _penalty_mask(X.shape[1], fit_intercept) / np.r_[s, 1.0][: X.shape[1] + fit_intercept] ** 2, WEIGHT_MAX
        )
    return _Problem(_design(X / s, fit_intercept), 2 * yv - 1, l2, wts, s, bool(fit_intercept))


def _separable(A: NDArray, z: NDArray) -> bool:
    """Whether some theta has z_i a_i.theta >= 0 for every i with at least one > 0 (complete or quasi-complete
    separation): then the unpenalised loss has no minimiser (Albert and Anderson 1984). An LP (HiGHS)."""
    from scipy.optimize import linprog

    M = z[:, None] * A
    res = linprog(
        np.zeros(A.shape[1]),
        A_ub=-M,
        b_ub=np.zeros(len(M)),
        A_eq=M.sum(0)[None],
        b_eq=[1.0],
        bounds=[(None, None)] * A.shape[1],
        method="highs",
    )
    return res.status == 0


def _newton(P: _Problem) -> tuple[NDArray, float, float, int]:
    """argmin of the standardised objective: Newton with a Jacobi-scaled system and backtracking."""
    theta = np.zeros(P.A.shape[1])
    for it in range(1, MAX_NEWTON + 1):
        loss, grad, H = _loss_grad_hess(theta[None], P.A, P.z, P.l2, P.wts)
        loss, grad, H = float(loss[0]), grad[0], H[0]
        d = np.sqrt(np.diag(H))
        d[d == 0] = 1.0
        g_scaled = float(np.linalg.norm(grad / d))
        if g_scaled < 1e-13 * max(1.0, abs(loss)):
            return theta, loss, g_scaled, it - 1
        try:
            step = np.linalg.solve(H / d[:, None] / d[None, :], -grad / d) / d
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H / d[:, None] / d[None, :], -grad / d, rcond=None)[0] / d
        decrement = float(-grad @ step)
        if 0.5 * decrement <= 8 * np.finfo(float).eps * max(1.0, abs(loss)):
            # the predicted decrease is below the float resolution of the loss: no line search can see it, and
            # Newton is in its quadratic region, so the full step is the right one
            theta = theta + step
            continue
        t = 1.0
        while t > 1e-12:
            new = theta + t * step
            if (
                float(_loss_grad_hess(new[None], P.A, P.z, P.l2, P.wts, hess=False)[0][0])
                <= loss - 1e-4 * t * decrement
            ):
                break
            t /= 2
        else:
            raise ConvergenceError(
                f"fit_logistic: the line search failed at Newton step {it} (scaled gradient "
                f"{g_scaled:.2e}, decrement {decrement:.2e})"
            )
        theta = new
    raise ConvergenceError(
        f"fit_logistic: no convergence in {MAX_NEWTON} Newton steps (scaled gradient norm {g_scaled:.2e})"
    )


def _fit(P: _Problem) -> LogisticFit:
    """The baseline in standardised coordinates (what the range computations work in)."""
    if P.l2 == 0 and _separable(P.A, P.z):
        raise ValueError(
            "no minimiser: the data are separable and l2 = 0 (the loss decreases without bound); use l2 > 0"
        )
    theta, loss, gnorm, it = _newton(P)
    w, b = (theta[:-1], float(theta[-1])) if P.fit_intercept else (theta, 0.0)
    return LogisticFit(w, b, loss, gnorm, P.l2, P.fit_intercept, it)


def _penalty_mask(d: int, fit_intercept: bool) -> NDArray:
    return np.r_[np.ones(d), 0.0] if fit_intercept else np.ones(d)


def _loss_grad_hess(theta: NDArray, A: NDArray, z: NDArray, l2: float, mask: NDArray, hess: bool = True):
    """Batched L, grad, Hessian for thetas (P, D)."""
    n = A.shape[0]
    m = (theta @ A.T) * z
    loss = np.mean(np.logaddexp(0.0, -m), axis=-1) + 0.5 * l2 * np.sum(mask * theta * theta, axis=-1)
    sig = expit(-m)
    grad = -(sig * z) @ A / n + l2 * mask * theta
    if not hess:
        return loss, grad, None
    wts = sig * (1.0 - sig) / n  # (P, n)
    H = np.matmul(A.T[None, :, :] * wts[:, None, :], A) + l2 * np.diag(mask)[None]
    return loss, grad, H


def _kkt_extremes(A, z, l2, mask, theta_star, H_star, C, tau, loss_star, sign, max_iter=60):
    """max (sign=+1) or min (sign=-1) of c.theta over {L(theta) <= tau} for every row c of C, by damped Newton
    on the KKT system grad L(theta) = s c, L(theta) = tau (s > 0 for the max, s < 0 for the min).

    With tau > L* (Slater) and L strictly convex, the KKT point with the right sign of s is the unique global
    optimum. Start: the second-order solution theta* + s0 H*^{-1} c, s0 = sign sqrt(2 (tau - L*)/c^T H*^{-1} c).
    """
    P, D = C.shape
    Hinv_c = np.linalg.solve(H_star, C.T).T
    q = np.sum(C * Hinv_c, axis=1)
    s = sign * np.sqrt(2.0 * (tau - loss_star) / q)
    theta = theta_star + s[:, None] * Hinv_c
    done = np.zeros(P, bool)
    scale = max(1.0, abs(tau))

    def residual(th, sv, rows):
        loss, grad, H = _loss_grad_hess(th, A, z, l2, mask)
        F = np.concatenate([grad - sv[:, None] * C[rows], (loss - tau)[:, None]], axis=1)
        return F, grad, H

    rows = np.arange(P)
    F, grad, H = residual(theta, s, rows)
    for _ in range(max_iter):
        active = ~done
        if not active.any():
            break
        idx = np.flatnonzero(active)
        J = np.zeros((len(idx), D + 1, D + 1))
        J[:, :D, :D] = H[idx]
        J[:, :D, D] = -C[idx]
        J[:, D, :D] = grad[idx]
        step = np.linalg.solve(J, -F[idx][..., None])[..., 0]
        merit = np.sum(F[idx] ** 2, axis=1)
        t = np.ones(len(idx))
        accepted = np.zeros(len(idx), bool)
        for _ in range(40):  # backtracking on ||F||^2, vectorised over the points still trying
            trial = ~accepted
            ti = idx[trial]
            th_new = theta[ti] + t[trial, None] * step[trial, :D]
            s_new = s[ti] + t[trial] * step[trial, D]
            F_new, g_new, H_new = residual(th_new, s_new, ti)
            ok = (np.sum(F_new**2, axis=1) <= (1 - 1e-4 * t[trial]) * merit[trial]) & (np.sign(s_new) == sign)
            # at machine precision the merit cannot decrease: accept the Newton point
            ok |= np.sum(F_new**2, axis=1) <= 1e-30 * scale**2
            acc_rows = ti[ok]
            theta[acc_rows], s[acc_rows] = th_new[ok], s_new[ok]
            F[acc_rows], grad[acc_rows], H[acc_rows] = F_new[ok], g_new[ok], H_new[ok]
            pos = np.flatnonzero(trial)[ok]
            accepted[pos] = True
            t[~accepted] /= 2.0
            if accepted.all():
                break
        conv = (np.abs(F[:, D]) <= 1e-14 * scale) & (np.linalg.norm(F[:, :D], axis=1) <= 1e-11 * scale)
        stalled = np.zeros(P, bool)
        stalled[idx[~accepted]] = True
        done |= conv | stalled
    ok = (np.abs(F[:, D]) <= 1e-11 * scale) & (np.linalg.norm(F[:, :D], axis=1) <= 1e-8 * scale) & (np.sign(s) == sign)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise SolverError(
            f"fast viable range: KKT Newton did not converge for query point {bad} "
            f"(|L - tau| = {abs(F[bad, D]):.2e}, stationarity {np.linalg.norm(F[bad, :D]):.2e})",
            {"fast": "not converged"},
            bad,
        )
    return np.sum(C * theta, axis=1), theta


def _query(X_query: ArrayLike, d: int) -> NDArray:
    Q = as_finite_array(X_query, "X_query")
    if Q.ndim == 1:
        Q = Q[None, :]
    if Q.ndim != 2 or Q.shape[1] != d or Q.shape[0] == 0:
        raise ValueError(f"X_query must have shape (m, {d}) with m >= 1; got {Q.shape}")
    return Q


def _fast_ranges(A, z, l2, mask, fit, C, tau):
    """Both ends of the viable logit range of every row of C, and the models attaining them (fast method)."""
    _, _, H = _loss_grad_hess(fit.theta[None], A, z, l2, mask)
    out = []
    for start in range(0, len(C), 128):  # chunks keep the (P, D, n) Hessian workspace small
        Cb = C[start : start + 128]
        out.append(
            _kkt_extremes(A, z, l2, mask, fit.theta, H[0], Cb, tau, fit.loss, -1)
            + _kkt_extremes(A, z, l2, mask, fit.theta, H[0], Cb, tau, fit.loss, +1)
        )
    lo, th_lo, hi, th_hi = (np.concatenate([o[k] for o in out]) for k in range(4))
    return lo, hi, th_lo, th_hi


def _cvxpy_ranges(A, z, l2, mask, C, tau):
    import cvxpy as cp

    n, D = A.shape
    theta = cp.Variable(D)
    c = cp.Parameter(D)
    # one program, two scalings of its constraint; each is parametrised (compiled once, re-solved per point)
    total = cp.sum(cp.logistic(-cp.multiply(z, A @ theta))) + 0.5 * n * l2 * cp.sum_squares(
        cp.multiply(np.sqrt(mask), theta)
    )
    mean_form = cp.Problem(cp.Maximize(c @ theta), [total / n <= tau])
    sum_form = cp.Problem(cp.Maximize(c @ theta), [total <= n * tau])
    # Clarabel at its default tolerances, with interior-point steps of at most 0.9 of the way to the cone boundary
    # (default 0.99): on standardised breast cancer (1,138 solves) the default stopped short ("insufficient
    # progress") at 1 solve in 10, each then re-solved on the mean form and often by SCS (~1 s each); at 0.9, 1 in
    # 80 on a sample of 160, with the same number of iterations. The sum form first: it stops short less often.
    clarabel = {"max_step_fraction": 0.9}
    attempts = (
        ("CLARABEL (sum form)", "CLARABEL", sum_form, clarabel),
        ("CLARABEL", "CLARABEL", mean_form, clarabel),
        ("SCS", "SCS", mean_form, {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iters": 500_000}),
    )
    out = np.zeros((2, len(C)))
    for i, ci in enumerate(C):
        for k, sign in enumerate((-1.0, 1.0)):
            c.value = sign * ci
            statuses = {}
            for name, solver, prob, opts in attempts:
                try:
                    with warnings.catch_warnings():  # "may be inaccurate": the status is checked below
                        warnings.simplefilter("ignore", UserWarning)
                        prob.solve(solver=solver, **opts)
                    statuses[name] = prob.status
                except cp.error.SolverError as e:
                    statuses[name] = f"failed ({e})"
                    continue
                if prob.status == cp.OPTIMAL:
                    break
            else:
                raise SolverError(
                    f"cvxpy viable range: no optimal solution at query point {i} "
                    f"({'min' if sign < 0 else 'max'}); statuses {statuses}",
                    statuses,
                    i,
                )
            out[k, i] = sign * float(prob.value)
    return out[0], out[1]
