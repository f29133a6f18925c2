"""Neural-collapse geometry: simplex ETF, NC1-NC4, and closed-form minimisers of deep linear UFMs.

H. Dang, T. Tran, S. Osher, H. Tran-The, N. Ho, T. Nguyen, "Neural Collapse in Deep Linear Networks: From
Balanced to Imbalanced Data" (ICML 2023); V. Papyan, X. Y. Han, D. L. Donoho, "Prevalence of neural collapse
during the terminal phase of deep learning training" (PNAS 2020) for the NC1-NC4 definitions.

Unconstrained-feature model (UFM): features H (d x N), class sizes n_1..n_K (N = sum n_k), one-hot targets
Y (K x N), weights W_L (K x d), W_{L-1}, ..., W_1 (d x d); MSE objective
    ||W_L...W_1 H (+ b 1^T) - Y||_F^2 / (2N) + (lambda_W/2) sum_l ||W_l||_F^2 + (lambda_H/2) ||H||_F^2,
the CE objective replacing the first term by the mean cross-entropy. The bias b is not regularised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    as_finite_array,
    finite_result,
    integer_at_least,
    rng_from,
)
from theory._constraints import Constraint, Flag, Integer, Optional, Options, Real, Reals, Seed, Tensor, constrained

__all__ = [
    "MAX_CLASSES",
    "MAX_DEPTH",
    "MAX_FEATURES",
    "MAX_LAMBDA",
    "MIN_LAMBDA",
    "RULES",
    "UFM_MSE_ARGS",
    "NCMetrics",
    "TrainedUFM",
    "UFMSolution",
    "collapse_ratio_threshold",
    "collapse_threshold",
    "etf_gram",
    "nc_metrics",
    "simplex_etf",
    "stationary_ratio_threshold",
    "train_ufm",
    "ufm_mse_parameters",
    "ufm_mse_solution",
    "ufm_objective",
]

# Valid ranges, as data. K x K (and d x K) matrices: beyond MAX_CLASSES a Gram matrix alone is gigabytes.
MAX_CLASSES = 10_000
_CLASSES = Integer(2, MAX_CLASSES, costly=True)  # a K x K (or d x K) answer: the work grows with K
# u^L and products of L layers overflow float64 long before depth 100 at any useful scale.
MAX_DEPTH = 100
# Weight decay: beyond 1e4 the regulariser outweighs the data term by >= 1e4 at any non-trivial scale, every
# minimiser is the zero model, and L-BFGS from a random start overflows before it gets there.
MAX_LAMBDA = 1e4
# Below 1e-12 a weight decay is 0 to float64 against losses of order 1, and the closed forms divide by it: the
# unregularised problem has no minimiser (the features grow without bound), so a smaller value is a unit mistake.
MIN_LAMBDA = 1e-12
MAX_FEATURES = 2048  # the certificate builds d x d layers
# Which stationary point of the per-class MSE problem a closed form returns (see ``ufm_mse_solution``).
RULES = ("global", "positive_root")
_DEPTH = Integer(1, MAX_DEPTH)
_POSITIVE = Reals(0.0, math.inf, lo_open=True)


def _labels(labels: ArrayLike, N: int) -> NDArray:
    """Integer labels of shape (N,) (floats holding integers are accepted)."""
    y = as_finite_array(labels, "labels")
    if y.shape != (N,) or np.any(y != np.round(y)):
        raise ValueError(f"labels must be integers of shape ({N},); got shape {y.shape}")
    return y.astype(np.int64)


@dataclass(frozen=True)
class _SampleLabels(Constraint):
    """Integer labels, one per sample: shape (N,) with N = ``n_of(checked)`` (the columns of H, say); integral
    floats accepted; canonical form: an int64 array."""

    n_of: Callable[[dict[str, Any]], int]

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        if value is None or isinstance(value, str | bytes | bool):
            raise TypeError(f"{name} must be an array of integer labels; got {type(value).__name__} {value!r:.40}")
        return _labels(value, self.n_of(checked))

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        n = len(np.asarray(valid[name]))
        return [None, "y", np.full(n, 0.5), np.zeros(n + 1), np.zeros((n, 1)), [math.nan] * n]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [np.asarray(valid[name], dtype=float)]


class _Shapes(Constraint):
    """The layer shapes of ``ufm_objective``'s flat parameter vector (checked against params, K and bias)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> list[tuple[int, ...]]:
        return _check_shapes(value, checked["params"].size, checked["K"], checked["bias"])

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "s", 3, [(2, 2)], [(1.5, 2)], [[3, 3], [3, 13]]]


@constrained(K=_CLASSES, d=Optional(Integer(1, MAX_CLASSES, costly=True)))
def simplex_etf(K: int, d: int | None = None, rng: np.random.Generator | int | None = None) -> NDArray:
    """A d x K simplex equiangular tight frame: unit columns with pairwise cosine -1/(K-1).

    Built from the centred identity sqrt(K/(K-1)) (I - 11^T/K), whose columns span a (K-1)-dimensional space,
    expressed in an orthonormal basis of that space and padded with zeros to d rows; with ``rng`` the result is
    rotated by a Haar-random orthogonal d x d matrix.

    Parameters
    ----------
    K
        Number of vectors, K >= 2.
    d
        Ambient dimension, d >= K - 1 (default K).
    rng
        Generator or seed for a random rotation (None: no rotation).

    Returns
    -------
    M : ndarray
        (d, K), unit columns with pairwise cosines -1/(K-1).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> M = simplex_etf(4)
    >>> np.round(M.T @ M, 6)
    array([[ 1.      , -0.333333, -0.333333, -0.333333],
           [-0.333333,  1.      , -0.333333, -0.333333],
           [-0.333333, -0.333333,  1.      , -0.333333],
           [-0.333333, -0.333333, -0.333333,  1.      ]])
    """
    d = K if d is None else d
    if d < K - 1:
        raise ValueError(f"d must be >= K - 1 = {K - 1} for a simplex ETF of K = {K} vectors; got d = {d}")
    centred = np.sqrt(K / (K - 1)) * (np.eye(K) - 1.0 / K)
    # orthonormal basis of the centred subspace: the first K-1 left singular vectors
    U, _, _ = np.linalg.svd(centred)
    coords = U[:, : K - 1].T @ centred  # (K-1) x K, same Gram as ``centred``
    M = np.zeros((d, K))
    M[: K - 1] = coords
    if rng is not None:
        from scipy.stats import ortho_group

        Q = ortho_group.rvs(d, random_state=rng_from(rng, "rng")) if d > 1 else np.ones((1, 1))
        M = Q @ M
    return M


@constrained(K=_CLASSES)
def etf_gram(K: int) -> NDArray:
    """Gram matrix of a unit simplex ETF: 1 on the diagonal, -1/(K-1) off it.

    Parameters
    ----------
    K
        Number of classes, an integer >= 2.

    Returns
    -------
    G : ndarray
        (K, K).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(etf_gram(3), 4)
    array([[ 1. , -0.5, -0.5],
           [-0.5,  1. , -0.5],
           [-0.5, -0.5,  1. ]])
    """
    return (K / (K - 1)) * np.eye(K) - 1.0 / (K - 1)


@dataclass(frozen=True)
class NCMetrics:
    """NC1-NC4 of a set of features (and classifier); None where a metric is undefined, with the reason.

    - ``nc1`` = tr(Sigma_W Sigma_B^+)/K (within-class variability relative to between-class).
    - ``nc2_etf``: RMS difference between the normalised Gram (cosines) of the *centred* class means and the
      simplex-ETF Gram; ``nc2_orthogonal``: the same for the *uncentred* class means against the identity
      (centring an orthogonal frame of equal norms gives an ETF, so the orthogonal frame of bias-free models is
      only visible before centring). ``nc2_etf_uncentred`` compares the uncentred means with the ETF Gram, so
      ``nc2_etf_uncentred`` vs ``nc2_orthogonal`` decides between the two geometries. ``nc2_etf_W`` and
      ``nc2_orthogonal_W``: the same for the rows of W.
    - ``nc3`` = ||W^T/||W||_F - M/||M||_F||_F with M the centred means (self-duality); ``nc3_uncentred`` with M
      the uncentred means.
    - ``nc4``: fraction of samples where argmax(W h + b) differs from the nearest class mean.
    """

    nc1: float | None
    nc2_etf: float | None
    nc2_orthogonal: float | None
    nc3: float | None
    nc4: float | None
    nc2_etf_W: float | None = None
    nc2_orthogonal_W: float | None = None
    nc2_etf_uncentred: float | None = None
    nc3_uncentred: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _gram_distance(V: NDArray, target: NDArray) -> float | None:
    """RMS over entries of (normalised Gram of the columns of V) - target; None if a column is zero."""
    norms = np.linalg.norm(V, axis=0)
    if np.any(norms == 0):
        return None
    U = V / norms
    K = V.shape[1]
    return float(np.linalg.norm(U.T @ U - target) / K)


@constrained(
    H=Tensor(2),
    labels=_SampleLabels(n_of=lambda c: c["H"].shape[1]),
    W=Optional(Tensor(2)),
    b=Optional(Tensor(1)),
    n_classes=Optional(Integer(1, MAX_CLASSES)),
)
def nc_metrics(
    H: ArrayLike,
    labels: ArrayLike,
    W: ArrayLike | None = None,
    b: ArrayLike | None = None,
    n_classes: int | None = None,
) -> NCMetrics:
    """Neural-collapse metrics NC1-NC4 (Papyan et al. 2020) of features ``H`` (d x N) with ``labels`` (N,).

    Parameters
    ----------
    H
        Features, one column per sample.
    labels
        Integer class labels in {0, ..., K-1}.
    W, b
        Optional classifier (K x d) and bias (K,), needed for the W-based metrics and NC4.
    n_classes
        K (default max(labels) + 1). Every class must have at least one sample: an empty class raises, since
        its mean (and every metric using it) is undefined.

    Returns
    -------
    metrics : NCMetrics
        NC1-NC4 (0 at collapse) and the quantities behind them.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Notes
    -----
    Degenerate inputs give None with a note instead of a misleading number: one class (Sigma_B = 0, no
    geometry between classes), a class mean or classifier row exactly zero (no direction).

    Examples
    --------
    >>> M = simplex_etf(3)
    >>> H = np.repeat(M, 5, axis=1); labels = np.repeat(np.arange(3), 5)
    >>> m = nc_metrics(H, labels, W=M.T)
    >>> bool(m.nc1 < 1e-12 and m.nc4 == 0.0)
    True
    """
    y = labels
    if y.size == 0:
        raise ValueError("labels must hold at least one sample; got an empty array")
    K = int(y.max()) + 1 if n_classes is None else n_classes
    # every metric is scale-free (NC1 a ratio of covariances, NC2/NC3 normalised, NC4 an argmax of W h + b):
    # computing on H / max|H| (and b likewise) keeps features of any scale, 1e300 included, finite
    h_scale = float(np.max(np.abs(H))) if H.size else 1.0
    if h_scale > 0:
        H = H / h_scale
    if np.any((y < 0) | (y >= K)):
        raise ValueError(f"labels must lie in [0, {K - 1}] (n_classes = {K}); got up to {int(y.max())}")
    counts = np.bincount(y, minlength=K)
    if np.any(counts == 0):
        empty = np.flatnonzero(counts == 0)
        shown = ", ".join(map(str, empty[:5])) + (", ..." if len(empty) > 5 else "")
        raise ValueError(f"labels: {len(empty)} class(es) [{shown}] of n_classes = {K} have no samples")
    notes: list[str] = []
    N = H.shape[1]
    means = np.stack([H[:, y == k].mean(axis=1) for k in range(K)], axis=1)  # d x K
    centred = means - H.mean(axis=1, keepdims=True)
    if K == 1:
        notes.append("one class: NC1-NC3 undefined (no between-class structure)")
        nc1 = nc2e = nc2o = nc2eu = None
    else:
        within = H - means[:, y]
        sigma_w = within @ within.T / N
        sigma_b = centred @ centred.T / K
        nc1 = float(np.trace(sigma_w @ np.linalg.pinv(sigma_b, hermitian=True)) / K)
        nc2e = _gram_distance(centred, etf_gram(K))
        nc2o = _gram_distance(means, np.eye(K))
        nc2eu = _gram_distance(means, etf_gram(K))
        if nc2e is None:
            notes.append("a centred class mean is exactly zero: nc2_etf undefined")
        if nc2o is None:
            notes.append("a class mean is exactly zero: nc2_orthogonal undefined")
    nc3 = nc3u = nc4 = nc2e_w = nc2o_w = None
    if W is not None:
        W = as_finite_array(W, "W")
        if W.shape != (K, H.shape[0]):
            raise ValueError(f"W must have shape (K, d) = ({K}, {H.shape[0]}); got {W.shape}")
        bias = np.zeros(K) if b is None else as_finite_array(b, "b") / (h_scale or 1.0)
        w_scale = float(np.max(np.abs(W))) if W.size else 1.0
        if w_scale > 0:  # W h + b = w_scale (W' h + b/w_scale): the same argmax
            W, bias = W / w_scale, bias / w_scale
        if bias.shape != (K,):
            raise ValueError(f"b must have shape ({K},); got {bias.shape}")
        if K > 1:
            nc2e_w = _gram_distance(W.T, etf_gram(K))
            nc2o_w = _gram_distance(W.T, np.eye(K))
            wn = np.linalg.norm(W)
            if wn > 0 and np.linalg.norm(centred) > 0:
                nc3 = float(np.linalg.norm(W.T / wn - centred / np.linalg.norm(centred)))
            if wn > 0 and np.linalg.norm(means) > 0:
                nc3u = float(np.linalg.norm(W.T / wn - means / np.linalg.norm(means)))
        pred = np.argmax(W @ H + bias[:, None], axis=0)
        dists = ((H[:, :, None] - means[:, None, :]) ** 2).sum(axis=0)  # N x K
        nc4 = float(np.mean(pred != np.argmin(dists, axis=1)))
    return NCMetrics(nc1, nc2e, nc2o, nc3, nc4, nc2e_w, nc2o_w, nc2eu, nc3u, tuple(notes))


# ---------------------------------------------------------------------------------------------------------
# Closed-form minimisers of the MSE UFM
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
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
