"""Single-pass streaming bandits with a memory of one arm: uniform exploration, the challenge algorithm, their
simulator, and the regret rates and lower bound of the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import (
    rng_from,
)
from theory._constraints import (
    InstanceOf,
    Integer,
    Optional,
    Options,
    Reals,
    constrained,
    record,
)
from theory.bandits._base import HORIZON_ARMS, MAX_ARMS, MAX_REPS, MAX_STREAM_HORIZON, gaps_to_best
from theory.bandits.environments import BernoulliBandit, GaussianBandit
from theory.bandits.simulation import BanditResult, log_checkpoints

__all__ = [
    "StreamingAlgorithm",
    "simulate_streaming",
    "streaming_challenge",
    "streaming_explore_pulls",
    "streaming_lower_bound_rate",
    "streaming_rate",
    "streaming_single_arm_rate",
    "streaming_uniform_exploration",
    "uniform_exploration_regret_bound",
]


@constrained(T=Integer(2), K=Integer(2, MAX_ARMS))
def streaming_explore_pulls(T: int, K: int) -> int:
    """Pulls per arm of streaming uniform exploration: n = floor((T/K)^{2/3} ln(T)^{1/3}), at least 1 and at most
    floor(T/K), the choice that balances n K exploration against T sqrt(ln T / n) commitment error (Wang 2023, Sec. 1:
    regret O(K^{1/3} T^{2/3} log^{1/3} T)).

    Parameters
    ----------
    T
        Horizon, an integer >= K.
    K
        Number of arms, an integer >= 2.

    Returns
    -------
    n : int
        Pulls per arm.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> streaming_explore_pulls(10**6, 10)
    5169
    """
    if T < K:
        raise ValueError(f"T must be >= K = {K} (every arm of the stream is pulled at least once); got {T}")
    return int(min(T // K, max(1, math.floor((T / K) ** (2 / 3) * math.log(T) ** (1 / 3)))))


@dataclass(frozen=True)
@record(name=InstanceOf(str), kind=Options(("uniform", "challenge")), pulls=Optional(Integer(1, MAX_STREAM_HORIZON)))
class StreamingAlgorithm:
    """A single-pass algorithm that stores one arm (the 'king') besides the arm arriving from the stream."""

    name: str
    kind: str  # "uniform" or "challenge"
    pulls: int | None  # pulls per arm (None: ``streaming_explore_pulls``)


@constrained(pulls=Optional(Integer(1)))
def streaming_uniform_exploration(pulls: int | None = None) -> StreamingAlgorithm:
    """Streaming uniform exploration (Wang 2023's benchmark): each arriving arm is pulled ``pulls`` times; it replaces
    the stored king if its empirical mean is strictly larger; after the stream, commit to the king.

    Parameters
    ----------
    pulls
        Pulls per arm (>= 1), or None for ``streaming_explore_pulls(T, K)`` at run time.

    Returns
    -------
    alg : StreamingAlgorithm
        For ``simulate_streaming``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> streaming_uniform_exploration().name
    'uniform exploration'
    """
    return StreamingAlgorithm("uniform exploration", "uniform", pulls)


@constrained(pulls=Optional(Integer(1)))
def streaming_challenge(pulls: int | None = None) -> StreamingAlgorithm:
    """Single-arm-memory epsilon-best-arm search, then commit: each challenger is pulled in doubling stages up to
    ``pulls`` and discarded as soon as its upper confidence bound falls below the king's stored mean
    (radius sqrt(ln T / 2n) for the challenger plus sqrt(ln T / 2N) for the king); a challenger that survives all
    ``pulls`` replaces the king if its mean is larger. Our simplification of the challenge-based algorithms Wang (2023)
    builds on (Jin et al. 2021): early elimination saves pulls on bad arms; no published constant is claimed.

    Parameters
    ----------
    pulls
        Pulls per arm (>= 1), or None for ``streaming_explore_pulls(T, K)`` at run time.

    Returns
    -------
    alg : StreamingAlgorithm
        For ``simulate_streaming``.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> streaming_challenge().name
    'challenge'
    """
    return StreamingAlgorithm("challenge", "challenge", pulls)


def _sum_of_pulls(env: Any, arm: int, n: NDArray | int, rng: np.random.Generator, shape: int | tuple) -> NDArray:
    """Sums of n reward draws of one arm, of the given shape (n broadcast to it): exact in distribution. An
    (S, R) draw with n of shape (S, 1) is the stream of S draws of R, in order."""
    mu = env.means[arm]
    if isinstance(env, BernoulliBandit):
        return rng.binomial(n, mu, size=shape).astype(float)
    return n * mu + env.sigma * np.sqrt(n) * rng.standard_normal(shape)


@constrained(horizon=Integer(2, MAX_STREAM_HORIZON), n_reps=Integer(1, MAX_REPS, costly=True))
def simulate_streaming(
    alg: StreamingAlgorithm,
    env: BernoulliBandit | GaussianBandit,
    horizon: int,
    n_reps: int,
    seed: int | np.random.SeedSequence = 0,
    n_checkpoints: int = 40,
) -> BanditResult:
    """Run a single-pass streaming algorithm; arms arrive in the order of ``env.means``.

    The schedule of a streaming algorithm is a sequence of blocks (arm, number of pulls), so a replicate needs only
    the sum of each block's rewards (one binomial/normal draw per block, the same distribution as drawing the rewards
    one by one). Cost O(R K stages) instead of O(R T): horizons of 1e8 run in milliseconds. Pseudo-regret as in
    ``simulate`` (sum over rounds of the pulled arm's gap), exact at every checkpoint.

    Parameters
    ----------
    alg
        A ``StreamingAlgorithm``.
    env
        A ``BernoulliBandit`` or ``GaussianBandit`` (arms arrive in its order).
    horizon
        Rounds T (up to 1e8 and beyond: the cost does not grow with T).
    n_reps
        Replicates.
    seed
        Seed.
    n_checkpoints
        About how many rounds the regret curve is recorded at.

    Returns
    -------
    result : BanditResult
        As ``simulate`` returns.

    Raises
    ------
    TypeError
        If ``alg`` or ``env`` is of the wrong class.
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> from theory.bandits import bernoulli_bandit
    >>> env = bernoulli_bandit(np.r_[0.6, np.full(9, 0.5)])
    >>> r = simulate_streaming(streaming_uniform_exploration(), env, 10**8, 100, seed=0)
    >>> bool(r.mean <= uniform_exploration_regret_bound(10**8, env.means))
    True
    """
    if not isinstance(alg, StreamingAlgorithm):
        raise ValueError(f"alg must be a StreamingAlgorithm (e.g. streaming_uniform_exploration()); got {alg!r}")
    if not isinstance(env, BernoulliBandit | GaussianBandit):
        raise ValueError("streaming bandits need a stochastic environment (bernoulli_bandit or gaussian_bandit)")
    T, R = horizon, n_reps
    K = env.K
    N = streaming_explore_pulls(T, K) if alg.pulls is None else alg.pulls
    if N * K > T:
        raise ValueError(f"pulls x K = {N * K} exceeds the horizon {T}; choose pulls <= {T // K}")
    rng = rng_from(seed, "seed")
    pulls = np.zeros((R, K))
    pulls[:, 0] = N
    king = np.zeros(R, dtype=int)
    king_mean = _sum_of_pulls(env, 0, N, rng, R) / N
    if alg.kind == "uniform":
        stages = np.array([N])
    else:
        L = min(6, int(math.log2(N)))
        stages = np.unique(np.ceil(N * 2.0 ** (np.arange(L + 1) - L)).astype(int))
    king_rad = math.sqrt(math.log(T) / (2 * N))
    # every stage of a challenger at once: its block sums for all stages and replicates, drawn stage by stage (an
    # (S, R) draw is the stream of S draws of R), of which a replicate uses those up to the stage it is eliminated at
    diffs = np.diff(stages, prepend=0)
    checked = stages < N  # the last stage (n = N) has no elimination test
    radius = np.sqrt(math.log(T) / (2 * stages[checked]))[:, None]
    rows = np.arange(R)
    for i in range(1, K):
        totals = np.cumsum(_sum_of_pulls(env, i, diffs[:, None], rng, (len(diffs), R)), axis=0)  # after each stage
        passed = totals[checked] / stages[checked][:, None] + radius + king_rad >= king_mean
        survived = np.cumprod(passed, axis=0, dtype=bool)  # alive after each checked stage
        last = survived.sum(axis=0)  # the stage each replicate stops at (eliminated there, or the last one)
        pulls[:, i] = stages[last]
        alive = last == len(stages) - 1
        total = totals[last, rows]
        win = alive & (total / N > king_mean)
        king = np.where(win, i, king)
        king_mean = np.where(win, total / N, king_mean)
    gaps = env.gaps
    start = np.cumsum(pulls, axis=1) - pulls
    explore = pulls.sum(axis=1)
    cps = log_checkpoints(T, n_checkpoints)
    curve = np.empty((R, len(cps)))
    for c, t in enumerate(cps):
        curve[:, c] = np.clip(t - start, 0.0, pulls) @ gaps + gaps[king] * np.maximum(0.0, t - explore)
    return BanditResult(curve[:, -1].copy(), cps, curve, alg.name, T)


@constrained(T=Reals(2.0, float(MAX_STREAM_HORIZON)), means=Reals(0.0, 1.0, min_len=2), pulls=Optional(Integer(1)))
def uniform_exploration_regret_bound(T: ArrayLike, means: ArrayLike, pulls: int | None = None) -> NDArray:
    """E[R_T] of streaming uniform exploration with n pulls per arm, rewards in [0, 1]:

        E[R_T] <= n sum_i Delta_i + (T - n K) min(max_i Delta_i, sum_i Delta_i exp(-n Delta_i^2 / 2)),

    because the committed arm i beats the best arm's empirical mean with probability at most exp(-n Delta_i^2/2)
    (Hoeffding for the mean of n differences in [-1, 1]), and its gap is at most max_i Delta_i.
    ``pulls=None`` uses ``streaming_explore_pulls(T, K)``.
    Vectorised over T.

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    means
        Arm means in [0, 1], shape (K,).
    pulls
        Pulls per arm n (1 <= n <= T/K), or None for ``streaming_explore_pulls(T, K)``.

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
    >>> round(float(uniform_exploration_regret_bound(10**6, [0.5, 0.6, 0.4])), 1)
    3460.5
    """
    d = gaps_to_best(means)
    Ts = np.atleast_1d(T).astype(np.int64)
    if pulls is not None and pulls * len(d) > Ts.min():  # more exploration than the horizon has rounds
        raise ValueError(
            f"pulls x K = {pulls * len(d)} exceeds the horizon T = {Ts.min()}; choose pulls <= {Ts.min() // len(d)}"
        )
    out = np.empty(len(Ts))
    for j, t in enumerate(Ts):
        n = streaming_explore_pulls(int(t), len(d)) if pulls is None else pulls
        out[j] = n * d.sum() + (t - n * len(d)) * min(d.max(), np.sum(d * np.exp(-n * d**2 / 2)))
    return out.reshape(np.shape(T))


@constrained(**HORIZON_ARMS)
def streaming_lower_bound_rate(T: ArrayLike, K: ArrayLike) -> NDArray:
    """K^{1/3} T^{2/3}: the order of the worst-case regret lower bound for single-pass algorithms with o(K) arm
    memory (Wang 2023, arXiv:2306.02208: Omega(K^{1/3} T^{2/3}); the constant is not specified). Wang also shows it is
    attained, O(K^{1/3} T^{2/3}), with O(log* K) arms of memory.

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    K
        Numbers of arms K >= 2 (array-like, broadcast with T).

    Returns
    -------
    rate : ndarray
        K^{1/3} T^{2/3}, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(float(streaming_lower_bound_rate(1e6, 8)))
    20000
    """
    return K ** (1 / 3) * T ** (2 / 3)


@constrained(**HORIZON_ARMS)
def streaming_rate(T: ArrayLike, K: ArrayLike) -> NDArray:
    """K^{1/3} T^{2/3}, the scale the streaming figures divide by; the same as ``streaming_lower_bound_rate``.

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    K
        Numbers of arms K >= 2 (array-like, broadcast with T).

    Returns
    -------
    rate : ndarray
        K^{1/3} T^{2/3}, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> float(streaming_rate(1e6, 8))
    19999.99999999999
    """
    return streaming_lower_bound_rate(T, K)


@constrained(**HORIZON_ARMS)
def streaming_single_arm_rate(T: ArrayLike, K: ArrayLike) -> NDArray:
    """K^{1/3} T^{2/3} log K: the order of the expected regret Wang (2023, arXiv:2306.02208) proves for a single-pass
    algorithm that stores a single arm (constant not specified); uniform exploration gets K^{1/3} T^{2/3} log^{1/3} T.

    Parameters
    ----------
    T
        Horizons T >= 1 (array-like; the result broadcasts over it).
    K
        Numbers of arms K >= 2 (array-like, broadcast with T).

    Returns
    -------
    rate : ndarray
        K^{1/3} T^{2/3} log K, broadcast shape.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> round(float(streaming_single_arm_rate(1e6, 8)), 1)
    41588.8
    """
    return K ** (1 / 3) * T ** (2 / 3) * np.log(K)
