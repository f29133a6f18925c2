"""The unconstrained-feature model (UFM): closed-form minimisers of the deep linear MSE UFM, their collapse
thresholds, and numerical minimisers of the MSE and CE objectives.

H. Dang, T. Tran, S. Osher, H. Tran-The, N. Ho, T. Nguyen, "Neural Collapse in Deep Linear Networks: From
Balanced to Imbalanced Data" (ICML 2023). The objective and its symbols are in the package docstring
(``theory.neural_collapse``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    as_finite_array,
    finite_result,
    integer_at_least,
)
from theory._constraints import (
    Bools,
    Constraint,
    Each,
    Flag,
    Integer,
    Integers,
    Optional,
    Options,
    Real,
    Reals,
    Seed,
    Tensor,
    constrained,
    record,
)
from theory.neural_collapse._base import (
    _DEPTH,
    _POSITIVE,
    MAX_CLASSES,
    MAX_DEPTH,
    MAX_FEATURES,
    MAX_LAMBDA,
    MIN_LAMBDA,
    RULES,
    _SampleLabels,
)
from theory.neural_collapse.metrics import simplex_etf

__all__ = [
    "UFM_MSE_ARGS",
    "TrainedUFM",
    "UFMSolution",
    "collapse_ratio_threshold",
    "collapse_threshold",
    "stationary_ratio_threshold",
    "train_ufm",
    "ufm_mse_parameters",
    "ufm_mse_solution",
    "ufm_objective",
]


class _Shapes(Constraint):
    """The layer shapes of ``ufm_objective``'s flat parameter vector (checked against params, K and bias)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> list[tuple[int, ...]]:
        return _check_shapes(value, checked["params"].size, checked["K"], checked["bias"])

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "s", 3, [(2, 2)], [(1.5, 2)], [[3, 3], [3, 13]]]


@dataclass(frozen=True)
@record(
    class_mean_sq_norms=Reals(0.0),
    classifier_sq_norms=Reals(0.0),
    logits=Tensor(2),
    mean_gram=Tensor(2),
    classifier_gram=Tensor(2),
    collapsed=Bools(),
    objective=Real(),
    per_layer_sq_singular_values=Reals(0.0),
    collapse_threshold=Real(0.0),
)
class UFMSolution:
    """Global minimiser summary of the (deep linear) MSE UFM.

    ``class_mean_sq_norms`` ||h_k||^2; ``classifier_sq_norms`` ||w_k||^2 for the rows of the end-to-end product
    W_L...W_1; ``logits`` (K x K) column k = W h_k + b; ``mean_gram`` = H_bar^T H_bar and ``classifier_gram``
    = W W^T; ``collapsed`` per class; ``objective`` the minimum value; ``per_layer_sq_singular_values`` x_k.
    """

    class_mean_sq_norms: NDArray
    classifier_sq_norms: NDArray
    logits: NDArray
    mean_gram: NDArray
    classifier_gram: NDArray
    collapsed: NDArray
    objective: float
    per_layer_sq_singular_values: NDArray
    collapse_threshold: float


@constrained(N=Integer(1), lambda_W=_POSITIVE, lambda_H=_POSITIVE, depth=_DEPTH)
def collapse_threshold(N: int, lambda_W: ArrayLike, lambda_H: ArrayLike, depth: int) -> float | NDArray:
    """Class size at or below which a class collapses to zero in the bias-free MSE UFM (derived here).

    Per class, with x = u (N lambda_H)^(1/L) the squared per-layer singular value, the objective is
    (n_k/(2N)) / (u^L + 1) + b u/(2N), b = L N (N lambda_W^L lambda_H)^(1/L) (Dang et al. 2023). It beats u = 0
    iff b < n_k max_{u>0} u^(L-1)/(u^L + 1) = n_k (L-1)^((L-1)/L)/L, so class k collapses iff
    n_k <= b L / (L-1)^((L-1)/L) (for L = 1: n_k <= N^2 lambda_W lambda_H, the paper's condition).

    Parameters
    ----------
    N
        Total number of samples (>= 2).
    lambda_W
        Weight decay of the layers (> 0); an array broadcasts with ``lambda_H``.
    lambda_H
        Weight decay of the features (> 0).
    depth
        Depth L >= 1.

    Returns
    -------
    n : float or ndarray
        The largest class size that collapses: a float for scalar weight decays, else their broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> round(collapse_threshold(100, 1e-2, 1e-2, 1), 6)  # L = 1: N^2 lambda_W lambda_H
    1.0
    """
    L = depth
    # in logs: lambda_W^L alone under/overflows for small or large lambda_W at moderate depth
    log_b = np.log(L * N) + (np.log(N) + L * np.log(lambda_W) + np.log(lambda_H)) / L
    log_thr = log_b + (np.log(L) - (L - 1) / L * np.log(L - 1) if L > 1 else 0.0)
    with np.errstate(over="ignore"):
        thr = finite_result(np.exp(log_thr), "the collapse threshold", "N, lambda_W, lambda_H and depth")
    return float(thr) if np.ndim(thr) == 0 else thr


def _peak(L: int) -> float:
    """Where L u^(L-1)/(u^L + 1)^2, the slope of -n_k/(u^L + 1) per unit n_k, peaks (L >= 2)."""
    return ((L - 1) / (L + 1)) ** (1.0 / L)


@constrained(depth=_DEPTH)
def stationary_ratio_threshold(depth: int) -> float:
    """n_k/b at and above which the per-class MSE objective F(u) = n_k/(u^L + 1) + b u has a positive stationary point.

    F'(u) = 0 reads b/n_k = L u^(L-1)/(u^L + 1)^2, whose right side peaks at u* = ((L-1)/(L+1))^(1/L), so a root
    exists iff n_k/b >= (u*^L + 1)^2/(L u*^(L-1)) (derived here): 1.540 (L = 2), 1.191 (L = 3), 0.939 (L = 4). The
    released code of Dang et al. (2023) keeps the larger root whenever one exists; it is the global minimum only above
    ``collapse_ratio_threshold`` (between the two it is a local minimum with a larger objective than collapse).
    For L = 1 every n_k/b > 1 gives the (global) root, so the threshold is 1.

    Parameters
    ----------
    depth
        Depth L >= 1.

    Returns
    -------
    ratio : float
        The threshold on n_k / b.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> round(stationary_ratio_threshold(2), 3)
    1.54
    """
    L = depth
    if L == 1:
        return 1.0
    u = _peak(L)
    return float((u**L + 1) ** 2 / (L * u ** (L - 1)))


@constrained(depth=_DEPTH)
def collapse_ratio_threshold(depth: int) -> float:
    """n_k/b above which the positive stationary point beats collapse (u = 0): L/(L-1)^((L-1)/L), 1 for L = 1.

    See ``collapse_threshold`` (derived here): 2.000 (L = 2), 1.890 (L = 3), 1.755 (L = 4).

    Parameters
    ----------
    depth
        Depth L >= 1.

    Returns
    -------
    ratio : float
        The threshold on n_k / b.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> round(collapse_ratio_threshold(3), 3)
    1.89
    """
    L = depth
    return 1.0 if L == 1 else float(L / (L - 1) ** ((L - 1) / L))


def _per_class_u(n_k: float, b: float, L: int, rule: str = "global") -> float:
    """argmin_{u >= 0} n_k/(u^L + 1) + b u (0 when collapse wins; the larger stationary point otherwise).

    ``rule="positive_root"``: the larger stationary point whenever one exists, as Dang et al.'s released code keeps it.
    """
    from scipy.optimize import brentq

    if L == 1:
        return max(np.sqrt(n_k / b) - 1.0, 0.0)
    if n_k <= b * (collapse_ratio_threshold(L) if rule == "global" else stationary_ratio_threshold(L)):
        return 0.0

    def dF(u: float) -> float:
        return -n_k * L * u ** (L - 1) / (u**L + 1) ** 2 + b

    lo = _peak(L)  # where n_k L u^(L-1)/(u^L+1)^2 peaks; the minimum lies beyond it
    hi = lo + 1.0
    while dF(hi) < 0:
        hi *= 2.0
    return float(brentq(dF, lo, hi, xtol=1e-15, rtol=1e-15))


class _ClassSizes(Constraint):
    """Samples per class n_1..n_K: a 1-d array of 2 to MAX_CLASSES integers >= 1; canonical form: floats."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        n = as_finite_array(value, name)
        if n.ndim != 1 or n.size < 2 or np.any(n != np.round(n)) or n.size > MAX_CLASSES:
            raise ValueError(f"{name} must be a 1-d array of 2 to {MAX_CLASSES} integers; got {value!r:.80}")
        if np.any(n <= 0):
            raise ValueError(f"{name} must be >= 1 (class size 0 is not a class); got {n.tolist()}")
        return n.astype(float)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "3", 5, [5], [5, 0], [5, 2.5], [[5, 5]], [5, math.nan], np.ones(MAX_CLASSES + 1)]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [[1, 1], [1000, 1]]


# The arguments the closed-form MSE minimiser and its certificate share, declared once.
UFM_MSE_ARGS = {
    "class_sizes": _ClassSizes(),
    "lambda_W": Real(MIN_LAMBDA, MAX_LAMBDA),
    "lambda_H": Real(MIN_LAMBDA, MAX_LAMBDA),
    "depth": Integer(1, MAX_DEPTH),
    "bias": Flag(),
    "rule": Options(RULES),
}


@constrained(**UFM_MSE_ARGS)
def ufm_mse_solution(
    class_sizes: ArrayLike,
    lambda_W: float,
    lambda_H: float,
    depth: int = 1,
    bias: bool = False,
    rule: str = "global",
) -> UFMSolution:
    """Closed-form global minimiser of the MSE UFM (Dang et al. 2023; depth L >= 2 reduced here to 1-d problems).

    Bias-free, any class sizes: features collapse to class means h_k; weights are balanced across layers with
    the same singular value s_k per class; with x_k = s_k^2 = u_k (N lambda_H)^(1/L), u_k minimises
    n_k/(2N(u^L+1)) + b u/(2N), b = L N (N lambda_W^L lambda_H)^(1/L) (convex for L = 1, closed form; for L >= 2
    u = 0 is always a local minimum and the larger stationary point is compared with it, see
    ``collapse_threshold``). Then sigma_k = x_k^(L/2) (end-to-end singular value), ||w_k||^2 = sigma_k^2,
    h_k = a_k v_k with a_k = sigma_k/(sigma_k^2 + N lambda_H), W h_k = sigma_k a_k e_k, class means mutually
    orthogonal (an orthogonal frame, not an ETF). For L = 1 this is t_k = max(sqrt(n_k) - N sqrt(lambda_W
    lambda_H), 0), ||h_k||^2 = sqrt(lambda_W/lambda_H) t_k/n_k, ||w_k||^2 = sqrt(lambda_H/lambda_W) t_k.

    With ``bias`` (unregularised), balanced classes only: the centred targets I - 11^T/K have K - 1 unit singular
    values, each an instance of the bias-free 1-d problem with n_k = N/K; class means and classifier rows form a
    simplex ETF, b = 1/K, logits = sigma a (I - 11^T/K) + 11^T/K.

    Assumes hidden widths d >= K. Objective value included. Checked numerically against ``train_ufm``.

    Parameters
    ----------
    class_sizes
        n_1..n_K, integers >= 1, K >= 2.
    lambda_W, lambda_H
        Regularisation strengths in [1e-12, 1e4].
    depth
        L >= 1.
    bias
        Unregularised bias (balanced class sizes only).
    rule
        ``"global"`` (default): the global minimiser. ``"positive_root"``: per class, the larger stationary point
        whenever one exists (``stationary_ratio_threshold``), as the released code of Dang et al. keeps it; between
        that threshold and ``collapse_ratio_threshold`` this is a stationary point, not the minimum.

    Returns
    -------
    solution : UFMSolution
        Class-mean and classifier norms, Gram matrices, collapsed classes and the objective.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> s = ufm_mse_solution([100, 100, 5], 1e-2, 1e-2, depth=2)
    >>> s.collapsed
    array([False, False,  True])
    """
    n, L = class_sizes, depth  # checked by UFM_MSE_ARGS
    K = len(n)
    N = float(n.sum())
    if bias and not np.all(n == n[0]):
        raise ValueError("bias=True has a closed form here only for balanced class_sizes (all equal)")
    b = L * N * (N * lambda_W**L * lambda_H) ** (1.0 / L)
    c = (N * lambda_H) ** (1.0 / L)
    sizes = np.full(K - 1, N / K) if bias else n
    u = np.array([_per_class_u(nk, b, L, rule) for nk in sizes])
    x = c * u
    sigma = x ** (L / 2.0)
    a = sigma / (sigma**2 + N * lambda_H)
    per_obj = (sizes * lambda_H / 2.0) / (x**L + N * lambda_H) + (lambda_W * L / 2.0) * x
    if bias:
        # directions of the centred targets: the K-1 equal ones, the constant direction zero
        P = np.eye(K) - 1.0 / K
        s2, a2 = float(sigma[0] ** 2), float(a[0] ** 2)
        mean_gram, classifier_gram = a2 * P, s2 * P
        logits = float(sigma[0] * a[0]) * P + 1.0 / K
        mean_norms, cls_norms = np.diag(mean_gram).copy(), np.diag(classifier_gram).copy()
        collapsed = np.full(K, bool(x[0] == 0))
        objective = float(per_obj.sum())
        x_out = np.r_[x, 0.0]
    else:
        mean_norms, cls_norms = a**2, sigma**2
        mean_gram, classifier_gram = np.diag(mean_norms), np.diag(cls_norms)
        logits = np.diag(sigma * a)
        collapsed = x == 0
        objective = float(per_obj.sum())
        x_out = x
    return UFMSolution(
        mean_norms,
        cls_norms,
        logits,
        mean_gram,
        classifier_gram,
        collapsed,
        objective,
        x_out,
        collapse_threshold(int(N), lambda_W, lambda_H, L),
    )


@constrained(**UFM_MSE_ARGS, d=Optional(Integer(1, MAX_FEATURES)))
def ufm_mse_parameters(
    class_sizes: ArrayLike,
    lambda_W: float,
    lambda_H: float,
    depth: int = 1,
    bias: bool = False,
    d: int | None = None,
    rule: str = "global",
) -> tuple[list[NDArray], NDArray, NDArray]:
    """Explicit parameters (W_1..W_L, H, b) attaining ``ufm_mse_solution``: a certificate of its objective value.

    Bias-free: layer l < L is diag(s_k) on the first K coordinates of R^d, W_L = [diag(s_k) | 0], and every sample of
    class k is a_k e_k. With bias (balanced): the same with the K - 1 directions of an orthonormal basis U of the
    centred subspace, h_k = a U^T e_k, and b = 1/K. Evaluating ``ufm_objective`` at these parameters must give the
    closed-form objective, with zero gradient. ``rule`` as in ``ufm_mse_solution``.

    Parameters
    ----------
    class_sizes
        Samples per class n_k (>= 1), (K,), K >= 2.
    lambda_W
        Weight decay of the layers, in [1e-12, 1e4].
    lambda_H
        Weight decay of the features, in [1e-12, 1e4].
    depth
        Depth L >= 1.
    bias
        With a last-layer bias.
    d
        Feature dimension (K <= d <= 2048), or None for K.
    rule
        "global" (the global minimiser) or "positive_root" (the released code's rule).

    Returns
    -------
    Ws, H, b : list of ndarray, ndarray, ndarray
        The layers, the features (d, N) and the bias.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> Ws, H, b = ufm_mse_parameters([3, 2], 1e-2, 1e-2, depth=2)
    >>> [W.shape for W in Ws], H.shape
    ([(2, 2), (2, 2)], (2, 5))
    """
    n, L = class_sizes, depth  # checked by UFM_MSE_ARGS
    K = len(n)
    d = K if d is None else integer_at_least(d, "d", K)
    sol = ufm_mse_solution(class_sizes, lambda_W, lambda_H, depth, bias, rule)
    x = sol.per_layer_sq_singular_values  # per direction
    s = np.sqrt(x)
    N = float(n.sum())
    sigma = s**L
    a = sigma / (sigma**2 + N * lambda_H)
    labels = np.repeat(np.arange(K), n.astype(int))
    if bias:
        U = np.linalg.svd(np.eye(K) - 1.0 / K)[0][:, : K - 1]  # K x (K-1)
        basis = np.zeros((K, d))
        basis[:, : K - 1] = U  # rows: class k -> coordinates of U^T e_k
        means = (a[0] * basis).T  # d x K
        layer = np.zeros((d, d))
        layer[: K - 1, : K - 1] = s[0] * np.eye(K - 1)
        last = s[0] * basis  # K x d: maps the first K-1 coordinates back through U
        b = np.full(K, 1.0 / K)
    else:
        means = np.zeros((d, K))
        means[:K, :K] = np.diag(a)
        layer = np.zeros((d, d))
        layer[:K, :K] = np.diag(s)
        last = np.zeros((K, d))
        last[:, :K] = np.diag(s)
        b = np.zeros(K)
    Ws = [layer.copy() for _ in range(L - 1)] + [last]
    return Ws, means[:, labels], b


# ---------------------------------------------------------------------------------------------------------
# Numerical minimisation of the UFM objective
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
@record(
    weights=Each(Tensor(2)),
    H=Tensor(2),
    b=Reals(),
    labels=Integers(0),
    objective=Real(),
    grad_norm=Real(0.0),
    restarts_objectives=Each(Real()),
)
class TrainedUFM:
    """A numerical minimiser: weights W_1..W_L (W_L of shape K x d), features H (d x N), bias b, labels."""

    weights: tuple[NDArray, ...]
    H: NDArray
    b: NDArray
    labels: NDArray
    objective: float
    grad_norm: float
    restarts_objectives: tuple[float, ...]

    @property
    def W(self) -> NDArray:
        """End-to-end classifier W_L ... W_1 (K x d)."""
        P = self.weights[0]
        for Wl in self.weights[1:]:
            P = Wl @ P
        return P


@constrained(
    params=Tensor(1),
    K=Integer(2, MAX_CLASSES),
    bias=Flag(),
    shapes=_Shapes(),
    labels=_SampleLabels(n_of=lambda c: c["shapes"][-2 if c["bias"] else -1][1]),  # H is last before b
    lambda_W=Real(0.0, MAX_LAMBDA, lo_open=True),
    lambda_H=Real(0.0, MAX_LAMBDA, lo_open=True),
    loss=Options(("mse", "ce")),
)
def ufm_objective(
    params: NDArray, shapes: list, labels: NDArray, K: int, lambda_W: float, lambda_H: float, loss: str, bias: bool
) -> tuple[float, NDArray]:
    """UFM objective and gradient for flattened parameters (weights W_1..W_L, H, and b if ``bias``).

    Parameters
    ----------
    params
        Flattened parameters.
    shapes
        Their shapes (as ``train_ufm`` builds them).
    labels
        Class labels, (N,).
    K
        Number of classes.
    lambda_W
        Weight decay of the layers (> 0).
    lambda_H
        Weight decay of the features (> 0).
    loss
        "mse" or "ce".
    bias
        With a last-layer bias.

    Returns
    -------
    value, grad : float, ndarray
        The objective and its gradient.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> tr = train_ufm([3, 3], 3, 1, 1e-2, 1e-2, seed=0, restarts=1)
    >>> x = np.concatenate([p.ravel() for p in (*tr.weights, tr.H)])
    >>> shapes = [W.shape for W in tr.weights] + [tr.H.shape]
    >>> value, grad = ufm_objective(x, shapes, tr.labels, 2, 1e-2, 1e-2, 'mse', False)
    >>> bool(np.isclose(value, tr.objective)), bool(np.linalg.norm(grad) < 1e-6)
    (True, True)
    """
    from scipy.special import log_softmax, softmax

    Ws, H, b = _unpack(params, shapes, bias)
    if np.any((labels < 0) | (labels >= K)):
        raise ValueError(f"labels must lie in [0, {K - 1}]")
    N = H.shape[1]
    prefix = [Ws[0]]  # prefix[l] = W_l ... W_1
    for Wl in Ws[1:]:
        prefix.append(Wl @ prefix[-1])
    Z = prefix[-1] @ H + (b[:, None] if bias else 0.0)
    Y = np.eye(K)[:, labels]
    if loss == "mse":
        R = Z - Y
        val = 0.5 * np.sum(R * R) / N
        dZ = R / N
    else:
        ls = log_softmax(Z, axis=0)
        val = -np.sum(ls[labels, np.arange(N)]) / N
        dZ = (softmax(Z, axis=0) - Y) / N
    val += 0.5 * lambda_W * sum(np.sum(W * W) for W in Ws) + 0.5 * lambda_H * np.sum(H * H)
    grads = []
    suffix = np.eye(K)  # W_L ... W_{l+1} (identity for the last layer)
    dW_rev = []
    for layer in range(len(Ws) - 1, -1, -1):
        left = suffix.T @ dZ @ H.T  # d(loss)/d(W_l ... W_1) pulled back through the suffix
        right = prefix[layer - 1] if layer > 0 else np.eye(Ws[0].shape[1])
        dW_rev.append(left @ right.T + lambda_W * Ws[layer])
        suffix = suffix @ Ws[layer]
    grads += dW_rev[::-1]
    grads.append(prefix[-1].T @ dZ + lambda_H * H)
    if bias:
        grads.append(dZ.sum(axis=1))
    return float(val), np.concatenate([g.ravel() for g in grads])


def _check_shapes(shapes: Any, size: int, K: int, bias: bool) -> list[tuple[int, ...]]:
    """shapes: the (rows, cols) of W_1..W_L, then (d, N) of H, then (K,) of b if ``bias``, covering ``params``."""
    if not isinstance(shapes, list | tuple) or len(shapes) < 2 + bool(bias):
        raise TypeError(
            f"shapes must be a list of array shapes (W_1..W_L, H, and b when bias=True); got {shapes!r:.60}"
        )
    out = []
    for shp in shapes:
        if not isinstance(shp, tuple | list) or not all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in shp
        ):
            raise TypeError(f"shapes must hold tuples of positive integers; got {shp!r:.60}")
        out.append(tuple(int(v) for v in shp))
    total = sum(int(np.prod(s)) for s in out)
    if total != size:
        raise ValueError(f"shapes must cover params exactly: they hold {total} entries, params has {size}")
    nW = len(out) - (2 if bias else 1)
    if out[nW - 1][0] != K:
        raise ValueError(f"shapes: the last layer must have K = {K} rows; got {out[nW - 1]}")
    return out


def _unpack(params: NDArray, shapes: list, bias: bool):
    out, i = [], 0
    for shp in shapes:
        size = int(np.prod(shp))
        out.append(params[i : i + size].reshape(shp))
        i += size
    nW = len(shapes) - (2 if bias else 1)
    Ws, H = out[:nW], out[nW]
    b = out[nW + 1] if bias else np.zeros(0)
    return Ws, H, b


@constrained(
    class_sizes=_ClassSizes(),
    d=Integer(1, MAX_CLASSES, costly=True),
    depth=Integer(1, MAX_DEPTH),
    lambda_W=Real(0.0, MAX_LAMBDA, lo_open=True),
    lambda_H=Real(0.0, MAX_LAMBDA, lo_open=True),
    loss=Options(("mse", "ce")),
    bias=Flag(),
    seed=Seed(),
    restarts=Integer(1, 1000, costly=True),
    max_iter=Integer(1, 10_000_000, costly=True),
    init=Options(("random", "etf")),
)
def train_ufm(
    class_sizes: ArrayLike,
    d: int,
    depth: int,
    lambda_W: float,
    lambda_H: float,
    loss: str = "mse",
    bias: bool = False,
    seed: int | np.random.SeedSequence = 0,
    restarts: int = 3,
    max_iter: int = 20_000,
    init: str = "random",
) -> TrainedUFM:
    """Minimise the UFM objective numerically: L-BFGS (analytic gradient) from ``restarts`` initialisations.

    ``init="random"``: Gaussian initialisations. ``init="etf"``: structured starts with the features of class k at
    a scaled simplex-ETF vertex, the last layer its transpose and the hidden layers the projector onto its span
    (scales 0.5, 1, 2, 4, ...), to find the best stationary point *within* the ETF geometry, so that it can be
    compared with what random starts find. Returns the best run with its final gradient norm, so closed forms
    can be checked with tolerances tied to how stationary the numerical solution is.

    Parameters
    ----------
    class_sizes
        Samples per class n_k (>= 1), (K,), K >= 2.
    d
        Feature dimension (>= K).
    depth
        Depth L >= 1.
    lambda_W
        Weight decay of the layers (> 0).
    lambda_H
        Weight decay of the features (> 0).
    loss
        "mse" or "ce".
    bias
        With a last-layer bias.
    seed
        Seed of the initialisations.
    restarts
        Initialisations (>= 1); the best is kept.
    max_iter
        L-BFGS iterations per start.
    init
        "random" or "etf".

    Returns
    -------
    trained : TrainedUFM
        Parameters, features H, labels, objective and gradient norm of the best start.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> tr = train_ufm([5, 5, 5], 4, 1, 1e-3, 1e-3, seed=0, restarts=1)
    >>> s = ufm_mse_solution([5, 5, 5], 1e-3, 1e-3, 1)
    >>> bool(abs(tr.objective - s.objective) < 1e-8)
    True
    """
    from scipy.optimize import minimize

    n, L = class_sizes, depth
    K = len(n)
    labels = np.repeat(np.arange(K), n.astype(int))
    N = len(labels)
    shapes = [(d, d)] * (L - 1) + [(K, d), (d, N)] + ([(K,)] if bias else [])  # W_1..W_L, H, b
    rng = seed
    best = None
    objs = []
    for k in range(restarts):
        if init == "etf":
            if d < K - 1:
                raise ValueError(f"init='etf' needs d >= K - 1 = {K - 1}; got d = {d}")
            E = simplex_etf(K, d)
            P = E @ E.T / np.linalg.norm(E @ E.T, 2)
            a = 0.5 * 2.0**k
            parts = [a * P] * (L - 1) + [a * E.T, a * E[:, labels]] + ([np.full(K, 1.0 / K)] if bias else [])
            x0 = np.concatenate([q.ravel() for q in parts])
        else:
            x0 = np.concatenate([rng.normal(scale=0.5 / np.sqrt(shp[-1]), size=shp).ravel() for shp in shapes])
        r = minimize(
            ufm_objective,
            x0,
            args=(shapes, labels, K, lambda_W, lambda_H, loss, bias),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter, "maxfun": 4 * max_iter, "gtol": 1e-12, "ftol": 1e-16, "maxcor": 30},
        )
        objs.append(float(r.fun))
        if best is None or r.fun < best.fun:
            best = r
    val, grad = ufm_objective(best.x, shapes, labels, K, lambda_W, lambda_H, loss, bias)
    Ws, H, b = _unpack(best.x, shapes, bias)
    return TrainedUFM(
        tuple(W.copy() for W in Ws),
        H.copy(),
        b.copy() if bias else np.zeros(K),
        labels,
        val,
        float(np.linalg.norm(grad)),
        tuple(objs),
    )
