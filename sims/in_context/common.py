"""Helpers shared by the in-context-learning sims: Monte Carlo over many prompts in chunks, and normal equations.

Public, so that each sim module imports them by name; nothing here is a sim. Every Monte Carlo estimate comes with
its standard error; claims compare with closed forms within ``N_SE`` standard errors (fixed seeds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Tol
from theory.in_context import MAX_ENTRIES, gd_statistic, sample_prompts

# Chunks of ~2^20 floats (8 MB), well below MAX_ENTRIES: every chunk of the maximal size was a fresh mapping of 160 MB
# whose page faults cost more than the draws (47 vs 14 ns per normal, measured); small chunks reuse the memory.
CHUNK_ENTRIES = 2**20
assert CHUNK_ENTRIES <= MAX_ENTRIES

AREA = "In-context learning with linear self-attention"
# Four standard errors: over the ~200 Monte Carlo comparisons of this area a true statement fails one of them with
# probability about 200 x 6.3e-5 = 1.3% (two-sided normal tail), and the seeds are fixed.
N_SE = 4.0


# The claims of this area compare z-scores (estimate minus prediction, over its standard error) with N_SE: the
# tolerance is then already in the prediction, justified once here.
Z_TOL = Tol(0.0, f"the prediction is already {N_SE:g} standard errors (two-sided; ~200 such checks in this area)")


KEPT_FEATURES = 2**25  # floats (256 MB): least-squares features kept between passes up to this size


def chunks(
    m: int, n: int, d: int, seed: np.random.SeedSequence, **kw
) -> Iterator[tuple[NDArray, NDArray, NDArray, NDArray]]:
    """``sample_prompts`` in chunks of about ``CHUNK_ENTRIES`` floats, independent child seeds; m prompts in all."""
    size = max(1, CHUNK_ENTRIES // ((n + 1) * d))
    sizes = [size] * (m // size) + ([m % size] if m % size else [])
    for i, s in enumerate(sizes):
        # the i-th child of ``seed``, built without ``seed.spawn`` (which is stateful): iterating twice over the same
        # seed draws the same prompts, so a second pass (residuals, another predictor) sees exactly the first's
        child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i), pool_size=seed.pool_size)
        yield sample_prompts(s, n, d, np.random.default_rng(child), **kw)


class LossStats:
    """Running sums of per-prompt losses (and their squares) for several predictors at once, in chunks."""

    def __init__(self, k: int) -> None:
        self.n = 0
        self.s = np.zeros(k)
        self.ss = np.zeros((k, k))

    def add(self, losses: NDArray) -> None:  # (k, m)
        self.n += losses.shape[1]
        self.s += losses.sum(axis=1)
        self.ss += losses @ losses.T

    def arrays(self) -> dict[str, NDArray]:
        """Mean losses (k,) and their covariance (k, k) / n: the covariance of the means (paired comparisons)."""
        mean = self.s / self.n
        cov = (self.ss / self.n - np.outer(mean, mean)) * self.n / (self.n - 1) / self.n
        return {"mean": mean, "cov_of_mean": cov, "n_prompts": np.array(self.n)}


def paired(mean: NDArray, cov: NDArray, i: int, j: int) -> tuple[float, float]:
    """Mean and standard error of loss_i - loss_j from the same prompts."""
    return float(mean[i] - mean[j]), float(np.sqrt(max(cov[i, i] + cov[j, j] - 2 * cov[i, j], 0.0)))


def least_squares_chunked(
    features: Callable[[NDArray, NDArray, NDArray], NDArray],
    m: int,
    n: int,
    d: int,
    seed: np.random.SeedSequence,
    evaluate: NDArray | None = None,
    **kw,
) -> dict[str, NDArray]:
    """Least squares of y_q on ``features(X, y, x_query)`` over m prompts drawn in chunks: the coefficients, their
    heteroscedasticity-robust (White) covariance, the in-sample risk and the features' second moment H (``gram``).
    ``evaluate``: further coefficient vectors (rows) whose risk on the same prompts is returned as ``risk_of``.
    The second pass needs the first pass's features again: they are kept when they fit in ``KEPT_FEATURES`` floats
    (the features are ~10x smaller than the prompts they come from, and drawing the prompts is most of the cost),
    else the chunks are drawn again from the same seeds; either way the second pass sees exactly the first's."""
    FF = Fy = None
    kept: list[tuple[NDArray, NDArray]] | None = None
    for X, y, xq, yq in chunks(m, n, d, seed, **kw):
        F = features(X, y, xq)
        if FF is None:  # first chunk: every chunk has F.shape[1] features, so keep or redraw is decided here
            FF, Fy = F.T @ F, F.T @ yq
            kept = [] if m * F.shape[1] <= KEPT_FEATURES else None
        else:
            FF, Fy = FF + F.T @ F, Fy + F.T @ yq
        if kept is not None:
            kept.append((F, yq))
    coef = np.linalg.solve(FF, Fy)
    others = np.zeros((0, len(coef))) if evaluate is None else np.atleast_2d(evaluate)
    meat = np.zeros_like(FF)
    rss, rss_others = 0.0, np.zeros(len(others))
    again = kept if kept is not None else ((features(X, y, xq), yq) for X, y, xq, yq in chunks(m, n, d, seed, **kw))
    for F, yq in again:
        r = F @ coef - yq
        rss += float(r @ r)
        Fr = F * r[:, None]
        meat += Fr.T @ Fr
        rss_others += np.sum((F @ others.T - yq[:, None]) ** 2, axis=0)
    inv = np.linalg.inv(FF)
    return {
        "coef": coef,
        "cov": inv @ meat @ inv,
        "risk": np.array(rss / m),
        "gram": FF / m,
        "risk_of": rss_others / m,
    }


def gd_features(X: NDArray, y: NDArray, xq: NDArray) -> NDArray:
    """vec(x_q g') per prompt, (m, d^2): x_q' G g = <vec(G), vec(x_q g')>."""
    m, _, d = X.shape
    return np.einsum("mi,mj->mij", xq, gd_statistic(X, y)).reshape(m, d * d)


def fit_preconditioner_chunked(m: int, n: int, d: int, seed: np.random.SeedSequence, **kw) -> dict[str, NDArray]:
    """The least-squares G of x_q' G g over m prompts (chunked), with the covariance of vec(G)."""
    out = least_squares_chunked(gd_features, m, n, d, seed, **kw)
    return {"G": out["coef"].reshape(d, d), "cov_vecG": out["cov"], "risk": out["risk"]}
