"""Logistic regression with large-step gradient descent and its perceptron limit.

A. Tyurin, "From Logistic Regression to the Perceptron Algorithm: Exploring Gradient Descent with Large Step
Sizes", AAAI 2025, vol. 39, pp. 20938-20946 (arXiv:2412.08424; bib key ``tyurin2025logistic``).
Data (a_i, y_i), a_i in R^d, y_i in {-1, +1}, rows of ``A`` (n, d); step size gamma;
f(theta) = (1/n) sum_i log(1 + exp(-y_i a_i^T theta)); margin mu = max_{||theta|| = 1} min_i y_i a_i^T theta;
R = max_i ||a_i||.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit

from theory._checks import finite_result, rng_from
from theory._constraints import (
    Flag,
    Integer,
    Matrix,
    Optional,
    Real,
    Reals,
    SignLabels,
    Tensor,
    Weights,
    constrained,
    record,
)

__all__ = [
    "MAX_ITERS",
    "NotSeparableError",
    "Path",
    "batch_perceptron",
    "batch_perceptron_iteration_bound",
    "check_data",
    "logistic_grad",
    "logistic_loss",
    "lr_gd",
    "margin",
    "normalized_lr_gd_iteration_bound",
    "normalized_perceptron_iteration_bound",
    "perceptron_worst_case_dataset",
    "perceptron_worst_case_iterations",
    "planted_margin_dataset",
    "step_size_paradox_dataset",
]

# Paths store every iterate, (n_iters + 1) x d floats: a horizon beyond this is a memory error, not a result.
MAX_ITERS = 10_000_000

# Valid ranges of the iteration bounds, as data: counts n >= 1 (or > 0 where a bound is defined for any n),
# norms, margins and steps > 0; mu <= R is a relation, checked in _ratio.
_POSITIVE = Reals(0.0, math.inf, lo_open=True)
_BOUND_ARGS = {"R": _POSITIVE, "mu": _POSITIVE}


class NotSeparableError(ValueError):
    """The data are not linearly separable through the origin (no theta with all y_i a_i^T theta > 0)."""


_DATA = {"A": Matrix(), "y": SignLabels(rows_of="A")}


@constrained(**_DATA)
def check_data(A: ArrayLike, y: ArrayLike) -> tuple[NDArray, NDArray]:
    """Validate a data set: A (n, d) finite, y (n,) in {-1, +1}, n >= 1.

    Parameters
    ----------
    A
        Features, (n, d), finite.
    y
        Labels in {-1, +1}, (n,).

    Returns
    -------
    A, y : ndarray
        The validated arrays (float).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = check_data([[1.0, 0.0]], [1])
    >>> A.dtype, y
    (dtype('float64'), array([1.]))
    """
    return A, y  # the declared constraints did the work


@constrained(**_DATA, theta=Weights(cols_of="A", batch=True))
def logistic_loss(theta: ArrayLike, A: ArrayLike, y: ArrayLike) -> NDArray:
    """f(theta) = (1/n) sum_i log(1 + exp(-y_i a_i^T theta)), for one theta (d,) or a batch (k, d).

    Computed as mean(logaddexp(0, -margins)): exact and finite for entries of theta of 1e12 and features of 1e4
    (margins of 1e16 give losses of 1e16, or exactly 0 when positive).

    Parameters
    ----------
    theta
        One parameter vector (d,) or a batch (k, d).
    A
        Features, (n, d), finite.
    y
        Labels in {-1, +1}, (n,).

    Returns
    -------
    f : ndarray
        The loss, () or (k,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = step_size_paradox_dataset()
    >>> round(float(logistic_loss(np.zeros(2), A, y)), 6)  # log 2
    0.693147
    >>> float(logistic_loss(np.array([1e12, 1e12]), A, y))  # no overflow
    0.34657359027997264
    """
    with np.errstate(over="ignore", invalid="ignore"):  # margins beyond float64: the ValueError below
        margins = (theta @ A.T) * y
        loss = np.mean(np.logaddexp(0.0, -margins), axis=-1)
    return finite_result(loss, "the loss", "theta and A")


@constrained(**_DATA, theta=Weights(cols_of="A", batch=True))
def logistic_grad(theta: ArrayLike, A: ArrayLike, y: ArrayLike) -> NDArray:
    """grad f(theta) = -(1/n) sum_i y_i a_i sigma(-y_i a_i^T theta), for one theta (d,) or a batch (k, d).

    Parameters
    ----------
    theta
        One parameter vector (d,) or a batch (k, d).
    A
        Features, (n, d), finite.
    y
        Labels in {-1, +1}, (n,).

    Returns
    -------
    g : ndarray
        The gradient, the shape of theta.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = step_size_paradox_dataset()
    >>> logistic_grad(np.zeros(2), A, y)
    array([-0.5 , -0.75])
    """
    with np.errstate(over="ignore", invalid="ignore"):  # margins beyond float64: the ValueError below
        margins = finite_result((theta @ A.T) * y, "the margins y_i a_i'theta", "theta and A")
        # the weights sigma(-margins) are in [0, 1]; the mean of weighted rows stays within max |a_i|
        grad = -(expit(-margins) * y) @ (A / A.shape[0])
    return finite_result(grad, "the gradient", "A")


@dataclass(frozen=True)
@record(iterates=Tensor(2), first_separated=Optional(Integer(0)), stopped=Flag())
class Path:
    """Iterates theta_0..theta_T (shape (T+1, d)) of a first-order method, with separation bookkeeping.

    ``first_separated`` is the first t with y_i a_i^T theta_t > 0 for all i (None if none), i.e. the argmax
    over t of that event. ``stopped`` says whether the method stopped early (batch perceptron on separation);
    the remaining rows then repeat the last iterate.
    """

    iterates: NDArray
    first_separated: int | None
    stopped: bool = False

    @property
    def n_iters(self) -> int:
        return len(self.iterates) - 1


def _first_separated(A: NDArray, y: NDArray, iterates: NDArray) -> int | None:
    ok = np.all((iterates @ A.T) * y > 0, axis=1)
    return int(np.argmax(ok)) if ok.any() else None


@constrained(
    **_DATA,
    step=Real(0.0, math.inf, lo_open=True),
    n_iters=Integer(0, MAX_ITERS, costly=True),
    theta0=Optional(Weights(cols_of="A")),
    normalized=Flag(),
)
def lr_gd(
    A: ArrayLike,
    y: ArrayLike,
    step: float,
    n_iters: int,
    theta0: ArrayLike | None = None,
    normalized: bool = False,
) -> Path:
    """Gradient descent on the logistic loss (LR+GD), or Normalized LR+GD.

    theta_{t+1} = theta_t - step * grad f(theta_t); with ``normalized``,
    theta_{t+1} = theta_t - step * beta_t * grad f(theta_t), beta_t = ((1/n) sum_i sigma(-y_i a_i^T theta_t))^{-1}
    (Tyurin 2024, Sec. 6). The normalized direction beta_t grad f = -sum_i w_i y_i a_i with weights
    w = softmax(log sigma(-margins)) is computed in the log domain, so it stays exact when the mean sigmoid
    underflows (separated data with margins of 1e12): no guard is needed and nothing is stopped.

    Parameters
    ----------
    A, y
        Data (n, d) and labels in {-1, +1}.
    step
        gamma > 0 (1e12 is fine).
    n_iters
        Number of steps T >= 0; the result holds T + 1 iterates.
    theta0
        Start (default 0).
    normalized
        Normalized LR+GD.

    Returns
    -------
    path : Path
        The iterates (n_iters + 1, d), losses, and the first iteration that separates the data (or None).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = step_size_paradox_dataset()
    >>> p = lr_gd(A, y, step=1e12, n_iters=3)
    >>> p.first_separated
    2
    """
    d = A.shape[1]
    theta = np.zeros(d) if theta0 is None else theta0.copy()
    yA = y[:, None] * A  # rows y_i a_i
    out = np.empty((n_iters + 1, d))
    out[0] = theta
    step_dir = _normalized_direction if normalized else _gradient_direction
    with np.errstate(over="ignore", invalid="ignore"):  # iterates beyond float64: the ValueError below
        for t in range(n_iters):
            theta = theta + step * step_dir(yA, theta)
            out[t + 1] = theta
    finite_result(out, "the iterates", "step, theta0 and A")
    return Path(out, _first_separated(A, y, out))


# Row blocks of about 1 MiB: the margins and the weighted sum of a block are computed while it sits in cache,
# so each step reads the data once (gemv on an (n, d) array larger than the cache is memory-bound; measured
# 3.3x faster for n = 1e4, d = 100 than two full matrix-vector products).
_BLOCK_BYTES = 1 << 20


def _blocks(yA: NDArray):
    rows = max(256, _BLOCK_BYTES // (8 * yA.shape[1]))
    for s in range(0, yA.shape[0], rows):
        yield yA[s : s + rows]


def _gradient_direction(yA: NDArray, theta: NDArray) -> NDArray:
    """-grad f(theta) = (1/n) sum_i sigma(-m_i) y_i a_i, one pass over the data."""
    g = np.zeros(yA.shape[1])
    for blk in _blocks(yA):
        g += expit(-(blk @ theta)) @ blk
    return g / yA.shape[0]


def _normalized_direction(yA: NDArray, theta: NDArray) -> NDArray:
    """-beta grad f(theta) = sum_i w_i y_i a_i with w = softmax(log sigma(-m)), one pass (online log-sum-exp)."""
    run_max, total, g = -np.inf, 0.0, np.zeros(yA.shape[1])
    for blk in _blocks(yA):
        logw = log_expit(-(blk @ theta))
        b_max = float(logw.max())
        new_max = max(run_max, b_max)
        scale = np.exp(run_max - new_max) if np.isfinite(run_max) else 0.0
        w = np.exp(logw - new_max)
        total = total * scale + float(w.sum())
        g = g * scale + w @ blk
        run_max = new_max
    return g / total


@constrained(
    **_DATA, n_iters=Integer(0, MAX_ITERS, costly=True), normalized=Flag(), theta0=Optional(Weights(cols_of="A"))
)
def batch_perceptron(
    A: ArrayLike, y: ArrayLike, n_iters: int, normalized: bool = False, theta0: ArrayLike | None = None
) -> Path:
    """Batch perceptron, the gamma -> infinity limit of theta_t / gamma under LR+GD (Tyurin 2024, Alg. 1).

    theta_1 = theta_0 + (1/(2n)) sum_i y_i a_i (the 1/2 is sigma(0)); then with S_t = {i : y_i a_i^T theta_t <= 0},
    theta_{t+1} = theta_t + (1/n) sum_{i in S_t} y_i a_i, until S_t is empty (then the iterate stays put).
    ``normalized`` (the limit of Normalized LR+GD): theta_{t+1} = theta_t + (1/|S_t|) sum_{i in S_t} y_i a_i,
    whose first step from theta_0 = 0 (all margins 0, weights sigma(0)/sum sigma(0) = 1/n) is (1/n) sum_i y_i a_i.

    Returns n_iters + 1 iterates (constant after separation, ``stopped`` True if that happened).

    Parameters
    ----------
    A
        Features, (n, d), finite.
    y
        Labels in {-1, +1}, (n,).
    n_iters
        Iterations (>= 1).
    normalized
        The normalized variant (Alg. 2).
    theta0
        Start, (d,), or None for 0.

    Returns
    -------
    path : Path
        The iterates and the first separating iteration.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = step_size_paradox_dataset()
    >>> np.round(batch_perceptron(A, y, 2).iterates[-1], 4)  # the limit of theta_2 / gamma
    array([1.  , 0.25])
    """
    T = n_iters
    d = A.shape[1]
    theta = np.zeros(d) if theta0 is None else theta0.copy()
    yA = y[:, None] * A
    n = A.shape[0]
    out = np.empty((T + 1, d))
    out[0] = theta
    stopped = False
    for t in range(T):
        if stopped:
            out[t + 1] = theta
            continue
        if t == 0:
            theta = theta + yA.sum(axis=0) / (n if normalized else 2 * n)
        else:
            S = yA @ theta <= 0
            k = int(S.sum())
            if k == 0:
                stopped = True
                out[t + 1] = theta
                continue
            theta = theta + yA[S].sum(axis=0) / (k if normalized else n)
        out[t + 1] = theta
    first = _first_separated(A, y, out)
    return Path(out, first, stopped or (first is not None and first < T))


@constrained(**_DATA)
def margin(A: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """(mu, R): the max-margin mu = max_{||theta|| = 1} min_i y_i a_i^T theta and R = max_i ||a_i||.

    mu = 1/||w*|| with w* = argmin ||w||^2 s.t. y_i a_i^T w >= 1 (hard-margin SVM through the origin), solved
    with cvxpy (Clarabel, then SCS; status checked). Raises ``NotSeparableError`` when that program is
    infeasible (no separating direction with positive margin).

    Parameters
    ----------
    A
        Features, (n, d), finite.
    y
        Labels in {-1, +1}, (n,).

    Returns
    -------
    mu, R : float
        The max-margin through the origin and the largest feature norm.

    Raises
    ------
    NotSeparableError
        If the data are not linearly separable through the origin.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> mu, R = margin(*perceptron_worst_case_dataset(5))
    >>> round(mu, 6), round(R, 6)
    (0.5, 1.118034)
    """
    import cvxpy as cp

    from theory._solvers import SolverError

    R = float(np.max(np.linalg.norm(A, axis=1)))
    w = cp.Variable(A.shape[1])
    scale = 1.0 / R if R > 0 else 1.0  # solve on rescaled data for conditioning; mu scales back linearly
    prob = cp.Problem(cp.Minimize(cp.sum_squares(w)), [cp.multiply(y, (A * scale) @ w) >= 1])
    statuses = {}
    for solver in ("CLARABEL", "SCS"):
        try:
            prob.solve(solver=solver)
        except cp.error.SolverError as e:
            statuses[solver] = f"failed ({e})"
            continue
        statuses[solver] = prob.status
        if prob.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            raise NotSeparableError(
                "the data are not linearly separable through the origin: no theta with y_i a_i^T theta > 0 "
                f"for all i (max-margin program {prob.status})"
            )
        if prob.status == cp.OPTIMAL:
            mu = 1.0 / float(np.linalg.norm(w.value)) / scale
            if not np.all(y * (A @ w.value) > 0):
                raise NotSeparableError("the data are not linearly separable through the origin (margin 0)")
            return mu, R
    raise SolverError(f"max-margin program: no optimal solution; statuses {statuses}", statuses)


@constrained(n=_POSITIVE, **_BOUND_ARGS)
def batch_perceptron_iteration_bound(n: ArrayLike, R: ArrayLike, mu: ArrayLike) -> NDArray:
    """n R^2 / mu^2: iterations of the batch perceptron until separation (Tyurin 2024, Thm 3.3).

    Parameters
    ----------
    n
        Numbers of points.
    R
        Largest feature norms (> 0).
    mu
        Margins (> 0).

    Returns
    -------
    bound : ndarray
        n R^2 / mu^2, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(batch_perceptron_iteration_bound(10, 1.0, 0.5))
    40.0
    """
    with np.errstate(over="ignore"):
        return finite_result(n * _ratio(R, mu), "the bound n R^2/mu^2", "n, R and mu")


@constrained(**_BOUND_ARGS)
def normalized_perceptron_iteration_bound(R: ArrayLike, mu: ArrayLike) -> NDArray:
    """R^2 / mu^2: iterations of the normalized batch perceptron until separation (Tyurin 2024, Thm 5.3).

    The same number bounds the classical one-sample perceptron (Novikoff 1962).

    Parameters
    ----------
    R
        Largest feature norms (> 0).
    mu
        Margins (> 0).

    Returns
    -------
    bound : ndarray
        R^2 / mu^2, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(normalized_perceptron_iteration_bound(1.0, 0.5))
    4.0
    """
    return _ratio(R, mu)


@constrained(n=Reals(1.0, math.inf), **_BOUND_ARGS, step=_POSITIVE)
def normalized_lr_gd_iteration_bound(n: ArrayLike, R: ArrayLike, mu: ArrayLike, step: ArrayLike) -> NDArray:
    """R^2/mu^2 + 2 log(2n - 1)/(gamma mu^2): iterations of Normalized LR+GD until separation (Thm 6.1).

    Parameters
    ----------
    n
        Numbers of points.
    R
        Largest feature norms (> 0).
    mu
        Margins (> 0).
    step
        Steps gamma (> 0).

    Returns
    -------
    bound : ndarray
        The bound, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> round(float(normalized_lr_gd_iteration_bound(10, 1.0, 0.5, 1.0)), 4)
    27.5555
    """
    with np.errstate(over="ignore", divide="ignore"):
        bound = _ratio(R, mu) + 2.0 * np.log(2.0 * n - 1.0) / (step * mu**2)
    return finite_result(bound, "the bound R^2/mu^2 + 2 ln(2n - 1)/(step mu^2)", "n, R, mu and step")


def _ratio(R: NDArray, mu: NDArray) -> NDArray:
    """R^2/mu^2 of checked arguments (the public bounds declare R, mu > 0); the relation mu <= R here."""
    if np.any(mu > R):
        raise ValueError("mu must be <= R (the margin cannot exceed the largest norm)")
    with np.errstate(over="ignore"):
        return finite_result((R / mu) ** 2, "R^2/mu^2", "R and mu")


@constrained()  # no arguments: nothing to check, declared so
def step_size_paradox_dataset() -> tuple[NDArray, NDArray]:
    """Thm 4.1: a_1 = (1, -1) labelled +1, a_2 = (-1, -4) labelled -1.

    With theta_0 = 0 and gamma -> infinity: f(theta_1) -> infinity (f(theta_1)/gamma -> 1/8), but f(theta_2) -> 0 and
    theta_2/gamma -> (1, 1/4), while small steps need many iterations.

    Returns
    -------
    A, y : ndarray
        (2, 2) features and (2,) labels.

    Examples
    --------
    >>> step_size_paradox_dataset()
    (array([[ 1., -1.],
           [-1., -4.]]), array([ 1., -1.]))
    """
    return np.array([[1.0, -1.0], [-1.0, -4.0]]), np.array([1.0, -1.0])


@constrained(n=Integer(2))
def perceptron_worst_case_dataset(n: int) -> tuple[NDArray, NDArray]:
    """Thm 5.1: (0.5, -1) labelled +1 and n - 1 copies of (-0.5, -1) labelled -1 (mu = 1/2, R = sqrt(5)/2).

    The batch perceptron (and LR+GD with gamma -> infinity) needs Omega(n) iterations; the normalized variants
    need O(1). See ``perceptron_worst_case_iterations`` for the exact count derived here.

    Parameters
    ----------
    n
        Number of points, an integer >= 2.

    Returns
    -------
    A, y : ndarray
        (n, 2) features and (n,) labels.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = perceptron_worst_case_dataset(4)
    >>> A[:2], y
    (array([[ 0.5, -1. ],
           [-0.5, -1. ]]), array([ 1., -1., -1., -1.]))
    """
    A = np.vstack([[0.5, -1.0], np.tile([-0.5, -1.0], (n - 1, 1))])
    y = np.r_[1.0, -np.ones(n - 1)]
    return A, y


@constrained(n=Integer(3), normalized=Flag())
def perceptron_worst_case_iterations(n: int, normalized: bool = False) -> int:
    """First separating iteration t of the batch perceptron on ``perceptron_worst_case_dataset(n)`` (derived here).

    With u = (0.5, -1) and v = (0.5, 1) (the n - 1 signed copies), theta_1 = (u + (n-1) v)/(2n) =
    (1/4, (n-2)/(2n)); afterwards only point 1 is misclassified and each step adds u/n, so after k more steps
    its margin is -3/8 + (5k/4 + 1)/n while the others keep margin 5/8 - 1/n - 3k/(4n) > 0. Point 1 turns
    positive at the smallest integer k > (3n/8 - 1)/(5/4), giving t = 1 + k (for n >= 3). Normalized: theta_1 =
    (u + (n-1)v)/n, one step of u makes every margin positive for n >= 6, so t = 2.

    Parameters
    ----------
    n
        Number of points, an integer >= 2.
    normalized
        The normalized batch perceptron.

    Returns
    -------
    t : int
        The first separating iteration.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> perceptron_worst_case_iterations(100)
    31
    >>> batch_perceptron(*perceptron_worst_case_dataset(100), 50).first_separated
    31
    """
    if normalized:
        if n < 6:
            raise ValueError("the closed form for the normalized variant needs n >= 6")
        return 2
    # smallest integer k with (5k/4 + 1)/n > 3/8, i.e. 10k + 8 > 3n
    k = (3 * n - 8) // 10 + 1 if 3 * n - 8 >= 0 else 0
    return 1 + k


@constrained(n=Integer(1), d=Integer(1), mu=Real(0.0, math.inf, lo_open=True))
def planted_margin_dataset(
    n: int, d: int, mu: float, rng: np.random.Generator | int | None = None
) -> tuple[NDArray, NDArray]:
    """Random separable data through the origin with margin at least ``mu`` along a random unit direction.

    a_i ~ N(0, I_d / d) (so ||a_i|| is about 1), theta* uniform on the sphere, y_i = sign(a_i^T theta*); each a_i
    is then pushed along theta* so that y_i a_i^T theta* >= mu. The max-margin mu of the result is >= ``mu``.

    Parameters
    ----------
    n
        Number of points (>= 1).
    d
        Dimension (>= 1).
    mu
        Margin (> 0).
    rng
        Seed or generator.

    Returns
    -------
    A, y : ndarray
        (n, d) features and (n,) labels, separable with margin >= mu.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> A, y = planted_margin_dataset(50, 3, 0.1, rng=0)
    >>> bool(margin(A, y)[0] >= 0.1 - 1e-9)
    True
    """
    rng = rng_from(rng, "rng")
    theta = rng.standard_normal(d)
    theta /= np.linalg.norm(theta)
    A = rng.standard_normal((n, d)) / np.sqrt(d)
    proj = A @ theta
    y = np.where(proj >= 0, 1.0, -1.0)
    A += np.outer(y * np.maximum(0.0, mu - np.abs(proj)), theta)
    return A, y
