"""The LDR-KL loss, its dual form, its conditional minimiser and top-k preservation (conventions: the package
docstring of ``theory.ldr``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp, softmax

from theory._constraints import (
    Bools,
    Constraint,
    Distributions,
    Integer,
    Labels,
    Optional,
    ProbabilityRows,
    Real,
    Reals,
    Scores,
    Tensor,
    constrained,
    record,
)
from theory.ldr._base import ldr_kl_rows, ldr_kl_rows_grad, margin_shifted

__all__ = [
    "LAM_MARGIN",
    "MAX_CLASSES",
    "MAX_MARGIN",
    "MAX_NEWTON",
    "SCORES_LABELS",
    "ConditionalMinimizer",
    "conditional_minimizer",
    "conditional_risk",
    "ldr_kl_dual_objective",
    "ldr_kl_grad",
    "ldr_kl_loss",
    "ldr_top1_calibration",
    "mae_loss",
    "topk_preserving",
]

# Valid ranges, as data. lambda below 1e-3 (relative to scores of order 1) is the hinge to float64 accuracy, and
# above 1e3 the mean; both limits are available exactly, so a lambda outside is almost surely a unit mistake.
LAM_MIN, LAM_MAX = 1e-3, 1e3
MAX_MARGIN = 1e6
MAX_CLASSES = 10_000
MAX_NEWTON = 100  # damped Newton on a smooth convex problem of K - 1 variables: ~10-30 steps; 100 means failure

# The constraints of the losses' arguments, declared once (theory._constraints) and shared by every loss here.
SCORES_LABELS = {"scores": Scores(MAX_CLASSES), "y": Labels(of="scores")}
LAM_MARGIN = {"lam": Real(LAM_MIN, LAM_MAX), "margin": Real(0.0, MAX_MARGIN)}


@constrained(**SCORES_LABELS, **LAM_MARGIN)
def ldr_kl_loss(scores: ArrayLike, y: ArrayLike, lam: float = 1.0, margin: float = 1.0) -> NDArray:
    """LDR-KL loss lambda log((1/K) sum_k exp((c 1[k != y] + f_k - f_y)/lambda)), shape (m,).

    Parameters
    ----------
    scores : (m, K) or (K,) array of scores f.
    y : (m,) integer labels in [0, K).
    lam : temperature lambda in [1e-3, 1e3].
    margin : margin c >= 0.

    Returns
    -------
    loss : ndarray
        (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(ldr_kl_loss([[2.0, 0.0, 0.0]], [0], lam=1.0, margin=0.0)[0])  # CE - log K = log(1 + 2/e^2) - log 3
    -0.8590...
    """
    return ldr_kl_rows(margin_shifted(scores, y, margin), lam)


@constrained(**SCORES_LABELS, **LAM_MARGIN)
def ldr_kl_grad(scores: ArrayLike, y: ArrayLike, lam: float = 1.0, margin: float = 1.0) -> NDArray:
    """Gradient of ``ldr_kl_loss`` with respect to the scores: softmax(a/lambda) - e_y, shape (m, K).

    Parameters
    ----------
    scores
        Scores f, (m, K) or (K,).
    y
        Integer labels in [0, K), (m,).
    lam
        Temperature lambda in [1e-3, 1e3].
    margin
        Margin c >= 0.

    Returns
    -------
    grad : ndarray
        (m, K); each row sums to 0.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(ldr_kl_grad([[0.0, 0.0]], [0], lam=1.0, margin=0.0), 3)
    array([[-0.5,  0.5]])
    """
    return ldr_kl_rows_grad(margin_shifted(scores, y, margin), y, lam)


@constrained(**SCORES_LABELS, **LAM_MARGIN, p=ProbabilityRows(like="scores"))
def ldr_kl_dual_objective(
    p: ArrayLike, scores: ArrayLike, y: ArrayLike, lam: float = 1.0, margin: float = 1.0
) -> NDArray:
    """sum_k p_k a_k - lambda KL(p || uniform) for label distributions p (m, K): the loss is its max over p.

    Parameters
    ----------
    p
        Label distributions, (m, K).
    scores
        Scores f, (m, K) or (K,).
    y
        Integer labels in [0, K), (m,).
    lam
        Temperature lambda in [1e-3, 1e3].
    margin
        Margin c >= 0.

    Returns
    -------
    value : ndarray
        (m,); its maximum over p is ``ldr_kl_loss``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> f, y = np.array([[1.0, 0.0, -1.0]]), [0]
    >>> a = f - f[0, 0] + 1.0 * (np.arange(3) != 0)
    >>> p_star = np.exp(a) / np.exp(a).sum()
    >>> # the maximiser is p* = softmax(a / lambda)
    >>> bool(np.isclose(ldr_kl_dual_objective(p_star, f, y)[0], ldr_kl_loss(f, y)[0]))
    True
    """
    return _dual_objective(p, scores, y, lam, margin)


def _dual_objective(P: NDArray, f: NDArray, yy: NDArray, lam: float, c: float) -> NDArray:
    """``ldr_kl_dual_objective`` on checked arrays P, f (m, K), labels yy (m,): for numerical searches, which call
    it thousands of times per instance (the argument checks cost ~95% of a call on one row)."""
    K = f.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P * K), 0.0)
    return np.sum(P * margin_shifted(f, yy, c), axis=1) - lam * plogp.sum(axis=1)


# ---------------------------------------------------------------------------------------------------------
# Conditional risk and top-k preservation
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
@record(scores=Reals(), risk=Reals(), grad_norm=Reals(0.0), converged=Bools(), n_iter=Integer(0))
class ConditionalMinimizer:
    """argmin_f sum_y q_y l(f, y) per row of q (scores normalised to sum to zero), the conditional risk there,
    the final gradient norm and whether Newton converged (``converged``; rows that did not are flagged, not
    dropped)."""

    scores: NDArray
    risk: NDArray
    grad_norm: NDArray
    converged: NDArray
    n_iter: int


def _conditional(F: NDArray, Q: NDArray, lam: float | NDArray, c: float) -> tuple[NDArray, NDArray, NDArray]:
    """Conditional risk sum_y q_y l(f, y), its gradient and Hessian in f, for a batch (m, K); ``lam`` a number or
    one temperature per row (m,)."""
    K = F.shape[1]
    L = np.broadcast_to(np.asarray(lam, dtype=float), (len(F),))
    # A[b, y, k] = c 1[k != y] + f_k - f_y
    A = c * (1.0 - np.eye(K))[None] + F[:, None, :] - F[:, :, None]
    Z = A / L[:, None, None]
    lse = logsumexp(Z, axis=2)  # (m, y)
    P = np.exp(Z - lse[..., None])  # softmax over k, (m, y, k)
    risk = L * np.einsum("by,by->b", Q, lse - np.log(K))
    grad = np.einsum("by,byk->bk", Q, P) - Q  # sum_y q_y (p^y - e_y)
    # Hessian of l(., y) is (diag(p^y) - p^y p^y') / lambda
    H = np.einsum("by,byk->bk", Q, P)[:, :, None] * np.eye(K) - np.einsum("by,byk,byj->bkj", Q, P, P)
    return risk, grad, H / L[:, None, None]


class _PositiveLabelDistributions(Constraint):
    """A batch (m, K) of label distributions with every q_y > 0 and 2 <= K <= 200 (a (K,) vector is one row):
    a zero q_y sends f_y to -infinity (no minimiser), and Newton solves K x K systems per row."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        Q = np.atleast_2d(Distributions(min_len=2, positive=True).check(value, name, checked))
        if Q.ndim != 2 or Q.shape[1] > 200:
            raise ValueError(f"{name} must be a batch (m, K) of label distributions with 2 <= K <= 200; got {Q.shape}")
        return Q

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        bad = [np.full((1, 201), 1 / 201), np.full((1, 2, 2), 0.5)]
        return [*Distributions(min_len=2, positive=True).invalid(valid, name), *bad]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [np.array([[1 - 1e-12, 1e-12]]), np.full((1, 200), 1 / 200)]


@constrained(
    q=_PositiveLabelDistributions(),
    lam=Reals(LAM_MIN, LAM_MAX, rows_of="q"),
    margin=Real(0.0, MAX_MARGIN),
    tol=Real(0.0, 1.0, lo_open=True),
    init=Optional(Tensor(ndim=2, match=((0, "q", 0, 0), (1, "q", 1, 0)))),
)
def conditional_minimizer(
    q: ArrayLike,
    lam: float | ArrayLike = 1.0,
    margin: float = 1.0,
    tol: float = 1e-10,
    init: ArrayLike | None = None,
) -> ConditionalMinimizer:
    """argmin over f of sum_y q_y l_LDR-KL(f, y), for a batch of label distributions q (m, K) with q > 0.

    The objective is smooth and convex, and invariant to adding a constant to f; on sum(f) = 0 it is strictly convex
    when every q_y > 0 (it grows linearly in every other direction), so the minimiser exists and is unique. Damped
    Newton with a backtracking line search on the objective, vectorised over the batch, from f = lambda log q
    (exact for c = 0) or from ``init``; rows that have not reached ``tol`` in the gradient norm after ``MAX_NEWTON``
    steps are flagged in ``converged``.

    Parameters
    ----------
    q
        Label distributions, (m, K), every entry > 0.
    lam
        Temperature lambda in [1e-3, 1e3]: a number, or one per row (m,) (the adaptive loss's per-example
        temperatures).
    margin
        Margin c >= 0.
    tol
        Newton stopping tolerance on the gradient norm (> 0).
    init
        Starting scores (m, K) (a warm start: the minimiser at a nearby temperature), or None for lambda log q.

    Returns
    -------
    result : ConditionalMinimizer
        The minimisers ``scores`` (m, K, with sum 0), the risks and a convergence status per row.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> res = conditional_minimizer([[0.5, 0.3, 0.2]], lam=1.0, margin=1.0)
    >>> bool(np.all(np.diff(res.scores[0]) < 0))  # ordered as q
    True
    """
    return _minimize_rows(q, np.broadcast_to(lam, (len(q),)).copy(), margin, tol, init)


def _minimize_rows(Q: NDArray, lam: NDArray, c: float, tol: float, F0: NDArray | None = None) -> ConditionalMinimizer:
    """``conditional_minimizer`` on checked arrays, with one temperature per row (m,) and an optional warm start F0
    (the adaptive loss's self-consistent temperature is found by re-solving at nearby temperatures)."""
    m, K = Q.shape
    F = lam[:, None] * np.log(Q) if F0 is None else np.array(F0, dtype=float)
    F -= F.mean(axis=1, keepdims=True)
    J = np.eye(K) - 1.0 / K  # projector onto sum(f) = 0
    risk, grad, H = _conditional(F, Q, lam, c)
    done = np.zeros(m, bool)
    n_iter = 0
    prev = np.full(m, np.inf)
    for _ in range(MAX_NEWTON):
        n_iter += 1
        gn = np.linalg.norm(grad, axis=1)
        # Newton near the minimiser at least halves the gradient each step; a row that no longer does while already
        # within the converged threshold (1e-8) is at its rounding floor: more steps only cost line searches
        done |= (gn <= tol) | ((gn <= max(tol, 1e-8)) & (gn > 0.5 * prev))
        prev = gn
        if done.all():
            break
        idx = np.flatnonzero(~done)
        # Newton on the subspace: (J H J + 11'/K) d = -J g keeps d in sum(d) = 0 and the system non-singular
        # (a relative ridge keeps the system solvable where small lambda saturates the softmax and flattens H)
        Hs = J @ H[idx] @ J + 1.0 / K
        Hs += 1e-12 * np.abs(Hs).max(axis=(1, 2))[:, None, None] * np.eye(K)
        d = np.linalg.solve(Hs, -(grad[idx] @ J)[..., None])[..., 0]
        accepted = _line_search(F, risk, grad, H, Q, idx, d, lam, c)
        if not accepted.all():  # Newton's direction failed (near-flat H at small lambda): steepest descent instead
            rest = idx[~accepted]
            g = grad[rest] @ J
            scale = lam[rest] / np.maximum(np.linalg.norm(g, axis=1), 1e-300)  # a first step of length ~lambda
            accepted[~accepted] = _line_search(F, risk, grad, H, Q, rest, -g * scale[:, None], lam, c)
        done[idx[~accepted]] = True  # no decrease possible: at the rounding floor
    gn = np.linalg.norm(grad, axis=1)
    return ConditionalMinimizer(F, risk, gn, gn <= max(tol, 1e-8), n_iter)


def _line_search(F, risk, grad, H, Q, idx, d, lam, c) -> NDArray:
    """Backtracking (Armijo) along d for the rows idx, updating F, risk, grad, H in place; which rows moved."""
    t = np.ones(len(idx))
    accepted = np.zeros(len(idx), bool)
    for _ in range(60):
        trial = ~accepted
        if not trial.any():
            break
        rows = idx[trial]
        Fn = F[rows] + t[trial, None] * d[trial]
        rn, gn_, Hn = _conditional(Fn, Q[rows], lam[rows], c)
        slope = np.einsum("bk,bk->b", grad[rows], d[trial])
        ok = rn <= risk[rows] + 1e-4 * t[trial] * slope + 1e-15 * np.abs(risk[rows])
        keep = rows[ok]
        F[keep], risk[keep], grad[keep], H[keep] = Fn[ok], rn[ok], gn_[ok], Hn[ok]
        accepted[np.flatnonzero(trial)[ok]] = True
        t[~accepted] /= 2.0
    return accepted


@constrained(f=Scores(MAX_CLASSES), q=Scores(MAX_CLASSES), k=Integer(1, MAX_CLASSES))
def topk_preserving(f: ArrayLike, q: ArrayLike, k: int) -> NDArray:
    """Whether f preserves the top k of q (module docstring), for batches f, q of shape (m, K); returns (m,) bools.

    Parameters
    ----------
    f
        Scores, (m, K).
    q
        Label distributions, (m, K).
    k
        1 <= k < K.

    Returns
    -------
    ok : ndarray of bool
        (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> topk_preserving([[3.0, 2.0, 1.0]], [[0.5, 0.3, 0.2]], 2)
    array([ True])
    >>> topk_preserving([[1.0, 2.0, 3.0]], [[0.5, 0.3, 0.2]], 1)
    array([False])
    """
    F, Q, K = f, q, f.shape[1]
    if F.shape != Q.shape:
        raise ValueError(f"f and q must have the same shape; got {F.shape} and {Q.shape}")
    if k > K - 1:
        raise ValueError(f"k must lie in [1, {K - 1}] (K - 1 for K = {K} classes); got {k}")
    qs = -np.sort(-Q, axis=1)
    fs = -np.sort(-F, axis=1)
    q_k, q_k1 = qs[:, k - 1 : k], qs[:, k : k + 1]
    f_k, f_k1 = fs[:, k - 1 : k], fs[:, k : k + 1]
    above = (Q > q_k1) <= (F > f_k1)  # q_i > q_[k+1]  =>  f_i > f_[k+1]
    below = (Q < q_k) <= (F < f_k)  # q_i < q_[k]  =>  f_i < f_[k]
    return np.all(above & below, axis=1)


@constrained(**SCORES_LABELS)
def mae_loss(scores: ArrayLike, y: ArrayLike) -> NDArray:
    """1 - softmax(f)_y: the mean absolute error (comp-sum tau = 2), a symmetric loss (sum_y l(f, y) = K - 1).

    Parameters
    ----------
    scores
        Scores f, (m, K) or (K,).
    y
        Integer labels in [0, K), (m,).

    Returns
    -------
    loss : ndarray
        (m,), in [0, 1).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(mae_loss([[0.0, 0.0]], [0]), 3)
    array([0.5])
    """
    return 1.0 - softmax(scores, axis=1)[np.arange(len(y)), y]


@constrained(f=Scores(MAX_CLASSES), q=ProbabilityRows(like="f"))
def conditional_risk(loss: Callable[[NDArray, NDArray], NDArray], f: ArrayLike, q: ArrayLike) -> NDArray:
    """sum_y q_y loss(f, y) for batches f, q of shape (m, K) and a loss(scores (m, K), y (m,)) -> (m,).

    Parameters
    ----------
    loss
        A loss(scores (m, K), y (m,)) -> (m,).
    f
        Scores, (m, K).
    q
        Label distributions, (m, K).

    Returns
    -------
    risk : ndarray
        (m,).

    Raises
    ------
    TypeError
        If ``loss`` is not callable.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(conditional_risk(mae_loss, [[0.0, 0.0]], [[0.7, 0.3]]), 3)
    array([0.5])
    """
    if not callable(loss):
        raise TypeError(f"loss must be a callable loss(scores, y); got {type(loss).__name__}")
    m, K = f.shape
    out = np.zeros(m)
    for yv in range(K):
        out += q[:, yv] * np.asarray(loss(f, np.full(m, yv)), dtype=float)
    return out


@constrained(t=Reals(0.0, 1.0, lo_open=True, hi_open=True), **LAM_MARGIN, n_grid=Integer(2, 100_000, costly=True))
def ldr_top1_calibration(
    t: ArrayLike, lam: float = 1.0, margin: float = 1.0, n_grid: int = 200
) -> tuple[NDArray, NDArray]:
    """Top-1 calibration function of LDR-KL for K = 3 classes: for each conditional 0-1 regret t in (0, 1),

        T(t) = inf { sum_y q_y l(f, y) - min_f' sum_y q_y l(f', y) : q in the simplex, argmax f = j,
                     max_y q_y - q_j = t },

    returned with the minimising q (shape (len(t), 3); class 0 is the most likely, class 1 the predicted one).

    Method (derived here). With class 0 the most likely and class 1 predicted, q = (q1 + t, q1, 1 - 2 q1 - t) with
    q1 in [(1 - 2t)/3, (1 - t)/2] (class 0 stays the most likely), scanned on ``n_grid`` points. For each q the
    constrained infimum over f is reached with f_1 = f_0 (the conditional risk is convex and its free minimiser has
    f_0 > f_1), so by shift invariance f = (0, 0, v) with v <= 0, a one-dimensional convex problem solved by golden
    section on [-V, 0]; the unconstrained minimum comes from ``conditional_minimizer``.

    Parameters
    ----------
    t
        Conditional 0-1 regrets in (0, 1).
    lam
        Temperature lambda in [1e-3, 1e3].
    margin
        Margin c >= 0.
    n_grid
        Grid size of the outer search (>= 10).

    Returns
    -------
    T, q : ndarray
        T(t), the shape of ``t``, and the minimising label distributions (len(t), 3).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> T, q = ldr_top1_calibration([0.5], lam=1.0, margin=0.0)
    >>> from theory.hconsistency import comp_sum_transform
    >>> bool(np.isclose(T[0], comp_sum_transform(0.5, 1.0, 3), rtol=1e-3))  # c = 0: LDR-KL is CE - log K
    True
    """
    if np.ndim(t) > 1:
        raise ValueError(f"t must be a number or a 1-d array of regrets; got shape {np.shape(t)}")
    tt, c = np.atleast_1d(t), margin
    eps = 1e-9
    lo = np.maximum((1 - 2 * tt) / 3, eps)
    hi = (1 - tt) / 2 - eps
    frac = np.linspace(0.0, 1.0, n_grid)
    q1 = lo[:, None] + (hi - lo)[:, None] * frac[None, :]  # (T, G)
    Q = np.stack([q1 + tt[:, None], q1, 1 - 2 * q1 - tt[:, None]], axis=-1).reshape(-1, 3)
    Q = np.clip(Q, eps, None)
    Q /= Q.sum(axis=1, keepdims=True)
    best = conditional_minimizer(Q, lam, c).risk

    def risk(v: NDArray) -> NDArray:
        F = np.stack([np.zeros_like(v), np.zeros_like(v), v], axis=1)
        return _conditional(F, Q, lam, c)[0]

    # golden section on v in [-V, 0]: below -V the third class's softmax weight is exp(-V/lam) ~ 0 in float64
    a = np.full(len(Q), -(40.0 * lam + 2.0 * c + 10.0))
    b = np.zeros(len(Q))
    g = (np.sqrt(5) - 1) / 2
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = risk(x1), risk(x2)
    for _ in range(90):  # keep the better interior point; one new evaluation per step
        left = f1 <= f2
        b = np.where(left, x2, b)
        a = np.where(left, a, x1)
        x_new = np.where(left, b - g * (b - a), a + g * (b - a))
        f_new = risk(x_new)
        x1, x2 = np.where(left, x_new, x2), np.where(left, x1, x_new)
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
    constrained = np.minimum(np.minimum(f1, f2), risk(np.zeros(len(Q))))
    gap = (constrained - best).reshape(len(tt), n_grid)
    k = np.argmin(gap, axis=1)
    rows = np.arange(len(tt))
    return np.maximum(gap[rows, k], 0.0), Q.reshape(len(tt), n_grid, 3)[rows, k]
