"""The ``covshift_logistic`` sim: logistic regression under well-specified covariate shift, plain against
importance-weighted maximum likelihood.

Two random instances (d = 2 covariates plus an intercept; source N(0, S_S), target N(mu_T, S_T) with generalised
eigenvalues U(0.5, 1.25) and a mean shift of Mahalanobis length 0.8; coefficients N(0, 1)). Each cell draws R
source samples of size n with labels from the model, fits the MLE and the weighted MLE (weights p_T / p_S) with the
batched Newton solver ``logistic_fit``, and measures each fit's target excess log-loss E_T[KL(p_beta || p_fit)]
exactly enough by a 32 x 32 Gauss-Hermite rule (no test sample). Claims: n times the mean excess, extrapolated in
1/n, equals (1/2) tr(I_T I_S^-1) for the MLE and (1/2) tr(B I_T^-1) for the weighted MLE, both from
``logistic_fisher`` by quadrature (independent of the fits); the MLE's limit is the smaller on 100 random
instances (the abstract's "MLE is all you need", in its asymptotic form), and in the paired Monte Carlo at the
largest n. Negative controls: the MLE at the weighted limit; "weighting helps".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import mean_se
from sims.estimation.common import AREA, N_SE, SE_REASON, extrapolate_in, se_tol, shifted_covariances, size_curve
from theory.estimation import (
    gaussian_density_ratio,
    logistic_fisher,
    logistic_fit,
    logistic_weighted_fisher,
    mle_asymptotic_excess,
    weighted_mle_asymptotic_excess,
)

D = 2
GH_NODES = 32


@dataclass(frozen=True)
class CovshiftLogisticConfig:
    instances: int = 2
    sizes: tuple[int, ...] = (250, 500, 1000, 2000)
    replicates: int = 1000
    random_instances: int = 100

    @classmethod
    def quick(cls) -> CovshiftLogisticConfig:
        return cls(instances=1, sizes=(250, 500, 1000), replicates=400, random_instances=10)

    @classmethod
    def full(cls) -> CovshiftLogisticConfig:
        return cls()


def instance(i: int) -> dict[str, np.ndarray]:
    """Instance i: beta, the source and target means and covariances (fixed by i alone)."""
    rng = np.random.default_rng(500 + i)
    S, T = shifted_covariances(D, rng, 0.5, 1.25)
    u = rng.standard_normal(D)
    mu_T = 0.8 * np.linalg.cholesky(S) @ (u / np.linalg.norm(u))
    beta = np.r_[0.3, rng.standard_normal(D)]
    return {"beta": beta, "mu_S": np.zeros(D), "S": S, "mu_T": mu_T, "T": T}


def limits(inst: dict[str, np.ndarray]) -> tuple[float, float]:
    """(MLE limit, weighted-MLE limit) of n x target excess, by quadrature."""
    I_T = logistic_fisher(inst["beta"], inst["mu_T"], inst["T"])
    I_S = logistic_fisher(inst["beta"], inst["mu_S"], inst["S"])
    B = logistic_weighted_fisher(inst["beta"], inst["mu_S"], inst["S"], inst["mu_T"], inst["T"])
    return mle_asymptotic_excess(I_T, I_S), weighted_mle_asymptotic_excess(I_T, B)


def cells(config: CovshiftLogisticConfig) -> list[Cell]:
    return [{"instance": i, "n": n} for i in range(config.instances) for n in config.sizes]


def target_excess(inst: dict[str, np.ndarray], coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """E_T[KL(Bernoulli(sigma(z)) || Bernoulli(sigma(z_hat)))] per fit, by a tensor Gauss-Hermite rule."""
    t, wt = np.polynomial.hermite_e.hermegauss(GH_NODES)
    Z = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, D)
    W = np.outer(wt, wt).ravel() / (2 * np.pi)
    x = inst["mu_T"] + Z @ np.linalg.cholesky(inst["T"]).T
    z = inst["beta"][0] + x @ inst["beta"][1:]
    zh = intercept[:, None] + coef @ x.T
    p = 1 / (1 + np.exp(-z))
    # KL = p (log p - log q) + (1 - p) (log(1 - p) - log(1 - q)), with log q = -log(1 + e^-zh)
    kl = p * (np.logaddexp(0, -zh) - np.logaddexp(0, -z)) + (1 - p) * (np.logaddexp(0, zh) - np.logaddexp(0, z))
    return kl @ W


def compute(config: CovshiftLogisticConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    inst, n, R = instance(cell["instance"]), cell["n"], config.replicates
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((R, n, D)) @ np.linalg.cholesky(inst["S"]).T
    p = 1 / (1 + np.exp(-(inst["beta"][0] + X @ inst["beta"][1:])))
    y = (rng.random((R, n)) < p).astype(int)
    w = gaussian_density_ratio(X.reshape(-1, D), inst["mu_S"], inst["S"], inst["mu_T"], inst["T"]).reshape(R, n)
    out: Arrays = {}
    for key, weights in (("mle", None), ("wmle", w)):
        fit = logistic_fit(X, y, sample_weight=weights)
        out[key] = target_excess(inst, fit.coef, fit.intercept)
        out[f"{key}_converged"] = fit.converged
    return out


def _scaled(config: CovshiftLogisticConfig, results: Results, i: int, key: str) -> tuple[np.ndarray, ...]:
    return size_curve(results, config.sizes, key, {"instance": i})


def _random_gap(m: int) -> float:
    """min over m random instances of (weighted limit - MLE limit) / MLE limit."""
    gaps = []
    for j in range(m):
        lim = limits(instance(10_000 + j))
        gaps.append((lim[1] - lim[0]) / lim[0])
    return float(min(gaps))


def check(config: CovshiftLogisticConfig, results: Results) -> list[Claim]:
    claims: list[Claim] = []
    method = f"{config.replicates} fits per n, n = {list(config.sizes)}; n x mean excess fitted as L + c/n"
    for i in range(config.instances):
        lim = limits(instance(i))
        for key, pred, what in (("mle", lim[0], "(1/2) tr(I_T I_S^-1)"), ("wmle", lim[1], "(1/2) tr(B I_T^-1)")):
            icpt, se = extrapolate_in(*_scaled(config, results, i, key))
            claims.append(
                equality(
                    id=f"covshift_logistic.i{i}.{key}_limit",
                    statement=f"n x target excess log-loss of the {key.upper()} -> {what}.",
                    method=method,
                    quantity="extrapolated n x mean excess (intercept L)",
                    predicted=pred,
                    measured=icpt,
                    tol=se_tol(se),
                    figure="covshift_logistic",
                )
            )
        icpt, se = extrapolate_in(*_scaled(config, results, i, "mle"))
        claims.append(
            negative_control(
                id=f"covshift_logistic.i{i}.negative_control_mle_at_weighted",
                statement="Negative control: the MLE's limit is the weighted MLE's. False.",
                method=method,
                quantity="|extrapolated n x excess of the MLE - (1/2) tr(B I_T^-1)| / SE",
                predicted=0.0,
                measured=abs(icpt - lim[1]) / se,
                tol=Tol(N_SE, SE_REASON),
                figure="covshift_logistic",
                details=f"no-shift value (d + 1)/2 = {(D + 1) / 2}",
            )
        )
        big = results[cell_key({"instance": i, "n": config.sizes[-1]})]
        m, se = mean_se(big["wmle"] - big["mle"])
        claims.append(
            negative_control(
                id=f"covshift_logistic.i{i}.negative_control_weighting_helps",
                statement="Negative control: the weighted MLE has the smaller target excess. False.",
                method=f"paired fits at n = {config.sizes[-1]}",
                quantity="mean (excess_WMLE - excess_MLE) / SE",
                predicted=0.0,
                measured=m / se,
                tol=Tol(N_SE, SE_REASON),
                figure="covshift_logistic",
            )
        )
    converged = all(bool(r[k].all()) for r in results.values() for k in ("mle_converged", "wmle_converged"))
    claims.append(
        bound(
            id="covshift_logistic.mle_limit_below_weighted",
            statement="The MLE's asymptotic target excess is below the weighted MLE's (well specified).",
            method=f"{config.random_instances} random instances, both limits by quadrature",
            quantity="min over instances of (weighted - MLE) / MLE",
            predicted=0.0,
            measured=_random_gap(config.random_instances),
            tol=Tol(1e-9, "quadrature accuracy"),
            relation=">=",
            details=f"every Newton fit converged: {converged}",
        )
    )
    return claims


def figures(config: CovshiftLogisticConfig, results: Results) -> dict:
    fig, axes = figure(1, config.instances)
    axes = np.atleast_1d(axes)
    for i, ax in enumerate(axes):
        lim = limits(instance(i))
        for key, c, L in (("mle", "C0", lim[0]), ("wmle", "C1", lim[1])):
            ns, y, se = _scaled(config, results, i, key)
            ax.errorbar(ns, y, yerr=N_SE * se, fmt="o-", color=c, ms=4, label=f"{key}: n x excess")
            ax.axhline(L, color=c, ls=":", label=f"{key} limit (quadrature)")
        ax.axhline((D + 1) / 2, color="gray", ls="--", lw=1, label="no-shift (d + 1)/2")
        ax.set(xscale="log", xlabel="n", ylabel="n x target excess log-loss", title=f"instance {i}")
        ax.legend(fontsize=7)
    return {"covshift_logistic": fig}


CLAIMS = (
    ClaimSpec("covshift_logistic.i*.mle_limit", "the MLE's limit (1/2) tr(I_T I_S^-1)"),
    ClaimSpec("covshift_logistic.i*.wmle_limit", "the weighted MLE's limit (1/2) tr(B I_T^-1)"),
    ClaimSpec("covshift_logistic.i*.negative_control_mle_at_weighted", "MLE at the weighted limit: detected"),
    ClaimSpec("covshift_logistic.i*.negative_control_weighting_helps", "weighting helps: detected"),
    ClaimSpec("covshift_logistic.mle_limit_below_weighted", "MLE below weighted MLE on random instances"),
)

SIM = register(
    Sim(
        name="covshift_logistic",
        area=AREA,
        description="Logistic regression under covariate shift: MLE and weighted MLE against their Fisher limits",
        config_cls=CovshiftLogisticConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
