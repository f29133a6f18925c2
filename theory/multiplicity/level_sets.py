"""Epsilon-level (Rashomon) sets of L2-regularised logistic regression: the objective, its minimiser, the level
set's threshold and the viable logit and prediction ranges over it.

J. Watson-Daniels, D. C. Parkes, B. Ustun, "Predictive Multiplicity in Probabilistic Classification" (AAAI 2023).
The setting and symbols are in the package docstring (``theory.multiplicity``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from theory._checks import as_finite_array, instance_of, scalar
from theory._constraints import (
    Flag,
    Real,
    constrained,
)
from theory.multiplicity._base import (
    _EPS,
    _L2,
    _METHOD,
    EPS_MAX,
    EPS_MIN_REL,
    LogisticFit,
    _check_xy,
    _cvxpy_ranges,
    _design,
    _fast_ranges,
    _fit,
    _penalty_mask,
    _prepare,
    _query,
)

__all__ = ["fit_logistic", "level_set_threshold", "logistic_objective", "viable_logit_range", "viable_prediction_range"]


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
