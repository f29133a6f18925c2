"""Compiled per-round kernels of the bandit and online-learning simulations.

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


@numba.njit(cache=True)
def power_normaliser(
    L: np.ndarray,
    eta: float,
    p: int,
    x0: np.ndarray,
    warm: bool,
    tol: float,
    max_iter: int,
    w: np.ndarray,
    x_out: np.ndarray,
) -> bool:
    """Rows w_i = (eta (L_i - x))^-p / sum, with x < min L the root of sum_i (eta (L_i - x))^-p = 1 (Newton).

    The iteration of ``theory.bandits._power_normaliser`` (which documents it), per row: from the warm start
    ``x0`` (if ``warm``) clipped to the safe point -1/eta (relative to the row minimum), Newton steps until
    |sum - 1| <= tol; a step that leaves the domain restarts from the safe point. Returns False if a row did not
    converge within ``max_iter`` steps.
    """
    R, K = L.shape
    safe = -1.0 / eta
    for r in range(R):
        lmin = L[r, 0]
        for i in range(1, K):
            if L[r, i] < lmin:
                lmin = L[r, i]
        x = min(x0[r] - lmin, safe) if warm else safe
        sw = 0.0
        done = False
        for _ in range(max_iter):
            sw = 0.0
            swz = 0.0
            for i in range(K):
                inv = 1.0 / (eta * (L[r, i] - lmin - x))  # one division per arm: the loop's cost
                wi = inv * inv if p == 2 else inv
                w[r, i] = wi  # the weights at the x that converges: no further pass of divisions
                sw += wi
                swz += wi * inv
            if abs(sw - 1.0) <= tol:
                done = True
                break
            x = x - (sw - 1.0) / (p * eta * swz)
            if x >= 0.0:  # left the domain x < min L: restart from the safe point
                x = safe
        if not done:
            return False
        for i in range(K):
            w[r, i] /= sw
        x_out[r] = x + lmin
    return True


@numba.njit(cache=True)
def draw(w: np.ndarray, u: np.ndarray, arms: np.ndarray) -> None:
    """One arm per row of the (possibly unnormalised) weights ``w``: the first index whose cumulative weight
    reaches u_r times the row total (inverse CDF), as ``theory.bandits._draw``."""
    R, K = w.shape
    for r in range(R):
        total = 0.0
        for i in range(K):
            total += w[r, i]
        target = u[r] * total
        c = 0.0
        arms[r] = K - 1
        for i in range(K):
            c += w[r, i]
            if c >= target:
                arms[r] = i
                break


# ---------------------------------------------------------------------------------------------------------
# KL-UCB (the method is documented at ``theory.bandits.kl_ucb_index`` and ``_lazy_kl_ucb_argmax``)
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
    """The lazy KL-UCB argmax of every row (``theory.bandits._lazy_kl_ucb_argmax`` states the method); updates the
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
    per replicate), and their cached indices voided (``theory.bandits._KLUCB.update``)."""
    for j in range(flat.size):
        f = flat[j]
        inv_n[f] = 1.0 / _pull(counts, sums, mean, f, r[j])
        q[f] = -np.inf
        q_up[f] = 2.0
        slope[f] = 0.0


# ---------------------------------------------------------------------------------------------------------
# The comp-sum tightest-transformation search (``theory.hconsistency._tight_comp_sum``)
# ---------------------------------------------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _f_tau(s: float, tau: float) -> float:
    """f_tau(s) = (s^(tau - 1) - 1) / (1 - tau), -log s at tau = 1 (``comp_sum_pointwise_f``)."""
    if tau == 1.0:
        return -np.log(s)
    return np.expm1((tau - 1.0) * np.log(s)) / (1.0 - tau)


@numba.njit(cache=True, error_model="numpy")
def _clip8(v: float) -> float:
    return min(max(v, -1e8), 1e8) if v == v else v


@numba.njit(cache=True, error_model="numpy")
def comp_sum_objective(x: np.ndarray, tau: float, m: int) -> tuple[float, np.ndarray]:
    """E_p f(s) - C*(p) and its gradient at x = (p, s) (``theory.hconsistency._comp_sum_objective`` states it)."""
    grad = np.empty(2 * m)
    sp = 0.0
    for i in range(m):
        sp += max(x[i], 0.0)
    # C*(p) in its homogeneous (unnormalised p) form, and its gradient g_c (into grad[:m] for now)
    if tau == 2.0:
        k = 0
        for i in range(1, m):
            if max(x[i], 0.0) > max(x[k], 0.0):
                k = i
        c_star = sp - max(x[k], 0.0)
        for i in range(m):
            grad[i] = 0.0 if i == k else 1.0
    elif tau == 1.0:
        c_star = 0.0
        for i in range(m):
            p = max(x[i], 0.0)
            if p > 0.0:
                logq = np.log(p / sp)
                c_star -= p * logq
                grad[i] = -logq
            else:
                grad[i] = 745.0
    else:
        a = 1.0 / (2.0 - tau)
        z = 0.0
        for i in range(m):
            z += max(x[i], 0.0) ** a
        c_star = (z ** (2.0 - tau) - sp) / (1.0 - tau)
        for i in range(m):
            p = max(x[i], 0.0)
            grad[i] = _f_tau(max(p**a / z, 1e-300) if p > 0.0 else 1e-300, tau)
    # infinite slope of C* at p_y = 0 (tau < 1) and of f at s -> 0: clipped to keep SLSQP finite
    val = 0.0
    for i in range(m):
        p = max(x[i], 0.0)
        s = max(x[m + i], 1e-300)
        f_s = _f_tau(s, tau)
        grad[i] = _clip8(f_s) - _clip8(grad[i])
        grad[m + i] = _clip8(-p * s ** (tau - 2.0)) if p > 0.0 else 0.0
        if p > 0.0:
            val += p * f_s
    return val - c_star, grad


@numba.njit(cache=True)
def comp_sum_equalities(x: np.ndarray, m: int, t: float) -> np.ndarray:
    """sum p - 1, sum s - 1, p_1 - p_0 - t at x = (p, s)."""
    out = np.empty(3)
    sp = 0.0
    ss = 0.0
    for i in range(m):
        sp += x[i]
        ss += x[m + i]
    out[0], out[1], out[2] = sp - 1.0, ss - 1.0, x[1] - x[0] - t
    return out


@numba.njit(cache=True)
def comp_sum_inequalities(x: np.ndarray, m: int) -> np.ndarray:
    """p_1 - p_j (j >= 2) and s_0 - s_j (j >= 1) at x = (p, s): the top class and the predicted class."""
    out = np.empty(2 * m - 3)
    for j in range(2, m):
        out[j - 2] = x[1] - x[j]
    for j in range(1, m):
        out[m - 3 + j] = x[m] - x[m + j]
    return out


# ---------------------------------------------------------------------------------------------------------
# UCB1 and Exp3 (``theory.bandits._UCB1``, ``theory.bandits._Exp3``)
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
    (``power_normaliser``, warm-started from and written back to ``x``) and one draw per row at u (``draw``).
    Returns False if a row's Newton iteration did not converge."""
    if not power_normaliser(L, eta, 2, x, warm, tol, max_iter, w, x):
        return False
    draw(w, u, arms)
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
    """Tsallis-INF's update (``theory.bandits._TsallisINF.update``), on the flattened (R, K) state: the pulled arms'
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


# Policies of ``bernoulli_rounds`` (``theory.bandits._compiled_code``)
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


# ---------------------------------------------------------------------------------------------------------
# Optimistic OMD on linear losses (``theory.online.simulate_oco``)
# ---------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def oco_rounds(
    ball: bool,
    optimistic: bool,
    eta: float,
    radius: float,
    means: np.ndarray,
    noise: np.ndarray,
    noise_scale: float,
    state: np.ndarray,
    M: np.ndarray,
    C: np.ndarray,
    loss: np.ndarray,
    herr: np.ndarray,
    t0: int,
    cps: np.ndarray,
    c: int,
    curve: np.ndarray,
) -> int:
    """Rounds t0 .. t0 + len(means) - 1 of ``simulate_oco`` (which states the algorithm), every replicate; ``noise``
    (rounds, R, d) holds the standard normal draws of those rounds, ``state`` is x_hat (ball) or the log-weights
    (simplex), updated in place with M, C, loss and herr. Returns the next checkpoint's index."""
    n_rounds, R, d = noise.shape
    x = np.empty(d)
    g = np.empty(d)
    for k in range(n_rounds):
        for r in range(R):
            if ball:  # x = Proj(x_hat - eta M)
                nrm = 0.0
                for i in range(d):
                    x[i] = state[r, i] - eta * M[r, i]
                    nrm += x[i] * x[i]
                f = min(1.0, radius / max(np.sqrt(nrm), 1e-300))
                for i in range(d):
                    x[i] *= f
            else:  # x = softmax(logw - eta M)
                top = -np.inf
                for i in range(d):
                    x[i] = state[r, i] - eta * M[r, i]
                    top = max(top, x[i])
                tot = 0.0
                for i in range(d):
                    x[i] = np.exp(x[i] - top)
                    tot += x[i]
                for i in range(d):
                    x[i] /= tot
            gx = 0.0
            for i in range(d):
                g[i] = means[k, i] + noise_scale * noise[k, r, i]
                gx += g[i] * x[i]
            loss[r] += gx
            if ball:
                sq = 0.0
                for i in range(d):
                    sq += (g[i] - M[r, i]) ** 2
                herr[r] += sq
                nrm = 0.0
                for i in range(d):
                    state[r, i] -= eta * g[i]
                    nrm += state[r, i] * state[r, i]
                f = min(1.0, radius / max(np.sqrt(nrm), 1e-300))
                for i in range(d):
                    state[r, i] *= f
            else:  # the dual norm of the simplex updates is half the range; log-weights kept bounded
                hi, lo = -np.inf, np.inf
                for i in range(d):
                    hi, lo = max(hi, g[i] - M[r, i]), min(lo, g[i] - M[r, i])
                herr[r] += ((hi - lo) / 2) ** 2
                top = -np.inf
                for i in range(d):
                    state[r, i] -= eta * g[i]
                    top = max(top, state[r, i])
                for i in range(d):
                    state[r, i] -= top
            for i in range(d):
                C[r, i] += g[i]
                if optimistic:
                    M[r, i] = g[i]
        t = t0 + k
        if c < cps.size and t + 1 == cps[c]:
            for r in range(R):
                if ball:
                    nrm = 0.0
                    for i in range(d):
                        nrm += C[r, i] * C[r, i]
                    best = -radius * np.sqrt(nrm)
                else:
                    best = C[r, 0]
                    for i in range(1, d):
                        best = min(best, C[r, i])
                curve[r, c] = loss[r] - best
            c += 1
    return c
