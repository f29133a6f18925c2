"""Label distributionally robust (LDR) losses and top-k consistency.

Zhu, Ying and Yang, "Label Distributionally Robust Losses for Multi-class Classification: Consistency, Robustness and
Adaptivity", ICML 2023 (PMLR 202:43289-43325; arXiv:2112.14869; bib key ``zhu2023label``). Their abstract (read): LDR
losses take the worst case over label distributions; they are top-k consistent for every k >= 1, while a top-1
consistent *symmetric* robust loss cannot be top-k consistent for all k >= 2; an adaptive variant sets a per-instance
temperature. The paper's exact definitions and conditions could not be read here; the LDR-KL loss is encoded in the
form of the authors' released code (``LDRLoss_V1``, as quoted in this project's planning, without its rescaling of
the scores by softplus(f)/mean(softplus(f)), whose presence in the paper's definition is not confirmed), and the
consistency statements are checked numerically in that form.

Conventions, stated once. Scores f of shape (m, K) (a batch of m score vectors over K classes), labels y of shape
(m,) in {0..K-1}, margin c >= 0 and temperature lambda > 0. With a_k = c 1[k != y] + f_k - f_y,

    l(f, y) = lambda log( (1/K) sum_k exp(a_k / lambda) )
            = max over p in the simplex of  sum_k p_k a_k - lambda KL(p || uniform)      (Donsker-Varadhan),

computed by log-sum-exp, so scores of 1e4 and lambda from 1e-3 to 1e3 stay finite. lambda -> 0 gives
max_k a_k (the Crammer-Singer hinge, with c the margin); lambda -> infinity gives the mean of a_k; c = 0 gives
lambda-temperature-scaled cross-entropy minus lambda log K. The gradient is p* - e_y with p* = softmax(a / lambda).

Top-k preservation (Yang and Koyejo 2020's definition, restated): f preserves the top k of q when
q_i > q_[k+1] implies f_i > f_[k+1] and q_i < q_[k] implies f_i < f_[k] for every i ([j]: the j-th largest), so
ties of q at the boundary may be broken either way but f may not tie across it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import log_softmax, logsumexp, softmax

from theory._checks import as_finite_array, in_interval, integer_in, probability_vectors, scalar
from theory._constraints import Flag, Integer, Labels, Options, ProbabilityRows, Real, Reals, Scores, constrained

__all__ = [
    "ALDR_LAM_MIN",
    "ALDR_PARAMS",
    "ALDR_RESCALES",
    "LAM_MARGIN",
    "MAX_CLASSES",
    "MAX_MARGIN",
    "MAX_NEWTON",
    "SCORES_LABELS",
    "ALDRState",
    "ConditionalMinimizer",
    "aldr_kl_grad",
    "aldr_kl_loss",
    "aldr_lambda_floor",
    "aldr_lambda_objective",
    "aldr_lambda_update",
    "aldr_optimal_lambda",
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


def _lam_margin(lam: float, margin: float) -> tuple[float, float]:
    return scalar(lam, "lam", LAM_MIN, LAM_MAX), scalar(margin, "margin", 0.0, MAX_MARGIN)


def _a(f: NDArray, y: NDArray, margin: float) -> NDArray:
    rows = np.arange(len(y))
    a = margin + f - f[rows, y][:, None]
    a[rows, y] = 0.0
    return a


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
    K = scores.shape[1]
    return lam * (logsumexp(_a(scores, y, margin) / lam, axis=1) - np.log(K))


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
    p = softmax(_a(scores, y, margin) / lam, axis=1)
    p[np.arange(len(y)), y] -= 1.0
    return p


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
    return np.sum(P * _a(f, yy, c), axis=1) - lam * plogp.sum(axis=1)


# ---------------------------------------------------------------------------------------------------------
# Conditional risk and top-k preservation
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
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
    Q = probability_vectors(np.atleast_2d(q), "q")
    if Q.ndim != 2:
        raise ValueError(f"q must be a 2-d batch of label distributions (m, K); got shape {Q.shape}")
    if np.any(Q <= 0):
        raise ValueError("q must be strictly positive (a zero q_y sends f_y to -infinity: no minimiser exists)")
    m, K = Q.shape
    if not 2 <= K <= 200:
        raise ValueError(f"q must have 2 <= K <= 200 classes (K x K Hessians per row); got {K}")
    lam_rows = in_interval(lam, "lam", LAM_MIN, LAM_MAX)
    if lam_rows.ndim and lam_rows.shape != (m,):
        raise ValueError(
            f"lam must be a number or hold one temperature per row of q (shape ({m},)); got {lam_rows.shape}"
        )
    c = scalar(margin, "margin", 0.0, MAX_MARGIN)
    tol = scalar(tol, "tol", 0.0, 1.0, lo_open=True)
    if init is not None:
        init = as_finite_array(init, "init")
        if init.shape != (m, K):
            raise ValueError(f"init must have the shape of q, ({m}, {K}); got {init.shape}")
    return _minimize_rows(Q, np.broadcast_to(lam_rows, (m,)).copy(), c, tol, init)


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
    F = np.atleast_2d(as_finite_array(f, "f", ndim=(1, 2)))
    Q = np.atleast_2d(as_finite_array(q, "q", ndim=(1, 2)))
    if F.shape != Q.shape:
        raise ValueError(f"f and q must have the same shape; got {F.shape} and {Q.shape}")
    K = F.shape[1]
    k = integer_in(k, "k", 1, K - 1) if K > 1 else integer_in(k, "k", 1, 1)
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
    tt = np.atleast_1d(as_finite_array(t, "t", ndim=(0, 1)))
    if np.any((tt <= 0) | (tt >= 1)):
        raise ValueError(f"t must lie in (0, 1); got values from {tt.min():g} to {tt.max():g}")
    lam, c = _lam_margin(lam, margin)
    n_grid = integer_in(n_grid, "n_grid", 2, 100_000)
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


# ---------------------------------------------------------------------------------------------------------
# The adaptive LDR-KL loss (ALDR-KL): one temperature per training example
# ---------------------------------------------------------------------------------------------------------

# A computed temperature may sit far below LAM_MIN: the floor lam0 (1 - 1/alpha) is small when alpha is near 1, and
# the released code's own default alpha = 1 relies on its 1e-5 smoothing to stay positive (see aldr_lambda_floor).
# Below 1e-9 (relative to scores of order 1) the loss is the hinge to float64 accuracy.
ALDR_LAM_MIN = 1e-9
MAX_ALPHA = 1e6
MAX_EXAMPLES = 10**8
ALDR_RESCALES = ("none", "l1", "softplus_l1")
# alpha below 1e-6 would divide KL by ~0 (the temperature would jump to -1e6 lambda_0): a unit mistake, not a setting
MIN_ALPHA = 1e-6
ALDR_PARAMS = {"lam0": Real(LAM_MIN, LAM_MAX), "alpha": Real(MIN_ALPHA, MAX_ALPHA)}


def _aldr_penalty(lam: NDArray, lam0: float, alpha: float, K: int) -> NDArray:
    """(alpha log K / (2 lam0)) (lam - lam0)^2, the released code's penalty on moving lambda away from lam0."""
    return alpha * np.log(K) / (2.0 * lam0) * (lam - lam0) ** 2


def _overflow_guard(out: NDArray, name: str) -> NDArray:
    """Finite inputs whose differences overflow float64 (scores of 1e308 and -1e308) give inf - inf: say so."""
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: differences of the scores overflow float64 (|f_k - f_y| > 1.8e308); rescale them")
    return out


@constrained(
    **SCORES_LABELS,
    lam=Reals(ALDR_LAM_MIN, LAM_MAX, rows_of="scores"),
    **ALDR_PARAMS,
    margin=Real(0.0, MAX_MARGIN),
)
def aldr_kl_loss(
    scores: ArrayLike, y: ArrayLike, lam: ArrayLike, lam0: float, alpha: float, margin: float = 1.0
) -> NDArray:
    """Adaptive LDR-KL loss at given per-example temperatures, without the released code's rescaling, shape (m,):

        l(f, y; lambda) = lambda log((1/K) sum_k exp(a_k / lambda)) - (alpha log K/(2 lambda_0)) (lambda - lambda_0)^2,

    with a_k = c 1[k != y] + f_k - f_y (module docstring). The released code (DixianZhu/LDR, ``loss.py``, class
    ``ALDRLoss_V1``) computes this after its own update of lambda (``aldr_lambda_update``) and after dividing f by
    ||f||_1 / K; ``ALDRState`` applies both. At a fixed lambda the penalty does not depend on f, so the gradient
    in f and the conditional minimiser are those of ``ldr_kl_loss`` at that lambda.

    Parameters
    ----------
    scores
        Scores f, (m, K) or (K,).
    y
        Integer labels in [0, K), (m,).
    lam
        Temperatures lambda_i in [1e-9, 1e3]: a number or one per row, (m,).
    lam0
        Reference temperature lambda_0 in [1e-3, 1e3].
    alpha
        Penalty strength alpha in [1e-6, 1e6] (the released code's comment asks for alpha > 1).
    margin
        Margin c >= 0.

    Returns
    -------
    loss : ndarray
        (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or if score
        differences overflow float64.

    Examples
    --------
    >>> f, y = np.array([[2.0, 0.0, 0.0]]), [0]
    >>> bool(np.isclose(aldr_kl_loss(f, y, lam=1.0, lam0=1.0, alpha=2.0), ldr_kl_loss(f, y)))  # lambda = lambda_0
    True
    >>> float(aldr_kl_loss(f, y, lam=0.5, lam0=1.0, alpha=2.0, margin=0.0)[0])  # 0.5 log((1 + 2/e^4)/3) - log(3)/4
    -0.8059...
    """
    K = scores.shape[1]
    L = np.broadcast_to(lam, y.shape)
    ldr = L * (logsumexp(_a(scores, y, margin) / L[:, None], axis=1) - np.log(K))
    return _overflow_guard(ldr - _aldr_penalty(L, lam0, alpha, K), "scores")


@constrained(**SCORES_LABELS, lam=Reals(ALDR_LAM_MIN, LAM_MAX, rows_of="scores"), margin=Real(0.0, MAX_MARGIN))
def aldr_kl_grad(scores: ArrayLike, y: ArrayLike, lam: ArrayLike, margin: float = 1.0) -> NDArray:
    """Gradient of ``aldr_kl_loss`` in the scores at fixed temperatures: softmax(a / lambda_i) - e_y, shape (m, K).

    The released code stores lambda without a gradient, so this is the gradient its training uses (before the
    chain rule through its rescaling of f).

    Parameters
    ----------
    scores
        Scores f, (m, K) or (K,).
    y
        Integer labels in [0, K), (m,).
    lam
        Temperatures lambda_i in [1e-9, 1e3]: a number or one per row, (m,).
    margin
        Margin c >= 0.

    Returns
    -------
    grad : ndarray
        (m, K); each row sums to 0.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), not finite, or if score
        differences overflow float64.

    Examples
    --------
    >>> np.round(aldr_kl_grad([[0.0, 0.0], [0.0, 0.0]], [0, 1], lam=[1.0, 0.1], margin=0.0), 3)
    array([[-0.5,  0.5],
           [ 0.5, -0.5]])
    """
    L = np.broadcast_to(lam, y.shape)
    p = softmax(_overflow_guard(_a(scores, y, margin), "scores") / L[:, None], axis=1)
    p[np.arange(len(y)), y] -= 1.0
    return p


def _kl_to_uniform(scores: NDArray, lam: NDArray, smoothing: float) -> NDArray:
    """KL(p || uniform) = sum_k p_k log(K p_k) for p = softmax(f / lambda) (+ smoothing, renormalised), per row."""
    K = scores.shape[1]
    logp = log_softmax(_overflow_guard(scores - scores.max(axis=1, keepdims=True), "scores") / lam[:, None], axis=1)
    if smoothing > 0:  # the released code adds 1e-5 and renormalises (L1), so that its log stays finite
        p = (np.exp(logp) + smoothing) / (1.0 + K * smoothing)
        logp = np.log(p)
    else:
        p = np.exp(logp)  # an underflowed p_k is 0 and p_k log p_k is 0: the limit, not a NaN
    return np.maximum(np.sum(p * (logp + np.log(K)), axis=1), 0.0)


@constrained(
    scores=Scores(MAX_CLASSES),
    lam=Reals(ALDR_LAM_MIN, LAM_MAX, rows_of="scores"),
    **ALDR_PARAMS,
    smoothing=Real(0.0, 1.0),
)
def aldr_lambda_update(scores: ArrayLike, lam: ArrayLike, lam0: float, alpha: float, smoothing: float = 0.0) -> NDArray:
    """The released code's temperature update, per example, shape (m,):

        lambda_new = lambda_0 - lambda_0 KL(p || uniform) / (alpha log K),   p = softmax(f / lambda),

    read in DixianZhu/LDR, ``loss.py``, class ``ALDRLoss_V1`` (``forward``), where lambda is the example's stored
    temperature (the previous one), f the scores *without* the margin (so p is not the maximiser of the loss's
    inner problem, softmax(a / lambda)), and p is smoothed by 1e-5 and renormalised (``smoothing``; off here by
    default). A confident example (p far from uniform) gets a smaller temperature, closer to the hinge.

    It is the maximiser over lambda of -lambda KL - (alpha log K / (2 lambda_0)) (lambda - lambda_0)^2
    (``aldr_optimal_lambda``), and never falls below ``aldr_lambda_floor`` (lambda_0 (1 - 1/alpha) without
    smoothing), which is positive only for alpha > 1: for alpha <= 1 the result can be 0 or negative, and is
    returned as it is (``aldr_kl_loss`` then rejects it; ``ALDRState`` raises).

    Parameters
    ----------
    scores
        Scores f, (m, K) or (K,) (after any rescaling: this function does not rescale).
    lam
        The stored temperatures lambda_i in [1e-9, 1e3]: a number or one per row, (m,).
    lam0
        Reference temperature lambda_0 in [1e-3, 1e3].
    alpha
        Penalty strength alpha in [1e-6, 1e6].
    smoothing
        Added to each p_k before renormalising, in [0, 1] (the released code: 1e-5).

    Returns
    -------
    lam_new : ndarray
        (m,).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(aldr_lambda_update([[0.0, 0.0, 0.0]], 1.0, lam0=1.0, alpha=2.0)[0])  # uniform p: KL = 0
    1.0
    >>> float(aldr_lambda_update([[1e4, 0.0, 0.0]], 1.0, lam0=1.0, alpha=2.0)[0])  # one-hot p: the floor 1 - 1/2
    0.5
    """
    L = np.broadcast_to(lam, (len(scores),))
    kl = _kl_to_uniform(scores, L, smoothing)
    return lam0 - lam0 * kl / (alpha * np.log(scores.shape[1]))


def _kl_at_most_log_k(kl: NDArray, n_classes: int) -> NDArray:
    if np.any(kl > np.log(n_classes) * (1 + 1e-12)):
        raise ValueError(
            f"kl must lie in [0, log K] = [0, {np.log(n_classes):.6g}] (a KL to the uniform distribution on "
            f"K = {n_classes} classes); got up to {np.max(kl):.6g}"
        )
    return kl


@constrained(
    lam=Reals(-1e6, 1e6),
    kl=Reals(0.0, np.log(MAX_CLASSES), like="lam"),
    **ALDR_PARAMS,
    n_classes=Integer(2, MAX_CLASSES),
)
def aldr_lambda_objective(lam: ArrayLike, kl: ArrayLike, lam0: float, alpha: float, n_classes: int) -> NDArray:
    """The part of the adaptive loss that depends on lambda at a fixed p: -lambda KL - (alpha log K/(2 lambda_0))
    (lambda - lambda_0)^2, broadcast over ``lam`` and ``kl``.

    The adaptive loss is max over lambda of max over p of sum_k p_k a_k - lambda KL(p || u) - penalty; at a fixed
    p only this part moves with lambda. A concave parabola in lambda, maximised by ``aldr_optimal_lambda``.

    Parameters
    ----------
    lam
        Temperatures in [-1e6, 1e6] (negative ones too: the parabola is defined everywhere).
    kl
        KL(p || uniform) in [0, log K], broadcasting against ``lam``.
    lam0
        Reference temperature lambda_0 in [1e-3, 1e3].
    alpha
        Penalty strength alpha in [1e-6, 1e6].
    n_classes
        K >= 2.

    Returns
    -------
    value : ndarray
        The broadcast shape of ``lam`` and ``kl``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(aldr_lambda_objective(1.0, 0.0, lam0=1.0, alpha=2.0, n_classes=3))  # at lambda_0 with KL = 0
    0.0
    """
    kl = _kl_at_most_log_k(kl, n_classes)
    return -lam * kl - _aldr_penalty(lam, lam0, alpha, n_classes)


@constrained(kl=Reals(0.0, np.log(MAX_CLASSES)), **ALDR_PARAMS, n_classes=Integer(2, MAX_CLASSES))
def aldr_optimal_lambda(kl: ArrayLike, lam0: float, alpha: float, n_classes: int) -> NDArray:
    """argmax over real lambda of ``aldr_lambda_objective``: lambda_0 (1 - KL / (alpha log K)), the shape of ``kl``.

    Derived here: the objective is a concave parabola in lambda whose derivative -KL - (alpha log K / lambda_0)
    (lambda - lambda_0) vanishes there. With KL = KL(softmax(f / lambda_old) || u) it is the released code's update
    (``aldr_lambda_update``); ``sims/ldr/aldr_temperature.py`` checks it against a numerical maximisation.

    Parameters
    ----------
    kl
        KL(p || uniform) in [0, log K].
    lam0
        Reference temperature lambda_0 in [1e-3, 1e3].
    alpha
        Penalty strength alpha in [1e-6, 1e6].
    n_classes
        K >= 2.

    Returns
    -------
    lam : ndarray
        The shape of ``kl``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> float(aldr_optimal_lambda(np.log(3), lam0=1.0, alpha=2.0, n_classes=3))  # KL at its largest, log K
    0.5
    """
    return lam0 - lam0 * _kl_at_most_log_k(kl, n_classes) / (alpha * np.log(n_classes))


@constrained(**ALDR_PARAMS, n_classes=Integer(2, MAX_CLASSES), smoothing=Real(0.0, 1.0))
def aldr_lambda_floor(lam0: float, alpha: float, n_classes: int = 2, smoothing: float = 0.0) -> float:
    """The infimum of ``aldr_lambda_update`` over all scores: lambda_0 (1 - KL_max / (alpha log K)).

    Derived here. Without smoothing KL(p || u) < log K for a softmax p, with sup log K (a one-hot limit), so the
    floor is lambda_0 (1 - 1/alpha) whatever K: positive exactly when alpha > 1, and reached in float64 once the
    score gap exceeds ~745 lambda. With smoothing s the smoothed p ranges over the image of the simplex under
    p -> (p + s)/(1 + K s); KL is convex in p, so its sup over that polytope is at a vertex,
    p = ((1 + s), s, ..., s)/(1 + K s), and the floor is positive for every alpha > 0 with s > 0
    (the released code's default alpha = 1 relies on it).

    Parameters
    ----------
    lam0
        Reference temperature lambda_0 in [1e-3, 1e3].
    alpha
        Penalty strength alpha in [1e-6, 1e6].
    n_classes
        K >= 2 (the floor depends on K only with smoothing).
    smoothing
        The smoothing s of ``aldr_lambda_update``, in [0, 1].

    Returns
    -------
    floor : float

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> aldr_lambda_floor(1.0, 2.0)
    0.5
    >>> round(aldr_lambda_floor(1.0, 1.0, n_classes=10, smoothing=1e-5), 6)  # the released defaults: tiny, > 0
    0.000489
    """
    K = n_classes
    if smoothing == 0:
        kl_max = np.log(K)
    else:
        top, rest = (1.0 + smoothing) / (1.0 + K * smoothing), smoothing / (1.0 + K * smoothing)
        kl_max = top * np.log(K * top) + (K - 1) * rest * np.log(K * rest)
    return float(lam0 - lam0 * kl_max / (alpha * np.log(K)))


class ALDRState:
    """Per-example temperatures of the adaptive LDR-KL loss, updated as the released code updates them.

    Holds lambda_i for n training examples (all lambda_0 at first). ``loss(scores, y, ids)`` does what one forward
    pass of the released ``ALDRLoss_V1`` does (DixianZhu/LDR, ``loss.py``), per example rather than averaged:

    1. rescale f (``rescale``): ``"none"``; ``"l1"``, f / (||f||_1 / K), the code's default; ``"softplus_l1"``,
       softplus first (the code's ``softplus=True``, used for CIFAR-100);
    2. update lambda_i for the examples ``ids`` from their stored lambda_i (``aldr_lambda_update``, with
       ``smoothing``; the code: 1e-5) and store it;
    3. return ``aldr_kl_loss`` of the rescaled scores at the new lambda_i.

    ``ALDRState.released(n, ...)`` sets the code's rescaling and smoothing; the constructor's defaults are the pure
    loss (no rescaling, no smoothing). Note that the L1 rescaling removes the scale of f: c f gives the same
    temperature as f for every c > 0, so under the released rescaling an example's temperature depends on the
    direction of its scores, not on how large they are. A temperature the update sends below 1e-9 (possible only
    for alpha <= 1 without smoothing) raises a ValueError naming alpha.

    Parameters
    ----------
    n
        Number of training examples, in [1, 1e8].
    lam0
        Reference and initial temperature lambda_0 in [1e-3, 1e3].
    alpha
        Penalty strength alpha in [1e-6, 1e6] (the code's comment: alpha > 1; its experiments: 2).
    margin
        Margin c >= 0 (the code's class default 1, its experiments 0.1).
    rescale
        ``"none"``, ``"l1"`` or ``"softplus_l1"``.
    smoothing
        The update's smoothing, in [0, 1].

    Raises
    ------
    ValueError, TypeError
        If an argument is outside its range (named in the message with the value given).

    Examples
    --------
    >>> state = ALDRState(n=3, lam0=1.0, alpha=2.0, margin=0.1)
    >>> f = np.array([[5.0, 0.0, 0.0], [0.1, 0.0, 0.0]])  # a confident example and an unsure one
    >>> loss = state.loss(f, [0, 0], ids=[0, 2])
    >>> np.round(state.lam, 3)  # the confident example's temperature moved towards lambda_0 (1 - 1/alpha)
    array([0.536, 1.   , 0.999])
    """

    @constrained(
        n=Integer(1, MAX_EXAMPLES),
        **ALDR_PARAMS,
        margin=Real(0.0, MAX_MARGIN),
        rescale=Options(ALDR_RESCALES),
        smoothing=Real(0.0, 1.0),
    )
    def __init__(
        self,
        n: int,
        lam0: float = 1.0,
        alpha: float = 2.0,
        margin: float = 1.0,
        rescale: str = "none",
        smoothing: float = 0.0,
    ) -> None:
        self.n, self.lam0, self.alpha, self.margin = n, lam0, alpha, margin
        self.rescale, self.smoothing = rescale, smoothing
        self._lam = np.full(n, lam0)

    __constraints__ = __init__.__constraints__  # the class declares what its constructor accepts

    @classmethod
    def released(
        cls, n: int, lam0: float = 1.0, alpha: float = 1.0, margin: float = 1.0, softplus: bool = False
    ) -> ALDRState:
        """The released ``ALDRLoss_V1(N=n, threshold=margin, Lambda=lam0, alpha=alpha, softplus=softplus)``: its
        defaults (alpha = 1, margin 1), the L1 rescaling (softplus first when asked) and the 1e-5 smoothing."""
        Flag().check(softplus, "softplus", {})
        return cls(n, lam0, alpha, margin, "softplus_l1" if softplus else "l1", 1e-5)

    @property
    def lam(self) -> NDArray:
        """The stored temperatures lambda_i, (n,) (a copy)."""
        return self._lam.copy()

    def rescaled(self, scores: ArrayLike) -> NDArray:
        """The scores as the loss sees them (``rescale``), (m, K)."""
        f = Scores(MAX_CLASSES).check(scores, "scores", {})
        if self.rescale == "softplus_l1":
            f = np.logaddexp(0.0, f)
        if self.rescale != "none":
            norm = np.abs(f).sum(axis=1, keepdims=True) / f.shape[1]
            if np.any(norm == 0):
                raise ValueError(f"scores: a row of zeros cannot be rescaled by its L1 norm (rescale={self.rescale!r})")
            f = f / norm
        return f

    def _ids(self, ids: ArrayLike, m: int) -> NDArray:
        idx = np.atleast_1d(as_finite_array(ids, "ids"))
        if idx.shape != (m,) or np.any(idx != np.round(idx)):
            raise ValueError(f"ids must hold {m} integer example indices (one per score vector); got {np.shape(ids)}")
        if np.any((idx < 0) | (idx >= self.n)):
            raise ValueError(f"ids must lie in [0, {self.n - 1}]; got values from {idx.min():g} to {idx.max():g}")
        idx = idx.astype(int)
        if len(np.unique(idx)) != m:  # the code's indexed assignment keeps an unspecified one of the duplicates
            raise ValueError("ids must not repeat within one call")
        return idx

    def update(self, scores: ArrayLike, ids: ArrayLike) -> NDArray:
        """Steps 1-2: update and store lambda_i for ``ids`` from the (rescaled) scores; returns the new lambda_i."""
        f = self.rescaled(scores)
        idx = self._ids(ids, len(f))
        new = aldr_lambda_update(f, self._lam[idx], self.lam0, self.alpha, self.smoothing)
        if np.any(new < ALDR_LAM_MIN):
            raise ValueError(
                f"alpha = {self.alpha:g}: the update sent lambda to {new.min():.3g} < 1e-9 (the floor "
                "lam0 (1 - 1/alpha) is positive only for alpha > 1, or with smoothing > 0)"
            )
        self._lam[idx] = new
        return new

    def loss(self, scores: ArrayLike, y: ArrayLike, ids: ArrayLike) -> NDArray:
        """One forward pass of the released loss, per example (the code returns the mean): steps 1-3, (m,)."""
        f = self.rescaled(scores)
        yy = Labels(of="scores").check(y, "y", {"scores": f})
        new = self.update(scores, ids)
        return aldr_kl_loss(f, yy, new, self.lam0, self.alpha, self.margin)
