"""Exponential-weights and FTRL policies for adversarial bandits and full information: Exp3, Tsallis-INF (with the
1/2-Tsallis weights it plays), Hedge and follow-the-leader.

Every policy is vectorised over R replicates (state arrays (R, K)); ``theory.bandits.simulate`` runs them.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from theory._checks import (
    as_finite_array,
)
from theory._constraints import Optional, Options, Real, constrained
from theory._probability import draw, log_weights_to_probs, power_normaliser
from theory.bandits import _kernels
from theory.bandits._base import Policy, flat_index

__all__ = [
    "exp3",
    "follow_the_leader",
    "hedge",
    "tsallis_inf",
    "tsallis_weights",
]


class _Exp3(Policy):
    def compiled_code(self):
        return _kernels.EXP3 if type(self) is _Exp3 else None

    def learning_rate(self, T: int, K: int) -> float:
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
        # compiled (theory.bandits._kernels.exp3_act): totals, the underflow reset, p and the inverse-CDF draw in one
        # pass; u is drawn as in theory._probability.draw
        _kernels.exp3_act(
            w, shift, s.cum, self.learning_rate(T, w.shape[1]), rng.random((w.shape[0], 1))[:, 0], p, arms
        )
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
            flat_index(arms, K),
            np.asarray(r, dtype=float),
            self.learning_rate(T, K),
        )


@constrained(eta=Optional(Real(0.0, math.inf, lo_open=True)))
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
    >>> from theory.bandits import adversarial_bandit, exp3_regret_bound, simulate, switching_loss_table
    >>> table = switching_loss_table(2000, 5, rng=0)
    >>> r = simulate(exp3(), adversarial_bandit(table), 2000, 50, seed=0)
    >>> bool(r.mean <= exp3_regret_bound(2000, 5))
    True
    """
    return _Exp3(
        "Exp3",
        {"eta": eta},
        randomised=True,
        bounded_rewards=True,
    )


@constrained(eta=Real(1e-100, 1e100))  # eta (L_i - x) must stay representable at both ends
def tsallis_weights(L_hat: NDArray, eta: float) -> NDArray:
    """argmin over the simplex of <w, L_hat> + Psi(w), Psi(w) = -(4/eta) sum_i (sqrt(w_i) - w_i/2) (1/2-Tsallis).

    The linear part of Psi is constant on the simplex, so the solution is w_i = 4 / (eta (L_hat_i - x))^2 =
    (eta/2 (L_hat_i - x))^{-2}, the normaliser x found by Newton's method to 1e-12 (``power_normaliser``).

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
    if np.max(np.abs(L)) > 1e150:
        raise ValueError(f"L_hat must be at most 1e150 in magnitude (cumulative losses); got {np.max(np.abs(L)):g}")
    return power_normaliser(L, eta / 2, 2)[0]


class _TsallisINF(Policy):
    def compiled_code(self):
        if type(self) is not _TsallisINF:
            return None
        return _kernels.TSALLIS_RV if self.params["estimator"] == "rv" else _kernels.TSALLIS_IW

    def init(self, R, K, T):
        s = super().init(R, K, T)
        s.aux = np.zeros(R)  # last round's normaliser per replicate (a Newton warm start after round 0)
        return s

    def act(self, s, t, T, rng):
        eta = self.params["scale"] / math.sqrt(t + 1)
        R, K = s.cum.shape
        p, arms = np.empty((R, K)), np.empty(R, dtype=np.int64)
        u = rng.random((R, 1))[:, 0]  # the stream of theory._probability.draw
        # compiled (theory.bandits._kernels.tsallis_act): p = tsallis_weights(s.cum, eta) warm-started
        # (theory._probability.power_normaliser documents the iteration), then the draw of theory._probability.draw,
        # in one call: at 1e6 rounds the per-round Python calls and allocations of the separate steps cost as much
        # as the arithmetic
        if not _kernels.tsallis_act(s.cum, eta / 2, s.aux, t > 0, 1e-12, 200, u, p, arms):
            raise ArithmeticError("simplex normaliser: Newton's method did not converge")
        return arms, p

    def update(self, s, t, T, arms, r, full, p):
        _kernels.tsallis_update(  # the base update and the loss estimates in one compiled call
            s.counts.reshape(-1),
            s.sums.reshape(-1),
            s.cum.reshape(-1),
            p.reshape(-1),
            flat_index(arms, s.cum.shape[1]),
            np.asarray(r, dtype=float),
            self.params["estimator"] == "rv",
            self.params["scale"] / math.sqrt(t + 1),
        )


@constrained(estimator=Options(("iw", "rv")))
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
        p = log_weights_to_probs(-eta * s.cum)
        return draw(p, rng), p

    def update(self, s, t, T, arms, r, full, p):
        super().update(s, t, T, arms, r, full, p)
        s.cum += 1.0 - full


@constrained(eta=Optional(Real(0.0, math.inf, lo_open=True)))
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
    >>> from theory.bandits import adversarial_bandit, hedge_regret_bound, simulate, switching_loss_table
    >>> table = switching_loss_table(2000, 5, rng=0)
    >>> r = simulate(hedge(), adversarial_bandit(table), 2000, 1, seed=0)
    >>> bool(r.regret[0] <= hedge_regret_bound(2000, 5))
    True
    """
    return _Hedge(
        "Hedge",
        {"eta": eta},
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


@constrained()  # no arguments: nothing to check, declared so
def follow_the_leader() -> Policy:
    """Follow-the-leader with full information (a negative control: linear regret on adversarial sequences).

    Returns
    -------
    policy : Policy
        Follow-the-leader, for ``simulate``.

    Examples
    --------
    >>> from theory.bandits import adversarial_bandit, ftl_killer_table, simulate
    >>> r = simulate(follow_the_leader(), adversarial_bandit(ftl_killer_table(1000)), 1000, 1, seed=0)
    >>> float(r.regret[0])  # linear in T
    500.0
    """
    return _FTL("FTL", {}, full_information=True, bounded_rewards=True)
