"""Multiplicity measures over an epsilon-level set: ambiguity and certified discrepancy, their 0-1 versions, the
whole profile at one eps, and the small-eps half-width of the viable ranges.

J. Watson-Daniels, D. C. Parkes, B. Ustun (AAAI 2023); C. Marx, F. Calmon, B. Ustun, "Predictive Multiplicity in
Classification" (ICML 2020) for the 0-1 measures. The setting is in the package docstring
(``theory.multiplicity``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from theory._checks import as_finite_array, in_interval, integer_in, scalar
from theory._constraints import (
    Each,
    Flag,
    InstanceOf,
    Real,
    Reals,
    constrained,
    record,
)
from theory.multiplicity._base import (
    _EPS,
    _L2,
    _ROUNDS,
    EPS_MAX,
    _fast_ranges,
    _fit,
    _kkt_extremes,
    _loss_grad_hess,
    _prepare,
    _query,
)
from theory.multiplicity.level_sets import (
    level_set_threshold,
)

__all__ = [
    "Discrepancy",
    "MultiplicityProfile",
    "ambiguity",
    "discrepancy",
    "multiplicity_profile",
    "small_eps_half_width",
]


@dataclass(frozen=True)
@record(lower=Real(0.0, 1.0), upper=Real(0.0, 1.0), model=Reals())
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
@record(
    eps=Real(0.0),
    deltas=Reals(0.0, 1.0),
    baseline=Reals(),
    lo=Reals(),
    hi=Reals(),
    ambiguity=Reals(0.0, 1.0),
    discrepancy=Each(InstanceOf(Discrepancy)),
    ambiguity_01=Real(0.0, 1.0),
    discrepancy_01=InstanceOf(Discrepancy),
    tau=Real(),
)
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
    >>> from theory.multiplicity import viable_logit_range
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
