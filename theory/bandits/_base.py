"""Shared by the bandit modules: valid ranges as data, their checks, a policy's state and the policy base class.

Nothing here is specific to one policy; ``theory.bandits`` re-exports the public names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import as_finite_array, integer_in
from theory._constraints import Flag, InstanceOf, Reals, record

# Valid ranges, as data. simulate() loops over rounds with (R, K) state: beyond these a run is hours or
# gigabytes, not a result. Loss tables are (T, K) in memory.
MAX_ARMS = 100_000
MAX_HORIZON = 1_000_000_000
MAX_REPS = 10_000_000
MAX_TABLE = 1_000_000_000  # T x K entries
MAX_STREAM_HORIZON = 10**15  # streaming draws one binomial per (arm, stage): exact in int64 far beyond this


def check_arms(K: int) -> int:
    return integer_in(K, "K (number of arms)", 2, MAX_ARMS)


def check_table(T: int, K: int) -> tuple[int, int]:
    T = integer_in(T, "T", 2, MAX_TABLE)
    if T * K > MAX_TABLE:
        raise ValueError(f"T x K must be at most {MAX_TABLE} (the table is held in memory); got T = {T}, K = {K}")
    return T, K


@dataclass
@record(counts=Reals(0.0), sums=Reals(), cum=Reals())
class State:
    """Per-replicate state arrays of a policy (shape (R, K) unless noted)."""

    counts: NDArray
    sums: NDArray
    cum: NDArray  # cumulative (estimated) losses for exponential-weights / FTRL policies
    aux: Any = None  # policy-specific: UCB indices, Exp3 weights, the OMD iterate, or a Newton warm start


_ROW_OFFSETS: dict[tuple[int, int], NDArray] = {}


def flat_index(arms: NDArray, K: int) -> NDArray:
    """Index of (replicate r, arm arms[r]) in the flattened (R, K) state arrays: one 1-d gather instead of 2-d."""
    key = (len(arms), K)
    if key not in _ROW_OFFSETS:
        _ROW_OFFSETS[key] = np.arange(len(arms)) * K
    return _ROW_OFFSETS[key] + arms


@dataclass(frozen=True)
@record(
    name=InstanceOf(str), params=InstanceOf(dict), full_information=Flag(), randomised=Flag(), bounded_rewards=Flag()
)
class Policy:
    """A bandit (or full-information) policy: ``name``, parameters, whether it needs full information, and whether it
    works on losses 1 - reward (which must then lie in [0, 1])."""

    name: str
    params: dict
    full_information: bool = False
    randomised: bool = False
    bounded_rewards: bool = False

    def compiled_code(self) -> int | None:
        """The code of this policy in the compiled Bernoulli loop (``theory.bandits._kernels.bernoulli_rounds``),
        or None: the policy runs ``simulate``'s per-round loop. The compiled policies match their own class exactly,
        so a subclass that changes the policy runs the per-round loop."""
        return None

    def init(self, R: int, K: int, T: int) -> State:
        # freshly allocated zeros are valid by construction: the declared checks, which a hand-built State gets,
        # are skipped on this once-per-simulation path (they were ~10 us, 10% of a 100-round simulation)
        s = State.__new__(State)
        s.counts, s.sums, s.cum, s.aux = np.zeros((R, K)), np.zeros((R, K)), np.zeros((R, K)), None
        return s

    # act returns (arms (R,), probabilities (R, K) or None); update receives the pulled rewards (R,) and,
    # for full-information policies, the whole reward vector (R, K)
    def act(self, s: State, t: int, T: int, rng: np.random.Generator) -> tuple[NDArray, NDArray | None]:
        raise NotImplementedError

    def update(self, s: State, t: int, T: int, arms: NDArray, r: NDArray, full: NDArray | None, p) -> None:
        flat = flat_index(arms, s.counts.shape[1])
        s.counts.reshape(-1)[flat] += 1  # one arm per replicate: the flat indices are distinct
        s.sums.reshape(-1)[flat] += r


# The horizon T >= 1 and the number of arms K >= 2 of the regret bounds and rates, as declared constraints
# (theory._constraints): numbers or arrays, broadcast against each other.
HORIZON_ARMS = {"T": Reals(1.0), "K": Reals(2.0)}


def gaps_to_best(means: ArrayLike) -> NDArray:
    """Delta_i = max_j mean_j - mean_i of a 1-d array of K >= 2 arm means, checked."""
    m = as_finite_array(means, "means")
    if m.ndim != 1 or len(m) < 2:
        raise ValueError(f"means must be a 1-d array of K >= 2 arm means; got shape {m.shape}")
    return m.max() - m
