"""Bandit environments: stochastic (Bernoulli, Gaussian) and oblivious adversarial (a loss table), and loss tables
that make the classic algorithms' regimes visible (switching, stochastically constrained, FTL's worst case).

Rewards lie in [0, 1] for Bernoulli and adversarial environments (losses are 1 - reward); Gaussian rewards are
unbounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    integer_at_least,
    rng_from,
)
from theory._constraints import Integer, Options, Real, Reals, constrained, record
from theory.bandits._base import MAX_ARMS, check_arms, check_table

__all__ = [
    "AdversarialBandit",
    "BernoulliBandit",
    "GaussianBandit",
    "adversarial_bandit",
    "bernoulli_bandit",
    "ftl_killer_table",
    "gaussian_bandit",
    "stochastically_constrained_table",
    "switching_loss_table",
]


class _Stochastic:
    """Shared by the stochastic environments: number of arms and gaps to the best mean."""

    means: NDArray
    kind = "stochastic"

    def __post_init__(self) -> None:
        # after each family's declared range (``@record``; BernoulliBandit: [0, 1]), one check for the class and its
        # factory: 1-d with K in [2, MAX_ARMS]
        m = self.means
        if m.ndim != 1 or not 2 <= len(m) <= MAX_ARMS:
            raise ValueError(f"means must be a 1-d array of K in [2, {MAX_ARMS}] arms; got shape {m.shape}")
        object.__setattr__(self, "means", m.copy())

    @property
    def K(self) -> int:
        return len(self.means)

    @property
    def gaps(self) -> NDArray:
        return self.means.max() - self.means


@dataclass(frozen=True)
@record(means=Reals(0.0, 1.0, min_len=2))
class BernoulliBandit(_Stochastic):
    means: NDArray

    def rewards(self, t: int, rng: np.random.Generator, R: int) -> NDArray:
        return (rng.random((R, self.K)) < self.means).astype(float)

    def pulled_rewards(self, t: int, rng: np.random.Generator, arms: NDArray) -> NDArray:
        return (rng.random(len(arms)) < self.means[arms]).astype(float)


@dataclass(frozen=True)
@record(means=Reals(min_len=2), sigma=Real(0.0, 1e150, lo_open=True))
class GaussianBandit(_Stochastic):
    means: NDArray
    sigma: float = 1.0
    # a standard deviation to 1e150 keeps sigma^2 and the regret bounds' sigma^2 log T finite

    def rewards(self, t: int, rng: np.random.Generator, R: int) -> NDArray:
        return self.means + self.sigma * rng.standard_normal((R, self.K))

    def pulled_rewards(self, t: int, rng: np.random.Generator, arms: NDArray) -> NDArray:
        return self.means[arms] + self.sigma * rng.standard_normal(len(arms))


@dataclass(frozen=True)
@record(loss_table=Reals(0.0, 1.0, min_len=2), kind=Options(("adversarial", "stochastically constrained")))
class AdversarialBandit:
    """An oblivious loss table (T, K) in [0, 1], shared by every replicate (they differ in the policy's coins)."""

    loss_table: NDArray
    kind: str = "adversarial"

    def __post_init__(self) -> None:
        tab = self.loss_table
        if tab.ndim != 2:
            raise ValueError(f"loss_table must have shape (T, K); got {tab.shape}")
        integer_at_least(tab.shape[0], "T (rows of loss_table)", 1)
        check_arms(tab.shape[1])
        object.__setattr__(self, "loss_table", tab.copy())

    @property
    def K(self) -> int:
        return self.loss_table.shape[1]

    @property
    def T(self) -> int:
        return self.loss_table.shape[0]

    def rewards(self, t: int, rng: np.random.Generator, R: int) -> NDArray:
        return np.broadcast_to(1.0 - self.loss_table[t], (R, self.K))

    def pulled_rewards(self, t: int, rng: np.random.Generator, arms: NDArray) -> NDArray:
        return 1.0 - self.loss_table[t, arms]


@constrained(means=Reals(0.0, 1.0, min_len=2))
def bernoulli_bandit(means: ArrayLike) -> BernoulliBandit:
    """Stochastic bandit with Bernoulli rewards of the given means (each in [0, 1], K >= 2).

    Parameters
    ----------
    means
        Arm means in [0, 1], shape (K,), K >= 2.

    Returns
    -------
    env : BernoulliBandit
        The instance (frozen).

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> bernoulli_bandit([0.2, 0.8]).gaps
    array([0.6, 0. ])
    """
    return BernoulliBandit(means)


@constrained(means=Reals(min_len=2), sigma=Real(0.0, math.inf, lo_open=True))
def gaussian_bandit(means: ArrayLike, sigma: float = 1.0) -> GaussianBandit:
    """Stochastic bandit with Gaussian rewards N(mean_i, sigma^2).

    Parameters
    ----------
    means
        Arm means (finite), (K,), K >= 2.
    sigma
        Noise standard deviation > 0.

    Returns
    -------
    env : GaussianBandit
        The instance.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> gaussian_bandit([0.0, 1.0], sigma=0.5).gaps
    array([1., 0.])
    """
    return GaussianBandit(means, sigma)


@constrained(loss_table=Reals(0.0, 1.0, min_len=2))
def adversarial_bandit(loss_table: ArrayLike) -> AdversarialBandit:
    """Oblivious adversarial bandit from a loss table of shape (T, K) with entries in [0, 1].

    Parameters
    ----------
    loss_table
        Losses in [0, 1], (T, K), K >= 2.

    Returns
    -------
    env : AdversarialBandit
        The instance.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> adversarial_bandit(ftl_killer_table(10)).T
    10
    """
    return AdversarialBandit(loss_table)


@constrained(K=Integer(2, MAX_ARMS), gap=Real(0.0, 1.0 / 3.0))
def switching_loss_table(T: int, K: int, gap: float = 0.2, rng: np.random.Generator | int | None = 0) -> NDArray:
    """Bernoulli losses drawn once: arm 0 is best (mean 0.5 - gap) for t < T/2, arm 1 afterwards; others 0.5.

    Parameters
    ----------
    T
        Horizon, an integer >= 1.
    K
        Number of arms >= 2.
    gap
        Advantage of the best arm in (0, 0.5].
    rng
        Seed or generator of the draws (fixed once: the table is oblivious).

    Returns
    -------
    table : ndarray
        (T, K) losses in {0, 1}.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> switching_loss_table(1000, 3, rng=0).mean(axis=0).round(2)
    array([0.42, 0.35, 0.5 ])
    """
    T, K = check_table(T, K)
    # gap <= 1/3: 0.5 - 1.5 gap must stay a probability
    rng = rng_from(rng, "rng")
    means = np.full((T, K), 0.5)
    means[: T // 2, 0] = 0.5 - gap
    means[T // 2 :, 1] = 0.5 - 1.5 * gap  # arm 1 ends up best overall
    return (rng.random((T, K)) < means).astype(float)


@constrained(gaps=Reals(0.0, 0.4, min_len=1))
def stochastically_constrained_table(T: int, gaps: ArrayLike, rng: np.random.Generator | int | None = 0) -> NDArray:
    """Losses with drifting means m_t + Delta_i (Zimmert and Seldin's stochastically constrained adversary):
    the gaps between arms are constant while the common level m_t switches between 0.2 and 0.6 in blocks of
    growing length; Bernoulli draws, fixed once.

    Parameters
    ----------
    T
        Horizon, an integer >= 1.
    gaps
        Gaps Delta_i >= 0 of the arms to the best (the best has 0), (K,).
    rng
        Seed or generator of the draws (fixed once: the table is oblivious).

    Returns
    -------
    table : ndarray
        (T, K) losses in {0, 1}.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> stochastically_constrained_table(1000, [0.0, 0.1, 0.2], rng=0).shape
    (1000, 3)
    """
    g = gaps
    if g.ndim != 1 or not 2 <= len(g) <= MAX_ARMS:
        raise ValueError(f"gaps must be a 1-d array of K in [2, {MAX_ARMS}] per-arm gaps; got shape {g.shape}")
    T, _ = check_table(T, len(g))
    rng = rng_from(rng, "rng")
    t = np.arange(T)
    block = np.floor(np.log2(t + 2)).astype(int)
    level = np.where(block % 2 == 0, 0.2, 0.6)
    means = np.clip(level[:, None] + g[None, :], 0.0, 1.0)
    return (rng.random((T, len(g))) < means).astype(float)


@constrained(T=Integer(2, costly=True))
def ftl_killer_table(T: int) -> NDArray:
    """Two arms, losses (1/2, 0), then alternating (0, 1), (1, 0), ...: follow-the-leader suffers ~T regret.

    Parameters
    ----------
    T
        Horizon, an integer >= 1.

    Returns
    -------
    table : ndarray
        (T, 2).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> ftl_killer_table(4)
    array([[0.5, 0. ],
           [0. , 1. ],
           [1. , 0. ],
           [0. , 1. ]])
    """
    T, _ = check_table(T, 2)
    tab = np.zeros((T, 2))
    tab[0] = (0.5, 0.0)
    tab[1::2] = (0.0, 1.0)
    tab[2::2] = (1.0, 0.0)
    return tab
