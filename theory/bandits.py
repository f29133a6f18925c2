"""Multi-armed bandits: environments, vectorised policies, a simulator, and regret guarantees.

Every simulator is vectorised over R independent replicates: state arrays have shape (R, K) and the only Python
loop is over rounds. Rewards lie in [0, 1] for Bernoulli and adversarial environments (losses are 1 - reward);
Gaussian rewards are unbounded.

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
from numpy.typing import ArrayLike, NDArray

from theory import _kernels
from theory._checks import (
    as_finite_array,
    in_interval,
    instance_of,
    integer_at_least,
    integer_in,
    option,
    rng_from,
    scalar,
)

# ---------------------------------------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------------------------------------


class _Stochastic:
    """Shared by the stochastic environments: number of arms and gaps to the best mean."""

    means: NDArray
    kind = "stochastic"
    _MEANS_RANGE = (-np.inf, np.inf)

    def __post_init__(self) -> None:
        # one check for the class and its factory: 1-d, finite, K >= 2, in the family's range
        m = in_interval(self.means, "means", *self._MEANS_RANGE)
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
class BernoulliBandit(_Stochastic):
    means: NDArray
    _MEANS_RANGE = (0.0, 1.0)

    def rewards(self, t: int, rng: np.random.Generator, R: int) -> NDArray:
        return (rng.random((R, self.K)) < self.means).astype(float)

    def pulled_rewards(self, t: int, rng: np.random.Generator, arms: NDArray) -> NDArray:
        return (rng.random(len(arms)) < self.means[arms]).astype(float)


@dataclass(frozen=True)
class GaussianBandit(_Stochastic):
    means: NDArray
    sigma: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "sigma", scalar(self.sigma, "sigma", 0.0, lo_open=True))

    def rewards(self, t: int, rng: np.random.Generator, R: int) -> NDArray:
        return self.means + self.sigma * rng.standard_normal((R, self.K))

    def pulled_rewards(self, t: int, rng: np.random.Generator, arms: NDArray) -> NDArray:
        return self.means[arms] + self.sigma * rng.standard_normal(len(arms))


@dataclass(frozen=True)
class AdversarialBandit:
    """An oblivious loss table (T, K) in [0, 1], shared by every replicate (they differ in the policy's coins)."""

    loss_table: NDArray
    kind: str = "adversarial"

    def __post_init__(self) -> None:
        tab = in_interval(self.loss_table, "loss_table", 0.0, 1.0)
        if tab.ndim != 2:
            raise ValueError(f"loss_table must have shape (T, K); got {tab.shape}")
        integer_at_least(tab.shape[0], "T (rows of loss_table)", 1)
        _check_K(tab.shape[1])
        object.__setattr__(self, "loss_table", tab.copy())
        option(self.kind, "kind", ("adversarial", "stochastically constrained"))

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


# Valid ranges, as data. simulate() loops over rounds with (R, K) state: beyond these a run is hours or
# gigabytes, not a result. Loss tables are (T, K) in memory.
MAX_ARMS = 100_000
MAX_HORIZON = 1_000_000_000
MAX_REPS = 10_000_000
MAX_TABLE = 1_000_000_000  # T x K entries
MAX_STREAM_HORIZON = 10**15  # streaming draws one binomial per (arm, stage): exact in int64 far beyond this


def _check_K(K: int) -> int:
    return integer_in(K, "K (number of arms)", 2, MAX_ARMS)


def _check_table(T: int, K: int) -> tuple[int, int]:
    T = integer_in(T, "T", 2, MAX_TABLE)
    if T * K > MAX_TABLE:
        raise ValueError(f"T x K must be at most {MAX_TABLE} (the table is held in memory); got T = {T}, K = {K}")
    return T, K


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
    T, K = _check_table(T, _check_K(K))
    gap = scalar(gap, "gap", 0.0, 1.0 / 3.0)  # 0.5 - 1.5 gap must stay a probability
    rng = rng_from(rng, "rng")
    means = np.full((T, K), 0.5)
    means[: T // 2, 0] = 0.5 - gap
    means[T // 2 :, 1] = 0.5 - 1.5 * gap  # arm 1 ends up best overall
    return (rng.random((T, K)) < means).astype(float)


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
    g = in_interval(gaps, "gaps", 0.0, 0.4)
    if g.ndim != 1 or not 2 <= len(g) <= MAX_ARMS:
        raise ValueError(f"gaps must be a 1-d array of K in [2, {MAX_ARMS}] per-arm gaps; got shape {g.shape}")
    T, _ = _check_table(T, len(g))
    rng = rng_from(rng, "rng")
    t = np.arange(T)
    block = np.floor(np.log2(t + 2)).astype(int)
    level = np.where(block % 2 == 0, 0.2, 0.6)
    means = np.clip(level[:, None] + g[None, :], 0.0, 1.0)
    return (rng.random((T, len(g))) < means).astype(float)


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
    T, _ = _check_table(T, 2)
    tab = np.zeros((T, 2))
    tab[0] = (0.5, 0.0)
    tab[1::2] = (0.0, 1.0)
    tab[2::2] = (1.0, 0.0)
    return tab


# ---------------------------------------------------------------------------------------------------------
# Policies (vectorised over replicates)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class State:
    """Per-replicate state arrays of a policy (shape (R, K) unless noted)."""

    counts: NDArray
    sums: NDArray
    cum: NDArray  # cumulative (estimated) losses for exponential-weights / FTRL policies
    aux: Any = None  # policy-specific: UCB indices, Exp3 weights, the OMD iterate, or a Newton warm start


# Small-K reductions along axis 1 are slow in numpy (~20-40 us for 1000 x 10); a matrix product with a constant
# vector does the same arithmetic through BLAS several times faster.
_ONES: dict[int, NDArray] = {}


def _row_sums(a: NDArray) -> NDArray:
    K = a.shape[1]
    if K not in _ONES:
        _ONES[K] = np.ones(K)
    return a @ _ONES[K]


_ROW_OFFSETS: dict[tuple[int, int], NDArray] = {}


def _flat_index(arms: NDArray, K: int) -> NDArray:
    """Index of (replicate r, arm arms[r]) in the flattened (R, K) state arrays: one 1-d gather instead of 2-d."""
    key = (len(arms), K)
    if key not in _ROW_OFFSETS:
        _ROW_OFFSETS[key] = np.arange(len(arms)) * K
    return _ROW_OFFSETS[key] + arms


def _log_weights_to_probs(logw: NDArray) -> NDArray:
    w = np.exp(logw - logw.max(axis=1, keepdims=True))  # max-subtraction: finite for any scale of logw
    return w / _row_sums(w)[:, None]


def _draw(p: NDArray, rng: np.random.Generator) -> NDArray:
    """One arm per row from the (possibly unnormalised) weights in the rows of p: inverse CDF, vectorised.

    The first index whose cumulative weight reaches u ~ U[0, total), compiled (``theory._kernels.draw``).
    """
    u = rng.random((p.shape[0], 1))[:, 0]  # the stream of the numpy form rng.random((R, 1)) * totals
    arms = np.empty(p.shape[0], dtype=np.int64)
    _kernels.draw(np.ascontiguousarray(p, dtype=float), u, arms)
    return arms


@dataclass(frozen=True)
class Policy:
    """A bandit (or full-information) policy: ``name``, parameters, whether it needs full information, and whether it
    works on losses 1 - reward (which must then lie in [0, 1])."""

    name: str
    params: dict
    full_information: bool = False
    randomised: bool = False
    bounded_rewards: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string; got {type(self.name).__name__}")
        if not isinstance(self.params, dict):
            raise TypeError(f"params must be a dict of the policy's parameters; got {type(self.params).__name__}")
        for flag in ("full_information", "randomised", "bounded_rewards"):
            if not isinstance(getattr(self, flag), bool | np.bool_):
                raise TypeError(f"{flag} must be a bool; got {type(getattr(self, flag)).__name__}")

    def init(self, R: int, K: int, T: int) -> State:
        z = np.zeros((R, K))
        return State(z.copy(), z.copy(), z.copy())

    # act returns (arms (R,), probabilities (R, K) or None); update receives the pulled rewards (R,) and,
    # for full-information policies, the whole reward vector (R, K)
    def act(self, s: State, t: int, T: int, rng: np.random.Generator) -> tuple[NDArray, NDArray | None]:
        raise NotImplementedError

    def update(self, s: State, t: int, T: int, arms: NDArray, r: NDArray, full: NDArray | None, p) -> None:
        flat = _flat_index(arms, s.counts.shape[1])
        s.counts.reshape(-1)[flat] += 1  # one arm per replicate: the flat indices are distinct
        s.sums.reshape(-1)[flat] += r


class _UCB1(Policy):
    def init(self, R, K, T):
        s = super().init(R, K, T)
        s.aux = (np.zeros((R, K)), np.zeros((R, K)))  # empirical means and 1/sqrt(counts), updated where pulled
        return s

    def act(self, s, t, T, rng):
        K = s.counts.shape[1]
        if t < K:  # pull every arm once
            return np.full(s.counts.shape[0], t), None
        mean, inv_sqrt_n = s.aux
        arms = np.empty(mean.shape[0], dtype=np.int64)
        _kernels.index_argmax(mean, inv_sqrt_n, math.sqrt(2.0 * math.log(t + 1)), arms)  # compiled: one pass
        return arms, None

    def update(self, s, t, T, arms, r, full, p):
        flat = _flat_index(arms, s.counts.shape[1])  # the base update, fused with the index update (compiled)
        mean, inv_sqrt_n = s.aux
        _kernels.ucb1_update(
            s.counts.reshape(-1),
            s.sums.reshape(-1),
            mean.reshape(-1),
            inv_sqrt_n.reshape(-1),
            flat,
            np.asarray(r, dtype=float),
        )


def ucb1() -> Policy:
    """UCB1 (Auer, Cesa-Bianchi, Fischer 2002): index mean_i + sqrt(2 ln t / n_i), each arm once first.

    Returns
    -------
    policy : Policy
        UCB1, for ``simulate``.

    Examples
    --------
    >>> ucb1().name
    'UCB1'
    """
    return _UCB1("UCB1", {})


def bernoulli_kl(p: ArrayLike, q: ArrayLike) -> NDArray:
    """kl(p, q) = p log(p/q) + (1-p) log((1-p)/(1-q)) with the conventions 0 log 0 = 0 (xlogy), vectorised.

    Parameters
    ----------
    p
        Probabilities in [0, 1].
    q
        Probabilities in [0, 1], broadcast with p.

    Returns
    -------
    kl : ndarray
        kl(p, q) >= 0 (inf where q is 0 or 1 and p differs).

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> round(float(bernoulli_kl(0.5, 0.25)), 6)
    0.143841
    >>> float(bernoulli_kl(0.5, 1.0))
    inf
    """
    from scipy.special import xlogy

    p, q = in_interval(p, "p", 0.0, 1.0), in_interval(q, "q", 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return xlogy(p, p) - xlogy(p, q) + xlogy(1 - p, 1 - p) - xlogy(1 - p, 1 - q)


class _KLUCB(Policy):
    def init(self, R, K, T):
        s = super().init(R, K, T)
        z = np.zeros((R, K))
        # means, 1/counts, and (lazy) each arm's last exact index q (-inf: none since its last pull), with the
        # budget b it was computed at and the slope 1/kl'(q) of the convexity bound (see _lazy_kl_ucb_argmax);
        # q_up is q where it is valid and 2 (above any index) where it is not
        s.aux = _KLUCBState(z.copy(), z.copy(), np.full((R, K), -np.inf), np.full((R, K), 2.0), z.copy(), z.copy())
        return s

    def act(self, s, t, T, rng):
        K = s.counts.shape[1]
        if t < K:
            return np.full(s.counts.shape[0], t), None
        a = s.aux
        level = math.log(t + 1) + self.params["c"] * math.log(max(math.log(t + 1), 1.0))
        if not self.params["lazy"]:  # the plain computation: every arm's exact index, every round
            return np.argmax(_kl_ucb_index(a.mean, level * a.inv_n), axis=1), None
        return _lazy_kl_ucb_argmax(a, level), None

    def update(self, s, t, T, arms, r, full, p):
        flat = _flat_index(arms, s.counts.shape[1])  # the base update, fused with the index state's update
        a = s.aux
        # the pulled arm's mean and count change: its cached index is voided (compiled: one pass over the rows)
        _kernels.kl_ucb_update(
            s.counts.reshape(-1),
            s.sums.reshape(-1),
            a.mean.reshape(-1),
            a.inv_n.reshape(-1),
            a.q.reshape(-1),
            a.q_up.reshape(-1),
            a.slope.reshape(-1),
            flat,
            np.asarray(r, dtype=float),
        )
        a.last = flat if t >= s.counts.shape[1] else None  # after the initial round robin, exactly these are void


@dataclass
class _KLUCBState:
    mean: NDArray
    inv_n: NDArray
    q: NDArray
    q_up: NDArray
    b: NDArray
    slope: NDArray
    last: NDArray | None = None  # flat indices of the arms pulled last round


# Slack of the lazy comparisons: a computed index is within ~1e-9 of the root (its bisection bracket, at the q = 1
# boundary; ~1e-16 elsewhere), so bounds are compared with 10x that: an arm is skipped only when it is certainly
# below the best, and the choices are exactly those of the plain computation.
_LAZY_SLACK = 1e-8


def _lazy_kl_ucb_argmax(a: _KLUCBState, level: float) -> NDArray:
    """argmax_i of the KL-UCB index q_i(b_i) = max{q : kl(mean_i, q) <= b_i}, b_i = level / n_i, per row, computing
    exact indices only where needed.

    Between two pulls of an arm only b_i grows (level = ln t + c ln ln t). So (i) its last exact index q_i(b) is a
    lower bound of the current one, and (ii) by convexity of kl(mean_i, .) on [mean_i, 1],
    b' - b = kl(mean_i, q(b')) - kl(mean_i, q(b)) >= kl'(mean_i, q(b)) (q(b') - q(b)), an upper bound
    q(b') <= q(b) + (b' - b) / kl'(mean_i, q(b)), with kl'(p, q) = (q - p) / (q (1 - q)). The arms pulled last
    round are computed first (their mean and count changed); then an arm whose upper bound is below the row's best
    lower bound cannot be the argmax, and only the others get an exact index, by the same ``_kl_ucb_index`` as the
    plain computation (elementwise, so the same values, the same argmax, ties included). As ln t moves by ~1/t per
    round the bounds are tight: mostly the pulled arm alone is recomputed. Compiled, one pass per row
    (``theory._kernels.kl_ucb_lazy_argmax``); the cached indices are updated in place.
    """
    arms = np.empty(a.mean.shape[0], dtype=np.int64)
    last = a.last if a.last is not None else arms  # (unread without a last round)
    _kernels.kl_ucb_lazy_argmax(
        a.mean, a.inv_n, a.q, a.q_up, a.b, a.slope, last, a.last is not None, level, _LAZY_SLACK, 10, arms
    )
    return arms


def kl_ucb_index(mean: ArrayLike, budget: ArrayLike, iterations: int = 10) -> NDArray:
    """The KL-UCB index max{q in [mean, 1] : kl(mean, q) <= budget}, vectorised.

    Parameters
    ----------
    mean
        Empirical means in [0, 1].
    budget
        Exploration budgets b >= 0 (ln t / n_i for KL-UCB), broadcastable with ``mean``.
    iterations
        Newton steps (0..100); 10 reach the conditioning floor of the root (~1e-13) from the starting bound.

    Returns
    -------
    q : ndarray
        The index, of the broadcast shape; 1 where ``mean`` = 1.

    Raises
    ------
    ValueError
        If ``mean`` is outside [0, 1], ``budget`` is negative or not finite, or the two do not broadcast.

    Notes
    -----
    Newton's method on g(x) = kl(mean, 1 - e^-x) - b in x = -log(1 - q): with p = mean,
    g(x) = -H(p) - p log(1 - e^-x) + (1 - p) x - b is convex and increasing on [-log(1 - p), inf) and
    asymptotically linear, so Newton's iterates from a point right of the root decrease monotonically to it, and
    fast also when q is close to 1 (where Newton in q crawls). The start is the smallest of three upper bounds on
    the root: from kl(p, q) = int_p^q (r - p) / (r (1 - r)) dr >= (q - p)^2 / (2 M) with M = 1/4 (Pinsker,
    q <= p + sqrt(b/2)) or M = q (1 - p) (q <= p + c + sqrt(c^2 + 2 p c), c = b (1 - p)), and from
    kl(p, q) >= -H(p) - (1 - p) log(1 - q) (x <= (b + H(p)) / (1 - p)). The tests compare the index with 200
    bisection halvings on kl itself.

    Examples
    --------
    >>> from theory.bandits import kl_ucb_index
    >>> q = kl_ucb_index([0.0, 0.5, 1.0], 0.1)
    >>> [round(float(v), 6) for v in q]
    [0.095163, 0.712879, 1.0]
    """
    mean = in_interval(mean, "mean", 0.0, 1.0)
    budget = in_interval(budget, "budget", 0.0)
    try:
        mean, budget = np.broadcast_arrays(mean, budget)
    except ValueError:
        raise ValueError(f"mean and budget must broadcast; got shapes {mean.shape} and {budget.shape}") from None
    return _kl_ucb_index(np.array(mean), np.array(budget), integer_in(iterations, "iterations", 0, 100))


def _kl_ucb_index(mean: NDArray, budget: NDArray, iterations: int = 10) -> NDArray:
    """``kl_ucb_index`` without the argument checks (see there for the method), compiled elementwise
    (``theory._kernels.kl_index``: the lazy policy computes its indices with the same code, so its choices are
    those of the plain computation)."""
    mean, budget = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(budget, dtype=float))
    out = np.empty(mean.shape)
    _kernels.kl_index_flat(
        np.ascontiguousarray(mean).ravel(), np.ascontiguousarray(budget).ravel(), iterations, out.reshape(-1)
    )
    return out


def kl_ucb(c: float = 0.0, lazy: bool = True) -> Policy:
    """KL-UCB for Bernoulli rewards (Garivier and Cappe 2011): index max{q : n_i kl(mean_i, q) <= ln t + c ln ln t}
    (``kl_ucb_index``; the tests compare it with 60 bisection halvings).

    With ``lazy=True`` (the default) an arm's index is recomputed only when an upper bound on it (from its last
    computed index and the convexity of kl, see ``_lazy_kl_ucb_argmax``) reaches the best index of its row; the
    choices are those of ``lazy=False``, which computes every index every round (the tests check that on the same
    random stream).

    Parameters
    ----------
    c
        Exploration constant c >= 0 of the ln ln t term (c = 0 is the common choice).
    lazy
        Compute exact indices only where a bound says the arm can win (same choices as ``lazy=False``).

    Returns
    -------
    policy : Policy
        KL-UCB, for ``simulate``.

    Raises
    ------
    TypeError
        If ``lazy`` is not a bool.
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> r = simulate(kl_ucb(), bernoulli_bandit([0.3, 0.5, 0.7]), horizon=2000, n_reps=100, seed=0)
    >>> round(r.mean, 2)
    18.12
    """
    if not isinstance(lazy, bool | np.bool_):
        raise TypeError(f"lazy must be a bool; got {type(lazy).__name__}")
    return _KLUCB("KL-UCB", {"c": scalar(c, "c", 0.0), "lazy": bool(lazy)})


class _Thompson(Policy):
    def act(self, s, t, T, rng):
        if self.params["prior"] == "beta":
            theta = rng.beta(1.0 + s.sums, 1.0 + s.counts - s.sums)
        else:  # Gaussian rewards with known sigma, flat prior: posterior N(mean, sigma^2/n)
            n = np.maximum(s.counts, 1e-12)
            mean = np.where(s.counts > 0, s.sums / n, 0.0)
            sd = np.where(s.counts > 0, self.params["sigma"] / np.sqrt(n), 1e6)
            theta = mean + sd * rng.standard_normal(s.counts.shape)
        return np.argmax(theta, axis=1), None


def thompson(prior: str = "beta", sigma: float = 1.0) -> Policy:
    """Thompson sampling: Beta(1, 1) prior for Bernoulli rewards (``prior='beta'``), or Gaussian with known sigma.

    Parameters
    ----------
    prior
        "beta" (Bernoulli rewards, Beta(1, 1) prior) or "gaussian" (known sigma, flat prior).
    sigma
        Noise standard deviation for the Gaussian prior (> 0).

    Returns
    -------
    policy : Policy
        Thompson sampling, for ``simulate``.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> thompson().params
    {'prior': 'beta', 'sigma': 1.0}
    """
    option(prior, "prior", ("beta", "gaussian"))
    return _Thompson("Thompson", {"prior": prior, "sigma": scalar(sigma, "sigma", 0.0, lo_open=True)})


class _Exp3(Policy):
    def _eta(self, T: int, K: int) -> float:
        eta = self.params["eta"]
        return eta if eta is not None else math.sqrt(2 * math.log(K) / (T * K))

    def init(self, R, K, T):
        s = super().init(R, K, T)
        # weights exp(-eta (L_hat - shift)): only the pulled entry changes per round, so it is recomputed alone
        # (exactly, from L_hat, not by accumulating products); the shift is reset to the row minimum of L_hat
        # whenever a row's total weight falls below 1e-100, so the weights never underflow
        s.aux = (np.ones((R, K)), np.zeros((R, 1)))
        return s

    def act(self, s, t, T, rng):
        w, shift = s.aux
        p, arms = np.empty_like(w), np.empty(w.shape[0], dtype=np.int64)
        # compiled (theory._kernels.exp3_act): totals, the underflow reset, p and the inverse-CDF draw in one pass;
        # u is drawn as in _draw
        _kernels.exp3_act(w, shift, s.cum, self._eta(T, w.shape[1]), rng.random((w.shape[0], 1))[:, 0], p, arms)
        return arms, p

    def update(self, s, t, T, arms, r, full, p):
        K = s.cum.shape[1]
        w, shift = s.aux
        _kernels.exp3_update(  # the base update, the importance-weighted estimate and the new weight (compiled)
            s.counts.reshape(-1),
            s.sums.reshape(-1),
            s.cum.reshape(-1),
            w.reshape(-1),
            shift[:, 0],
            p.reshape(-1),
            _flat_index(arms, K),
            np.asarray(r, dtype=float),
            self._eta(T, K),
        )


def exp3(eta: float | None = None) -> Policy:
    """Exp3 with loss-based importance weighting (Lattimore and Szepesvari 2020, Alg. 9 / Thm 11.2):
    p_t proportional to exp(-eta L_hat_{t-1}), L_hat += l_t(A_t) 1[i = A_t]/p_t(A_t); ``eta=None`` is the tuned
    eta = sqrt(2 ln K / (T K)), for which R_T <= sqrt(2 T K ln K). Weights in the log domain.

    Parameters
    ----------
    eta
        Learning rate > 0, or None for the tuned eta = sqrt(2 ln K / (T K)).

    Returns
    -------
    policy : Policy
        Exp3, for ``simulate``.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> table = switching_loss_table(2000, 5, rng=0)
    >>> r = simulate(exp3(), adversarial_bandit(table), 2000, 50, seed=0)
    >>> bool(r.mean <= exp3_regret_bound(2000, 5))
    True
    """
    return _Exp3(
        "Exp3",
        {"eta": None if eta is None else scalar(eta, "eta", 0.0, lo_open=True)},
        randomised=True,
        bounded_rewards=True,
    )


def _power_normaliser(
    L: NDArray, eta: float, p: int, x0: NDArray | None = None, tol: float = 1e-12, max_iter: int = 200
) -> tuple[NDArray, NDArray]:
    """Rows w_i = (eta (L_i - x))^{-p} with x < min_i L_i such that sum_i w_i = 1 (p = 1 or 2); returns (w, x).

    f(x) = sum_i (eta (L_i - x))^{-p} - 1 is increasing and convex on (-inf, min L); from any point where f >= 0,
    Newton's steps decrease monotonically to the root (Zimmert and Seldin 2021, Alg. 2, for p = 2). The safe start
    is x = min L - 1/eta, where the smallest L_i alone contributes 1. A warm start ``x0`` (last round's normaliser,
    shape (rows, 1)) may lie left of the root; one Newton step then lands on its right (convexity), and a row whose
    step leaves the domain restarts from the safe point. The warm start cuts the iterations from ~11 to ~3.
    Works on L - min L, so cumulative losses of 1e6 lose no precision. Iterates until |sum w - 1| <= tol per row.
    Compiled (``theory._kernels.power_normaliser``): one fused pass over a row per Newton step.
    """
    L = np.ascontiguousarray(L, dtype=float)
    w, x = np.empty_like(L), np.empty(L.shape[0])
    warm = x0 is not None
    start = np.ascontiguousarray(x0, dtype=float).reshape(-1) if warm else x
    if not _kernels.power_normaliser(L, float(eta), int(p), start, warm, tol, max_iter, w, x):
        raise ArithmeticError("simplex normaliser: Newton's method did not converge")
    return w, x[:, None]


def tsallis_weights(L_hat: NDArray, eta: float) -> NDArray:
    """argmin over the simplex of <w, L_hat> + Psi(w), Psi(w) = -(4/eta) sum_i (sqrt(w_i) - w_i/2) (1/2-Tsallis).

    The linear part of Psi is constant on the simplex, so the solution is w_i = 4 / (eta (L_hat_i - x))^2 =
    (eta/2 (L_hat_i - x))^{-2}, the normaliser x found by Newton's method to 1e-12 (``_power_normaliser``).

    Parameters
    ----------
    L_hat
        Cumulative loss estimates, (R, K).
    eta
        Learning rate > 0.

    Returns
    -------
    w : ndarray
        (R, K) weights on the simplex.

    Raises
    ------
    ValueError
        If an argument is outside its range (named in the message with the value given), or not finite.

    Examples
    --------
    >>> np.round(tsallis_weights(np.array([[0.0, 1.0, 5.0]]), 1.0), 4)
    array([[0.6132, 0.3167, 0.0701]])
    """
    L = as_finite_array(L_hat, "L_hat", ndim=2)
    if L.shape[1] < 2:
        raise ValueError(f"L_hat must have shape (R, K) with K >= 2; got {L.shape}")
    # eta (L_i - x) must stay representable: losses of order 1e150 and eta up to 1e100 are
    eta = scalar(eta, "eta", 0.0, 1e100, lo_open=True)
    if np.max(np.abs(L)) > 1e150:
        raise ValueError(f"L_hat must be at most 1e150 in magnitude (cumulative losses); got {np.max(np.abs(L)):g}")
    return _power_normaliser(L, eta / 2, 2)[0]


class _TsallisINF(Policy):
    def init(self, R, K, T):
        s = super().init(R, K, T)
        s.aux = np.zeros(R)  # last round's normaliser per replicate (a Newton warm start after round 0)
        return s

    def act(self, s, t, T, rng):
        eta = self.params["scale"] / math.sqrt(t + 1)
        R, K = s.cum.shape
        p, arms = np.empty((R, K)), np.empty(R, dtype=np.int64)
        u = rng.random((R, 1))[:, 0]  # the stream of _draw
        # compiled (theory._kernels.tsallis_act): p = tsallis_weights(s.cum, eta) warm-started (_power_normaliser
        # documents the iteration), then the draw of _draw, in one call: at 1e6 rounds the per-round Python calls
        # and allocations of the separate steps cost as much as the arithmetic
        if not _kernels.tsallis_act(s.cum, eta / 2, s.aux, t > 0, 1e-12, 200, u, p, arms):
            raise ArithmeticError("simplex normaliser: Newton's method did not converge")
        return arms, p

    def update(self, s, t, T, arms, r, full, p):
        _kernels.tsallis_update(  # the base update and the loss estimates in one compiled call
            s.counts.reshape(-1),
            s.sums.reshape(-1),
            s.cum.reshape(-1),
            p.reshape(-1),
            _flat_index(arms, s.cum.shape[1]),
            np.asarray(r, dtype=float),
            self.params["estimator"] == "rv",
            self.params["scale"] / math.sqrt(t + 1),
        )


def tsallis_inf(estimator: str = "iw") -> Policy:
    """Tsallis-INF with alpha = 1/2 (Zimmert and Seldin 2021): FTRL with Psi_t(w) = -(4/eta_t) sum (sqrt(w_i) - w_i/2),
    eta_t = 2/sqrt(t) with the importance-weighted estimator (``"iw"``), eta_t = 4/sqrt(t) with the reduced-variance
    estimator (``"rv"``).

    Parameters
    ----------
    estimator
        "iw" (importance-weighted) or "rv" (reduced-variance) loss estimator.

    Returns
    -------
    policy : Policy
        Tsallis-INF, for ``simulate``.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> tsallis_inf("rv").name
    'Tsallis-INF (rv)'
    """
    option(estimator, "estimator", ("iw", "rv"))
    return _TsallisINF(
        f"Tsallis-INF ({estimator})",
        {"estimator": estimator, "scale": 2.0 if estimator == "iw" else 4.0},
        randomised=True,
        bounded_rewards=True,
    )


class _Hedge(Policy):
    def act(self, s, t, T, rng):
        K = s.cum.shape[1]
        eta = self.params["eta"] if self.params["eta"] is not None else math.sqrt(8 * math.log(K) / T)
        p = _log_weights_to_probs(-eta * s.cum)
        return _draw(p, rng), p

    def update(self, s, t, T, arms, r, full, p):
        super().update(s, t, T, arms, r, full, p)
        s.cum += 1.0 - full


def hedge(eta: float | None = None) -> Policy:
    """Hedge / exponential weights with full information: p_t proportional to exp(-eta L_{t-1}); ``eta=None`` is
    eta = sqrt(8 ln K / T), for which R_T <= sqrt((T/2) ln K) (Cesa-Bianchi and Lugosi 2006, Thm 2.2).

    Parameters
    ----------
    eta
        Learning rate > 0, or None for the tuned eta = sqrt(8 ln K / T).

    Returns
    -------
    policy : Policy
        Hedge (full information), for ``simulate``.

    Raises
    ------
    ValueError
        If an argument is outside its range, not finite, or the arrays do not broadcast.

    Examples
    --------
    >>> table = switching_loss_table(2000, 5, rng=0)
    >>> r = simulate(hedge(), adversarial_bandit(table), 2000, 1, seed=0)
    >>> bool(r.regret[0] <= hedge_regret_bound(2000, 5))
    True
    """
    return _Hedge(
        "Hedge",
        {"eta": None if eta is None else scalar(eta, "eta", 0.0, lo_open=True)},
        full_information=True,
        randomised=True,
        bounded_rewards=True,
    )


class _FTL(Policy):
    def act(self, s, t, T, rng):
        return np.argmin(s.cum, axis=1), None  # ties to the smallest index

    def update(self, s, t, T, arms, r, full, p):
        super().update(s, t, T, arms, r, full, p)
        s.cum += 1.0 - full


def follow_the_leader() -> Policy:
    """Follow-the-leader with full information (a negative control: linear regret on adversarial sequences).

    Returns
    -------
    policy : Policy
        Follow-the-leader, for ``simulate``.

    Examples
    --------
    >>> r = simulate(follow_the_leader(), adversarial_bandit(ftl_killer_table(1000)), 1000, 1, seed=0)
    >>> float(r.regret[0])  # linear in T
    500.0
    """
    return _FTL("FTL", {}, full_information=True, bounded_rewards=True)


# ---------------------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
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
    T = integer_in(T, "T", 1, MAX_STREAM_HORIZON)
    n = integer_in(n, "n", 1, 1_000_000)
    return np.unique(np.r_[np.round(np.logspace(0, math.log10(T), n)).astype(int), T])


def _compiled_code(policy: Policy) -> int | None:
    """The code of ``policy`` in ``theory._kernels.bernoulli_rounds`` (Tsallis-INF's by its estimator), or None
    for a policy whose loop on a Bernoulli bandit is not compiled. Types match exactly: a subclass may change
    the policy, so it runs the per-round loop."""
    kind = type(policy)
    if kind is _UCB1:
        return _kernels.UCB1
    if kind is _Exp3:
        return _kernels.EXP3
    if kind is _TsallisINF:
        return _kernels.TSALLIS_RV if policy.params["estimator"] == "rv" else _kernels.TSALLIS_IW
    return None


def simulate(
    policy: Policy,
    env: Any,
    horizon: int,
    n_reps: int,
    seed: int | np.random.SeedSequence = 0,
    n_checkpoints: int = 40,
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
    >>> r = simulate(ucb1(), bernoulli_bandit([0.3, 0.5, 0.7]), horizon=2000, n_reps=100, seed=0)
    >>> r.regret.shape
    (100,)
    >>> round(r.mean, 2), round(r.stderr, 2)
    (59.57, 1.09)
    """
    instance_of(policy, "policy", Policy)
    instance_of(env, "env", (BernoulliBandit, GaussianBandit, AdversarialBandit))
    T = integer_in(horizon, "horizon", 1, MAX_HORIZON)
    R = integer_in(n_reps, "n_reps", 1, MAX_REPS)
    if isinstance(env, AdversarialBandit) and T > env.T:
        raise ValueError(f"horizon must be <= the loss table's length {env.T}; got {T}")
    if policy.bounded_rewards and isinstance(env, GaussianBandit):
        raise ValueError(f"{policy.name} needs rewards in [0, 1]; a Gaussian bandit has unbounded rewards")
    return _simulate(policy, env, T, R, rng_from(seed, "seed"), n_checkpoints)


def _simulate(
    policy: Policy, env: Any, T: int, R: int, rng: np.random.Generator, n_checkpoints: int, compiled: bool = True
) -> BanditResult:
    """``simulate`` on checked arguments; ``compiled=False`` runs the per-round loop even where a compiled loop
    exists (the tests compare the two)."""
    K = env.K
    s = policy.init(R, K, T)
    cps = log_checkpoints(T, n_checkpoints)
    curve = np.zeros((R, len(cps)))
    code = _compiled_code(policy) if compiled and isinstance(env, BernoulliBandit) else None
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
    (``theory._kernels.bernoulli_rounds``): at 10^6 rounds the per-round Python calls cost more than the policies'
    arithmetic. Each block's uniforms are drawn in one call, in the order the per-round loop draws them (the policy's
    draw, then the rewards), so the arms pulled are those of the per-round loop; the regrets agree to rounding (the
    sums p . gaps run in another order). ``_simulate(..., compiled=False)`` runs the per-round loop (the tests
    compare the two)."""
    if code == _kernels.UCB1:
        aux1, aux2, eta = s.aux[0], s.aux[1], 0.0
    elif code == _kernels.EXP3:
        aux1, aux2, eta = s.aux[0], s.aux[1], policy._eta(T, env.K)
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


# ---------------------------------------------------------------------------------------------------------
# Guarantees
# ---------------------------------------------------------------------------------------------------------


def _TK(T: ArrayLike, K: ArrayLike) -> tuple[NDArray, NDArray]:
    return in_interval(T, "T", 1.0), in_interval(K, "K", 2.0)


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
    T, K = _TK(T, K)
    return np.sqrt(T / 2 * np.log(K))


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
    T, K = _TK(T, K)
    return np.sqrt(2 * T * K * np.log(K))


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
    T, K = _TK(T, K)
    if estimator == "iw":
        return 4 * np.sqrt(K * T) + 1
    if estimator == "rv":
        return 2 * np.sqrt(K * T) + 14 * K * np.log(T) + 16
    raise ValueError(f"estimator must be 'iw' or 'rv'; got {estimator!r}")


def _gaps(means: ArrayLike) -> NDArray:
    m = as_finite_array(means, "means")
    if m.ndim != 1 or len(m) < 2:
        raise ValueError(f"means must be a 1-d array of K >= 2 arm means; got shape {m.shape}")
    return m.max() - m


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
    T = in_interval(T, "T", 1.0)
    d = _gaps(means)
    d = d[d > 0]
    return np.sum(8 * np.log(np.asarray(T)[..., None]) / d, axis=-1) + (1 + math.pi**2 / 3) * d.sum()


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
        sigma = scalar(sigma, "sigma", 0.0, lo_open=True)
    else:
        raise ValueError(f"family must be 'bernoulli' or 'gaussian'; got {family!r}")
    d = _gaps(m)
    sub = d > 0
    if family == "gaussian":
        return float(np.sum(2 * sigma**2 / d[sub]))
    with np.errstate(divide="ignore"):
        return float(np.sum(d[sub] / bernoulli_kl(m[sub], m.max())))


# ---------------------------------------------------------------------------------------------------------
# Single-pass streaming bandits with a memory of one arm
# ---------------------------------------------------------------------------------------------------------


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
    T, K = integer_at_least(T, "T", 2), _check_K(K)
    if T < K:
        raise ValueError(f"T must be >= K = {K} (every arm of the stream is pulled at least once); got {T}")
    return int(min(T // K, max(1, math.floor((T / K) ** (2 / 3) * math.log(T) ** (1 / 3)))))


@dataclass(frozen=True)
class StreamingAlgorithm:
    """A single-pass algorithm that stores one arm (the 'king') besides the arm arriving from the stream."""

    name: str
    kind: str  # "uniform" or "challenge"
    pulls: int | None  # pulls per arm (None: ``streaming_explore_pulls``)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string; got {type(self.name).__name__}")
        option(self.kind, "kind", ("uniform", "challenge"))
        if self.pulls is not None:
            integer_in(self.pulls, "pulls", 1, MAX_STREAM_HORIZON)


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
    return StreamingAlgorithm(
        "uniform exploration", "uniform", None if pulls is None else integer_at_least(pulls, "pulls", 1)
    )


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
    return StreamingAlgorithm("challenge", "challenge", None if pulls is None else integer_at_least(pulls, "pulls", 1))


def _sum_of_pulls(env: Any, arm: int, n: NDArray | int, rng: np.random.Generator, shape: int | tuple) -> NDArray:
    """Sums of n reward draws of one arm, of the given shape (n broadcast to it): exact in distribution. An
    (S, R) draw with n of shape (S, 1) is the stream of S draws of R, in order."""
    mu = env.means[arm]
    if isinstance(env, BernoulliBandit):
        return rng.binomial(n, mu, size=shape).astype(float)
    return n * mu + env.sigma * np.sqrt(n) * rng.standard_normal(shape)


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
    >>> env = bernoulli_bandit(np.r_[0.6, np.full(9, 0.5)])
    >>> r = simulate_streaming(streaming_uniform_exploration(), env, 10**8, 100, seed=0)
    >>> bool(r.mean <= uniform_exploration_regret_bound(10**8, env.means))
    True
    """
    if not isinstance(alg, StreamingAlgorithm):
        raise ValueError(f"alg must be a StreamingAlgorithm (e.g. streaming_uniform_exploration()); got {alg!r}")
    if not isinstance(env, BernoulliBandit | GaussianBandit):
        raise ValueError("streaming bandits need a stochastic environment (bernoulli_bandit or gaussian_bandit)")
    T = integer_in(horizon, "horizon", 2, MAX_STREAM_HORIZON)
    R = integer_in(n_reps, "n_reps", 1, MAX_REPS)
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
    d = _gaps(in_interval(means, "means", 0.0, 1.0))
    Ts = np.atleast_1d(in_interval(T, "T", 2.0, float(MAX_STREAM_HORIZON))).astype(np.int64)
    out = np.empty(len(Ts))
    for j, t in enumerate(Ts):
        n = streaming_explore_pulls(int(t), len(d)) if pulls is None else integer_at_least(pulls, "pulls", 1)
        out[j] = n * d.sum() + (t - n * len(d)) * min(d.max(), np.sum(d * np.exp(-n * d**2 / 2)))
    return out.reshape(np.shape(T))


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
    T, K = _TK(T, K)
    return K ** (1 / 3) * T ** (2 / 3)


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
    T, K = _TK(T, K)
    return K ** (1 / 3) * T ** (2 / 3) * np.log(K)
