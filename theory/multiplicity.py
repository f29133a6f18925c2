"""Predictive multiplicity of L2-regularised logistic regression: epsilon-level sets, viable prediction ranges,
ambiguity and discrepancy.

J. Watson-Daniels, D. C. Parkes, B. Ustun, "Predictive Multiplicity in Probabilistic Classification" (AAAI 2023);
C. Marx, F. Calmon, B. Ustun, "Predictive Multiplicity in Classification" (ICML 2020) for the 0-1 measures.

Setting: data (x_i, y_i), y_i in {0, 1}, z_i = 2 y_i - 1; parameters theta = (w, b);
L(theta) = (1/n) sum_i log(1 + exp(-z_i (w.x_i + b))) + (l2/2) ||w||^2 (intercept unpenalised; l2 = 1/(n C) in
scikit-learn's terms); theta* its minimiser, g0(x) = sigmoid(w*.x + b*). The epsilon-level (Rashomon) set is
S_eps = {theta : L(theta) <= tau} with tau = L(theta*) + eps (absolute) or (1 + eps) L(theta*) (relative).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from theory._checks import as_finite_array, in_interval, instance_of, integer_in, scalar
from theory._constraints import Constraint, Flag, Integer, Options, Real, Reals, constrain_fields, constrained
from theory._solvers import SolverError

__all__ = [
    "ConvergenceError",
    "Discrepancy",
    "LogisticFit",
    "MultiplicityProfile",
    "SolverError",
    "ambiguity",
    "discrepancy",
    "fit_logistic",
    "level_set_threshold",
    "logistic_objective",
    "multiplicity_profile",
    "small_eps_half_width",
    "viable_logit_range",
    "viable_prediction_range",
]


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
    __constraints__: ClassVar[dict[str, Constraint]] = {
        "w": Reals(min_len=1),
        "b": Real(),
        "loss": Real(0.0, math.inf),
        "grad_norm": Real(0.0, math.inf),
        "l2": Real(0.0, math.inf),
        "fit_intercept": Flag(),
        "n_iter": Integer(0),
    }

    def __post_init__(self) -> None:
        constrain_fields(self)

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


@constrained(l2=_L2, fit_intercept=Flag())
def logistic_objective(theta: ArrayLike, X: ArrayLike, y: ArrayLike, l2: float, fit_intercept: bool = True) -> NDArray:
    """L(theta) for one theta or a batch (k, D) (D = d + 1 with intercept); logaddexp, exact at large margins.

    Parameters
    ----------
    theta
        Parameters (D,) or a batch (k, D), D = d + 1 with an intercept.
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    fit_intercept
        Fit an intercept.

    Returns
    -------
    L : ndarray
        The objective, () or (k,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    >>> round(float(logistic_objective(np.zeros(2), X, y, 0.01)), 6)  # log 2
    0.693147
    """
    X, yv = _check_xy(X, y)
    l2 = scalar(l2, "l2", 0.0)
    A = _design(X, fit_intercept)
    th = as_finite_array(theta, "theta", ndim=(1, 2))
    if th.shape[-1] != A.shape[1]:
        raise ValueError(
            f"theta must have last dimension D = {A.shape[1]} (d + intercept, fit_intercept={fit_intercept}); got "
            f"shape {th.shape}"
        )
    mask = _penalty_mask(X.shape[1], fit_intercept)
    m = (th @ A.T) * (2 * yv - 1)
    return np.mean(np.logaddexp(0.0, -m), axis=-1) + 0.5 * l2 * np.sum(mask * th * th, axis=-1)


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


@constrained(l2=_L2, fit_intercept=Flag())
def fit_logistic(X: ArrayLike, y: ArrayLike, l2: float = 1e-2, fit_intercept: bool = True) -> LogisticFit:
    """The baseline: argmin L(theta) by Newton's method with backtracking, to a gradient norm of ~1e-13.

    Cross-checked in the tests against scikit-learn's LogisticRegression with C = 1/(n l2).

    Parameters
    ----------
    X, y
        Features (n, d), finite; labels in {0, 1} with both classes present.
    l2
        Ridge strength >= 0. With l2 = 0 and separable data no minimiser exists: ValueError.
    fit_intercept
        Unpenalised intercept.

    Returns
    -------
    fit : LogisticFit
        w*, b*, L*, the gradient norm at the end and the Newton steps taken.

    Raises
    ------
    ConvergenceError
        If Newton's method does not reach the gradient tolerance.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> fit = fit_logistic(X, y, l2=0.01)
    >>> bool(fit.grad_norm < 1e-10)
    True
    """
    P = _prepare(X, y, l2, fit_intercept)
    f = _fit(P)
    return LogisticFit(f.w / P.s, f.b, f.loss, f.grad_norm, f.l2, f.fit_intercept, f.n_iter)


@constrained(eps=Real(0.0, EPS_MAX, lo_open=True), relative=Flag())
def level_set_threshold(fit: LogisticFit, eps: float, relative: bool = False) -> float:
    """tau = L* + eps (absolute) or (1 + eps) L* (relative): S_eps = {theta : L(theta) <= tau}.

    Valid eps: tau - L* at least ``EPS_MIN_REL`` max(1, L*) (a smaller increase is below the float64 resolution
    of L, so the level set cannot be told from {theta*}) and eps at most ``EPS_MAX``.

    Parameters
    ----------
    fit
        A ``LogisticFit``.
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    relative
        eps relative to L* instead of absolute.

    Returns
    -------
    tau : float
        The threshold of the level set.

    Raises
    ------
    TypeError
        If ``fit`` is not a LogisticFit.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> fit = fit_logistic(X, y)
    >>> bool(np.isclose(level_set_threshold(fit, 0.01), fit.loss + 0.01))
    True
    """
    instance_of(fit, "fit", LogisticFit)
    gap = eps * fit.loss if relative else eps
    floor = EPS_MIN_REL * max(1.0, abs(fit.loss))
    if gap < floor:
        raise ValueError(
            f"eps must raise the loss by at least {floor:.3g} (1e-10 max(1, L*), the float64 resolution of L); "
            f"got eps = {eps:g} ({'relative' if relative else 'absolute'}, an increase of {gap:.3g})"
        )
    return fit.loss * (1.0 + eps) if relative else fit.loss + eps


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


@constrained(eps=_EPS, l2=_L2, relative=Flag(), method=_METHOD, fit_intercept=Flag(), return_models=Flag())
def viable_logit_range(
    X: ArrayLike,
    y: ArrayLike,
    X_query: ArrayLike,
    eps: float,
    l2: float = 1e-2,
    relative: bool = False,
    method: str = "fast",
    fit_intercept: bool = True,
    return_models: bool = False,
):
    """Viable range of the logit w.x + b over S_eps for each query point: arrays (lo, hi).

    Each end is a convex program, max / min of c.theta over {L(theta) <= tau} with c = (x_q, 1).

    ``method="fast"`` (exact, no conic solver): damped Newton on the KKT system grad L(theta) = s c,
    L(theta) = tau, batched over query points (see ``_kkt_extremes``); converged to |L - tau| <= 1e-14 tau and
    stationarity 1e-11, so the ends are exact to ~1e-10 in logit. ``method="cvxpy"``: one parametrised cvxpy
    problem (direction as a Parameter) re-solved per point with Clarabel (default tolerances, interior-point
    steps at most 0.9 of the way to the cone boundary), on the program with the constraint
    multiplied by n (sum of losses <= n tau) and, if that solve is not ``optimal``, on the mean form (the
    interior-point steps scale differently, and each form rescues most of the other's "insufficient progress"
    stops), then with SCS at tight tolerances, and if that is not ``optimal`` either, ``SolverError`` is raised with the
    statuses and the point index.

    With ``return_models`` the maximising and minimising parameters (n_query, D) are returned as well (fast only).

    Parameters
    ----------
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    X_query
        Query points, (m, d).
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    relative
        eps relative to L* instead of absolute.
    method
        "fast" (KKT Newton, exact) or "cvxpy" (the reference).
    fit_intercept
        Fit an intercept.
    return_models
        Also return the parameters attaining each end.

    Returns
    -------
    lo, hi : ndarray
        The range ends, (m,) each (and the models, with ``return_models``).

    Raises
    ------
    ConvergenceError
        If the KKT Newton method stalls.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> lo, hi = viable_logit_range(X, y, X[:2], eps=0.01)
    >>> bool(np.all(lo < hi))
    True
    """
    if method not in ("fast", "cvxpy"):
        raise ValueError(f"method must be 'fast' or 'cvxpy'; got {method!r}")
    P = _prepare(X, y, l2, fit_intercept)
    C = P.design(_query(X_query, len(P.s)))
    fit = _fit(P)
    tau = level_set_threshold(fit, eps, relative)
    if method == "cvxpy":
        if return_models:
            raise ValueError("return_models is available with method='fast' only")
        return _cvxpy_ranges(P.A, P.z, P.l2, P.wts, C, tau)
    lo, hi, th_lo, th_hi = _fast_ranges(P.A, P.z, P.l2, P.wts, fit, C, tau)
    return (lo, hi, P.to_original(th_lo), P.to_original(th_hi)) if return_models else (lo, hi)


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


@constrained(eps=_EPS, l2=_L2, relative=Flag(), method=_METHOD, fit_intercept=Flag())
def viable_prediction_range(
    X: ArrayLike,
    y: ArrayLike,
    X_query: ArrayLike,
    eps: float,
    l2: float = 1e-2,
    relative: bool = False,
    method: str = "fast",
    fit_intercept: bool = True,
) -> tuple[NDArray, NDArray]:
    """Viable prediction range V_eps(x) = [min_{S_eps} sigmoid(w.x+b), max_{S_eps} sigmoid(w.x+b)] (WPU 2023).

    The sigmoid is monotone, so the ends are the sigmoids of ``viable_logit_range``. See that function for the
    methods and their accuracy. Returns arrays (lo, hi) of probabilities.

    Parameters
    ----------
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    X_query
        Query points, (m, d).
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    relative
        eps relative to L* instead of absolute.
    method
        "fast" or "cvxpy".
    fit_intercept
        Fit an intercept.

    Returns
    -------
    lo, hi : ndarray
        The range of predicted probabilities, (m,) each.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> lo, hi = viable_prediction_range(X, y, X[:1], eps=1e-3)
    >>> bool(0 < lo[0] < hi[0] < 1)
    True
    """
    lo, hi = viable_logit_range(X, y, X_query, eps, l2, relative, method, fit_intercept)
    return expit(lo), expit(hi)


@dataclass(frozen=True)
class Discrepancy:
    """Certified interval [lower, upper] for a discrepancy, with the model attaining ``lower``."""

    lower: float
    upper: float
    model: NDArray

    @property
    def gap(self) -> float:
        return self.upper - self.lower


def _baseline_and_ranges(X, y, eps, l2, relative, fit_intercept):
    """In standardised coordinates: the problem, its baseline, tau, g0 and the ranges of the training points."""
    P = _prepare(X, y, l2, fit_intercept)
    fit = _fit(P)
    tau = level_set_threshold(fit, eps, relative)
    lo, hi, th_lo, th_hi = _fast_ranges(P.A, P.z, P.l2, P.wts, fit, P.A, tau)
    return P, fit, tau, expit(P.A @ fit.theta), lo, hi, th_lo, th_hi


def _flips(A: NDArray, theta: NDArray, g0: NDArray, delta: float, zero_one: bool) -> NDArray:
    g = expit(theta @ A.T)
    if zero_one:
        return (g >= 0.5) != (g0 >= 0.5)
    return np.abs(g - g0) >= delta


@constrained(eps=_EPS, l2=_L2, relative=Flag(), zero_one=Flag(), fit_intercept=Flag())
def ambiguity(
    X: ArrayLike,
    y: ArrayLike,
    eps: float,
    delta: float = 0.0,
    l2: float = 1e-2,
    relative: bool = False,
    zero_one: bool = False,
    fit_intercept: bool = True,
) -> float:
    """Probabilistic ambiguity alpha_eps(delta) = (1/n) sum_i 1[max_{g in S_eps} |g(x_i) - g0(x_i)| >= delta]
    (WPU 2023), or with ``zero_one`` the 0-1 ambiguity of Marx et al. (2020): the fraction of training points
    whose thresholded prediction (at 1/2) some model in S_eps flips. Exact, from the viable ranges.

    Parameters
    ----------
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    delta
        Prediction change that counts (>= 0).
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    relative
        eps relative to L* instead of absolute.
    zero_one
        Count thresholded-prediction flips instead.
    fit_intercept
        Fit an intercept.

    Returns
    -------
    alpha : float
        The fraction of training points whose prediction can move by delta or more.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> ambiguity(X, y, 0.01, delta=0.05) >= ambiguity(X, y, 0.01, delta=0.2)
    True
    """
    if not zero_one:
        delta = scalar(delta, "delta", 0.0, 1.0, lo_open=True)
    _, _, _, g0, lo, hi, *_ = _baseline_and_ranges(X, y, eps, l2, relative, fit_intercept)
    return float(np.mean(_flippable(g0, lo, hi, delta, zero_one)[0]))


def _flippable(g0: NDArray, lo: NDArray, hi: NDArray, delta: float, zero_one: bool) -> tuple[NDArray, NDArray]:
    """Which points some model in S_eps moves by >= delta (or flips at 1/2), and the direction (+1 up, -1 down)."""
    plo, phi = expit(lo), expit(hi)
    if zero_one:
        return np.where(g0 >= 0.5, plo < 0.5, phi >= 0.5), np.where(g0 >= 0.5, -1.0, 1.0)
    up, down = phi - g0, g0 - plo
    return np.maximum(up, down) >= delta, np.where(up >= down, 1.0, -1.0)


@constrained(eps=_EPS, l2=_L2, relative=Flag(), zero_one=Flag(), fit_intercept=Flag(), greedy_rounds=_ROUNDS)
def discrepancy(
    X: ArrayLike,
    y: ArrayLike,
    eps: float,
    delta: float = 0.0,
    l2: float = 1e-2,
    relative: bool = False,
    zero_one: bool = False,
    fit_intercept: bool = True,
    greedy_rounds: int = 30,
) -> Discrepancy:
    """Discrepancy delta_eps(delta) = max_{g in S_eps} (1/n) sum_i 1[|g(x_i) - g0(x_i)| >= delta] (one model for all
    points), or its 0-1 version (Marx et al. 2020), as a certified interval.

    Upper: the ambiguity (every point a single model flips is flippable). Lower: the best of actual models in
    S_eps: the 2n extreme models of the viable ranges, then a greedy search that aggregates the directions of
    flipped points, c = sum_{i in F} sign_i (x_i, 1), and re-solves max c.theta over S_eps (adding the next most
    promising point each round). Every candidate is a member of S_eps, so ``lower`` is attained by ``model``.

    Parameters
    ----------
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    delta
        Prediction change that counts (>= 0).
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    relative
        eps relative to L* instead of absolute.
    zero_one
        Count thresholded-prediction flips instead.
    fit_intercept
        Fit an intercept.
    greedy_rounds
        Rounds of the greedy search for the lower end (>= 1).

    Returns
    -------
    result : Discrepancy
        The certified interval [lower, upper] and the model attaining the lower end.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> r = discrepancy(X, y, 0.01, delta=0.05)
    >>> bool(r.lower <= r.upper)
    True
    """
    if not zero_one:
        delta = scalar(delta, "delta", 0.0, 1.0, lo_open=True)
    prof = multiplicity_profile(X, y, eps, [delta] if not zero_one else [], l2, relative, fit_intercept, greedy_rounds)
    return prof.discrepancy_01 if zero_one else prof.discrepancy[0]


@dataclass(frozen=True)
class MultiplicityProfile:
    """All measures at one eps from one set of viable ranges: logit ranges, baseline, per-delta ambiguity and
    certified discrepancy, and the 0-1 versions."""

    eps: float
    deltas: NDArray
    baseline: NDArray
    lo: NDArray
    hi: NDArray
    ambiguity: NDArray
    discrepancy: tuple[Discrepancy, ...]
    ambiguity_01: float
    discrepancy_01: Discrepancy
    tau: float


@constrained(eps=_EPS, l2=_L2, relative=Flag(), fit_intercept=Flag(), greedy_rounds=_ROUNDS)
def multiplicity_profile(
    X: ArrayLike,
    y: ArrayLike,
    eps: float,
    deltas: ArrayLike,
    l2: float = 1e-2,
    relative: bool = False,
    fit_intercept: bool = True,
    greedy_rounds: int = 30,
) -> MultiplicityProfile:
    """Ambiguity and certified discrepancy for every delta in ``deltas`` (and the 0-1 versions) at one eps.

    Parameters
    ----------
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    deltas
        Prediction changes, (k,), >= 0.
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    relative
        eps relative to L* instead of absolute.
    fit_intercept
        Fit an intercept.
    greedy_rounds
        Rounds of the discrepancy search.

    Returns
    -------
    profile : MultiplicityProfile
        Ambiguity and discrepancy intervals per delta, and the 0-1 versions.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> prof = multiplicity_profile(X, y, 0.01, [0.05, 0.2])
    >>> bool(prof.ambiguity[0] >= prof.ambiguity[1])
    True
    """
    deltas = as_finite_array(deltas, "deltas", ndim=(0, 1))
    deltas = np.atleast_1d(in_interval(deltas, "deltas", 0.0, 1.0, lo_open=True)) if deltas.size else np.zeros(0)
    greedy_rounds = integer_in(greedy_rounds, "greedy_rounds", 0, 100_000)
    P, fit, tau, g0, lo, hi, th_lo, th_hi = _baseline_and_ranges(X, y, eps, l2, relative, fit_intercept)
    _, _, H = _loss_grad_hess(fit.theta[None], P.A, P.z, P.l2, P.wts)
    ctx = (P.A, P.z, P.l2, P.wts, fit, H[0], tau, g0, th_lo, th_hi, greedy_rounds)
    amb, disc = [], []
    for delta in deltas:
        can, direction = _flippable(g0, lo, hi, float(delta), False)
        amb.append(float(np.mean(can)))
        disc.append(_certified_discrepancy(ctx, can, direction, float(delta), False, np.abs(hi - lo)))
    can01, dir01 = _flippable(g0, lo, hi, 0.0, True)
    d01 = _certified_discrepancy(ctx, can01, dir01, 0.0, True, np.abs(hi - lo))

    def original(dd: Discrepancy) -> Discrepancy:  # models in the caller's coordinates
        return Discrepancy(dd.lower, dd.upper, P.to_original(dd.model))

    return MultiplicityProfile(
        float(eps),
        deltas,
        g0,
        lo,
        hi,
        np.array(amb),
        tuple(original(dd) for dd in disc),
        float(np.mean(can01)),
        original(d01),
        tau,
    )


def _certified_discrepancy(ctx, can, direction, delta, zero_one, width) -> Discrepancy:
    A, z, l2, mask, fit, H, tau, g0, th_lo, th_hi, greedy_rounds = ctx
    upper = float(np.mean(can))
    candidates = np.vstack([th_lo, th_hi])
    counts = np.array([_flips(A, th, g0, delta, zero_one).sum() for th in candidates])
    best = int(np.argmax(counts))
    best_model, best_count = candidates[best], int(counts[best])
    chosen = set(np.flatnonzero(_flips(A, best_model, g0, delta, zero_one) & can).tolist())
    order = np.argsort(-np.where(can, width, -np.inf))
    for _ in range(max(0, int(greedy_rounds))):
        nxt = next((int(i) for i in order if can[i] and i not in chosen), None)
        if nxt is None:
            break
        trial = sorted(chosen | {nxt})
        c = (direction[trial, None] * A[trial]).sum(axis=0)
        _, th = _kkt_extremes(A, z, l2, mask, fit.theta, H, c[None], tau, fit.loss, +1)
        flips = _flips(A, th[0], g0, delta, zero_one)
        chosen.add(nxt)
        if flips.sum() > best_count:
            best_model, best_count = th[0], int(flips.sum())
            chosen |= set(np.flatnonzero(flips & can).tolist())
    return Discrepancy(best_count / len(A), upper, best_model)


@constrained(eps=_EPS, l2=_L2, fit_intercept=Flag())
def small_eps_half_width(
    X: ArrayLike, y: ArrayLike, X_query: ArrayLike, eps: float, l2: float = 1e-2, fit_intercept: bool = True
) -> NDArray:
    """Second-order law: the logit half-width approaches sqrt(2 eps c^T H^{-1} c), c = (x, 1), H = Hessian at theta*.

    From L(theta* + v) = L* + v^T H v / 2 + O(|v|^3): the level set is, to leading order, the ellipsoid
    v^T H v <= 2 eps, whose support function in direction c is sqrt(2 eps c^T H^{-1} c).

    Parameters
    ----------
    X
        Features, (n, d), finite (any scale).
    y
        Labels in {0, 1}, (n,).
    X_query
        Query points, (m, d).
    eps
        Loss tolerance of the level set (see ``level_set_threshold`` for the valid range).
    l2
        Ridge penalty > 0 (0 only on non-separable data).
    fit_intercept
        Fit an intercept.

    Returns
    -------
    w : ndarray
        sqrt(2 eps c^T H^-1 c), (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3))
    >>> y = (X[:, 0] + rng.normal(size=100) > 0).astype(int)
    >>> lo, hi = viable_logit_range(X, y, X[:3], eps=1e-5)
    >>> np.round((hi - lo) / 2 / small_eps_half_width(X, y, X[:3], 1e-5), 3)
    array([1., 1., 1.])
    """
    eps = scalar(eps, "eps", 0.0, EPS_MAX, lo_open=True)
    P = _prepare(X, y, l2, fit_intercept)
    C = P.design(_query(X_query, len(P.s)))
    fit = _fit(P)
    # c^T H^-1 c is invariant under the column scaling (c and H transform contragrediently)
    _, _, H = _loss_grad_hess(fit.theta[None], P.A, P.z, P.l2, P.wts)
    return np.sqrt(2 * eps * np.sum(C * np.linalg.solve(H[0], C.T).T, axis=1))
