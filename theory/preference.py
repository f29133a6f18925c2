"""Preference optimisation and unlearning in closed form: f-divergence DPO and negative preference optimisation.

Conventions, stated once:

- A *policy* over K responses (to one prompt) is a probability vector along the last axis; leading axes are a batch
  (prompts or replicates). ``r`` holds rewards, ``pi_ref`` the reference policy, ``u = pi / pi_ref`` the ratio.
- An f-divergence is ``D_f(pi || pi_ref) = sum_i pi_ref_i f(pi_i / pi_ref_i)`` with f convex and f(1) = 0; on a
  response with ``pi_ref_i = 0`` the term is ``pi_i f'(inf)`` (the perspective's limit), ``f'(inf) = lim f'(u)``.
  The five divergences, by name (f, f', (f')^-1 on the range of f', f'(inf)):

  ===================  ========================================  ==========================  ========
  ``"reverse_kl"``     u log u,            f' = 1 + log u          exp(v - 1)                  inf
  ``"forward_kl"``     -log u,             f' = -1/u               -1/v  (v < 0)               0
  ``"jensen_shannon"`` u log u - (1+u) log((1+u)/2),                e^v / (2 - e^v)  (v < log 2) log 2
                       f' = log 2 - log(1 + 1/u)
  ``"alpha"``          (u^(1-a) - (1-a) u - a) / (a (a - 1)),      (1 - a v)^(-1/a)  (v < 1/a) 1/a
                       f' = (1 - u^(-a)) / a,   0 < a < 1
  ``"chi2"``           (u - 1)^2,          f' = 2 (u - 1)          1 + v/2                     inf
  ===================  ========================================  ==========================  ========

  The first four have f'(u) -> -inf as u -> 0 ("0 is not in the domain of f'"), which is what makes the optimum
  keep full support; ``"chi2"`` has f'(0) = -2 and is kept as the negative control (its optimum truncates). The
  derivatives and inverses are checked symbolically (sympy) in ``tests/test_preference.py``.
- The f-regularised problem (Wang et al. 2024 [1]): maximise ``sum_i pi_i r_i - beta D_f(pi || pi_ref)`` over the
  simplex. Its KKT conditions give ``pi_i = pi_ref_i (f')^-1((r_i - lambda) / beta)`` for the admissible f (their
  statement as restated in the abstract; the theorem's text was not read here). Everything else in this module
  about the optimum (the bracket, the bounds, the off-support mass) is derived here, in the docstrings below.
- NPO (Zhang et al. 2024 [2]): on a forget example with log-ratio ``z = log pi_theta - log pi_ref``,
  ``L_NPO = (2/beta) log(1 + exp(beta z))``; gradient ascent's loss is ``L_GA = log pi_theta``; ``W = 2 sigmoid(beta
  z)`` (the loss and weight as restated from the paper's Eq. 3 and its gradient identity; the text was not re-read
  here). Computations go through ``logaddexp`` and ``expit``, so log-ratios of any size give finite answers.
- NPO on a logistic model (Zhang et al. 2024 [2], Theorem 2, as restated, not read here): on n_f <= d forget
  points with X X' invertible and ``max_{i != j} |<x_i, x_j>| <= C0 / n_f``, GA's distance ``||theta_t -
  theta_init||_{X'X}`` grows linearly in eta t and NPO's (eta <= 1) like ``log(C eta t / n_f + 1)``. Derived here
  (a fixed-point argument, not a proof): with ``z_i = y_i x_i'theta`` and ``G_ij = y_i y_j <x_i, x_j>``, a step moves
  z by ``-(eta/n_f) G s`` (``s_i = sigmoid(-z_i)``, times W_i for NPO), and the distance is ``||z - z_0||_2``. For GA
  every s_i -> 1 once G 1 > 0, so the distance grows like ``eta t ||X X' y|| / n_f``; for NPO, W_j ~ a_j / t with
  ``G a = n_f / (beta eta) 1`` gives ``z_i = -(1/beta) log t + c_i + o(1)``, so the distance grows by
  ``sqrt(n_f) ln(10) / beta`` per decade of t, whatever eta and X (given G^-1 1 > 0).

Valid ranges, as data: ``BETA_RANGE`` (the regularisation strength), ``MAX_ABS_REWARD`` (|r| below it, so that
reward gaps divided by the smallest beta stay far inside float64), log-probabilities in ``[-MAX_NEG_LOGP, 0]``.

References
----------
.. [1] C. Wang, Y. Jiang, C. Yang, H. Liu, Y. Chen, "Beyond Reverse KL: Generalizing Direct Preference
   Optimization with Diverse Divergence Constraints", ICLR 2024, arXiv:2309.16240.
.. [2] R. Zhang, L. Lin, Y. Bai, S. Mei, "Negative Preference Optimization: From Catastrophic Collapse to Effective
   Unlearning", arXiv:2404.05868, 2024.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp
from scipy.special import expit, log_expit, logsumexp

from theory._checks import finite_result
from theory._constraints import (
    Distributions,
    Function,
    Integer,
    Integers,
    OnlyFor,
    Optional,
    Options,
    Real,
    Reals,
    Tensor,
    constrained,
    record,
)

__all__ = [
    "ADMISSIBLE",
    "BETA_RANGE",
    "DIVERGENCES",
    "MAX_ABS_REWARD",
    "MAX_NEG_LOGP",
    "MAX_UNLEARNING_STEPS",
    "FDivergence",
    "LogisticUnlearningPath",
    "UnlearningPath",
    "f_divergence",
    "f_regularized_optimum",
    "fdpo_loss",
    "ga_loss",
    "implied_reward",
    "logistic_unlearning_run",
    "npo_loss",
    "npo_weight",
    "off_support_mass",
    "optimum_ratio_bounds",
    "tabular_unlearning_flow",
]

DIVERGENCES = ("reverse_kl", "forward_kl", "jensen_shannon", "alpha", "chi2")
ADMISSIBLE = DIVERGENCES[:4]  # 0 is not in the domain of f': the optimum keeps full support
BETA_RANGE = (1e-6, 1e6)
MAX_ABS_REWARD = 1e150
MAX_NEG_LOGP = 1e6  # log-probabilities below -1e6 (probabilities below e^-1e6) are not representable anyway
LOG_MAX = float(np.log(np.finfo(float).max))  # exp overflows above this
_BISECTIONS = 2000  # a cap; the bracket has width O(|f'(1/pi_ref)|) and halves to one ulp in about 60-1100 steps

_DIVERGENCE = {"divergence": Options(DIVERGENCES), "alpha": OnlyFor("divergence", "alpha", Real(0.0, 1.0, True, True))}
_BETA = {"beta": Real(*BETA_RANGE)}
_LOGP = Reals(-MAX_NEG_LOGP, 0.0)


@dataclass(frozen=True)
@record(f=Function(), fprime=Function(), fprime_inv=Function(), fprime_inf=Real(allow_inf=True))
class FDivergence:
    """``f_divergence``'s answer: the generator and its derivative, the derivative's inverse and its limit at inf
    (the callables act elementwise on arrays); unpacks as the tuple ``(f, fprime, fprime_inv, fprime_inf)``.

    Attributes
    ----------
    f, fprime, fprime_inv : callables
    fprime_inf : float, ``lim_{u -> inf} f'(u)`` (inf for reverse KL and chi2).
    """

    f: Callable
    fprime: Callable
    fprime_inv: Callable
    fprime_inf: float

    def __iter__(self) -> Iterator:  # the documented tuple unpacking
        return iter((self.f, self.fprime, self.fprime_inv, self.fprime_inf))


def _fprime_of_log(logu: NDArray, name: str, a: float | None) -> NDArray:
    """f'(exp(logu)) without forming u (so that ratios of 1e-300 or 1e300 stay finite where f' is): -inf/+inf
    only where f' itself is not representable, with no overflow warning."""
    if name == "reverse_kl":
        return 1.0 + logu
    if name == "jensen_shannon":
        return np.log(2.0) - np.logaddexp(0.0, -logu)
    if name == "forward_kl":
        return -_exp(-logu)
    if name == "alpha":
        return (1.0 - _exp(-a * logu)) / a
    return 2.0 * (_exp(logu) - 1.0)


def _exp(x: NDArray) -> NDArray:
    """exp(x), with inf (not an overflow warning) where exp(x) exceeds float64."""
    x = np.asarray(x, dtype=float)
    return np.where(x > LOG_MAX, np.inf, np.exp(np.minimum(x, LOG_MAX)))


def _fprime_inv(v: NDArray, name: str, a: float | None) -> NDArray:
    """(f')^-1(v) for v up to f'(inf) (inf there, and where the ratio exceeds float64, without a warning); chi2
    clipped at 0 (its KKT multiplier). JS and alpha are written in the distance w = f'(inf) - v, so that a ratio
    near 1/pi_ref for a tiny pi_ref does not cancel to 1/0."""
    tiny = np.finfo(float).tiny
    if name == "reverse_kl":
        return _exp(v - 1.0)
    if name == "forward_kl":
        return np.where(v < 0.0, -1.0 / np.where(v < 0.0, v, -1.0), np.inf)
    if name == "jensen_shannon":
        w = np.log(2.0) - v
        wp = np.maximum(w, 0.0)  # 1/(e^w - 1) = e^-w / (1 - e^-w): no overflow for large w
        return np.where(w > 0.0, np.exp(-wp) / np.maximum(-np.expm1(-wp), tiny), np.inf)
    if name == "alpha":
        base = 1.0 - a * v
        return np.where(base > 0.0, _exp(-np.log(np.maximum(base, tiny)) / a), np.inf)
    return np.maximum(0.0, 1.0 + v / 2.0)


def _fprime_inf(name: str, a: float | None) -> float:
    return {"reverse_kl": np.inf, "forward_kl": 0.0, "jensen_shannon": float(np.log(2.0)), "chi2": np.inf}.get(
        name, 1.0 / a if a else np.inf
    )


@constrained(name=Options(DIVERGENCES), alpha=OnlyFor("name", "alpha", Real(0.0, 1.0, True, True)))
def f_divergence(name: str, alpha: float | None = None) -> FDivergence:
    """The generator f of a named f-divergence, f', (f')^-1 and f'(inf) (the table in the module docstring).

    Parameters
    ----------
    name : {"reverse_kl", "forward_kl", "jensen_shannon", "alpha", "chi2"}
    alpha : float in (0, 1), only (and required) for ``name="alpha"``.

    Returns
    -------
    FDivergence
        ``(f, fprime, fprime_inv, fprime_inf)``; the callables act elementwise on arrays (f and f' on u > 0).

    Examples
    --------
    >>> f, fp, fpinv, fp_inf = f_divergence("jensen_shannon")
    >>> float(f(np.array(1.0))), float(fpinv(fp(np.array(3.0)))), round(fp_inf, 6)
    (0.0, 3.0, 0.693147)
    """
    a = alpha

    def f(u: ArrayLike) -> NDArray:
        u = np.asarray(u, dtype=float)
        if name == "reverse_kl":
            return u * np.log(u)
        if name == "forward_kl":
            return -np.log(u)
        if name == "jensen_shannon":
            return u * np.log(u) - (1.0 + u) * np.log((1.0 + u) / 2.0)
        if name == "alpha":
            return (u ** (1.0 - a) - (1.0 - a) * u - a) / (a * (a - 1.0))
        return (u - 1.0) ** 2

    def fprime(u: ArrayLike) -> NDArray:
        return _fprime_of_log(np.log(np.asarray(u, dtype=float)), name, a)

    def fprime_inv(v: ArrayLike) -> NDArray:
        return _fprime_inv(np.asarray(v, dtype=float), name, a)

    return FDivergence(f, fprime, fprime_inv, _fprime_inf(name, a))


def _gap_of_log(logu: NDArray, name: str, a: float | None) -> NDArray:
    """f'(inf) - f'(u) for the divergences with a finite f'(inf), from log u and without cancellation:
    1/u (forward KL), log(1 + 1/u) (JS), u^-a / a (alpha)."""
    if name == "forward_kl":
        return _exp(-logu)
    if name == "jensen_shannon":
        return np.logaddexp(0.0, -logu)
    return _exp(-a * logu) / a


def _ratio_of_gap(w: NDArray, name: str, a: float | None) -> NDArray:
    """The ratio u whose gap f'(inf) - f'(u) is w >= 0 (inf at w = 0 and where u exceeds float64, no warning)."""
    tiny = np.finfo(float).tiny
    wp = np.maximum(w, tiny)
    if name == "forward_kl":
        u = 1.0 / wp
    elif name == "jensen_shannon":  # 1/(e^w - 1) = e^-w / (1 - e^-w): no overflow for large w
        u = np.exp(-wp) / np.maximum(-np.expm1(-wp), tiny)
    else:
        u = _exp(-np.log(a * wp) / a)
    return np.where(w > 0.0, u, np.inf)


def _bisect(mass: Callable, lo: NDArray, hi: NDArray, increasing: bool) -> NDArray:
    """The point of [lo, hi] where the monotone ``mass`` crosses 1, to one ulp; the end where mass >= 1."""
    for _ in range(_BISECTIONS):
        mid = lo + (hi - lo) / 2.0
        live = (mid > lo) & (mid < hi)
        if not live.any():
            break
        above = mass(mid) >= 1.0
        go_up = ~above if increasing else above  # move lo up when the crossing lies above mid
        lo = np.where(live & go_up, mid, lo)
        hi = np.where(live & ~go_up, mid, hi)
    return hi if increasing else lo


def _optimum(r: NDArray, pi_ref: NDArray, beta: float, name: str, a: float | None) -> tuple[NDArray, NDArray]:
    """(pi on the support, the mass placed off it), of the broadcast shape (the mass without the last axis).

    With d_i = (r_i - r_top)/beta <= 0 (r_top the best reward on the support) the optimum is
    ``pi_i = pi_ref_i (f')^-1(d_i + t)``, ``t = (r_top - lambda)/beta``, and the root lies in a bracket derived
    here: at ``t = f'(1)`` every ratio is <= 1 (mass <= 1); at ``t = min(f'(1) - d_min, min_i f'(1/pi_ref_i) - d_i)``
    every ratio is >= 1 or one response alone has pi_i = 1 (mass >= 1). Where f'(inf) is finite the root is sought
    in the top response's gap ``x = f'(inf) - t`` instead (gaps ``x - d_i``), so that ratios near 1/pi_ref for a tiny
    pi_ref, whose f' rounds to f'(inf), keep their precision."""
    r, pi_ref = np.broadcast_arrays(r, pi_ref)
    on = pi_ref > 0
    p = np.where(on, pi_ref, 1.0)
    r_top = np.max(np.where(on, r, -np.inf), axis=-1, keepdims=True)
    d = np.where(on, (r - r_top) / beta, 0.0)
    d_min = np.min(np.where(on, d, np.inf), axis=-1)
    fp_inf = _fprime_inf(name, a)

    def capped(u: NDArray) -> NDArray:  # pi_i <= 1 holds exactly at the root; the cap absorbs rounding
        return np.where(on, np.minimum(p * u, 1.0), 0.0)

    if np.isfinite(fp_inf):
        g1 = float(_gap_of_log(np.zeros(()), name, a))
        lo = np.maximum(np.max(np.where(on, _gap_of_log(-np.log(p), name, a) + d, -np.inf), axis=-1), g1 + d_min)

        def policy(x: NDArray) -> NDArray:
            return capped(_ratio_of_gap(x[..., None] - d, name, a))

        x = _bisect(lambda x: policy(x).sum(axis=-1), lo, np.full_like(lo, g1), increasing=False)
        # off the support the divergence costs beta f'(inf) per unit mass (derived in off_support_mass): the best
        # such response j* takes mass when its reward beats the multiplier, i.e. when x_j* = (r_j* - r_top)/beta
        # exceeds the root; then x is pinned there and the support keeps less than all the mass
        x_pin = np.max(np.where(on, -np.inf, (r - r_top) / beta), axis=-1)
        pinned = x_pin > x
        pi_on = policy(np.where(pinned, x_pin, x))
    else:
        fp1 = float(_fprime_of_log(np.zeros(()), name, a))
        cap = np.where(on, _fprime_of_log(-np.log(p), name, a) - d, np.inf)
        hi = np.maximum(np.minimum(cap.min(axis=-1), fp1 - d_min), fp1)

        def policy(t: NDArray) -> NDArray:
            return capped(_fprime_inv(np.where(on, d + t[..., None], fp1), name, a))

        t = _bisect(lambda t: policy(t).sum(axis=-1), np.full_like(hi, fp1), hi, increasing=True)
        pinned, pi_on = np.zeros(t.shape, bool), policy(t)
    mass_off = np.where(pinned, np.clip(1.0 - pi_on.sum(axis=-1), 0.0, 1.0), 0.0)
    scale = np.where(pinned, 1.0, 1.0 / pi_on.sum(axis=-1))  # the bisection's last ulp, folded in
    return pi_on * scale[..., None], mass_off


@constrained(
    r=Reals(-MAX_ABS_REWARD, MAX_ABS_REWARD, min_len=2),
    pi_ref=Distributions(like="r"),
    **_BETA,
    **_DIVERGENCE,
)
def f_regularized_optimum(
    r: ArrayLike, pi_ref: ArrayLike, beta: float, divergence: str, alpha: float | None = None
) -> NDArray:
    """The maximiser over the simplex of ``sum_i pi_i r_i - beta D_f(pi || pi_ref)``.

    On the support of ``pi_ref``: ``pi_i = pi_ref_i (f')^-1((r_i - lambda)/beta)``, lambda the root of
    ``sum pi = 1`` (bisection on a bracket derived in the code, ``_optimum``, so no overflow for rewards of any
    scale and beta in ``BETA_RANGE``). Where ``pi_ref_j = 0`` and f'(inf) is finite the best such response takes the
    mass ``off_support_mass``; for ``"chi2"`` the ratios are clipped at 0 (the multiplier of pi_i >= 0), so the
    answer is the true optimum, which may leave responses at exactly 0.

    Parameters
    ----------
    r : array_like, shape (..., K), K >= 2
        Rewards, ``|r| <= MAX_ABS_REWARD``.
    pi_ref : array_like, broadcastable to r
        Reference distributions along the last axis (zeros allowed).
    beta : float in ``BETA_RANGE``
    divergence : one of ``DIVERGENCES``
    alpha : float in (0, 1), for ``divergence="alpha"`` only.

    Returns
    -------
    ndarray, the broadcast shape of r and pi_ref: the optimal policy.

    Examples
    --------
    >>> pi = f_regularized_optimum([1.0, 0.0, -1.0], [0.2, 0.3, 0.5], beta=1.0, divergence="reverse_kl")
    >>> w = np.array([0.2, 0.3, 0.5]) * np.exp([1.0, 0.0, -1.0])
    >>> bool(np.allclose(pi, w / w.sum(), rtol=1e-12)), round(float(pi.sum()), 12)
    (True, 1.0)
    """
    pi_on, mass_off = _optimum(r, pi_ref, beta, divergence, alpha)
    r_b, p_b = np.broadcast_arrays(r, pi_ref)
    off = p_b == 0
    best_off = np.argmax(np.where(off, r_b, -np.inf), axis=-1)
    pi = pi_on.copy()
    np.put_along_axis(
        pi, best_off[..., None], np.take_along_axis(pi, best_off[..., None], -1) + mass_off[..., None], -1
    )
    return pi


@constrained(
    r=Reals(-MAX_ABS_REWARD, MAX_ABS_REWARD, min_len=2),
    pi_ref=Distributions(like="r"),
    **_BETA,
    **_DIVERGENCE,
)
def off_support_mass(
    r: ArrayLike, pi_ref: ArrayLike, beta: float, divergence: str, alpha: float | None = None
) -> NDArray:
    """The mass the f-regularised optimum places on responses the reference never produces (``pi_ref_j = 0``).

    Derived here: off the support the divergence charges ``beta f'(inf)`` per unit of mass (the perspective's
    limit), so only the best off-support response j* can take mass, at the effective reward
    ``r_j* - beta f'(inf)``. With lambda_0 the multiplier of the problem on the support alone,
    ``lambda = max(lambda_0, r_j* - beta f'(inf))`` and the mass is
    ``1 - sum_supp pi_ref (f')^-1((r - lambda)/beta)``; it is 0 for reverse KL and chi2 (f'(inf) = inf) and for
    every divergence when ``r_j* - beta f'(inf) <= lambda_0``. The limit ``pi_ref_j = eps -> 0`` of the ordinary
    optimum reaches it (checked by ``sims.preference.fdpo_support``).

    Parameters
    ----------
    r, pi_ref, beta, divergence, alpha : as in ``f_regularized_optimum`` (pi_ref may have zeros).

    Returns
    -------
    ndarray, the broadcast shape without the last axis.

    Examples
    --------
    >>> round(float(off_support_mass([0.0, 0.0, 3.0], [0.5, 0.5, 0.0], beta=1.0, divergence="forward_kl")), 12)
    0.666666666667
    """
    return _optimum(r, pi_ref, beta, divergence, alpha)[1]


@constrained(
    r=Reals(-MAX_ABS_REWARD, MAX_ABS_REWARD, min_len=2),
    pi_ref=Distributions(positive=True, like="r"),
    **_BETA,
    **_DIVERGENCE,
)
def optimum_ratio_bounds(
    r: ArrayLike, pi_ref: ArrayLike, beta: float, divergence: str, alpha: float | None = None
) -> tuple[NDArray, NDArray]:
    """Bounds on the optimal ratio ``u_i = pi_i / pi_ref_i`` that need no root-find (derived here).

    ``(f')^-1(f'(1) - (r_max - r_i)/beta) <= u_i <= (f')^-1(f'(1) + (r_i - r_min)/beta)``, the upper end capped at
    ``1/pi_ref_i`` (pi_i <= 1). Proof: lambda lies in ``[r_min - beta f'(1), r_max - beta f'(1)]`` (at the upper end
    every ratio is <= 1 so ``sum pi <= 1``; at the lower end every ratio is >= 1), and (f')^-1 is increasing.

    Parameters
    ----------
    r, beta, divergence, alpha : as in ``f_regularized_optimum``.
    pi_ref : array_like, positive distributions broadcastable to r.

    Returns
    -------
    (lower, upper) : ndarrays of the broadcast shape.

    Examples
    --------
    >>> lo, hi = optimum_ratio_bounds([1.0, 0.0], [0.5, 0.5], beta=1.0, divergence="reverse_kl")
    >>> bool(np.all(lo <= hi)), float(lo[0]), float(hi[1])
    (True, 1.0, 1.0)
    """
    r, pi_ref = np.broadcast_arrays(r, pi_ref)
    fp1 = float(_fprime_of_log(np.zeros(()), divergence, alpha))
    r_max, r_min = r.max(axis=-1, keepdims=True), r.min(axis=-1, keepdims=True)
    lower = _fprime_inv(fp1 - (r_max - r) / beta, divergence, alpha)
    # the argument of the upper end is capped at f'(1/pi_ref_i) (so it stays in the range of f')
    cap = _fprime_of_log(-np.log(pi_ref), divergence, alpha)
    upper = _fprime_inv(np.minimum(fp1 + (r - r_min) / beta, cap), divergence, alpha)
    return lower, np.minimum(upper, 1.0 / pi_ref)


@constrained(
    pi=Distributions(positive=True, min_len=2),
    pi_ref=Distributions(positive=True, like="pi"),
    **_BETA,
    **_DIVERGENCE,
)
def implied_reward(
    pi: ArrayLike, pi_ref: ArrayLike, beta: float, divergence: str, alpha: float | None = None
) -> NDArray:
    """The reward a policy is optimal for, up to a constant per prompt: ``beta f'(pi / pi_ref)``.

    At the f-regularised optimum ``beta f'(pi*_i / pi_ref_i) = r_i - lambda``, so ``implied_reward - r`` is constant
    over the responses (checked by ``sims.preference.fdpo_optimum``). Computed from the log-ratio, so ratios of
    1e-300 give finite values where f' is finite.

    Parameters
    ----------
    pi, pi_ref : array_like, positive distributions along the last axis, broadcastable.
    beta, divergence, alpha : as in ``f_regularized_optimum``.

    Returns
    -------
    ndarray, the broadcast shape.

    Examples
    --------
    >>> rew = implied_reward([0.25, 0.75], [0.5, 0.5], beta=2.0, divergence="reverse_kl")
    >>> bool(np.isclose(rew[1] - rew[0], 2.0 * np.log(3.0), rtol=1e-14))
    True
    """
    pi, pi_ref = np.broadcast_arrays(pi, pi_ref)
    return beta * _fprime_of_log(np.log(pi) - np.log(pi_ref), divergence, alpha)


def _exp_difference(x: NDArray, y: NDArray, log_scale: float = 0.0) -> NDArray:
    """e^log_scale (exp(x) - exp(y)) in the scaled form e^(m + log_scale) (e^(x-m) - e^(y-m)), m = max(x, y):
    +-inf only where the value itself exceeds float64, never inf - inf or an overflow warning."""
    m = np.maximum(x, y)
    core = np.exp(x - m) - np.exp(y - m)  # in [-1, 1]
    with np.errstate(divide="ignore"):  # core == 0 (x == y): log 0 = -inf, and the answer is 0
        log_mag = m + log_scale + np.log(np.abs(core))
    return np.where(core == 0.0, 0.0, np.sign(core) * _exp(log_mag))


@constrained(
    logp_w=_LOGP,
    logp_l=Reals(-MAX_NEG_LOGP, 0.0, like="logp_w"),
    ref_w=Reals(-MAX_NEG_LOGP, 0.0, like="logp_w"),
    ref_l=Reals(-MAX_NEG_LOGP, 0.0, like="logp_w"),
    **_BETA,
    **_DIVERGENCE,
)
def fdpo_loss(
    logp_w: ArrayLike,
    logp_l: ArrayLike,
    ref_w: ArrayLike,
    ref_l: ArrayLike,
    beta: float,
    divergence: str,
    alpha: float | None = None,
) -> NDArray:
    """The f-DPO loss of each preference pair: ``-log sigmoid(beta (f'(u_w) - f'(u_l)))``, u = pi / pi_ref.

    The Bradley-Terry likelihood with the implied reward of ``implied_reward`` in place of r (the normalising
    constant cancels in the difference); ``"reverse_kl"`` is DPO. The difference of f' is formed from the log-ratios
    in a scaled form, so the loss is finite or explicitly inf (a pair whose difference exceeds float64), never NaN.

    Parameters
    ----------
    logp_w, logp_l, ref_w, ref_l : array_like, broadcastable
        Log-probabilities (<= 0) of the preferred (w) and dispreferred (l) response under the policy and the
        reference.
    beta, divergence, alpha : as in ``f_regularized_optimum``.

    Returns
    -------
    ndarray, the broadcast shape: one loss per pair (>= 0; inf only where the margin is below -1.8e308).

    Examples
    --------
    >>> loss = fdpo_loss(np.log(0.6), np.log(0.1), np.log(0.3), np.log(0.3), beta=0.5, divergence="reverse_kl")
    >>> round(float(loss), 10) == round(float(np.logaddexp(0.0, -0.5 * np.log(6.0))), 10)
    True
    """
    a_w, a_l = logp_w - ref_w, logp_l - ref_l
    lb = np.log(beta)
    if divergence == "forward_kl":  # beta (1/u_l - 1/u_w)
        margin = _exp_difference(-a_l, -a_w, lb)
    elif divergence == "alpha":  # beta (u_l^-a - u_w^-a) / a
        margin = _exp_difference(-alpha * a_l, -alpha * a_w, lb - np.log(alpha))
    elif divergence == "chi2":  # 2 beta (u_w - u_l)
        margin = _exp_difference(a_w, a_l, lb + np.log(2.0))
    else:  # reverse KL and JS: f' of a log-ratio in [-2e6, 2e6] is at most ~2e6, times beta <= 1e6
        margin = beta * (_fprime_of_log(a_w, divergence, alpha) - _fprime_of_log(a_l, divergence, alpha))
    return np.logaddexp(0.0, -margin)


_NPO = {"logp": _LOGP, "logp_ref": Reals(-MAX_NEG_LOGP, 0.0, like="logp"), **_BETA}


@constrained(**_NPO)
def npo_loss(logp: ArrayLike, logp_ref: ArrayLike, beta: float) -> NDArray:
    """The NPO loss of each forget example: ``(2/beta) log(1 + (pi/pi_ref)^beta) = (2/beta) log(1 + e^(beta z))``,
    z = logp - logp_ref; via ``logaddexp``, finite for log-ratios of any size.

    As beta -> 0, ``L_NPO - (2/beta) log 2 -> z = L_GA - logp_ref``; derived here: the gap is
    ``(2/beta) log cosh(beta z / 2)``, in ``[0, beta z^2 / 4]`` (``log cosh x <= x^2/2``).

    Parameters
    ----------
    logp, logp_ref : array_like, broadcastable: log-probabilities (<= 0) under the model and the reference.
    beta : float in ``BETA_RANGE``.

    Returns
    -------
    ndarray, the broadcast shape.

    Examples
    --------
    >>> bool(np.isclose(npo_loss(np.log(0.5), np.log(0.5), beta=1.0), 2.0 * np.log(2.0), rtol=1e-14))
    True
    """
    return (2.0 / beta) * np.logaddexp(0.0, beta * (logp - logp_ref))


@constrained(logp=_LOGP)
def ga_loss(logp: ArrayLike) -> NDArray:
    """Gradient ascent's unlearning loss of each forget example: ``L_GA = log pi_theta`` (minimising it is ascent
    on the negative log-likelihood; unbounded below, hence the collapse NPO slows).

    Parameters
    ----------
    logp : array_like, log-probabilities (<= 0).

    Returns
    -------
    ndarray, a float copy of logp.

    Examples
    --------
    >>> float(ga_loss(-2.0))
    -2.0
    """
    return np.array(logp, dtype=float)


@constrained(**_NPO)
def npo_weight(logp: ArrayLike, logp_ref: ArrayLike, beta: float) -> NDArray:
    """The factor between the NPO and GA gradients: ``grad L_NPO = W grad L_GA``,
    ``W = 2 pi^beta / (pi^beta + pi_ref^beta) = 2 sigmoid(beta z)``, in (0, 2); ``|W - 1| <= beta |z| / 2``
    (``|tanh x| <= |x|``, derived here).

    Parameters
    ----------
    logp, logp_ref, beta : as in ``npo_loss``.

    Returns
    -------
    ndarray, the broadcast shape, in (0, 2).

    Examples
    --------
    >>> float(npo_weight(np.log(0.2), np.log(0.2), beta=0.3))
    1.0
    """
    return 2.0 * expit(beta * (logp - logp_ref))


@dataclass(frozen=True)
@record(times=Reals(0.0), logits=Tensor(3), log_ratio=Reals(), other_clock=Reals(0.0), remaining_entropy=Reals(0.0))
class UnlearningPath:
    """``tabular_unlearning_flow``'s answer, replicates first.

    Attributes
    ----------
    times : ndarray (T,), the flow's own clock.
    logits : ndarray (R, T, K)
    log_ratio : ndarray (R, T), ``z = log pi(forget) - log pi_ref(forget)``.
    other_clock : ndarray (R, T), the time the other method needs to reach the same point of the common path: on an
        NPO run the GA time ``s = int_0^t W dt'``; on a GA run the NPO time ``int_0^s ds' / W`` (with ``beta``).
    remaining_entropy : ndarray (R, T), the entropy of pi restricted to the other responses, renormalised.
    """

    times: NDArray
    logits: NDArray
    log_ratio: NDArray
    other_clock: NDArray
    remaining_entropy: NDArray


def _flow_field(K: int, forget: int, beta: float, method: str, log_ref: NDArray) -> Callable:
    def field(_t: float, y: NDArray) -> NDArray:
        th = y.reshape(-1, K + 1)[:, :K]
        logpi = th - logsumexp(th, axis=1, keepdims=True)
        grad_ga = -np.exp(logpi)  # grad of log pi(forget) = e_forget - pi
        grad_ga[:, forget] += 1.0
        w = 2.0 * expit(beta * (logpi[:, forget] - log_ref))
        if method == "npo":  # theta' = -W grad L_GA; the GA clock runs at W
            return np.concatenate([-w[:, None] * grad_ga, w[:, None]], axis=1).ravel()
        return np.concatenate([-grad_ga, 1.0 / w[:, None]], axis=1).ravel()  # GA; the NPO clock runs at 1/W

    return field


@constrained(
    logits0=Reals(-1e3, 1e3, min_len=2),
    forget=Integer(0),
    times=Reals(0.0, 1e6, min_len=1),
    method=Options(("ga", "npo")),
    beta=Real(1e-3, 1e2),
)
def tabular_unlearning_flow(
    logits0: ArrayLike, forget: int, times: ArrayLike, method: str = "npo", beta: float = 1.0
) -> UnlearningPath:
    """Gradient flow of GA or NPO on one forget response of a tabular softmax policy, from pi_ref = softmax(logits0).

    ``theta' = -grad L(theta)`` with ``L = log pi_theta(forget)`` (GA) or the NPO loss; since ``grad L_NPO = W grad
    L_GA`` the NPO path is the GA path on the slower clock ``ds = W dt`` (derived here; ``other_clock`` integrates
    the other method's clock alongside, so that a check can compare the two paths, and so that NPO's time to reach
    a far point, ``exp(beta kappa s)``-large, is read off a GA run). Integrated with scipy's DOP853 at rtol 1e-10, all
    replicates in one system.

    Parameters
    ----------
    logits0 : array_like (K,) or (R, K)
        Initial (and reference) logits, one row per replicate.
    forget : int in [0, K)
    times : array_like, non-decreasing, >= 0: where to report the path.
    method : {"ga", "npo"}
    beta : float in [1e-3, 1e2], NPO's inverse temperature.

    Returns
    -------
    UnlearningPath

    Examples
    --------
    >>> p = tabular_unlearning_flow([0.0, 0.0, 0.0], forget=0, times=[0.0, 1.0], method="ga")
    >>> bool(p.log_ratio[0, 1] < p.log_ratio[0, 0] == 0.0), p.logits.shape
    (True, (1, 2, 3))
    """
    th0 = np.atleast_2d(logits0)
    R, K = th0.shape
    times = np.atleast_1d(times)
    if forget >= K:
        raise ValueError(f"forget must lie in [0, {K - 1}] (one of the K = {K} responses); got {forget}")
    if times.ndim != 1 or np.any(np.diff(times) < 0):
        raise ValueError(f"times must be a non-decreasing 1-d array; got {times!r:.60}")
    log_ref = th0[:, forget] - logsumexp(th0, axis=1)
    y0 = np.concatenate([th0, np.zeros((R, 1))], axis=1).ravel()
    field = _flow_field(K, forget, beta, method, log_ref)
    uniq, back = np.unique(times, return_inverse=True)  # scipy wants strictly increasing report times
    if uniq[-1] > 0.0:
        sol = solve_ivp(field, (0.0, float(uniq[-1])), y0, method="DOP853", t_eval=uniq, rtol=1e-10, atol=1e-12)
        y = sol.y[:, back]
    else:  # every requested time is 0: the start
        y = np.repeat(y0[:, None], len(times), axis=1)
    ys = y.reshape(R, K + 1, -1).transpose(0, 2, 1)  # (R, T, K + 1)
    th, clock = ys[..., :K], ys[..., K]
    logpi = th - logsumexp(th, axis=-1, keepdims=True)
    rest = np.delete(logpi, forget, axis=-1)
    rest = rest - logsumexp(rest, axis=-1, keepdims=True)
    entropy = -np.sum(np.exp(rest) * rest, axis=-1)
    return UnlearningPath(times, th, logpi[..., forget] - log_ref[:, None], clock, entropy)


@dataclass(frozen=True)
@record(steps=Integers(0), distance=Reals(0.0), log_ratio=Reals(), theta=Tensor(2))
class LogisticUnlearningPath:
    """``logistic_unlearning_run``'s answer, replicates first.

    Attributes
    ----------
    steps : ndarray (T,) of int, the recorded steps.
    distance : ndarray (R, T), ``||theta_t - theta_init||_{X'X} = ||X (theta_t - theta_init)||_2``.
    log_ratio : ndarray (R, T), the forget set's mean ``log p_theta(y_i | x_i) - log p_ref(y_i | x_i)``.
    theta : ndarray (R, d), the last iterate.
    """

    steps: NDArray
    distance: NDArray
    log_ratio: NDArray
    theta: NDArray


MAX_UNLEARNING_STEPS = 10_000_000


def _unlearning_data(X: NDArray, y: NDArray, theta_init: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """(X, y, theta) as (R, n_f, d), (R, n_f), (R, d), with messages that name the argument."""
    X3 = X[None] if X.ndim == 2 else X
    if X3.ndim != 3:
        raise ValueError(f"X must be (n_f, d) or (R, n_f, d) (forget features); got shape {X.shape}")
    R, n_f, d = X3.shape
    y2 = np.broadcast_to(y, (R, n_f)) if y.ndim in (1, 2) and y.shape[-1] == n_f else None
    if y2 is None or (y.ndim == 2 and y.shape[0] not in (1, R)):
        raise ValueError(f"y must hold one label per forget point, shape ({n_f},) or ({R}, {n_f}); got {y.shape}")
    if not np.all(np.abs(y2) == 1.0):
        raise ValueError(f"y must hold labels in {{-1, +1}}; got values {np.unique(y2)[:4]}")
    th = np.broadcast_to(theta_init, (R, d)) if theta_init.shape in ((d,), (1, d), (R, d)) else None
    if th is None:
        raise ValueError(
            f"theta_init must have shape ({d},) or ({R}, {d}) (one weight per feature); got {theta_init.shape}"
        )
    return X3, y2.astype(float), np.array(th, dtype=float)


@constrained(
    X=Reals(min_len=1),
    y=Reals(-1.0, 1.0),
    theta_init=Reals(min_len=1),
    eta=Real(0.0, 1e6, lo_open=True),
    n_steps=Integer(1, MAX_UNLEARNING_STEPS, costly=True),
    method=Options(("ga", "npo")),
    beta=Real(1e-3, 1e2),
    record=Optional(Reals(0.0, MAX_UNLEARNING_STEPS, min_len=1)),
)
def logistic_unlearning_run(
    X: ArrayLike,
    y: ArrayLike,
    theta_init: ArrayLike,
    eta: float,
    n_steps: int,
    method: str = "npo",
    beta: float = 1.0,
    record: ArrayLike | None = None,
) -> LogisticUnlearningPath:
    """Gradient descent of GA or NPO on the forget set of a logistic model, p_theta(y | x) = sigmoid(y x'theta),
    from theta_init, which is also the reference (Zhang et al. 2024, Theorem 2's setting, as restated in the module
    docstring).

    GA descends ``L_GA = (1/n_f) sum_i log p_theta(y_i | x_i)``; NPO descends ``(1/n_f) sum_i L_NPO`` (``npo_loss``),
    whose gradient is ``W_i`` times GA's; step ``theta <- theta - eta grad L``, all replicates at once.

    Parameters
    ----------
    X : array_like (n_f, d) or (R, n_f, d), the forget points' features.
    y : array_like (n_f,) or (R, n_f), labels in {-1, +1}.
    theta_init : array_like (d,) or (R, d)
    eta : float in (0, 1e6]; Theorem 2's NPO rate assumes eta <= 1.
    n_steps : int in [1, MAX_UNLEARNING_STEPS]
    method : {"ga", "npo"}
    beta : float in [1e-3, 1e2], NPO's inverse temperature.
    record : array_like of steps in [0, n_steps], non-decreasing, or None (0 and 40 log-spaced steps to n_steps).

    Returns
    -------
    LogisticUnlearningPath

    Examples
    --------
    >>> X = np.eye(2)  # two orthogonal forget points
    >>> ga = logistic_unlearning_run(X, [1.0, 1.0], [0.0, 0.0], eta=0.5, n_steps=1000, method="ga", record=[500, 1000])
    >>> float(np.round((ga.distance[0, 1] - ga.distance[0, 0]) / (0.5 * 500), 6))  # the slope ||X X'y|| / n_f
    0.707107
    """
    X3, y2, theta = _unlearning_data(X, y, theta_init)
    steps = (
        np.unique(np.r_[0, np.round(np.geomspace(1, n_steps, 40))]).astype(int)
        if record is None
        else np.asarray(record)
    )
    if np.any(steps != np.round(steps)) or np.any(steps > n_steps) or np.any(np.diff(steps) < 0):
        raise ValueError(
            f"record must hold non-decreasing integer steps in [0, n_steps = {n_steps}]; got {steps!r:.60}"
        )
    steps = steps.astype(int)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the ValueError below
        dist, ratio, theta = _unlearning_loop(X3, y2, theta, eta, n_steps, method == "npo", beta, steps)
    for name, value in (("distance", dist), ("log_ratio", ratio), ("theta", theta)):
        finite_result(value, f"the run's {name}", "X, theta_init and eta")
    return LogisticUnlearningPath(steps, dist, ratio, theta)


def _unlearning_loop(
    X: NDArray, y: NDArray, theta: NDArray, eta: float, n_steps: int, npo: bool, beta: float, steps: NDArray
) -> tuple[NDArray, NDArray, NDArray]:
    """logistic_unlearning_run's iteration on checked arguments: the distances, log-ratios and last iterate."""
    n_f = X.shape[1]
    Xy = X * y[..., None]  # rows y_i x_i: z = Xy theta
    step_rows = (eta / n_f) * Xy.transpose(0, 2, 1)  # (R, d, n_f): theta <- theta - step_rows s
    th = theta[..., None]  # (R, d, 1): matmul on stacked columns is faster than einsum in this loop
    z0 = (Xy @ th)[..., 0]
    log_ref = log_expit(z0)
    dist, ratio = np.empty((X.shape[0], len(steps))), np.empty((X.shape[0], len(steps)))
    k = 0
    for t in range(n_steps + 1):
        z = (Xy @ th)[..., 0]
        while k < len(steps) and steps[k] == t:
            dist[:, k] = np.linalg.norm(z - z0, axis=1)  # ||X (theta - theta0)||_2, as |y_i| = 1
            ratio[:, k] = np.mean(log_expit(z) - log_ref, axis=1)
            k += 1
        if t == n_steps:
            break
        s = expit(-z)  # d log sigmoid(z) / dz
        if npo:
            s *= 2.0 * expit(beta * (log_expit(z) - log_ref))  # W_i
        th = th - step_rows @ s[..., None]
    return dist, ratio, th[..., 0]
