"""Compiled per-round kernels of the bandit policies and of the Bernoulli simulation loop.

Conventions: every kernel works on C-contiguous float64 arrays of shape (R, K) (replicates x arms), row by row, and
writes into output arrays passed by the caller; none checks its arguments (the public callers have). Each is
the loop a numpy expression would run, fused into one pass per row.

Why compiled: a round of a K = 1000 simulation ran ~30 numpy calls on 4 x 1000 arrays, and their per-call
overhead, not the arithmetic, was the cost (the Tsallis-INF normaliser alone was ~130 us a round, ~60% of a
10^6-round run). numba compiles these once per machine (``cache=True`` keeps the machine code beside the module).
"""

from __future__ import annotations

import numba
import numpy as np

from theory._probability import draw_rows, power_normaliser_rows

# ---------------------------------------------------------------------------------------------------------
# KL-UCB (the method is documented at ``theory.bandits.kl_ucb_index`` and ``theory.bandits.kl_ucb``)
# ---------------------------------------------------------------------------------------------------------

# error_model="numpy": a float division by zero gives inf/nan as in numpy (q = 1, mean = 1), not an exception


@numba.njit(cache=True, error_model="numpy")
def _nan_min(a: float, b: float) -> float:
    """np.minimum on two floats (a NaN in either gives NaN)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


@numba.njit(cache=True, error_model="numpy")
def _xlogx(x: float) -> float:
    return 0.0 if x == 0.0 else x * np.log(x)


@numba.njit(cache=True, error_model="numpy")
def kl_index(p: float, b: float, iterations: int) -> float:
    """max{q in [p, 1] : kl(p, q) <= b}: Newton in x = -log(1 - q) from the smallest of three upper bounds, each
    iterate stopping at its own fixed point (``theory.bandits.kl_ucb_index`` states the method)."""
    neg_h = _xlogx(p) + _xlogx(1.0 - p)
    c = b * (1.0 - p)
    pinsker = _nan_min(p + np.sqrt(0.5 * b), p + c + np.sqrt(c * (c + 2.0 * p)))
    x = _nan_min(-np.log1p(-pinsker) if pinsker < 1.0 else np.inf, (b - neg_h) / (1.0 - p))
    if not np.isfinite(x):  # mean = 1: the index is 1
        return 1.0
    p1, g0 = 1.0 - p, neg_h - b
    for _ in range(iterations):
        e = np.exp(-x)
        q = 1.0 - e if e < 0.5 else -np.expm1(-x)  # 1 - e is exact to 2 ulp for e < 1/2
        g = g0 + p1 * x - p * np.log(max(q, 1e-300))
        dg = p1 - p * e / q  # g'(x) > 0 right of the root
        if not (dg > 0.0 and g > 0.0):  # at (or left of) the root in floating point: stop
            break
        step = g / dg
        x -= step
        # quadratic convergence: after a step of relative size 1e-8 the error is ~1e-16 relative, so the next
        # step would not change x (stopping here saves that evaluation, ~1/5 of the work)
        if step <= 1e-8 * x:
            break
    return -np.expm1(-x)


@numba.njit(cache=True, error_model="numpy")
def kl_index_flat(mean: np.ndarray, budget: np.ndarray, iterations: int, out: np.ndarray) -> None:
    for i in range(mean.size):
        out[i] = kl_index(mean[i], budget[i], iterations)


@numba.njit(cache=True, error_model="numpy")
def _refresh(mean, q, q_up, b, slope, r, i, budget, iterations):
    qn = kl_index(mean[r, i], budget, iterations)
    d = (qn - mean[r, i]) / (qn * (1.0 - qn))  # kl'(mean, q) at the new index
    q[r, i] = qn
    q_up[r, i] = qn
    b[r, i] = budget
    # d = 0 (q = mean, zero budget) or not finite (q = 1): no useful slope (the bound is then vacuous)
    slope[r, i] = 1.0 / d if (np.isfinite(d) and d > 0.0) else 1e300


@numba.njit(cache=True, error_model="numpy")
def kl_ucb_lazy_argmax(
    mean: np.ndarray,
    inv_n: np.ndarray,
    q: np.ndarray,
    q_up: np.ndarray,
    b: np.ndarray,
    slope: np.ndarray,
    last: np.ndarray,
    has_last: bool,
    level: float,
    slack: float,
    iterations: int,
    arms: np.ndarray,
) -> int:
    """The lazy KL-UCB argmax of every row (``theory.bandits.kl_ucb`` with ``lazy=True`` states the method); updates the
    cached indices in place and returns how many exact indices it computed."""
    R, K = mean.shape
    index = np.empty(K)
    stale = np.empty(K, dtype=np.bool_)
    n_exact = 0
    for r in range(R):
        for i in range(K):
            index[i] = -np.inf
            stale[i] = (last[r] - r * K == i) if has_last else (q[r, i] == -np.inf)
        for i in range(K):  # the arms pulled last round (their mean and count changed) first
            if stale[i]:
                _refresh(mean, q, q_up, b, slope, r, i, level * inv_n[r, i], iterations)
                index[i] = q[r, i]
                n_exact += 1
        best = q[r, 0]
        for i in range(1, K):
            if q[r, i] > best:
                best = q[r, i]
        threshold = best - slack
        for i in range(K):
            if not stale[i]:
                budget = level * inv_n[r, i]
                if q_up[r, i] + (budget - b[r, i]) * slope[r, i] >= threshold:
                    _refresh(mean, q, q_up, b, slope, r, i, budget, iterations)
                    index[i] = q[r, i]
                    n_exact += 1
        k = 0
        for i in range(1, K):
            if index[i] > index[k]:
                k = i
        arms[r] = k
    return n_exact


@numba.njit(cache=True)
def _pull(counts: np.ndarray, sums: np.ndarray, mean: np.ndarray, f: int, r: float) -> float:
    """One pull of flat entry f with reward r: its count, sum and empirical mean; returns the new count."""
    n = counts[f] + 1.0
    total = sums[f] + r
    counts[f] = n
    sums[f] = total
    mean[f] = total / n
    return n


@numba.njit(cache=True)
def kl_ucb_update(
    counts: np.ndarray,
    sums: np.ndarray,
    mean: np.ndarray,
    inv_n: np.ndarray,
    q: np.ndarray,
    q_up: np.ndarray,
    slope: np.ndarray,
    flat: np.ndarray,
    r: np.ndarray,
) -> None:
    """The pulled arms' counts, sums, means and 1/counts (flat indices into the flattened (R, K) state, one arm
    per replicate), and their cached indices voided (the update of ``theory.bandits.kl_ucb``)."""
    for j in range(flat.size):
        f = flat[j]
        inv_n[f] = 1.0 / _pull(counts, sums, mean, f, r[j])
        q[f] = -np.inf
        q_up[f] = 2.0
        slope[f] = 0.0


# ---------------------------------------------------------------------------------------------------------
# UCB1 and Exp3 (``theory.bandits.ucb1``, ``theory.bandits.exp3``) and Tsallis-INF (``theory.bandits.tsallis_inf``)
# ---------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def index_argmax(mean: np.ndarray, inv_sqrt_n: np.ndarray, c: float, arms: np.ndarray) -> None:
    """argmax_i mean_i + c / sqrt(n_i) per row (the first of ties, as np.argmax)."""
    R, K = mean.shape
    for r in range(R):
        k, best = 0, mean[r, 0] + c * inv_sqrt_n[r, 0]
        for i in range(1, K):
            v = mean[r, i] + c * inv_sqrt_n[r, i]
            if v > best:
                k, best = i, v
        arms[r] = k


@numba.njit(cache=True)
def ucb1_update(
    counts: np.ndarray, sums: np.ndarray, mean: np.ndarray, inv_sqrt_n: np.ndarray, flat: np.ndarray, r: np.ndarray
) -> None:
    """The pulled arms' counts, sums, means and 1/sqrt(counts) (flat indices, one arm per replicate)."""
    for j in range(flat.size):
        f = flat[j]
        inv_sqrt_n[f] = 1.0 / np.sqrt(_pull(counts, sums, mean, f, r[j]))


@numba.njit(cache=True)
def exp3_act(
    w: np.ndarray, shift: np.ndarray, cum: np.ndarray, eta: float, u: np.ndarray, p: np.ndarray, arms: np.ndarray
) -> None:
    """Exp3's probabilities p = w / sum w and one draw per row (inverse CDF at u_r times the total), where a row
    whose total weight fell below 1e-100 is first recomputed as exp(-eta (L_hat - min L_hat)) (no underflow)."""
    R, K = w.shape
    for r in range(R):
        total = 0.0
        for i in range(K):
            total += w[r, i]
        if total < 1e-100:
            m = cum[r, 0]
            for i in range(1, K):
                m = min(m, cum[r, i])
            shift[r, 0] = m
            total = 0.0
            for i in range(K):
                w[r, i] = np.exp(-eta * (cum[r, i] - m))
                total += w[r, i]
        target = u[r] * total
        c = 0.0
        arms[r] = K - 1
        chosen = False
        for i in range(K):
            p[r, i] = w[r, i] / total
            c += w[r, i]
            if not chosen and c >= target:
                arms[r] = i
                chosen = True


@numba.njit(cache=True)
def exp3_update(
    counts: np.ndarray,
    sums: np.ndarray,
    cum: np.ndarray,
    w: np.ndarray,
    shift: np.ndarray,
    p: np.ndarray,
    flat: np.ndarray,
    r: np.ndarray,
    eta: float,
) -> None:
    """Exp3's update of the pulled arms (flat indices into the flattened (R, K) state, one per replicate): counts
    and sums, the importance-weighted loss estimate L_hat += (1 - r) / p, and the weight exp(-eta (L_hat - shift))
    recomputed from L_hat (not by accumulating products)."""
    for j in range(flat.size):
        f = flat[j]
        counts[f] += 1.0
        sums[f] += r[j]
        cum[f] += (1.0 - r[j]) / p[f]
        w[f] = np.exp(-eta * (cum[f] - shift[j]))


@numba.njit(cache=True)
def tsallis_act(
    L: np.ndarray,
    eta: float,
    x: np.ndarray,
    warm: bool,
    tol: float,
    max_iter: int,
    u: np.ndarray,
    w: np.ndarray,
    arms: np.ndarray,
) -> bool:
    """One round of Tsallis-INF's choice in one call: the weights w = (eta (L - x))^-2 with the normaliser x
    (``power_normaliser_rows``, warm-started from and written back to ``x``) and one draw per row at u (``draw_rows``).
    Returns False if a row's Newton iteration did not converge."""
    if not power_normaliser_rows(L, eta, 2, x, warm, tol, max_iter, w, x):
        return False
    draw_rows(w, u, arms)
    return True


@numba.njit(cache=True)
def tsallis_update(
    counts: np.ndarray,
    sums: np.ndarray,
    cum: np.ndarray,
    p: np.ndarray,
    flat: np.ndarray,
    r: np.ndarray,
    reduced_variance: bool,
    eta: float,
) -> None:
    """Tsallis-INF's update (of ``theory.bandits.tsallis_inf``), on the flattened (R, K) state: the pulled arms'
    counts and sums, and the loss estimates: L_hat += l 1[i = A]/p_A (importance-weighted), or with the reduced-variance
    estimator first L_hat_i += B_i for every arm, B_i = 1/2 1[p_i >= eta^2], then L_hat_A += (l - B_A)/p_A."""
    if reduced_variance:
        for i in range(cum.size):
            if p[i] >= eta * eta:
                cum[i] += 0.5
    for j in range(flat.size):
        f = flat[j]
        counts[f] += 1.0
        sums[f] += r[j]
        loss = 1.0 - r[j]
        if reduced_variance:
            cum[f] += (loss - (0.5 if p[f] >= eta * eta else 0.0)) / p[f]
        else:
            cum[f] += loss / p[f]


# Policies of ``bernoulli_rounds`` (``theory.bandits.Policy.compiled_code``)
UCB1, EXP3, TSALLIS_IW, TSALLIS_RV = 0, 1, 2, 3


@numba.njit(cache=True)
def bernoulli_rounds(
    policy: int,
    t0: int,
    u: np.ndarray,
    means: np.ndarray,
    gaps: np.ndarray,
    counts: np.ndarray,
    sums: np.ndarray,
    cum: np.ndarray,
    aux1: np.ndarray,
    aux2: np.ndarray,
    eta: float,
    cps: np.ndarray,
    c: int,
    curve: np.ndarray,
    cum_reg: np.ndarray,
) -> int:
    """Rounds t0 .. t0 + len(u) - 1 of ``theory.bandits.simulate`` for one policy on a Bernoulli bandit, compiled.

    Each round is the per-round loop of ``simulate`` with the policy's act and update (the kernels above), on the
    uniforms ``u`` (rounds, draws per round, R) that the loop would draw in this order: the policy's draw (randomised
    policies), then the rewards 1[u < mean of the pulled arm]. State: UCB1 (mean, 1/sqrt(counts)) in (aux1, aux2);
    Exp3 (weights, shift) with ``eta`` its step; Tsallis-INF the normaliser in aux1 with ``eta`` its scale
    (eta_t = scale / sqrt(t + 1)). The pseudo-regret is read at the checkpoints ``cps`` (next one: ``c``) into
    ``curve``. Returns the next checkpoint, or -1 if Tsallis-INF's normaliser did not converge.
    """
    R, K = counts.shape
    arms = np.empty(R, dtype=np.int64)
    flat = np.empty(R, dtype=np.int64)
    r = np.empty(R)
    p = np.empty((R, K))
    cf, sf, lf, pf = counts.reshape(-1), sums.reshape(-1), cum.reshape(-1), p.reshape(-1)
    randomised = policy != UCB1
    for j in range(u.shape[0]):
        t = t0 + j
        if policy == UCB1:
            if t < K:
                arms[:] = t
            else:
                index_argmax(aux1, aux2, np.sqrt(2.0 * np.log(t + 1.0)), arms)
        elif policy == EXP3:
            exp3_act(aux1, aux2, cum, eta, u[j, 0], p, arms)
        else:
            eta_t = eta / np.sqrt(t + 1.0)
            if not tsallis_act(cum, eta_t / 2.0, aux1[:, 0], t > 0, 1e-12, 200, u[j, 0], p, arms):
                return -1
        ur = u[j, 1] if randomised else u[j, 0]
        for i in range(R):
            r[i] = 1.0 if ur[i] < means[arms[i]] else 0.0
            flat[i] = i * K + arms[i]
            if randomised:
                acc = 0.0
                for k in range(K):
                    acc += p[i, k] * gaps[k]
                cum_reg[i] += acc
        if policy == UCB1:
            ucb1_update(cf, sf, aux1.reshape(-1), aux2.reshape(-1), flat, r)
        elif policy == EXP3:
            exp3_update(cf, sf, lf, aux1.reshape(-1), aux2[:, 0], pf, flat, r, eta)
        else:
            tsallis_update(cf, sf, lf, pf, flat, r, policy == TSALLIS_RV, eta / np.sqrt(t + 1.0))
        if c < cps.size and t + 1 == cps[c]:
            for i in range(R):
                if randomised:
                    curve[i, c] = cum_reg[i]
                else:
                    acc = 0.0
                    for k in range(K):
                        acc += counts[i, k] * gaps[k]
                    curve[i, c] = acc
            c += 1
    return c
