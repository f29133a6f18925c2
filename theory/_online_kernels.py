"""Compiled rounds of optimistic online mirror descent on linear losses (``theory.online.simulate_oco``).

Conventions as in ``theory.bandits._kernels``: C-contiguous float64 arrays, outputs passed by the caller, no checks.
"""

from __future__ import annotations

import numba
import numpy as np


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
