"""The adaptive LDR-KL loss (ALDR-KL) of the authors' released code: one temperature per training example
(conventions: the package docstring of ``theory.ldr``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import log_softmax

from theory._checks import as_finite_array, finite_result
from theory._constraints import Flag, Integer, Labels, Options, Real, Reals, Scores, constrained
from theory.ldr._base import ldr_kl_rows, ldr_kl_rows_grad, margin_shifted
from theory.ldr.losses import LAM_MAX, LAM_MIN, MAX_CLASSES, MAX_MARGIN, SCORES_LABELS

__all__ = [
    "ALDR_LAM_MIN",
    "ALDR_PARAMS",
    "ALDR_RESCALES",
    "ALDRState",
    "aldr_kl_grad",
    "aldr_kl_loss",
    "aldr_lambda_floor",
    "aldr_lambda_objective",
    "aldr_lambda_update",
    "aldr_optimal_lambda",
]

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
    >>> from theory.ldr import ldr_kl_loss
    >>> f, y = np.array([[2.0, 0.0, 0.0]]), [0]
    >>> bool(np.isclose(aldr_kl_loss(f, y, lam=1.0, lam0=1.0, alpha=2.0), ldr_kl_loss(f, y)))  # lambda = lambda_0
    True
    >>> float(aldr_kl_loss(f, y, lam=0.5, lam0=1.0, alpha=2.0, margin=0.0)[0])  # 0.5 log((1 + 2/e^4)/3) - log(3)/4
    -0.8059...
    """
    # finite scores whose differences overflow (1e308 and -1e308) give inf - inf: finite_result names the scores
    L = np.broadcast_to(lam, y.shape)
    ldr = ldr_kl_rows(margin_shifted(scores, y, margin), L)
    return finite_result(ldr - _aldr_penalty(L, lam0, alpha, scores.shape[1]), "the loss", "scores")


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
    a = finite_result(margin_shifted(scores, y, margin), "the score differences", "scores")
    return ldr_kl_rows_grad(a, y, np.broadcast_to(lam, y.shape))


def _kl_to_uniform(scores: NDArray, lam: NDArray, smoothing: float) -> NDArray:
    """KL(p || uniform) = sum_k p_k log(K p_k) for p = softmax(f / lambda) (+ smoothing, renormalised), per row."""
    K = scores.shape[1]
    shifted = finite_result(scores - scores.max(axis=1, keepdims=True), "the score differences", "scores")
    logp = log_softmax(shifted / lam[:, None], axis=1)
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
