"""Online learning: FTRL and OMD on the simplex, and optimistic OMD in the stochastically extended adversarial model.

Two settings.

*Experts (full information) on the simplex.* Losses l_t in [0, 1]^K; the learner plays w_t in the simplex and pays
<w_t, l_t>. ``ftrl`` and ``omd`` are :class:`theory.bandits.Policy` objects, run by :func:`theory.bandits.simulate`
on the same environments as the bandit policies, with three regularisers:

- ``"negentropy"``  psi(w) = sum_i w_i ln w_i        (1-strongly convex w.r.t. ||.||_1 on the simplex, Pinsker)
- ``"tsallis"``     psi(w) = -2 sum_i sqrt(w_i)      (1/2-Tsallis; 1/2-strongly convex w.r.t. ||.||_1)
- ``"log_barrier"`` psi(w) = -sum_i ln w_i           (1-strongly convex w.r.t. ||.||_1)

(the moduli follow from Cauchy-Schwarz: x' diag(h(w)) x >= ||x||_1^2 / sum_i 1/h(w_i), and sum_i 1/h(w_i) is
sum_i w_i = 1, 2 sum_i w_i^{3/2} <= 2 and sum_i w_i^2 <= 1 for the three Hessians).

*Online convex optimisation in the SEA model* (Sachs, Hadiji, van Erven, Guzman 2022; Chen, Zhang, Tu, Zhao, Zhang
2023). At round t the environment draws f_t from D_t; F_t = E f_t. sigma_t^2 = sup_x E||grad f_t(x) - grad F_t(x)||^2
is the stochastic variance, Sigma_t^2 = sup_x ||grad F_t(x) - grad F_{t-1}(x)||^2 the adversarial variation, and
sigma^2_{1:T}, Sigma^2_{1:T} their sums. ``optimistic_omd`` plays on a Euclidean ball (OGD geometry) or on the
simplex (entropic geometry) with the last gradient as the hint; ``optimistic=False`` gives plain OGD / OMD.
The environments here have linear losses f_t(x) = <c_t, x> (convex and 0-smooth), c_t = m_t + sigma xi_t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory import _online_kernels
from theory._checks import (
    as_finite_array,
    finite_result,
    instance_of,
    probability_vectors,
    rng_from,
)
from theory._constraints import (
    Flag,
    Integer,
    Integers,
    Optional,
    Options,
    Real,
    Reals,
    Tensor,
    constrained,
    record,
)
from theory._probability import draw, log_weights_to_probs, power_normaliser
from theory.bandits import Policy, log_checkpoints

__all__ = [
    "DOMAINS",
    "MAX_D",
    "MAX_T",
    "REGULARIZERS",
    "OCOResult",
    "OptimisticOMD",
    "Regularizer",
    "SEAEnvironment",
    "ftrl",
    "ftrl_regret_bound",
    "ftrl_tuned_eta",
    "ftrl_weights",
    "omd",
    "omd_step",
    "optimistic_omd",
    "optimistic_omd_regret_bound",
    "regularizer_range",
    "sea_environment",
    "sea_regret_bound",
    "simulate_oco",
]

Regularizer = Literal["negentropy", "tsallis", "log_barrier"]
REGULARIZERS = ("negentropy", "tsallis", "log_barrier")


DOMAINS = ("ball", "simplex")
MAX_T = 100_000_000  # SEA means are a (T, d) table in memory
MAX_D = 100_000
_ETA = Real(0.0, math.inf, lo_open=True)
_REG = Options(REGULARIZERS)


# ---------------------------------------------------------------------------------------------------------
# Mirror maps on the simplex
# ---------------------------------------------------------------------------------------------------------


@constrained(eta=_ETA, regularizer=_REG)
def ftrl_weights(L: ArrayLike, eta: float, regularizer: Regularizer = "negentropy") -> NDArray:
    """argmin over the simplex of <w, L> + psi(w) / eta, row by row (rows of L are cumulative loss vectors).

    negentropy: w proportional to exp(-eta L) (log domain); tsallis (psi = -2 sum sqrt w): w_i = (eta (L_i - x))^-2;
    log_barrier (psi = -sum ln w): w_i = 1 / (eta (L_i - x)); the normaliser x by Newton's method to 1e-12.

    Parameters
    ----------
    L
        Cumulative loss vectors, shape (..., K), K >= 2.
    eta
        Learning rate > 0.
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).

    Returns
    -------
    w : ndarray
        Weights on the simplex, the shape of L.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> np.round(ftrl_weights([[0.0, 1.0, 2.0]], 1.0), 4)
    array([[0.6652, 0.2447, 0.09  ]])
    >>> np.round(ftrl_weights([[0.0, 1.0, 2.0]], 1.0, "tsallis"), 4)
    array([[0.6955, 0.2068, 0.0977]])
    """
    L2 = np.atleast_2d(as_finite_array(L, "L", ndim=(1, 2)))
    if L2.shape[-1] < 2:
        raise ValueError(f"L must hold K >= 2 cumulative losses per row; got shape {np.shape(L)}")
    w = _ftrl_map(L2, eta, regularizer)
    return w.reshape(np.shape(L)) if np.ndim(L) == 1 else w


def _ftrl_map(L2: NDArray, eta: float, regularizer: str) -> NDArray:
    """``ftrl_weights`` on checked (R, K) rows (the policies call it every round; the checks cost ~60% there)."""
    if regularizer == "negentropy":
        return log_weights_to_probs(-eta * L2)
    return power_normaliser(L2, eta, 2 if regularizer == "tsallis" else 1)[0]


def _scaled_shift(w: NDArray, regularizer: str) -> NDArray:
    """eta L_w for a loss vector L_w with ftrl_weights(L_w, eta) = w: -log w, w^-1/2 or 1/w (no eta in it)."""
    if regularizer == "negentropy":
        return -np.log(np.maximum(w, 1e-300))
    return w**-0.5 if regularizer == "tsallis" else 1.0 / w


def _grad_psi_inverse_shift(w: NDArray, regularizer: str, eta: float) -> NDArray:
    """A loss vector L with ftrl_weights(L, eta) = w (grad psi = -log w, -w^-1/2, -1/w): the OMD step from w is
    ftrl_weights(L + eta-scaled loss)."""
    return _scaled_shift(w, regularizer) / eta


@constrained(eta=_ETA, regularizer=_REG)
def omd_step(w: ArrayLike, loss: ArrayLike, eta: float, regularizer: Regularizer = "negentropy") -> NDArray:
    """One step of online mirror descent on the simplex: argmin_v <loss, v> + B_psi(v, w) / eta.

    The first-order condition grad psi(v) = grad psi(w) - eta loss + lambda 1 is the FTRL map applied to L_w + loss,
    where L_w is a loss vector whose FTRL weights are w (``_grad_psi_inverse_shift``), so the same Newton solver
    serves. For negentropy this is the multiplicative update v proportional to w exp(-eta loss). ``w``: rows in the
    simplex, strictly positive for the Tsallis and log-barrier regularisers (their iterates stay interior).

    Parameters
    ----------
    w
        Current weights, rows on the simplex (strictly positive for tsallis and log_barrier).
    loss
        Loss vectors, the shape of w.
    eta
        Learning rate > 0.
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).

    Returns
    -------
    v : ndarray
        The next weights, the shape of w.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> np.round(omd_step([[0.5, 0.5]], [[1.0, 0.0]], 1.0), 4)
    array([[0.2689, 0.7311]])
    """
    w2 = np.atleast_2d(probability_vectors(w, "w"))
    if regularizer != "negentropy" and np.any(w2 <= 0):
        raise ValueError(f"w must be strictly positive for the {regularizer} regulariser; got a zero entry")
    l2 = np.atleast_2d(as_finite_array(loss, "loss", ndim=(1, 2)))
    if l2.shape != w2.shape:
        raise ValueError(f"loss must have the shape of w {np.shape(w)}; got {np.shape(loss)}")
    # in the scaled form: the map depends on eta L only, so eta L_w (= -log w, w^-1/2 or 1/w, no division by eta)
    # plus eta loss goes in with eta = 1; a step of 5e-324 or 1e300 then neither overflows nor loses the loss
    v = _ftrl_map(_scaled_shift(w2, regularizer) + eta * l2, 1.0, regularizer)
    return v.reshape(np.shape(w)) if np.ndim(w) == 1 else v


@constrained(K=Reals(2.0, math.inf), regularizer=_REG, T=Reals(1.0, math.inf))
def regularizer_range(K: ArrayLike, regularizer: Regularizer = "negentropy", T: ArrayLike = 1.0) -> NDArray:
    """sup_u psi(u) - min_w psi(w) over the simplex (the 'diameter' term of FTRL/OMD from the uniform start).

    negentropy ln K; tsallis 2 (sqrt K - 1). The log barrier is unbounded, so the comparator u is replaced by
    u_eps = (1 - eps) u + eps/K with eps = 1/T: range -ln(1 - eps + eps/K) + (K - 1) ln(K/eps) - K ln K, and the
    replacement costs at most eps T = 1 in loss (added by ``ftrl_regret_bound``).

    Parameters
    ----------
    K
        Numbers of actions K >= 2 (array-like).
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).
    T
        Horizon (used by the log barrier's smoothing eps = 1/T).

    Returns
    -------
    range : ndarray
        sup psi - min psi over the simplex (smoothed for the log barrier), broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> [round(float(regularizer_range(10, r, T=1000)), 3) for r in ("negentropy", "tsallis", "log_barrier")]
    [2.303, 4.325, 59.868]
    """
    if regularizer == "negentropy":
        return np.log(K)
    if regularizer == "tsallis":
        return 2 * (np.sqrt(K) - 1)
    eps = 1.0 / T
    # the same expression, rearranged so that no term cancels catastrophically or overflows at huge K:
    # -ln(1 - eps + eps/K) = -logaddexp(ln(1 - eps), ln eps - ln K), and (K-1) ln(K/eps) - K ln K = -ln K - (K-1) ln eps
    with np.errstate(divide="ignore"):  # ln(1 - eps) = -inf at eps = 1 is exact in logaddexp
        first = -np.logaddexp(np.log1p(-eps), np.log(eps) - np.log(K))
    return first - np.log(K) - (K - 1) * np.log(eps)


def _stability(regularizer: str) -> float:
    # (eta / (2 lambda)) ||l_t - 1/2||_inf^2 with ||l - 1/2||_inf <= 1/2 (FTRL/OMD on the simplex ignore a constant
    # shift of every coordinate) and lambda the strong-convexity modulus w.r.t. ||.||_1
    return 1 / 8 if regularizer != "tsallis" else 1 / 4


@constrained(T=Reals(1.0, math.inf), K=Reals(2.0, math.inf), regularizer=_REG)
def ftrl_tuned_eta(T: ArrayLike, K: ArrayLike, regularizer: Regularizer = "negentropy") -> NDArray:
    """The eta minimising ``ftrl_regret_bound``: sqrt(range / (c T)) with c = 1/8 (1/4 for tsallis).

    Parameters
    ----------
    T
        Horizons T >= 1.
    K
        Numbers of actions K >= 2.
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).

    Returns
    -------
    eta : ndarray
        The learning rate minimising the bound, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(float(ftrl_tuned_eta(10_000, 10)), 5)
    0.04292
    """
    return np.sqrt(regularizer_range(K, regularizer, T) / (_stability(regularizer) * T))


@constrained(
    T=Reals(1.0, math.inf), K=Reals(2.0, math.inf), regularizer=_REG, eta=Optional(Reals(0.0, math.inf, lo_open=True))
)
def ftrl_regret_bound(
    T: ArrayLike, K: ArrayLike, regularizer: Regularizer = "negentropy", eta: ArrayLike | None = None
) -> NDArray:
    """Regret of FTRL (and of OMD from the uniform start) on the simplex with losses in [0, 1]^K, constant eta:

        R_T <= range(psi) / eta + eta c T  (+ 1 for the log barrier),

    c = 1/(2 lambda) * (1/2)^2: 1/8 for negentropy and log barrier (lambda = 1), 1/4 for 1/2-Tsallis
    (lambda = 1/2). Orabona (2019), Cor. 7.9 (FTRL) and Thm 6.10 (OMD), with the strong-convexity moduli derived
    in the module docstring. With the tuned eta (``eta=None``): 2 sqrt(c T range); for negentropy this is
    sqrt((T/2) ln K), the Hedge bound.

    Parameters
    ----------
    T
        Horizons T >= 1.
    K
        Numbers of actions K >= 2.
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).
    eta
        Learning rate(s) > 0, or None for the tuned one.

    Returns
    -------
    bound : ndarray
        The regret bound, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(float(ftrl_regret_bound(10_000, 10)), 3)
    107.298
    """
    eta = ftrl_tuned_eta(T, K, regularizer) if eta is None else eta
    extra = 1.0 if regularizer == "log_barrier" else 0.0
    with np.errstate(over="ignore"):  # an unrepresentable bound (eta of 1e-300) is the ValueError below
        bound = regularizer_range(K, regularizer, T) / eta + eta * _stability(regularizer) * T + extra
    return finite_result(bound, "the regret bound", "T, K and eta")


class _FTRL(Policy):
    def _eta(self, T: int, K: int) -> float:
        eta = self.params["eta"]
        if eta is not None:
            return eta
        if getattr(self, "_tuned", (None,))[0] != (T, K):  # computed once per run, not every round
            object.__setattr__(self, "_tuned", ((T, K), float(ftrl_tuned_eta(T, K, self.params["regularizer"]))))
        return self._tuned[1]

    def act(self, s, t, T, rng):
        reg, eta = self.params["regularizer"], self._eta(T, s.cum.shape[1])
        if reg == "negentropy":
            p = log_weights_to_probs(-eta * s.cum)
        else:  # = ftrl_weights(s.cum, eta, reg), warm-started from last round's normaliser
            p, s.aux = power_normaliser(s.cum, eta, 2 if reg == "tsallis" else 1, s.aux)
        return draw(p, rng), p

    def update(self, s, t, T, arms, r, full, p):
        super().update(s, t, T, arms, r, full, p)
        s.cum += 1.0 - full


@constrained(regularizer=_REG, eta=Optional(_ETA))
def ftrl(regularizer: Regularizer = "negentropy", eta: float | None = None) -> Policy:
    """Follow-the-regularised-leader on the simplex with full information: w_t = argmin <w, L_{t-1}> + psi(w)/eta.

    ``eta=None`` is the eta that minimises ``ftrl_regret_bound`` for the horizon. With negentropy this is Hedge.

    Parameters
    ----------
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).
    eta
        Learning rate > 0, or None for the bound-minimising one.

    Returns
    -------
    policy : Policy
        FTRL, for ``theory.bandits.simulate`` with an adversarial (full-information) environment.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> from theory.bandits import adversarial_bandit, simulate, switching_loss_table
    >>> env = adversarial_bandit(switching_loss_table(2000, 5, rng=0))
    >>> r = simulate(ftrl("tsallis"), env, 2000, 1, seed=0)
    >>> bool(r.regret[0] <= ftrl_regret_bound(2000, 5, "tsallis"))
    True
    """
    return _simplex_policy(_FTRL, "FTRL", regularizer, eta)


def _simplex_policy(cls: type[Policy], label: str, regularizer: str, eta: float | None) -> Policy:
    return cls(
        f"{label} ({regularizer})",
        {"regularizer": regularizer, "eta": eta},
        full_information=True,
        randomised=True,
        bounded_rewards=True,
    )


class _OMD(_FTRL):
    def init(self, R, K, T):
        s = super().init(R, K, T)
        s.aux = np.full((R, K), 1.0 / K)  # the OMD iterate
        return s

    def act(self, s, t, T, rng):
        return draw(s.aux, rng), s.aux

    def update(self, s, t, T, arms, r, full, p):
        super().update(s, t, T, arms, r, full, p)
        # omd_step's map without its per-round argument checks (the iterate stays on the open simplex)
        reg, eta = self.params["regularizer"], self._eta(T, s.aux.shape[1])
        s.aux = _ftrl_map(_grad_psi_inverse_shift(s.aux, reg, eta) + (1.0 - full), eta, reg)


@constrained(regularizer=_REG, eta=Optional(_ETA))
def omd(regularizer: Regularizer = "negentropy", eta: float | None = None) -> Policy:
    """Online mirror descent on the simplex (full information) from the uniform start:
    w_{t+1} = argmin_v <l_t, v> + B_psi(v, w_t)/eta. Same bound as FTRL (``ftrl_regret_bound``). With a constant eta
    it coincides with FTRL for all three regularisers: each is Legendre (its gradient blows up at the boundary), so
    the Bregman projection only adds a multiple of 1 to grad psi, and grad psi(w_{t+1}) = grad psi(w_1) - eta L_t
    + lambda 1 telescopes to FTRL's optimality condition (grad psi(w_1) is constant at the uniform start). The
    tests check the identity; the two differ once eta varies with t.

    Parameters
    ----------
    regularizer
        "negentropy", "tsallis" (psi = -2 sum sqrt w) or "log_barrier" (psi = -sum ln w).
    eta
        Learning rate > 0, or None for the bound-minimising one.

    Returns
    -------
    policy : Policy
        OMD, for ``theory.bandits.simulate``.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> from theory.bandits import adversarial_bandit, simulate, switching_loss_table
    >>> env = adversarial_bandit(switching_loss_table(2000, 5, rng=0))
    >>> a, b = simulate(ftrl(), env, 2000, 1, seed=0), simulate(omd(), env, 2000, 1, seed=0)
    >>> bool(abs(a.regret[0] - b.regret[0]) < 1e-6)  # they coincide
    True
    """
    return _simplex_policy(_OMD, "OMD", regularizer, eta)


# ---------------------------------------------------------------------------------------------------------
# Online convex optimisation in the SEA model
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
@record(means=Tensor(2), sigma=Real(0.0, 1e100), domain=Options(DOMAINS), radius=Real(0.0, 1e100, lo_open=True))
class SEAEnvironment:
    """Linear losses f_t(x) = <c_t, x>, c_t = m_t + sigma xi_t, xi_t ~ N(0, I_d / d) fresh per replicate.

    ``means`` (T, d) is the oblivious adversary's sequence of expected gradients m_t (shared by every replicate).
    sigma_t^2 = sigma^2 (E||xi||^2 = 1); Sigma_t^2 = ||m_t - m_{t-1}||^2.
    """

    means: NDArray
    sigma: float
    domain: str  # "ball" (radius ``radius``, centred at 0) or "simplex"
    radius: float = 1.0

    # sigma^2 T and the noise draws must stay finite: sigma up to 1e100 (squares to 1e200)

    def __post_init__(self) -> None:
        # one check for the class and its factory
        if self.means.shape[0] < 2 or self.means.shape[1] < 3:
            raise ValueError(f"means must have shape (T, d) with T >= 2 and d >= 3; got {self.means.shape}")

    @property
    def T(self) -> int:
        return self.means.shape[0]

    @property
    def d(self) -> int:
        return self.means.shape[1]

    @property
    def sigma2_total(self) -> float:
        """sigma^2_{1:T} = T sigma^2."""
        return self.T * self.sigma**2

    @property
    def Sigma2_total(self) -> float:
        """Sigma^2_{1:T} = sum_{t >= 2} ||m_t - m_{t-1}||^2."""
        return float(np.sum(np.diff(self.means, axis=0) ** 2))

    def expected_hint_error(self, optimistic: bool) -> float:
        """V = sum_t E||g_t - M_t||^2 with M_t = g_{t-1} (M_1 = 0), or M_t = 0 when not optimistic.

        Optimistic: ||m_1||^2 + sigma^2 + sum_{t >= 2} (||m_t - m_{t-1}||^2 + 2 sigma^2) (independent noise, the
        cross terms vanish) = ||m_1||^2 + (2T - 1) sigma^2 + Sigma^2_{1:T}. Plain: sum_t ||m_t||^2 + T sigma^2.
        """
        if optimistic:
            return float(self.means[0] @ self.means[0]) + (2 * self.T - 1) * self.sigma**2 + self.Sigma2_total
        return float(np.sum(self.means**2)) + self.T * self.sigma**2


@constrained(
    T=Integer(2, MAX_T),
    d=Integer(3, MAX_D),
    sigma=Real(0.0, 1e100),
    adversarial=Real(0.0, 1e100),
    drift=Real(0.0, 1e100),
    domain=Options(DOMAINS),
)
def sea_environment(
    T: int,
    d: int = 5,
    sigma: float = 0.1,
    adversarial: float = 0.1,
    drift: float = 1.0,
    domain: str = "ball",
    rng: np.random.Generator | int | None = 0,
) -> SEAEnvironment:
    """A SEA instance with two knobs: ``sigma`` (stochastic noise, sigma^2_{1:T} = T sigma^2) and ``adversarial``
    (a: m_t = drift * v + a s_t u with oblivious signs s_t = +-1 drawn once, so Sigma^2_{1:T} ~ 2 a^2 T).

    u and v are orthonormal (ball: e_1 and e_2; simplex: the centred directions (e_1 - e_2)/sqrt 2 and
    (e_3 - mean)/norm, which do not move the minimiser off the simplex' vertices). ``drift`` keeps the gradients
    away from 0 so that plain OGD pays ~ sqrt(T) even without noise or variation.

    Parameters
    ----------
    T
        Horizon T >= 2.
    d
        Dimension d >= 2 (>= 3 on the simplex).
    sigma
        Stochastic noise level >= 0.
    adversarial
        Adversarial level a >= 0.
    drift
        Size of the fixed part of the mean losses (>= 0).
    domain
        "ball" (unit Euclidean ball, projected OGD) or "simplex" (entropic OMD).
    rng
        Seed or generator of the oblivious signs.

    Returns
    -------
    env : SEAEnvironment
        The instance: mean losses m_t, the noise level and the exact sums sigma^2_{1:T}, Sigma^2_{1:T}.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> env = sea_environment(1000, 5, sigma=0.1, adversarial=0.1, rng=0)
    >>> round(env.sigma2_total, 3), round(env.Sigma2_total, 3)
    (10.0, 19.68)
    """
    if T * d > MAX_T:
        raise ValueError(f"T x d must be at most {MAX_T} (the means are held in memory); got T = {T}, d = {d}")
    a, b = adversarial, drift
    rng = rng_from(rng, "rng")
    u, v = np.zeros(d), np.zeros(d)
    if domain == "ball":
        u[0], v[1] = 1.0, 1.0
    else:
        u[0], u[1] = 1 / math.sqrt(2), -1 / math.sqrt(2)
        v[2] = 1.0
        v -= v.mean()
        v /= np.linalg.norm(v)
    s = rng.choice([-1.0, 1.0], size=T)
    return SEAEnvironment(b * v[None, :] + a * s[:, None] * u[None, :], sigma, domain)


@dataclass(frozen=True)
@record(regret=Reals(), hint_error=Reals(0.0), checkpoints=Integers(1), curve=Reals(), eta=Real(0.0, lo_open=True))
class OCOResult:
    """Per replicate: ``regret`` = sum_t f_t(x_t) - min_x sum_t f_t(x) (the hindsight minimiser of the realised
    losses, the stronger of the two SEA regrets), ``hint_error`` = sum_t ||g_t - M_t||_*^2 and ``curve`` at
    ``checkpoints``; ``eta`` is the step size used."""

    regret: NDArray
    hint_error: NDArray
    checkpoints: NDArray
    curve: NDArray
    eta: float


@constrained(
    eta=Reals(0.0, math.inf, lo_open=True),
    hint_error=Reals(0.0, math.inf),
    domain=Options(DOMAINS),
    d=Integer(2, MAX_D),
    radius=Real(0.0, 1e100, lo_open=True),
)
def optimistic_omd_regret_bound(
    eta: ArrayLike, hint_error: ArrayLike, domain: str = "ball", d: int = 2, radius: float = 1.0
) -> NDArray:
    """Path-wise bound of optimistic OMD with constant eta (Rakhlin and Sridharan 2013; Chiang et al. 2012):

        sum_t <g_t, x_t - u> <= B(u, x_hat_1) / eta + (eta / 2) sum_t ||g_t - M_t||_*^2   for every u,

    with B(u, 0) = ||u||^2/2 <= radius^2/2 on the ball (Euclidean) and B(u, uniform) <= ln d on the simplex
    (negentropy, 1-strongly convex w.r.t. ||.||_1, dual norm = half the coordinate range). For linear losses the left
    side is the regret against the hindsight minimiser. Taking expectations with eta = D / sqrt(V),
    V = E sum ||g_t - M_t||^2 <= ||m_1||^2 + 2 sigma^2_{1:T} + Sigma^2_{1:T}, gives the O(sqrt(sigma^2_{1:T}) +
    sqrt(Sigma^2_{1:T})) rate. This is this project's path-wise derivation with an oracle-tuned constant step: it
    matches Sachs et al. (2022, arXiv:2202.07554v2, Thm 5: optimistic FTRL with an adaptive step, convex smooth
    losses; Thm 6 is the Omega(D (sigma_bar + Sigma_bar) sqrt(T)) lower bound) and Chen et al. (2023, Thm 1) in order
    only, not in constants or algorithm.

    Parameters
    ----------
    eta
        Learning rate(s) > 0.
    hint_error
        Sum over t of ||g_t - M_t||_*^2 (>= 0).
    domain
        "ball" or "simplex".
    d
        Dimension (for the simplex's ln d).
    radius
        Radius of the ball (> 0).

    Returns
    -------
    bound : ndarray
        The path-wise regret bound, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(float(optimistic_omd_regret_bound(0.1, 50.0)), 3)
    7.5
    """
    V = hint_error
    D2 = radius**2 / 2 if domain == "ball" else math.log(d)
    with np.errstate(over="ignore"):
        return finite_result(D2 / eta + eta / 2 * V, "the bound D^2/eta + (eta/2) V", "eta, hint_error and radius")


@constrained(optimistic=Flag())
def sea_regret_bound(env: SEAEnvironment, optimistic: bool = True) -> float:
    """Expected regret bound of (optimistic) OMD with the tuned constant eta = sqrt(2 D2 / V) on the ball:
    E[regret] <= sqrt(2 D2 V) = radius sqrt(V), V = ``env.expected_hint_error(optimistic)``.

    Derived in this project from ``optimistic_omd_regret_bound`` (take expectations of the path-wise bound); it is
    not the statement of Sachs et al. (2022), Thm 5, which is for optimistic FTRL with an adaptive step.

    Parameters
    ----------
    env
        A ``SEAEnvironment`` on the ball.
    optimistic
        True for optimistic OMD (hint M_t = g_{t-1}), False for plain OGD.

    Returns
    -------
    bound : float
        radius * sqrt(V).

    Raises
    ------
    TypeError
        If ``env`` is not a SEAEnvironment.
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> env = sea_environment(1000, 5, sigma=0.1, adversarial=0.1, rng=0)
    >>> round(sea_regret_bound(env), 2), round(sea_regret_bound(env, optimistic=False), 2)
    (6.38, 31.94)
    """
    instance_of(env, "env", SEAEnvironment)
    if env.domain != "ball":
        raise ValueError("sea_regret_bound has a closed-form V on the ball only; use optimistic_omd_regret_bound")
    return env.radius * math.sqrt(env.expected_hint_error(optimistic))


@dataclass(frozen=True)
@record(optimistic=Flag(), eta=Optional(Real(0.0, math.inf, lo_open=True)))
class OptimisticOMD:
    """Optimistic OMD with hint M_t = g_{t-1} (``optimistic``) or M_t = 0 (plain OGD/OMD). ``eta``: a constant, or
    None for the tuned constant from the environment's V (known sigma, Sigma: the oracle tuning of the theorem)."""

    optimistic: bool = True
    eta: float | None = None

    @property
    def name(self) -> str:
        return "optimistic OMD" if self.optimistic else "OMD (no hint)"


@constrained(optimistic=Flag(), eta=Optional(_ETA))
def optimistic_omd(optimistic: bool = True, eta: float | None = None) -> OptimisticOMD:
    """Optimistic online mirror descent (Rakhlin and Sridharan 2013; Chen et al. 2023, Alg. 1):

        x_t = argmin_x <M_t, x> + B(x, x_hat_t)/eta,   x_hat_{t+1} = argmin_x <g_t, x> + B(x, x_hat_t)/eta,

    Euclidean B on a ball (projected optimistic OGD) and negentropy on the simplex, M_t = g_{t-1}.
    ``optimistic=False`` gives plain OGD/OMD (M_t = 0).

    Parameters
    ----------
    optimistic
        True: hint M_t = g_{t-1}; False: plain OGD/OMD (M_t = 0).
    eta
        Constant learning rate > 0, or None for the tuned one.

    Returns
    -------
    alg : OptimisticOMD
        The algorithm, for ``simulate_oco``.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> optimistic_omd().optimistic
    True
    """
    return OptimisticOMD(optimistic, eta)


@constrained(n_reps=Integer(1, 10_000_000, costly=True))
def simulate_oco(
    alg: OptimisticOMD,
    env: SEAEnvironment,
    n_reps: int,
    seed: int | np.random.SeedSequence = 0,
    n_checkpoints: int = 30,
) -> OCOResult:
    """Run ``alg`` on ``env`` in ``n_reps`` replicates (vectorised; noise fresh per replicate, means shared).

    Parameters
    ----------
    alg
        An ``OptimisticOMD``.
    env
        A ``SEAEnvironment``.
    n_reps
        Replicates (vectorised).
    seed
        Seed of the noise.
    n_checkpoints
        About how many rounds the regret curve is recorded at.

    Returns
    -------
    result : OCOResult
        Regret per replicate against the hindsight minimiser, and the curve.

    Raises
    ------
    TypeError
        If ``alg`` or ``env`` is of the wrong class.
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> env = sea_environment(1000, 5, sigma=0.1, adversarial=0.1, rng=0)
    >>> r = simulate_oco(optimistic_omd(), env, 20, seed=0)
    >>> bool(r.regret.mean() <= sea_regret_bound(env))
    True
    """
    instance_of(alg, "alg", OptimisticOMD)
    instance_of(env, "env", SEAEnvironment)
    R = n_reps
    if R * env.d > 10**9:
        raise ValueError(f"n_reps x d must be at most 1e9 (the state is (n_reps, d)); got {R} x {env.d}")
    T, d, dom = env.T, env.d, env.domain
    if alg.eta is not None:
        eta = alg.eta
    elif dom == "ball":
        eta = env.radius / math.sqrt(max(env.expected_hint_error(alg.optimistic), 1e-12))
    else:  # V on the simplex: bound E||g - M||^2_* by its Euclidean counterpart (half-range <= Euclidean norm)
        eta = math.sqrt(2 * math.log(d) / max(env.expected_hint_error(alg.optimistic), 1e-12))
    rng = rng_from(seed, "seed")
    cps = log_checkpoints(T, n_checkpoints)
    curve = np.zeros((R, len(cps)))
    # x_hat (ball) or the log-weights of x_hat (simplex), M, C = sum of the gradients, losses, hint errors
    state, M, C = np.zeros((R, d)), np.zeros((R, d)), np.zeros((R, d))
    loss, herr = np.zeros(R), np.zeros(R)
    noise_scale = env.sigma / math.sqrt(d)
    # the rounds run compiled (theory._online_kernels.oco_rounds), in blocks whose noise is drawn at once: a
    # (rounds, R, d) draw is the same stream as one (R, d) draw per round
    block = max(1, min(T, 2**22 // (R * d)))
    c = 0
    for t0 in range(0, T, block):
        n = min(block, T - t0)
        noise = rng.standard_normal((n, R, d))
        c = _online_kernels.oco_rounds(
            dom == "ball",
            bool(alg.optimistic),
            float(eta),
            float(env.radius),
            env.means[t0 : t0 + n],
            noise,
            noise_scale,
            state,
            M,
            C,
            loss,
            herr,
            t0,
            cps,
            c,
            curve,
        )
    return OCOResult(curve[:, -1].copy(), herr, cps, curve, eta)
