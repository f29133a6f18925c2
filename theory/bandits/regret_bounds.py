"""Regret guarantees of the bandit policies as functions of the horizon and the instance: Hedge, Exp3, Tsallis-INF
(minimax), UCB1 (gap-dependent) and the Lai-Robbins constant (the asymptotic lower bound).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    as_finite_array,
    in_interval,
)
from theory._constraints import Options, Real, Reals, constrained
from theory.bandits._base import HORIZON_ARMS, gaps_to_best
from theory.bandits.stochastic import bernoulli_kl

__all__ = [
    "exp3_regret_bound",
    "hedge_regret_bound",
    "lai_robbins_constant",
    "tsallis_inf_regret_bound",
    "ucb1_regret_bound",
]


@constrained(**HORIZON_ARMS)
def hedge_regret_bound(T: ArrayLike, K: ArrayLike) -> NDArray:
    """sqrt((T/2) ln K): Hedge with eta = sqrt(8 ln K / T), losses in [0, 1] (Cesa-Bianchi and Lugosi 2006, Thm 2.2).

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    K
        Numbers of arms K >= 2 (array-like, broadcast with T).

    Returns
    -------
    bound : ndarray
        sqrt((T/2) ln K), broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(float(hedge_regret_bound(10_000, 10)), 3)
    107.298
    """
    return np.sqrt(T / 2 * np.log(K))


@constrained(**HORIZON_ARMS)
def exp3_regret_bound(T: ArrayLike, K: ArrayLike) -> NDArray:
    """sqrt(2 T K ln K): Exp3 with eta = sqrt(2 ln K / (T K)) (Lattimore and Szepesvari 2020, Thm 11.2).

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    K
        Numbers of arms K >= 2 (array-like, broadcast with T).

    Returns
    -------
    bound : ndarray
        sqrt(2 T K ln K), broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> float(exp3_regret_bound(10_000, 10))
    678.6140424415112
    """
    return np.sqrt(2 * T * K * np.log(K))


@constrained(**HORIZON_ARMS, estimator=Options(("iw", "rv")))
def tsallis_inf_regret_bound(T: ArrayLike, K: ArrayLike, estimator: str = "iw") -> NDArray:
    """Adversarial Tsallis-INF bounds (Zimmert and Seldin 2021): 4 sqrt(K T) + 1 with importance weighting
    (eta_t = 2/sqrt(t)); 2 sqrt(K T) + 14 K ln T + 16 with the reduced-variance estimator (eta_t = 4/sqrt(t)).
    The constants are as restated by secondary sources; they were not re-read against the theorem text here.

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    K
        Numbers of arms K >= 2 (array-like, broadcast with T).
    estimator
        "iw" (importance weighting) or "rv" (reduced variance).

    Returns
    -------
    bound : ndarray
        The bound, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> [round(float(tsallis_inf_regret_bound(10_000, 10, e)), 1) for e in ("iw", "rv")]
    [1265.9, 1937.9]
    """
    if estimator == "iw":
        return 4 * np.sqrt(K * T) + 1
    if estimator == "rv":
        return 2 * np.sqrt(K * T) + 14 * K * np.log(T) + 16
    raise AssertionError(estimator)  # unreachable: the declared Options admit 'iw' and 'rv' only


@constrained(T=Reals(1.0, math.inf), means=Reals(0.0, 1.0, min_len=2))
def ucb1_regret_bound(T: ArrayLike, means: ArrayLike) -> NDArray:
    """sum_{i: Delta_i > 0} 8 ln T / Delta_i + (1 + pi^2/3) sum_i Delta_i (Auer, Cesa-Bianchi, Fischer 2002, Thm 1),
    vectorised over T.

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    means
        Arm means, shape (K,), K >= 2.

    Returns
    -------
    bound : ndarray
        The bound, shape of T.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> float(ucb1_regret_bound(10_000, [0.3, 0.5, 0.7]))
    555.194343198789
    """
    d = gaps_to_best(means)
    d = d[d > 0]
    return np.sum(8 * np.log(np.asarray(T)[..., None]) / d, axis=-1) + (1 + math.pi**2 / 3) * d.sum()


@constrained(family=Options(("bernoulli", "gaussian")), sigma=Real(0.0, math.inf, lo_open=True))
def lai_robbins_constant(means: ArrayLike, family: str = "bernoulli", sigma: float = 1.0) -> float:
    """sum_{i: Delta_i > 0} Delta_i / kl(mu_i, mu*): liminf R_T / ln T >= this for any consistent policy
    (Lai and Robbins 1985). ``family="bernoulli"``: Bernoulli kl (infinite when the best mean is 1 and another arm
    is below it); ``family="gaussian"``: kl = Delta_i^2 / (2 sigma^2), so the constant is sum_i 2 sigma^2 / Delta_i.

    Parameters
    ----------
    means
        Arm means, shape (K,), K >= 2 (in [0, 1] for Bernoulli).
    family
        "bernoulli" or "gaussian".
    sigma
        Noise standard deviation of the Gaussian family (> 0).

    Returns
    -------
    C : float
        The constant; R_T / ln T >= C asymptotically for every consistent policy.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(lai_robbins_constant([0.3, 0.5, 0.7]), 4)
    3.4744
    >>> round(lai_robbins_constant([0.0, 1.0], family="gaussian"), 4)
    2.0
    """
    if family == "bernoulli":
        m = in_interval(means, "means", 0.0, 1.0)
    elif family == "gaussian":
        m = as_finite_array(means, "means")
    else:
        raise ValueError(f"family must be 'bernoulli' or 'gaussian'; got {family!r}")
    d = gaps_to_best(m)
    sub = d > 0
    if family == "gaussian":
        return float(np.sum(2 * sigma**2 / d[sub]))
    with np.errstate(divide="ignore"):
        return float(np.sum(d[sub] / bernoulli_kl(m[sub], m.max())))
