"""The simulator: runs a policy on an environment for T rounds in R replicates at once and returns the pseudo-regret.

Regret reported is the *pseudo-regret*: for stochastic environments sum_t Delta_{A_t} (index policies) or
sum_t <p_t, Delta> (randomised policies, the expectation over the action draw given the history: same mean, lower
variance); for oblivious adversarial tables sum_t <p_t, l_t> - min_i sum_t l_t(i) (deterministic policies:
p_t is the indicator of A_t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theory._checks import (
    instance_of,
    rng_from,
)
from theory._constraints import InstanceOf, Integer, Integers, Reals, constrained, record
from theory.bandits import _kernels
from theory.bandits._base import MAX_HORIZON, MAX_REPS, MAX_STREAM_HORIZON, Policy
from theory.bandits.environments import AdversarialBandit, BernoulliBandit, GaussianBandit

__all__ = [
    "BanditResult",
    "log_checkpoints",
    "simulate",
]


@dataclass(frozen=True)
@record(regret=Reals(), checkpoints=Integers(1), curve=Reals(), policy=InstanceOf(str), horizon=Integer(1))
class BanditResult:
    """Pseudo-regret of ``n_reps`` replicates: final ``regret`` (R,), ``curve`` (R, C) at ``checkpoints`` (C,)."""

    regret: NDArray
    checkpoints: NDArray
    curve: NDArray
    policy: str
    horizon: int

    @property
    def mean(self) -> float:
        return float(self.regret.mean())

    @property
    def stderr(self) -> float:
        return float(self.regret.std(ddof=1) / math.sqrt(len(self.regret))) if len(self.regret) > 1 else math.inf


@constrained(T=Integer(1, MAX_STREAM_HORIZON), n=Integer(1, 1_000_000))
def log_checkpoints(T: int, n: int = 40) -> NDArray:
    """About n log-spaced rounds in [1, T], always including T.

    Parameters
    ----------
    T
        Horizon, an integer >= 1.
    n
        About how many checkpoints (>= 1).

    Returns
    -------
    t : ndarray of int
        Increasing rounds in [1, T], the last one T.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> log_checkpoints(1000, 5)
    array([   1,    6,   32,  178, 1000])
    """
    return np.unique(np.r_[np.round(np.logspace(0, math.log10(T), n)).astype(int), T])


@constrained(horizon=Integer(1, MAX_HORIZON, costly=True), n_reps=Integer(1, MAX_REPS, costly=True))
def simulate(
    policy: Policy,
    env: Any,
    horizon: int,
    n_reps: int,
    seed: int | np.random.SeedSequence = 0,
    n_checkpoints: int = 40,
    compiled: bool = True,
) -> BanditResult:
    """Run ``policy`` on ``env`` for ``horizon`` rounds in ``n_reps`` replicates at once; memory O(R x checkpoints).

    The replicates share one generator (their streams are disjoint draws), so a seed fixes every number.

    Parameters
    ----------
    policy
        A ``Policy`` (``ucb1()``, ``kl_ucb()``, ``thompson()``, ``exp3()``, ``tsallis_inf()``, ``hedge()``, ...).
    env
        A ``BernoulliBandit``, ``GaussianBandit`` or ``AdversarialBandit``.
    horizon
        Rounds T (1 <= T <= MAX_HORIZON; at most the loss table's length for an adversarial bandit).
    n_reps
        Replicates R, run at once (vectorised).
    seed
        An int or a SeedSequence; the same seed gives the same numbers.
    n_checkpoints
        About how many log-spaced rounds the regret curve is recorded at.
    compiled
        Run UCB1, Exp3 and Tsallis-INF on a Bernoulli bandit in compiled blocks of rounds (the default); False runs
        the per-round loop of every policy, the reference the compiled loop is tested against (the same arms, the
        regrets equal to rounding).

    Returns
    -------
    result : BanditResult
        Pseudo-regret per replicate at T (``regret``), its mean and standard error, and the curve at the checkpoints.

    Raises
    ------
    TypeError
        If ``policy`` or ``env`` is not of the expected class.
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> from theory.bandits import bernoulli_bandit, ucb1
    >>> r = simulate(ucb1(), bernoulli_bandit([0.3, 0.5, 0.7]), horizon=2000, n_reps=100, seed=0)
    >>> r.regret.shape
    (100,)
    >>> round(r.mean, 2), round(r.stderr, 2)
    (59.57, 1.09)
    """
    instance_of(policy, "policy", Policy)
    instance_of(env, "env", (BernoulliBandit, GaussianBandit, AdversarialBandit))
    T, R = horizon, n_reps
    if isinstance(env, AdversarialBandit) and T > env.T:
        raise ValueError(f"horizon must be <= the loss table's length {env.T}; got {T}")
    if policy.bounded_rewards and isinstance(env, GaussianBandit):
        raise ValueError(f"{policy.name} needs rewards in [0, 1]; a Gaussian bandit has unbounded rewards")
    return _simulate(
        policy,
        env,
        T,
        R,
        rng_from(seed, "seed"),
        n_checkpoints,
        bool(instance_of(compiled, "compiled", (bool, np.bool_))),
    )


def _simulate(
    policy: Policy, env: Any, T: int, R: int, rng: np.random.Generator, n_checkpoints: int, compiled: bool = True
) -> BanditResult:
    """``simulate`` on checked arguments; ``compiled=False`` runs the per-round loop even where a compiled loop
    exists (the tests compare the two)."""
    K = env.K
    s = policy.init(R, K, T)
    cps = log_checkpoints(T, n_checkpoints)
    curve = np.zeros((R, len(cps)))
    code = policy.compiled_code() if compiled and isinstance(env, BernoulliBandit) else None
    if code is not None:
        return _simulate_compiled(policy, code, env, s, T, R, rng, cps, curve)
    stochastic = env.kind == "stochastic"
    gaps = env.gaps if stochastic else None
    # a deterministic policy on a stochastic bandit: sum_t Delta_{A_t} = <counts, Delta>, read at the checkpoints
    from_counts = stochastic and not policy.randomised
    cum_reg = np.zeros(R)
    cum_arm_loss = np.zeros(K)  # adversarial: cumulative loss of every fixed arm (same for all replicates)
    rows = np.arange(R)
    c = 0
    for t in range(T):
        arms, p = policy.act(s, t, T, rng)
        # bandit feedback needs only the pulled arms' rewards (R draws, not R x K)
        rew = env.rewards(t, rng, R) if policy.full_information else None
        r = rew[rows, arms] if rew is not None else env.pulled_rewards(t, rng, arms)
        if stochastic:
            if not from_counts:
                cum_reg += p @ gaps if p is not None else gaps[arms]
        else:
            loss = env.loss_table[t]
            cum_reg += p @ loss if p is not None else loss[arms]
            cum_arm_loss += loss
        policy.update(s, t, T, arms, r, rew, p)
        if t + 1 == cps[c]:
            if from_counts:
                curve[:, c] = s.counts @ gaps
            else:
                curve[:, c] = cum_reg - (0.0 if stochastic else cum_arm_loss.min())
            c += 1
    return BanditResult(curve[:, -1].copy(), cps, curve, policy.name, T)


def _simulate_compiled(policy, code, env, s, T, R, rng, cps, curve) -> BanditResult:
    """``simulate``'s loop for UCB1, Exp3 and Tsallis-INF on a Bernoulli bandit, in compiled blocks of rounds
    (``theory.bandits._kernels.bernoulli_rounds``): at 10^6 rounds the per-round Python calls cost more than the
    policies' arithmetic. Each block's uniforms are drawn in one call, in the order the per-round loop draws them
    (the policy's draw, then the rewards), so the arms pulled are those of the per-round loop; the regrets agree to
    rounding (the sums p . gaps run in another order). ``simulate(..., compiled=False)`` runs the per-round loop
    (the tests compare the two)."""
    if code == _kernels.UCB1:
        aux1, aux2, eta = s.aux[0], s.aux[1], 0.0
    elif code == _kernels.EXP3:
        aux1, aux2, eta = s.aux[0], s.aux[1], policy.learning_rate(T, env.K)
    else:
        aux1, aux2, eta = s.aux.reshape(R, 1), np.zeros((R, 1)), float(policy.params["scale"])
    per_round = 1 if code == _kernels.UCB1 else 2
    block = max(1, 2**19 // (per_round * R))  # ~4 MB of uniforms at a time
    means, gaps = np.ascontiguousarray(env.means, dtype=float), np.ascontiguousarray(env.gaps, dtype=float)
    cum_reg, c = np.zeros(R), 0
    for t0 in range(0, T, block):
        u = rng.random((min(block, T - t0), per_round, R))
        c = _kernels.bernoulli_rounds(
            code, t0, u, means, gaps, s.counts, s.sums, s.cum, aux1, aux2, eta, cps, c, curve, cum_reg
        )
        if c < 0:
            raise ArithmeticError("simplex normaliser: Newton's method did not converge")
    return BanditResult(curve[:, -1].copy(), cps, curve, policy.name, T)
