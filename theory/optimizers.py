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
- **The Lyapunov function of Lion-K** (the abstract's "new Lyapunov function"; its form and the rate below are
  derived here, as the theorem's text was not reachable). The continuous-time Lion-K is
  ``m' = -alpha grad f(x) - gamma m``, ``m~ = m + eps m'``, ``x' = grad_K(m~) - lam x``; the "paper" step is exactly
  its forward Euler step of size eta with state (x, M) for alpha = gamma = (1 - b2)/eta and
  eps = eta (1 - b1 b2)/(1 - b2) (expand M~ = b1 b2 M - (1 - b1 b2) g = M + eps m'), so eps gamma = 1 - b1 b2.
  With ``c = (1 - eps gamma)/(1 + eps lam)``, ``k = (gamma + lam)/(1 + eps lam)`` and
  ``H = alpha f(x) + (gamma/lam) K*(lam x) + c [K*(lam x) + K(m) - lam <m, x>]``, the chain rule, alpha grad f =
  -m' - gamma m and u = grad K*(lam x) (so lam x = grad K(u)) give, matching the coefficient of each pairing of
  {grad K(m~), grad K(m), lam x} with {m~, m, u} (c = 1 - eps k makes the pairings with m cancel),

      dH/dt = -(c/eps) <grad K(m~) - grad K(m), m~ - m> - k <grad K(m~) - lam x, m~ - u>.

  Monotone gradients make both inner products >= 0, so H is non-increasing whenever eps gamma <= 1, for any f
  (convexity of f is not used); for eps gamma > 1, c < 0 and the first term can make H increase. The discrete
  iteration is not monotone: one Euler step changes H by eta dH/dt + O(eta^2), and where dH/dt is near 0 the second
  term wins. For K = ||.||_1 (Lion) the sims measure the largest one-step increase to scale like eta^2; with the
  smooth log-cosh K the iteration was monotone to rounding in every draw tried at eta <= 0.03 (observed while
  building ``lion_lyapunov``, not a claim), which points at the kinks of ||m||_1 as the source of Lion's increases.

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
from scipy.special import xlogy

from theory._checks import finite_result
from theory._constraints import (
    Distributions,
    Flag,
    Function,
    InstanceOf,
    Integer,
    Optional,
    Options,
    Real,
    Reals,
    Tensor,
    constrained,
    record,
)

__all__ = [
    "CONVENTIONS",
    "KINETICS",
    "MAX_STEPS",
    "EF21Path",
    "Kinetic",
    "LionPath",
    "ef21_constants",
    "ef21_initial_error",
    "ef21_rate_bound",
    "ef21_run",
    "ef21_stepsize",
    "ef21w_weights",
    "lion_box_excess_bound",
    "lion_equivalent_beta1",
    "lion_k_lyapunov",
    "lion_k_lyapunov_rate",
    "lion_k_ode_field",
    "lion_k_step",
    "lion_kinetic",
    "lion_ode_params",
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
@record(x=Tensor(2), x_avg=Tensor(2), sup_norm=Reals(0.0))
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


# --- The Lyapunov function of the continuous-time Lion-K ------------------------------------------------------------
KINETICS = ("l1", "logcosh", "smooth_l2", "quadratic")
# rounding slack of the box and the ball: the iteration keeps lam x in C exactly, float64 only to a few ulps
_DOMAIN_SLACK = 1e-12


@dataclass(frozen=True)
@record(
    name=InstanceOf(str),
    K=Function(),
    grad_K=Function(),
    K_star=Function(),
    grad_K_star=Optional(Function()),
    domain=InstanceOf(str),
)
class Kinetic:
    """A convex K of Lion-K with its conjugate: each maps (..., d) to (...) (values) or (..., d) (gradients).

    Attributes
    ----------
    name : one of ``KINETICS``.
    K, grad_K : K and its (sub)gradient.
    K_star : the conjugate K*, +inf outside its domain (the closure of the range of grad_K).
    grad_K_star : the gradient of K* on the interior of its domain; None where K* is not differentiable (``"l1"``:
        K* is the indicator of the box).
    domain : the domain of K*, in words.
    """

    name: str
    K: Callable[[NDArray], NDArray]
    grad_K: Callable[[NDArray], NDArray]
    K_star: Callable[[NDArray], NDArray]
    grad_K_star: Callable[[NDArray], NDArray] | None
    domain: str


def _scaled_norm(v: NDArray) -> NDArray:
    """||v||_2 along the last axis without overflow for entries up to the float64 maximum."""
    s = np.abs(v).max(axis=-1, initial=0.0)
    safe = np.where(s > 0, s, 1.0)
    return s * np.sqrt(np.sum((v / safe[..., None]) ** 2, axis=-1))


def _logcosh(m: NDArray) -> NDArray:
    a = np.abs(m)
    return np.sum(a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0), axis=-1)


def _logcosh_star(y: NDArray) -> NDArray:
    y = np.clip(y, -1.0, 1.0)  # the caller checked |y| <= 1 + slack
    return np.sum(0.5 * (xlogy(1.0 + y, 1.0 + y) + xlogy(1.0 - y, 1.0 - y)), axis=-1)


def _unit_ball_map(m: NDArray) -> NDArray:
    """grad of sqrt(1 + ||m||^2): m / sqrt(1 + ||m||^2), computed as (m/n) (n/hypot(1, n)) for any scale."""
    n = _scaled_norm(m)[..., None]
    return np.where(n > 0, m / np.where(n > 0, n, 1.0), 0.0) * (n / np.hypot(1.0, n))


def _ball_star(y: NDArray) -> NDArray:
    r = np.minimum(_scaled_norm(y), 1.0)
    return r * r / (1.0 + np.sqrt((1.0 - r) * (1.0 + r)))  # 1 - sqrt(1 - r^2) without cancellation


def _ball_star_grad(y: NDArray) -> NDArray:
    r = _scaled_norm(y)[..., None]
    return y / np.sqrt((1.0 - r) * (1.0 + r))


_KINETIC = {
    "l1": Kinetic(
        "l1",
        lambda m: np.sum(np.abs(m), axis=-1),
        np.sign,
        lambda y: np.zeros(np.shape(y)[:-1]),
        None,
        "the box ||y||_inf <= 1",
    ),
    "logcosh": Kinetic("logcosh", _logcosh, np.tanh, _logcosh_star, np.arctanh, "the box ||y||_inf <= 1"),
    "smooth_l2": Kinetic(
        "smooth_l2",
        lambda m: np.hypot(1.0, _scaled_norm(m)) - 1.0,
        _unit_ball_map,
        _ball_star,
        _ball_star_grad,
        "the ball ||y||_2 <= 1",
    ),
    "quadratic": Kinetic(
        "quadratic",
        lambda m: 0.5 * _scaled_norm(m) ** 2,
        lambda m: np.asarray(m, dtype=float),
        lambda y: 0.5 * _scaled_norm(y) ** 2,
        lambda y: np.asarray(y, dtype=float),
        "all of R^d",
    ),
}


@constrained(kinetic=Options(KINETICS))
def lion_kinetic(kinetic: str) -> Kinetic:
    """The convex K named ``kinetic``, with its gradient, conjugate and the conjugate's gradient.

    ``"l1"``: K = ||m||_1, grad sign (Lion), K* the indicator of the unit box; ``"logcosh"``: K = sum log cosh m_i,
    grad tanh, K*(y) = sum ((1 + y) log(1 + y) + (1 - y) log(1 - y))/2 on the box (a smooth Lion); ``"smooth_l2"``:
    K = sqrt(1 + ||m||^2) - 1, K*(y) = 1 - sqrt(1 - ||y||^2) on the unit ball; ``"quadratic"``: K = K* = ||.||^2/2.

    Parameters
    ----------
    kinetic : {"l1", "logcosh", "smooth_l2", "quadratic"}

    Returns
    -------
    Kinetic

    Examples
    --------
    >>> k = lion_kinetic("logcosh")
    >>> float(k.K_star(np.array([1.0, -1.0]))), k.domain  # 2 log 2 at the corner
    (1.3862943611198906, 'the box ||y||_inf <= 1')
    """
    return _KINETIC[kinetic]


@constrained(eta=_STEP, beta1=Real(0.0, 1.0), beta2=Real(0.0, 1.0, hi_open=True))
def lion_ode_params(eta: float, beta1: float, beta2: float) -> tuple[float, float, float]:
    """(alpha, gamma, eps) of the ODE that the ``"paper"``-convention Lion-K step is exactly forward Euler of, with
    step eta (module docstring, Lyapunov function): alpha = gamma = (1 - beta2)/eta, eps = eta (1 - beta1 beta2)/(1 -
    beta2). So eps gamma = 1 - beta1 beta2 <= 1 for every beta1 in [0, 1]; and eps >= eta.

    Parameters
    ----------
    eta : float > 0
    beta1 : float in [0, 1]
    beta2 : float in [0, 1); beta2 = 1 freezes the momentum (gamma = 0) and has no ODE of this form.

    Returns
    -------
    (alpha, gamma, eps) : floats

    Examples
    --------
    >>> tuple(round(v, 6) for v in lion_ode_params(0.01, 0.9, 0.99))
    (1.0, 1.0, 0.109)
    """
    rate = float(finite_result((1.0 - beta2) / eta, "gamma = (1 - beta2)/eta", "eta and beta2"))
    return rate, rate, float(finite_result(eta * (1.0 - beta1 * beta2) / (1.0 - beta2), "eps", "eta and beta2"))


def _in_domain(y: NDArray, kinetic: Kinetic, interior: bool) -> NDArray:
    """Whether each row of y = lam x lies in dom K* (its interior where the gradient of K* is needed)."""
    if kinetic.name == "quadratic":
        return np.ones(y.shape[:-1], dtype=bool)
    size = np.abs(y).max(axis=-1, initial=0.0) if kinetic.name in ("l1", "logcosh") else _scaled_norm(y)
    return size < 1.0 if interior else size <= 1.0 + _DOMAIN_SLACK


def _lyapunov_args(x: NDArray, lam: float, kinetic: str, interior: bool) -> tuple[Kinetic, NDArray]:
    kin = _KINETIC[kinetic]
    y = lam * x
    if not np.all(_in_domain(y, kin, interior)):
        where = "the interior of " if interior else ""
        raise ValueError(
            f"lam * x must lie in {where}{kin.domain} (the domain of K* for kinetic={kinetic!r}); got lam * x with "
            f"largest entry {np.abs(y).max():g}"
        )
    return kin, y


_LYAPUNOV = {"x": Reals(min_len=1), "m": Reals(like="x")}
_ODE = {
    "alpha": Real(0.0, math.inf),
    "gamma": Real(0.0, math.inf),
    "eps": Real(0.0, math.inf),
    "lam": _STEP,
    "kinetic": Options(KINETICS),
}


_ALL_ODE_ARGS = "x, m, grad_fx, alpha, gamma, eps and lam"


def _rows_of(value: NDArray, x: NDArray, name: str) -> None:
    """value must broadcast to x without its last axis (one number per row of x), never beyond it."""
    try:
        fits = np.broadcast_shapes(np.shape(value), x.shape[:-1]) == x.shape[:-1]
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} must hold one value per row of x (shape broadcastable to {x.shape[:-1]}); got shape "
            f"{np.shape(value)}"
        )


@constrained(x=_LYAPUNOV["x"], m=_LYAPUNOV["m"], f_x=Reals(), **_ODE)
def lion_k_lyapunov(
    x: ArrayLike,
    m: ArrayLike,
    f_x: ArrayLike,
    alpha: float,
    gamma: float,
    eps: float,
    lam: float,
    kinetic: str = "logcosh",
) -> NDArray:
    """The Lyapunov function of the continuous-time Lion-K (module docstring; derived here),

        H(x, m) = alpha f(x) + (gamma/lam) K*(lam x) + c [K*(lam x) + K(m) - lam <m, x>],
        c = (1 - eps gamma)/(1 + eps lam).

    Parameters
    ----------
    x, m : array_like (..., d), broadcastable; lam x must lie in the domain of K*.
    f_x : array_like, f(x) per row of x (broadcastable to x.shape[:-1]).
    alpha, gamma, eps : floats >= 0, the ODE's parameters (``lion_ode_params`` maps a discrete Lion-K to them).
    lam : float > 0
    kinetic : one of ``KINETICS``

    Returns
    -------
    ndarray (...,)

    Examples
    --------
    >>> float(lion_k_lyapunov([0.5, -0.5], [1.0, 2.0], 0.25, 1.0, 1.0, 0.5, 1.0, "l1"))
    1.4166666666666665
    """
    _rows_of(f_x, x, "f_x")
    kin, y = _lyapunov_args(x, lam, kinetic, interior=False)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the ValueError below
        c = (1.0 - eps * gamma) / (1.0 + eps * lam)
        k_star = kin.K_star(y)
        H = alpha * f_x + (gamma / lam) * k_star + c * (k_star + kin.K(m) - np.sum(m * y, axis=-1))
    return finite_result(H, "H", _ALL_ODE_ARGS.replace("grad_fx", "f_x"))


def _ode_terms(x: NDArray, m: NDArray, grad_fx: NDArray, alpha: float, gamma: float, eps: float, kin: Kinetic):
    m_dot = -alpha * grad_fx - gamma * m
    m_tilde = m + eps * m_dot
    return m_dot, m_tilde, np.asarray(kin.grad_K(m_tilde), dtype=float)


@constrained(**_LYAPUNOV, grad_fx=Reals(like="x"), **_ODE)
def lion_k_ode_field(
    x: ArrayLike,
    m: ArrayLike,
    grad_fx: ArrayLike,
    alpha: float,
    gamma: float,
    eps: float,
    lam: float,
    kinetic: str = "logcosh",
) -> tuple[NDArray, NDArray]:
    """The continuous-time Lion-K: ``m' = -alpha grad f(x) - gamma m``, ``x' = grad K(m + eps m') - lam x``.

    Parameters
    ----------
    x, m, grad_fx : array_like (..., d), broadcastable; grad_fx is grad f at x.
    alpha, gamma, eps, lam, kinetic : as in ``lion_k_lyapunov``.

    Returns
    -------
    (x', m') : ndarrays of the broadcast shape.

    Examples
    --------
    >>> xd, md = lion_k_ode_field([0.0], [1.0], [2.0], 1.0, 1.0, 0.5, 1.0, "quadratic")
    >>> float(xd[0]), float(md[0])
    (-0.5, -3.0)
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the ValueError below
        m_dot, _, step = _ode_terms(x, m, grad_fx, alpha, gamma, eps, _KINETIC[kinetic])
        x_dot = step - lam * x
    return finite_result(x_dot, "x'", _ALL_ODE_ARGS), finite_result(m_dot, "m'", _ALL_ODE_ARGS)


@constrained(**_LYAPUNOV, grad_fx=Reals(like="x"), **_ODE)
def lion_k_lyapunov_rate(
    x: ArrayLike,
    m: ArrayLike,
    grad_fx: ArrayLike,
    alpha: float,
    gamma: float,
    eps: float,
    lam: float,
    kinetic: str = "logcosh",
) -> NDArray:
    """dH/dt along the continuous-time Lion-K (``lion_k_ode_field``), in closed form (derived here, module
    docstring):

        dH/dt = -c <grad K(m~) - grad K(m), m'> - k <grad K(m~) - lam x, m~ - grad K*(lam x)>,
        m~ = m + eps m',  c = (1 - eps gamma)/(1 + eps lam),  k = (gamma + lam)/(1 + eps lam).

    Both inner products are >= 0 for a convex K (monotone gradients; lam x = grad K(grad K*(lam x))), so dH/dt <= 0
    whenever eps gamma <= 1, for any differentiable f, convex or not. Needs a differentiable K* (not ``"l1"``) and lam
    x inside its domain.

    Parameters
    ----------
    x, m, grad_fx : array_like (..., d), broadcastable; grad_fx is grad f at x.
    alpha, gamma, eps, lam, kinetic : as in ``lion_k_lyapunov``.

    Returns
    -------
    ndarray (...,)

    Examples
    --------
    >>> r = lion_k_lyapunov_rate([0.2, -0.1], [1.0, -2.0], [0.3, 0.4], 1.0, 1.0, 0.5, 1.0)
    >>> bool(r <= 0)
    True
    """
    if _KINETIC[kinetic].grad_K_star is None:
        raise ValueError(
            f"kinetic={kinetic!r} has no differentiable K*: the rate needs one of "
            f"{[k for k in KINETICS if _KINETIC[k].grad_K_star is not None]}"
        )
    kin, y = _lyapunov_args(x, lam, kinetic, interior=True)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the ValueError below
        m_dot, m_tilde, step = _ode_terms(x, m, grad_fx, alpha, gamma, eps, kin)
        c = (1.0 - eps * gamma) / (1.0 + eps * lam)
        k = (gamma + lam) / (1.0 + eps * lam)
        # the first term is (c/eps) <grad K(m~) - grad K(m), m~ - m> without the division, so that eps = 0 works
        momentum = np.sum((step - np.asarray(kin.grad_K(m), dtype=float)) * m_dot, axis=-1)
        decay = np.sum((step - y) * (m_tilde - kin.grad_K_star(y)), axis=-1)
        rate = -c * momentum - k * decay
    return finite_result(rate, "dH/dt", _ALL_ODE_ARGS)


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
@record(grad_norm2=Reals(0.0), f=Optional(Reals()), lyapunov=Optional(Reals()), client_error=Reals(0.0), x=Reals())
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
