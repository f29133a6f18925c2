"""Optimisers with provable structure: Lion-K solves a box- (or K*-) constrained problem; EF21 runs on the arithmetic
mean of the clients' smoothness constants.

Conventions, stated once:

- **Lion-K** (Chen, Liu, Liang, Liu 2024 [1], update rule as on the authors' page): with a convex K and its
  (sub)gradient ``grad_K``, momentum M accumulating *negative* gradients,

      M+ = b2 M - (1 - b2) g,   M~ = b1 M+ - (1 - b1) g,   x+ = x + eta (grad_K(M~) - lam x)        ("paper").

  Google's released Lion (``lion_pytorch.py``) keeps positive-gradient momentum and uses the *old* momentum,
  ``u = grad_K(b1 m + (1 - b1) g)``, ``m+ = b2 m + (1 - b2) g``, ``x+ = (1 - eta lam) x - eta u`` ("google"). For an
  odd ``grad_K`` (sign, x/||x||, the identity) they are one algorithm: paper(b1, b2) == google(b1 b2, b2) with
  m = -M (expand M~ = b1 b2 M - (1 - b1 b2) g; ``lion_equivalent_beta1``); a test checks it on trajectories.
  Lion is K = ||.||_1 (grad_K = sign, whose range is the l_inf unit ball).
- **Box entry** (derived here): ``lam x+ = (1 - eta lam) (lam x) + eta lam grad_K(M~)`` is a convex combination of
  lam x and a point of C, the closure of the range of grad_K (the unit box for sign), when 0 < eta lam <= 1; the
  distance to a convex set is convex, so ``dist_C(lam x_{t+1}) <= (1 - eta lam) dist_C(lam x_t)`` in any norm, and
  the set {lam x in C} is invariant. Equality holds where the coordinate realising the l_inf distance is pushed
  outward; for eta lam > 1 the contraction factor |1 - eta lam| flips sign and, from x0 = 0 with alternating
  gradients, ||x||_inf reaches eta / (2 - eta lam) > 1/lam (eta lam in (1, 2)).
- **EF21** (Richtarik, Gasanov, Burlachenko 2024 [2]; the update as in the authors' experiment code): client i keeps
  g_i and sends ``C(grad f_i(x+) - g_i)``, ``g_i <- g_i + C(grad f_i(x+) - g_i)``, ``x+ = x - gamma mean_i g_i``,
  with a contractive compressor ``||C(v) - v||^2 <= (1 - alpha) ||v||^2`` (Top-k: alpha = k/d).
  ``theta = 1 - sqrt(1 - alpha)``, ``beta = (1 - alpha)/(1 - sqrt(1 - alpha))``.
- **EF21 with the arithmetic mean** (the abstract's claim; the analysis below derived here, as the theorem's text
  was not reachable): with the weighted error ``G_w = (1/n) sum_i (L_AM / L_i) ||g_i - grad f_i(x)||^2``, Cauchy-
  Schwarz gives ``||mean_i g_i - grad f(x)||^2 <= G_w`` (since mean L_i / L_AM = 1), and the contraction gives
  ``G_w^{t+1} <= (1 - theta) G_w^t + beta L_AM^2 ||x_{t+1} - x_t||^2``; so for
  ``gamma <= 1/(L + L_AM sqrt(beta/theta))`` the function ``Psi_t = f(x_t) - f_inf + (gamma/(2 theta)) G_w^t``
  decreases by at least ``(gamma/2) ||grad f(x_t)||^2`` per step, and
  ``(1/T) sum_{t<T} ||grad f(x_t)||^2 <= 2 (f(x0) - f_inf)/(gamma T) + G_w^0/(theta T)``. The earlier analysis has
  L_QM = sqrt(mean L_i^2) >= L_AM in the step.

Valid ranges, as data: steps ``eta`` and ``gamma`` > 0, decay ``lam`` >= 0, momenta in [0, 1], ``alpha`` in (0, 1],
smoothness constants > 0, ``MAX_STEPS`` iterations.

References
----------
.. [1] L. Chen, B. Liu, K. Liang, Q. Liu, "Lion Secretly Solves Constrained Optimization: As Lyapunov Predicts",
   ICLR 2024, arXiv:2310.05898.
.. [2] P. Richtarik, E. Gasanov, K. Burlachenko, "Error Feedback Reloaded: From Quadratic to Arithmetic Mean of
   Smoothness Constants", ICLR 2024, arXiv:2402.10774.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import finite_result
from theory._constraints import Distributions, Flag, Integer, Optional, Options, Real, Reals, constrained

__all__ = [
    "CONVENTIONS",
    "MAX_STEPS",
    "EF21Path",
    "LionPath",
    "ef21_constants",
    "ef21_initial_error",
    "ef21_rate_bound",
    "ef21_run",
    "ef21_stepsize",
    "ef21w_weights",
    "lion_box_excess_bound",
    "lion_equivalent_beta1",
    "lion_k_step",
    "lion_run",
    "smoothness_means",
    "top_k",
    "weighted_smoothness",
]

CONVENTIONS = ("paper", "google")
MAX_STEPS = 10_000_000  # a run stores one (replicates,) norm per step

_STEP = Real(0.0, math.inf, lo_open=True)
_LION = {
    "eta": _STEP,
    "lam": Real(0.0, math.inf),
    "beta1": Real(0.0, 1.0),
    "beta2": Real(0.0, 1.0),
    "convention": Options(CONVENTIONS),
}
_SMOOTH = Reals(0.0, math.inf, lo_open=True, min_len=1)
# alpha = k/d for Top-k: below 1e-12 (a trillion coordinates per kept one) beta ~ 2/alpha leaves float64's comfort
MIN_ALPHA = 1e-12
_ALPHA = Real(MIN_ALPHA, 1.0)


def _callable(fn: object, name: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"{name} must be a callable (e.g. np.sign); got {type(fn).__name__} {fn!r:.40}")
    return fn


@constrained(x=Reals(), m=Reals(like="x"), grad=Reals(like="x"), **_LION)
def lion_k_step(
    x: ArrayLike,
    m: ArrayLike,
    grad: ArrayLike,
    eta: float,
    lam: float,
    beta1: float,
    beta2: float,
    grad_K: Callable[[NDArray], NDArray] = np.sign,
    convention: str = "paper",
) -> tuple[NDArray, NDArray]:
    """One Lion-K step (the module docstring's two conventions), elementwise over any leading axes.

    Parameters
    ----------
    x, m, grad : array_like, broadcastable
        Iterate, momentum (negative-gradient momentum M for ``"paper"``, positive-gradient m for ``"google"``) and
        gradient at x.
    eta : float > 0
    lam : float >= 0, the decoupled weight decay.
    beta1, beta2 : floats in [0, 1]
    grad_K : callable, the (sub)gradient of K applied to the momentum along the last axis (``np.sign``: Lion).
    convention : {"paper", "google"}

    Returns
    -------
    (x, m) : ndarrays, the next iterate and momentum.

    Examples
    --------
    >>> x, m = lion_k_step([0.5, -0.2], [0.0, 0.0], [1.0, -1.0], eta=0.1, lam=1.0, beta1=0.9, beta2=0.99)
    >>> np.round(x, 3), np.round(m, 3)
    (array([ 0.35, -0.08]), array([-0.01,  0.01]))
    """
    grad_K = _callable(grad_K, "grad_K")
    if convention == "paper":
        m_new = beta2 * m - (1.0 - beta2) * grad
        return x + eta * (np.asarray(grad_K(beta1 * m_new - (1.0 - beta1) * grad)) - lam * x), m_new
    u = np.asarray(grad_K(beta1 * m + (1.0 - beta1) * grad))
    return (1.0 - eta * lam) * x - eta * u, beta2 * m + (1.0 - beta2) * grad


@constrained(beta1=Reals(0.0, 1.0), beta2=Reals(0.0, 1.0, like="beta1"))
def lion_equivalent_beta1(beta1: ArrayLike, beta2: ArrayLike) -> NDArray:
    """The ``"google"``-convention beta1 that gives the same iterates as the ``"paper"`` convention with (beta1,
    beta2): beta1 beta2 (the paper's M~ = b1 b2 M - (1 - b1 b2) g, with m = -M; derived in the module docstring).

    Parameters
    ----------
    beta1, beta2 : array_like in [0, 1], broadcastable.

    Returns
    -------
    ndarray, the broadcast shape.

    Examples
    --------
    >>> float(lion_equivalent_beta1(0.9, 0.99))
    0.891
    """
    return beta1 * beta2


@dataclass(frozen=True)
class LionPath:
    """``lion_run``'s answer, replicates first.

    Attributes
    ----------
    x : ndarray (R, d), the last iterate.
    x_avg : ndarray (R, d), the mean of the iterates from step ``average_from`` on.
    sup_norm : ndarray (R, n_steps + 1), ||x_t||_inf along the run.
    """

    x: NDArray
    x_avg: NDArray
    sup_norm: NDArray


@constrained(
    x0=Reals(min_len=1),
    **{k: v for k, v in _LION.items() if k != "convention"},
    n_steps=Integer(1, MAX_STEPS, costly=True),
    convention=Options(CONVENTIONS),
    average_from=Real(0.0, 1.0, hi_open=True),
)
def lion_run(
    grad_f: Callable[[NDArray], NDArray],
    x0: ArrayLike,
    eta: float,
    lam: float,
    beta1: float = 0.9,
    beta2: float = 0.99,
    n_steps: int = 1000,
    grad_K: Callable[[NDArray], NDArray] = np.sign,
    convention: str = "paper",
    average_from: float = 0.5,
) -> LionPath:
    """Lion-K from x0 with zero momentum, all replicates at once.

    Parameters
    ----------
    grad_f : callable, (R, d) -> (R, d): the gradients of the replicates' objectives at their iterates.
    x0 : array_like (d,) or (R, d)
    eta, lam, beta1, beta2, grad_K, convention : as in ``lion_k_step``.
    n_steps : int in [1, MAX_STEPS]
    average_from : float in [0, 1): the fraction of the run after which iterates are averaged.

    Returns
    -------
    LionPath

    Examples
    --------
    >>> p = lion_run(lambda x: x - 3.0, [0.0, 0.0], eta=0.01, lam=1.0, n_steps=5000)  # the box [-1, 1]^2
    >>> bool(np.all(np.abs(p.x_avg - 1.0) < 1e-6)), bool(p.sup_norm.max() <= 1.0)
    (True, True)
    """
    grad_f, grad_K = _callable(grad_f, "grad_f"), _callable(grad_K, "grad_K")
    x = np.atleast_2d(x0).astype(float)
    m = np.zeros_like(x)
    start = int(average_from * n_steps)
    total = np.zeros_like(x)
    sup = np.empty((x.shape[0], n_steps + 1))
    sup[:, 0] = np.abs(x).max(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is the ValueError below
        x = _lion_loop(grad_f, x, m, (eta, lam, beta1, beta2), grad_K, convention, start, total, sup)
    finite_result(np.r_[sup.ravel(), total.ravel()], "the run (the iterates overflow)", "eta, lam and x0")
    return LionPath(x, total / (n_steps - start), sup)


def _lion_loop(
    grad_f: Callable,
    x: NDArray,
    m: NDArray,
    params: tuple[float, float, float, float],
    grad_K: Callable,
    convention: str,
    start: int,
    total: NDArray,
    sup: NDArray,
) -> NDArray:
    """lion_run's iteration on checked arguments: fills ``total`` (the tail sum) and ``sup``; returns the last x."""
    for t in range(sup.shape[1] - 1):
        g = np.asarray(grad_f(x), dtype=float)
        if t == 0 and g.shape != x.shape:
            raise ValueError(f"grad_f must return an array of the iterates' shape {x.shape}; got {g.shape}")
        x, m = lion_k_step.__wrapped__(x, m, g, *params, grad_K, convention)
        sup[:, t + 1] = np.abs(x).max(axis=1)
        if t + 1 > start:
            total += x
    return x


@constrained(
    excess0=Reals(0.0, math.inf),
    eta=Reals(0.0, math.inf, lo_open=True, like="excess0"),
    lam=Reals(0.0, math.inf, lo_open=True, like="excess0"),
    t=Reals(0.0, math.inf, like="excess0"),
)
def lion_box_excess_bound(excess0: ArrayLike, eta: ArrayLike, lam: ArrayLike, t: ArrayLike) -> NDArray:
    """``(1 - eta lam)^t excess0``: the bound on dist_C(lam x_t) (the module docstring's box entry), for
    0 < eta lam <= 1; for eta lam > 1 there is no such bound (the box is not even invariant), so it raises.

    Parameters
    ----------
    excess0 : array_like >= 0, dist_C(lam x_0).
    eta, lam : array_like > 0
    t : array_like >= 0, steps.

    Returns
    -------
    ndarray, the broadcast shape.

    Examples
    --------
    >>> float(lion_box_excess_bound(2.0, 0.1, 1.0, 10))
    0.6973568802
    """
    el = eta * lam
    if np.any(el > 1.0):
        raise ValueError(
            f"eta x lam must be <= 1 for the box-entry bound (above 1 the iterates can leave the box); "
            f"got eta x lam up to {np.max(el):g}"
        )
    with np.errstate(divide="ignore"):  # eta lam = 1: log 0 = -inf and the bound is 0 after one step
        return excess0 * np.where(t == 0, 1.0, np.exp(t * np.log1p(-el)))


@constrained(alpha=_ALPHA)
def ef21_constants(alpha: float) -> tuple[float, float]:
    """(theta, beta) = (1 - sqrt(1 - alpha), (1 - alpha)/(1 - sqrt(1 - alpha))) for a compressor with contraction
    alpha (``alpha = 1``: no compression, theta = 1, beta = 0).

    Parameters
    ----------
    alpha : float in [MIN_ALPHA, 1]

    Returns
    -------
    (theta, beta) : floats

    Examples
    --------
    >>> tuple(round(v, 6) for v in ef21_constants(0.19))
    (0.1, 8.1)
    """
    s = math.sqrt(1.0 - alpha)
    theta = -math.expm1(0.5 * math.log1p(-alpha)) if alpha < 1.0 else 1.0  # 1 - sqrt(1 - alpha), no cancellation
    return theta, (s * s) / theta


@constrained(V=Reals(min_len=1), k=Integer(1))
def top_k(V: ArrayLike, k: int) -> NDArray:
    """Top-k of each row (last axis): the k entries of largest magnitude kept, the others set to 0 (ties broken by
    position). Contractive with alpha = k/d and positively homogeneous, C(c v) = c C(v) for c >= 0.

    Parameters
    ----------
    V : array_like (..., d)
    k : int in [1, d]

    Returns
    -------
    ndarray, the shape of V.

    Examples
    --------
    >>> top_k([[3.0, -4.0, 1.0]], 2)
    array([[ 3., -4.,  0.]])
    """
    d = V.shape[-1]
    if k > d:
        raise ValueError(f"k must lie in [1, {d}] (the entries per row of V); got {k}")
    idx = np.argsort(-np.abs(V), axis=-1, kind="stable")[..., :k]
    out = np.zeros_like(V)
    np.put_along_axis(out, idx, np.take_along_axis(V, idx, axis=-1), axis=-1)
    return out


@constrained(L_i=_SMOOTH)
def smoothness_means(L_i: ArrayLike) -> tuple[float, float]:
    """(L_AM, L_QM) = (mean L_i, sqrt(mean L_i^2)) of the clients' smoothness constants; L_AM <= L_QM.

    Parameters
    ----------
    L_i : array_like > 0

    Returns
    -------
    (L_AM, L_QM) : floats

    Examples
    --------
    >>> smoothness_means([1.0, 7.0])
    (4.0, 5.0)
    """
    scale = float(L_i.max())  # scaled, so that constants of 1e200 do not overflow in the squares
    r = L_i / scale
    return float(r.mean() * scale), float(math.sqrt(float(np.mean(r * r))) * scale)


@constrained(L=_STEP, L_i=_SMOOTH, alpha=_ALPHA, mean=Options(("AM", "QM")))
def ef21_stepsize(L: float, L_i: ArrayLike, alpha: float, mean: str = "AM") -> float:
    """The EF21 step 1/(L + L_mean sqrt(beta/theta)), L the smoothness of f and L_mean = L_AM (this analysis) or
    L_QM (the earlier one).

    Parameters
    ----------
    L : float > 0
    L_i : array_like > 0
    alpha : float in (0, 1]
    mean : {"AM", "QM"}

    Returns
    -------
    float

    Examples
    --------
    >>> round(ef21_stepsize(1.0, [1.0, 7.0], 0.19, "AM"), 6), round(ef21_stepsize(1.0, [1.0, 7.0], 0.19, "QM"), 6)
    (0.027027, 0.021739)
    """
    theta, beta = ef21_constants(alpha)
    am, qm = smoothness_means(L_i)
    with np.errstate(over="ignore"):
        step = 1.0 / (L + (am if mean == "AM" else qm) * math.sqrt(beta / theta))
    return float(finite_result(step, "the step", "L, L_i and alpha"))


@constrained(g0=Reals(min_len=1), grads0=Reals(min_len=1, like="g0"), L_i=_SMOOTH, weighted=Flag())
def ef21_initial_error(g0: ArrayLike, grads0: ArrayLike, L_i: ArrayLike, weighted: bool = True) -> float:
    """G^0 = (1/n) sum_i w_i ||g_i^0 - grad f_i(x0)||^2 with w_i = L_AM/L_i (``weighted``) or 1.

    Parameters
    ----------
    g0, grads0 : array_like (n, d): the clients' initial estimates and their gradients at x0.
    L_i : array_like (n,) > 0
    weighted : bool

    Returns
    -------
    float

    Examples
    --------
    >>> ef21_initial_error([[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 2.0]], [1.0, 3.0])  # (2 x 1 + 2/3 x 4) / 2
    2.333333333333333
    """
    if g0.ndim != 2 or g0.shape != grads0.shape or len(L_i) != g0.shape[0]:
        raise ValueError(f"g0 and grads0 must be (n, d) and L_i (n,); got {g0.shape}, {grads0.shape}, {L_i.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # an unrepresentable answer is the ValueError below
        err = np.sum((g0 - grads0) ** 2, axis=1)
        w = smoothness_means(L_i)[0] / L_i if weighted else np.ones_like(L_i)
        value = np.mean(w * err)
    return float(finite_result(value, "the initial error", "g0, grads0 and L_i"))


@constrained(
    delta0=Reals(0.0, math.inf),
    gamma=Reals(0.0, math.inf, lo_open=True, like="delta0"),
    T=Reals(1.0, math.inf, like="delta0"),
    G0=Reals(0.0, math.inf, like="delta0"),
    theta=Reals(0.0, 1.0, lo_open=True, like="delta0"),
)
def ef21_rate_bound(delta0: ArrayLike, gamma: ArrayLike, T: ArrayLike, G0: ArrayLike, theta: ArrayLike) -> NDArray:
    """``2 delta0/(gamma T) + G0/(theta T)``: the bound on (1/T) sum_{t<T} ||grad f(x_t)||^2 (module docstring),
    delta0 = f(x0) - f_inf.

    Parameters
    ----------
    delta0 : array_like >= 0
    gamma : array_like > 0
    T : array_like >= 1
    G0 : array_like >= 0
    theta : array_like in (0, 1]

    Returns
    -------
    ndarray, the broadcast shape.

    Examples
    --------
    >>> float(ef21_rate_bound(1.0, 0.1, 100, 2.0, 0.5))
    0.24
    """
    with np.errstate(over="ignore"):  # an unrepresentable bound is the ValueError below
        bound = 2.0 * delta0 / (gamma * T) + G0 / (theta * T)
    return finite_result(bound, "the bound", "delta0, gamma, T, G0 and theta")


@constrained(L_i=_SMOOTH)
def ef21w_weights(L_i: ArrayLike) -> NDArray:
    """EF21-W's weights w_i = L_i / sum_j L_j: they minimise sum_i L_i^2/(n^2 w_i) over the simplex (value L_AM^2;
    by Cauchy-Schwarz), where uniform weights give L_QM^2.

    Parameters
    ----------
    L_i : array_like > 0

    Returns
    -------
    ndarray, a distribution of the shape of L_i.

    Examples
    --------
    >>> ef21w_weights([1.0, 3.0])
    array([0.25, 0.75])
    """
    return L_i / L_i.sum()


@constrained(L_i=_SMOOTH, w=Distributions(min_len=1, positive=True, like="L_i"))
def weighted_smoothness(L_i: ArrayLike, w: ArrayLike) -> float:
    """sqrt(sum_i L_i^2 / (n^2 w_i)): the mean of smoothness constants EF21-W's step pays with weights w (L_QM for
    uniform w, L_AM for ``ef21w_weights``).

    Parameters
    ----------
    L_i : array_like (n,) > 0
    w : array_like (n,), positive weights summing to 1.

    Returns
    -------
    float

    Examples
    --------
    >>> L = [1.0, 7.0]
    >>> round(weighted_smoothness(L, [0.5, 0.5]), 12), round(weighted_smoothness(L, [0.125, 0.875]), 12)
    (5.0, 4.0)
    """
    if L_i.shape != w.shape:
        raise ValueError(f"w must have the shape of L_i {L_i.shape}; got {w.shape}")
    scale = float(L_i.max())
    r = L_i / scale
    return float(math.sqrt(float(np.sum(r * r / w))) / len(L_i) * scale)


@dataclass(frozen=True)
class EF21Path:
    """``ef21_run``'s answer; t = 0..n_steps.

    Attributes
    ----------
    grad_norm2 : ndarray (n_steps + 1,), ||grad f(x_t)||^2.
    f : ndarray (n_steps + 1,) or None, f(x_t) when ``loss`` was given.
    lyapunov : ndarray (n_steps + 1,) or None, Psi_t = f(x_t) - f_inf + (gamma/(2 theta)) G_w^t when ``loss``,
        ``f_inf``, ``alpha`` and ``L_i`` were given.
    client_error : ndarray (n_steps + 1, n), ||g_i^t - grad f_i(x_t)||^2.
    x : ndarray (d,), the last iterate.
    """

    grad_norm2: NDArray
    f: NDArray | None
    lyapunov: NDArray | None
    client_error: NDArray
    x: NDArray


@constrained(
    x0=Reals(min_len=1),
    gamma=_STEP,
    n_steps=Integer(1, MAX_STEPS, costly=True),
    f_inf=Optional(Real()),
    alpha=Optional(_ALPHA),
    L_i=Optional(_SMOOTH),
    weights=Optional(Distributions(min_len=1, positive=True)),
)
def ef21_run(
    client_grads: Callable[[NDArray], NDArray],
    x0: ArrayLike,
    gamma: float,
    n_steps: int,
    compressor: Callable[[NDArray], NDArray],
    loss: Callable[[NDArray], float] | None = None,
    f_inf: float | None = None,
    alpha: float | None = None,
    L_i: ArrayLike | None = None,
    g0: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> EF21Path:
    """EF21 (or EF21-W with ``weights``) on f = (1/n) sum_i f_i, from g_i^0 = ``g0`` (default: C(grad f_i(x0))).

    EF21-W runs EF21 on f_i/(n w_i) and aggregates with weights w: ``x+ = x - gamma sum_i w_i g_i``.

    Parameters
    ----------
    client_grads : callable, x (d,) -> (n, d): the clients' gradients.
    x0 : array_like (d,)
    gamma : float > 0
    n_steps : int in [1, MAX_STEPS]
    compressor : callable, (n, d) -> (n, d), applied to each client's row (e.g. ``lambda V: top_k(V, 2)``).
    loss : callable, x -> f(x), optional.
    f_inf, alpha, L_i : for the Lyapunov values (with ``loss``).
    g0 : array_like (n, d), optional.
    weights : array_like (n,), optional: EF21-W.

    Returns
    -------
    EF21Path

    Examples
    --------
    >>> A = np.array([[[1.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [0.0, 1.0]]])
    >>> p = ef21_run(lambda x: np.einsum("nij,j->ni", A, x), [1.0, 1.0], 0.1, 200, lambda V: top_k(V, 1))
    >>> bool(p.grad_norm2[-1] < 1e-12 * p.grad_norm2[0])
    True
    """
    client_grads, compressor = _callable(client_grads, "client_grads"), _callable(compressor, "compressor")
    if loss is not None:
        _callable(loss, "loss")
    x = np.array(x0, dtype=float)
    G = np.asarray(client_grads(x), dtype=float)
    if G.ndim != 2 or G.shape[1] != x.shape[0]:
        raise ValueError(f"client_grads must return an (n, {x.shape[0]}) array; got shape {G.shape}")
    n = G.shape[0]
    for name, arr in (("weights", weights), ("L_i", L_i)):
        if arr is not None and arr.shape != (n,):
            raise ValueError(f"{name} must hold one entry per client (n = {n}); got shape {arr.shape}")
    w = np.full(n, 1.0 / n) if weights is None else weights
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is the ValueError of _ef21_loop
        return _ef21_loop(client_grads, x, G, w, gamma, n_steps, compressor, loss, f_inf, alpha, L_i, g0)


def _ef21_loop(
    client_grads: Callable,
    x: NDArray,
    G: NDArray,
    w: NDArray,
    gamma: float,
    n_steps: int,
    compressor: Callable,
    loss: Callable | None,
    f_inf: float | None,
    alpha: float | None,
    L_i: NDArray | None,
    g0: ArrayLike | None,
) -> EF21Path:
    """ef21_run's iteration on checked arguments."""
    n = G.shape[0]
    scale = (1.0 / (n * w))[:, None]  # EF21-W's clients hold gradients of f_i/(n w_i); EF21: 1
    g = compressor(scale * G) if g0 is None else np.array(g0, dtype=float) * scale
    errs, norms, fs = [np.sum((g - scale * G) ** 2, axis=1)], [float(np.sum(G.mean(0) ** 2))], []
    if loss is not None:
        fs.append(float(loss(x)))
    for _ in range(n_steps):
        x = x - gamma * (w @ g)
        G = np.asarray(client_grads(x), dtype=float)
        g = g + compressor(scale * G - g)
        errs.append(np.sum((g - scale * G) ** 2, axis=1))
        norms.append(float(np.sum(G.mean(0) ** 2)))
        if loss is not None:
            fs.append(float(loss(x)))
    err = np.array(errs)
    f = np.array(fs) if loss is not None else None
    lyap = None
    if f is not None and f_inf is not None and alpha is not None and L_i is not None:
        theta = ef21_constants(alpha)[0]
        G_w = np.mean(err * (smoothness_means(L_i)[0] / L_i), axis=1)
        lyap = f - f_inf + gamma / (2.0 * theta) * G_w
    finite_result(
        np.r_[norms, err.ravel(), x, [] if lyap is None else lyap],
        "the run (it diverges or overflows)",
        "gamma, x0, weights and L_i (a step above the theory's can diverge)",
    )
    return EF21Path(np.array(norms), f, lyap, err, x)
