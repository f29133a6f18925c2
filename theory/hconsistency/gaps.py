"""Minimizability gaps on finite distributions: the best-in-class surrogate risk of a hypothesis set (score boxes,
linear scores) minus the expected pointwise infimum, for comp-sum losses and the 0-1 loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._constraints import (
    Constraint,
    Distributions,
    Flag,
    InstanceOf,
    Integer,
    Optional,
    Real,
    Reals,
    Seed,
    Tensor,
    constrained,
    record,
)
from theory.hconsistency._base import (
    check_tau,
    comp_sum_loss_checked,
    comp_sum_risk_and_grad,
    log_comp_sum_losses,
)
from theory.hconsistency.comp_sum import comp_sum_bayes_risk

__all__ = [
    "MAX_SCORE_SCALE",
    "FiniteDistribution",
    "LinearScores",
    "MinimizabilityGap",
    "ScoreBox",
    "ball_pointwise_infimum",
    "box_pointwise_infimum",
    "linear_best_in_class_risk",
    "linear_best_zero_one_risk",
    "minimizability_gap",
]

# Valid range of the score scales (Lambda, the ball radius, B) of the public infima: the comp-sum losses saturate in
# float64 once scores differ by ~700 (exp overflows); 1e4 keeps every solver's arithmetic finite (the squared radius
# of the ball constraint, the log-risk SLSQP minimises) while covering every scale at which the losses still vary.
MAX_SCORE_SCALE = 1e4


@dataclass(frozen=True)
@record(x=Tensor(2, min_size=1), px=Distributions(min_len=1), p_y=Distributions(min_len=2))
class FiniteDistribution:
    """A distribution with finite support: points ``x`` (m, d), weights ``px`` (m,), labels ``p_y`` (m, n)."""

    x: NDArray
    px: NDArray
    p_y: NDArray

    def __post_init__(self) -> None:
        x, px, p_y = self.x, self.px, self.p_y
        if x.ndim != 2 or px.ndim != 1 or p_y.ndim != 2 or not (len(x) == len(px) == len(p_y)):
            raise ValueError(
                f"x (m, d), px (m,) and p_y (m, n) must agree in m; got shapes {x.shape}, {px.shape}, {p_y.shape}"
            )

    @property
    def n_classes(self) -> int:
        return self.p_y.shape[1]


@dataclass(frozen=True)
@record(Lambda=Real(0.0, MAX_SCORE_SCALE, lo_open=True))
class ScoreBox:
    """All scoring functions with ||h(x, .)||_inf <= Lambda (the pointwise, 'complete within bounds' class)."""

    Lambda: float


@dataclass(frozen=True)
@record(B=Real(0.0, MAX_SCORE_SCALE, lo_open=True))
class LinearScores:
    """Linear scores h(x) = W x with ||W||_F <= B (W of shape (n, d)); no bias."""

    B: float


@dataclass(frozen=True)
@record(
    gap=Real(),
    best_in_class=Real(),
    pointwise_inf=Real(),
    bayes=Real(),
    approximation_error=Real(),
    exact=Flag(),
    W=Optional(Reals()),
)
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
    per_label = comp_sum_loss_checked(scores[..., None, :], labels, float(loss))
    return np.sum(p * per_label, axis=-1)


class _GapLoss(Constraint):
    """A comp-sum tau in [0, 2], or the string "zero_one"."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> float | str:
        if isinstance(value, str) and value == "zero_one":
            return value
        if isinstance(value, str):
            raise ValueError(f"{name} must be a comp-sum tau in [0, 2] or 'zero_one'; got {value!r}")
        return check_tau(value, 2.0, name)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "zero-one", -0.5, 2.5, math.nan, math.inf, [1.0, 2.0], True]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [0.0, 2.0, "zero_one"]


_TAU = Real(0.0, math.inf)
_DIST = InstanceOf(FiniteDistribution)
_P = Distributions(min_len=2)


@constrained(loss=_GapLoss(), dist=_DIST, hypothesis=InstanceOf((ScoreBox, LinearScores)), seed=Seed())
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
    rng = seed
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
    risk_and_grad = comp_sum_risk_and_grad(tau)  # closed-form gradient: finite differences cost ~80% here
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
    with np.errstate(divide="ignore"):
        log_p = np.log(p)

    def log_risk_grad(v: NDArray) -> tuple[float, NDArray]:
        L, G = log_comp_sum_losses(v, tau)
        t = log_p + L
        top = t.max()
        w = np.exp(t - top)
        return float(top + np.log(w.sum())), (w / w.sum()) @ G

    return _minimise_on_ball(log_risk_grad, starts, radius)[0]


def _minimise_on_ball(log_f_grad, starts: list[NDArray], radius: float) -> tuple[float, NDArray]:
    """Best of SLSQP runs from ``starts`` for min f(v) s.t. ||v|| <= radius, given log f and its gradient
    (``log_f_grad``, computed in the log domain: ``log_comp_sum_losses``).

    f and its gradient are evaluated at the radial projection onto the ball: SLSQP's line search may probe far
    outside, where comp-sum losses overflow; inside the ball every value is finite. The reported value is f at
    the projected (feasible) end point, so it is attained in the class. Scores of 1e4 put losses beyond float64 at
    some probes; their logs stay finite, so the search never sees inf or NaN.

    SLSQP minimises log f (same minimisers: comp-sum risks are > 0): with large radii the risk spans many orders
    of magnitude over the ball (1 to 1e14 at B = 20), and on f itself random starts ran into the 1000-iteration
    cap with 10^4 line-search evaluations; on log f the same instances converge in tens of iterations to the same
    values (to 1e-16), about 60 times faster.
    """
    from scipy.optimize import minimize

    def projected(v: NDArray) -> NDArray:
        return v * min(1.0, radius / max(float(np.linalg.norm(v)), 1e-300))

    def log_fun_grad(v: NDArray) -> tuple[float, NDArray]:
        return log_f_grad(projected(v))

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
        with np.errstate(over="ignore"):
            val = math.exp(log_f_grad(v)[0])
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
    with np.errstate(divide="ignore"):
        log_P = np.log(P)

    def log_risk_grad(w: NDArray) -> tuple[float, NDArray]:
        L, G = log_comp_sum_losses(dist.x @ w.reshape(n, d).T, tau)  # (m, y), (m, y, k)
        t = log_P + L
        top = t.max()
        wt = np.exp(t - top)
        g_scores = np.einsum("my,myk->mk", wt / wt.sum(), G)
        return float(top + np.log(wt.sum())), (g_scores.T @ dist.x).ravel()

    starts = [np.zeros(n * d)] + [rng.standard_normal(n * d) * B / np.sqrt(n * d) for _ in range(7)]
    best, w = _minimise_on_ball(log_risk_grad, starts, B)
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


def _one_distribution(p: NDArray) -> NDArray:
    """The one (1-d) label distribution the pointwise infima take (``p`` already checked by its constraint)."""
    if p.ndim != 1 or len(p) < 2:
        raise ValueError(f"p must be one label distribution over n >= 2 classes (1-d); got shape {p.shape}")
    return p


@constrained(tau=_TAU, p=_P, Lambda=Real(0.0, MAX_SCORE_SCALE, lo_open=True), rng=Seed())
def box_pointwise_infimum(tau: float, p: ArrayLike, Lambda: float, rng: np.random.Generator | int = 0) -> float:
    """inf over scores h in [-Lambda, Lambda]^n of sum_y p_y l_tau(h, y): the pointwise infimum of the comp-sum risk
    over the score box, the term E_x[inf_H] of a minimizability gap for ``ScoreBox(Lambda)``.

    Computed by L-BFGS-B on the box (the closed-form gradient of the comp-sum risk) from six starts: zero scores,
    the corner that raises the most likely class, Lambda (2 p - 1), and three uniform draws from ``rng``. The
    minimum is global for tau in {0, 1} (convex risk), the best of the starts otherwise.

    Parameters
    ----------
    tau
        Comp-sum parameter tau >= 0 (0: sum exponential, 1: logistic, 2: mean absolute error).
    p
        Label distribution, (n,), n >= 2.
    Lambda
        Half-width of the score box, > 0.
    rng
        A Generator (its stream is consumed: three uniform starts) or a seed.

    Returns
    -------
    value : float
        The infimum (attained by a feasible score vector).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given).

    Examples
    --------
    >>> round(box_pointwise_infimum(1.0, [0.5, 0.5], 2.0), 6)  # ties: h = 0 is optimal, log 2
    0.693147
    """
    return _box_inf(tau, _one_distribution(p), Lambda, rng)


@constrained(tau=_TAU, p=_P, radius=Real(0.0, MAX_SCORE_SCALE), rng=Seed(), index=Integer(0))
def ball_pointwise_infimum(
    tau: float, p: ArrayLike, radius: float, rng: np.random.Generator | int = 0, index: int = 0
) -> float:
    """inf over scores v with ||v||_2 <= radius of sum_y p_y l_tau(v, y): the pointwise infimum of the comp-sum risk
    for linear scores at a point x, radius = B ||x|| (``LinearScores(B)``).

    For tau in {0, 1} the risk is convex and the infimum is solved by cvxpy (certified optimal); otherwise it is the
    best of SLSQP runs on the ball from six starts (zero, the direction p - mean p, four Gaussian draws from ``rng``).

    Parameters
    ----------
    tau
        Comp-sum parameter tau >= 0.
    p
        Label distribution, (n,), n >= 2.
    radius
        Radius of the score ball, >= 0 (0: the risk at zero scores).
    rng
        A Generator (consumed only on the non-convex path) or a seed.
    index
        The point's index, named in the error if the convex solver fails.

    Returns
    -------
    value : float
        The infimum.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given).

    Examples
    --------
    >>> round(ball_pointwise_infimum(1.0, [0.5, 0.5], 0.0), 6)
    0.693147
    """
    return _ball_inf(tau, _one_distribution(p), radius, tau in (0.0, 1.0), rng, index)


@constrained(tau=_TAU, dist=_DIST, B=Real(0.0, MAX_SCORE_SCALE, lo_open=True), rng=Seed(), convex=Optional(Flag()))
def linear_best_in_class_risk(
    tau: float, dist: FiniteDistribution, B: float, rng: np.random.Generator | int = 0, convex: bool | None = None
) -> tuple[float, NDArray]:
    """R*_l(H) = min over W with ||W||_F <= B of E_(x, y) l_tau(W x, y), the best-in-class comp-sum risk of linear
    scores on a finite distribution, with the W attaining it.

    cvxpy solves it for tau in {0, 1} (convex); otherwise (or with ``convex=False``) it is the best of SLSQP runs
    on the Frobenius ball from eight starts (zero and seven Gaussian draws from ``rng``), an upper estimate.

    Parameters
    ----------
    tau
        Comp-sum parameter tau >= 0.
    dist
        A ``FiniteDistribution`` (x of shape (m, d), n classes).
    B
        Radius of the class, > 0.
    rng
        A Generator (consumed on the local-search path) or a seed.
    convex
        None (the default): convex solve exactly when tau is 0 or 1; False forces the local search.

    Returns
    -------
    risk : float
        The best-in-class risk found.
    W : ndarray
        (n, d) weights attaining it.

    Raises
    ------
    TypeError
        If ``dist`` is not a ``FiniteDistribution``.
    ValueError
        If an argument is outside its range (named in the message with the value given).

    Examples
    --------
    >>> d = FiniteDistribution(np.eye(2), np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> risk, W = linear_best_in_class_risk(1.0, d, 1.0)
    >>> W.shape, bool(0 < risk < np.log(2))
    ((2, 2), True)
    """
    if convex is None:
        convex = tau in (0.0, 1.0)
    elif convex and tau not in (0.0, 1.0):
        raise ValueError(f"convex must be None, False, or True with tau in {{0, 1}}; got {convex!r} at tau = {tau}")
    return _linear_best(tau, dist, B, convex, rng)


@constrained(dist=_DIST, B=Real(0.0, MAX_SCORE_SCALE, lo_open=True), rng=Seed(), n_dirs=Integer(1, 10**7, costly=True))
def linear_best_zero_one_risk(
    dist: FiniteDistribution, B: float, rng: np.random.Generator | int = 0, n_dirs: int = 20000
) -> tuple[float, NDArray]:
    """An upper estimate of R*_01(H) for linear scores: the smallest 0-1 risk over ``n_dirs`` random W on the sphere
    ||W||_F = B (the 0-1 risk depends on W only through the argmax, so the radius does not matter for x != 0).

    Parameters
    ----------
    dist
        A ``FiniteDistribution``.
    B
        Radius of the class, > 0.
    rng
        A Generator (its stream is consumed: n_dirs Gaussian matrices) or a seed.
    n_dirs
        Number of random directions, >= 1.

    Returns
    -------
    risk : float
        The smallest 0-1 risk found.
    W : ndarray
        (n, d) weights attaining it.

    Raises
    ------
    TypeError
        If ``dist`` is not a ``FiniteDistribution``.
    ValueError
        If an argument is outside its range (named in the message with the value given).

    Examples
    --------
    >>> d = FiniteDistribution(np.eye(2), np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> round(linear_best_zero_one_risk(d, 1.0, n_dirs=500)[0], 2)  # W = [[1, 0], [0, 1]]-like: the Bayes risk
    0.15
    """
    return _linear_best_zero_one(dist, B, rng, n_dirs)
