"""Neural-collapse geometry: the simplex ETF and the NC1-NC4 measures of features and classifiers.

V. Papyan, X. Y. Han, D. L. Donoho, "Prevalence of neural collapse during the terminal phase of deep learning
training" (PNAS 2020) for the NC1-NC4 definitions; the package docstring (``theory.neural_collapse``) states the
conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    as_finite_array,
    rng_from,
)
from theory._constraints import (
    Each,
    InstanceOf,
    Integer,
    Optional,
    Real,
    Tensor,
    constrained,
    record,
)
from theory.neural_collapse._base import (
    _CLASSES,
    MAX_CLASSES,
    _SampleLabels,
)

__all__ = ["NCMetrics", "etf_gram", "nc_metrics", "simplex_etf"]


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
@record(
    nc1=Optional(Real(0.0)),
    nc2_etf=Optional(Real(0.0)),
    nc2_orthogonal=Optional(Real(0.0)),
    nc3=Optional(Real(0.0)),
    nc4=Optional(Real(0.0, 1.0)),
    nc2_etf_W=Optional(Real(0.0)),
    nc2_orthogonal_W=Optional(Real(0.0)),
    nc2_etf_uncentred=Optional(Real(0.0)),
    nc3_uncentred=Optional(Real(0.0)),
    notes=Each(InstanceOf(str)),
)
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
