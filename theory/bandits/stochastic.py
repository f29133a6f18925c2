"""Index and posterior-sampling policies for stochastic bandits: UCB1, KL-UCB (exact and lazy) and Thompson sampling,
with the Bernoulli KL divergence and the KL-UCB index they use.

Every policy is vectorised over R replicates (state arrays (R, K)); ``theory.bandits.simulate`` runs them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._constraints import Flag, Integer, Options, Real, Reals, constrained
from theory.bandits import _kernels
from theory.bandits._base import Policy, flat_index

__all__ = [
    "bernoulli_kl",
    "kl_ucb",
    "kl_ucb_index",
    "thompson",
    "ucb1",
]


class _UCB1(Policy):
    def compiled_code(self):
        return _kernels.UCB1 if type(self) is _UCB1 else None

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
        flat = flat_index(arms, s.counts.shape[1])  # the base update, fused with the index update (compiled)
        mean, inv_sqrt_n = s.aux
        _kernels.ucb1_update(
            s.counts.reshape(-1),
            s.sums.reshape(-1),
            mean.reshape(-1),
            inv_sqrt_n.reshape(-1),
            flat,
            np.asarray(r, dtype=float),
        )


@constrained()  # no arguments: nothing to check, declared so
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


@constrained(p=Reals(0.0, 1.0), q=Reals(0.0, 1.0, like="p"))
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
        flat = flat_index(arms, s.counts.shape[1])  # the base update, fused with the index state's update
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
    (``theory.bandits._kernels.kl_ucb_lazy_argmax``); the cached indices are updated in place.
    """
    arms = np.empty(a.mean.shape[0], dtype=np.int64)
    last = a.last if a.last is not None else arms  # (unread without a last round)
    _kernels.kl_ucb_lazy_argmax(
        a.mean, a.inv_n, a.q, a.q_up, a.b, a.slope, last, a.last is not None, level, _LAZY_SLACK, 10, arms
    )
    return arms


@constrained(mean=Reals(0.0, 1.0), budget=Reals(0.0, math.inf, like="mean"), iterations=Integer(0, 100))
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
    try:
        mean, budget = np.broadcast_arrays(mean, budget)
    except ValueError:
        raise ValueError(f"mean and budget must broadcast; got shapes {mean.shape} and {budget.shape}") from None
    return _kl_ucb_index(np.array(mean), np.array(budget), iterations)


def _kl_ucb_index(mean: NDArray, budget: NDArray, iterations: int = 10) -> NDArray:
    """``kl_ucb_index`` without the argument checks (see there for the method), compiled elementwise
    (``theory.bandits._kernels.kl_index``: the lazy policy computes its indices with the same code, so its choices are
    those of the plain computation)."""
    mean, budget = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(budget, dtype=float))
    out = np.empty(mean.shape)
    _kernels.kl_index_flat(
        np.ascontiguousarray(mean).ravel(), np.ascontiguousarray(budget).ravel(), iterations, out.reshape(-1)
    )
    return out


@constrained(c=Real(0.0, math.inf), lazy=Flag())
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
    >>> from theory.bandits import bernoulli_bandit, simulate
    >>> r = simulate(kl_ucb(), bernoulli_bandit([0.3, 0.5, 0.7]), horizon=2000, n_reps=100, seed=0)
    >>> round(r.mean, 2)
    18.12
    """
    if not isinstance(lazy, bool | np.bool_):
        raise TypeError(f"lazy must be a bool; got {type(lazy).__name__}")
    return _KLUCB("KL-UCB", {"c": c, "lazy": lazy})


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


@constrained(prior=Options(("beta", "gaussian")), sigma=Real(0.0, math.inf, lo_open=True))
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
    return _Thompson("Thompson", {"prior": prior, "sigma": sigma})
