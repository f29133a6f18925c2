"""Helpers shared by the sims of one area: statistical estimation (theory/estimation).

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sims.engine.claims import Tol
from sims.engine.core import cell_key
from sims.engine.stats import mean_se
from theory.estimation import gaussian_nb_fit, linear_rule_error, logistic_fit, sample_gaussian_classes

AREA = "Statistical estimation: covariate shift, generative vs discriminative, aggregate responses"
# The area makes about 100 Monte Carlo comparisons; at 4 standard errors each has a two-sided false-alarm rate of
# 6.3e-5, so the family-wise rate stays below 1% (Bonferroni).
N_SE = 4.0
SE_REASON = (
    "4 standard errors of the Monte Carlo estimate (family-wise false-alarm rate < 1% over the area's ~100 checks)"
)


def se_tol(se: float, what: str = "") -> Tol:
    """N_SE standard errors, with the reason."""
    return Tol(N_SE * float(se), SE_REASON + (f"; {what}" if what else ""))


def extrapolate_in(x: ArrayLike, y: ArrayLike, se: ArrayLike) -> tuple[float, float]:
    """The intercept L of y = L + c / x fitted by weighted least squares (weights 1 / se^2), and its standard error.

    The first-order expansion of a finite-sample mean in 1/x (1/n for an estimator's scaled risk, 1/d for a
    proportional-regime risk): the limit x -> infinity is the intercept, whose standard error comes from the
    Monte Carlo standard errors of the points (their sampling noise only, no model error)."""
    xa, ya, sa = (np.asarray(v, dtype=float) for v in (x, y, se))
    A = np.stack([np.ones_like(xa), 1.0 / xa], axis=1) / sa[:, None]
    cov = np.linalg.inv(A.T @ A)
    coef = cov @ A.T @ (ya / sa)
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


def size_curve(
    results: dict, sizes: tuple[int, ...], key: str, fixed: dict, scale: bool = True
) -> tuple[NDArray, NDArray, NDArray]:
    """(n, n x mean, n x SE) of the array ``key`` over the cells {**fixed, "n": n} (without the factor n when
    ``scale`` is False): the curves every sample-size sim of the area extrapolates."""
    ns = np.array(sizes, dtype=float)
    ms = np.array([mean_se(results[cell_key({**fixed, "n": int(n)})][key]) for n in ns])
    f = ns if scale else np.ones_like(ns)
    return ns, f * ms[:, 0], f * ms[:, 1]


def shifted_covariances(d: int, rng: np.random.Generator, lam_lo: float, lam_hi: float) -> tuple[NDArray, NDArray]:
    """A random source covariance (Wishart-like, well conditioned) and a target S_T = S_S^(1/2) U diag(l) U'
    S_S^(1/2) with U Haar and l ~ U(lam_lo, lam_hi): the generalised eigenvalues of (S_T, S_S) are l, so the range
    says whether importance weights have finite moments (l < 2: E[w^2]; l < 4/3: E[w^4])."""
    G = rng.standard_normal((d, 2 * d))
    S = G @ G.T / (2 * d) + 0.3 * np.eye(d)
    root = np.linalg.cholesky(S)
    U = np.linalg.qr(rng.standard_normal((d, d)))[0]
    lam = rng.uniform(lam_lo, lam_hi, size=d)
    T = root @ U @ np.diag(lam) @ U.T @ root.T
    return S, (T + T.T) / 2


def int_seed(seed: np.random.SeedSequence) -> int:
    """An integer seed for the theory functions, from a cell's SeedSequence."""
    return int(seed.generate_state(1, dtype=np.uint32)[0])


def nb_rule(X: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    """The two-class rule (w, b) of the authors' pooled-variance naive Bayes, per replicate."""
    return gaussian_nb_fit(X, y).rule()


def lr_rule(X: NDArray, y: NDArray) -> tuple[NDArray, NDArray]:
    """The rule of logistic regression with the authors' penalty (C = 1, scikit-learn's convention), per replicate."""
    fit = logistic_fit(X, y, C=1.0)
    return fit.coef, fit.intercept


def geometric_sizes(lo: int, hi: int, per_octave: int) -> NDArray:
    """Training sizes lo, ..., hi spaced by 2^(1/per_octave), rounded and deduplicated."""
    k = np.arange(0, int(np.ceil(per_octave * np.log2(hi / lo))) + 1)
    return np.unique(np.round(lo * 2.0 ** (k / per_octave)).astype(int))


def error_curves(
    means: NDArray,
    cov: NDArray,
    sizes: NDArray,
    replicates: int,
    rng: np.random.Generator,
    rules: dict,
    stop_below: float,
) -> dict[str, NDArray]:
    """Exact test errors (``linear_rule_error``) of each rule fitted on ``replicates`` training sets per size, the
    same training sets for every rule; sizes run up the grid until every rule's mean error is below ``stop_below``
    (as the authors' loop stops), the rest of the curve is NaN. Returns name -> (len(sizes), replicates)."""
    out = {name: np.full((len(sizes), replicates), np.nan) for name in rules}
    live = set(rules)
    for i, m in enumerate(sizes):
        X, y = sample_gaussian_classes(means, cov, int(m), replicates, rng)
        for name in list(live):
            w, b = rules[name](X, y)
            out[name][i] = linear_rule_error(w, b, means, cov)
            if out[name][i].mean() < stop_below:
                live.discard(name)
        if not live:
            break
    return out


def bagged_fits(
    n: int, d: int, k: int, theta: NDArray, noise_var: float, rhos: NDArray, replicates: int, rng: np.random.Generator
) -> NDArray:
    """||theta_rho - theta||^2 for each replicate and rho, computed directly (not by the theory module): x ~ N(0, I),
    y = x'theta + noise, bags of k consecutive samples (equivalent in law to random bags, the samples being iid),
    theta_rho = (k Xbar'Xbar + rho W)^-1 k Xbar'ybar. Returns (replicates, len(rhos))."""
    m, rh = n // k, np.asarray(rhos, dtype=float)
    out = np.empty((replicates, len(rh)))
    chunk = max(1, 2_000_000 // (n * d))  # replicates per vectorised batch
    for start in range(0, replicates, chunk):
        r = min(chunk, replicates - start)
        X = rng.standard_normal((r, m, k, d))
        y = X @ theta + np.sqrt(noise_var) * rng.standard_normal((r, m, k))
        xbar, ybar = X.mean(axis=2), y.mean(axis=2)
        dev = (X - xbar[:, :, None, :]).reshape(r, -1, d)
        A = k * np.matmul(xbar.transpose(0, 2, 1), xbar)
        W = np.matmul(dev.transpose(0, 2, 1), dev)
        rhs = k * np.matmul(xbar.transpose(0, 2, 1), ybar[..., None])  # (r, d, 1)
        M = A[:, None] + rh[None, :, None, None] * W[:, None]
        est = np.linalg.solve(M, np.broadcast_to(rhs[:, None], (r, len(rh), d, 1)))[..., 0]
        out[start : start + r] = np.sum((est - theta) ** 2, axis=2)
    return out
