"""The ``bags_proportional_limit`` sim: the proportional-limit risk of the interpolating estimator against Monte Carlo.

For (gamma, k) in {(0.1, 2), (0.2, 4), (0.3, 2)} and rho in {0, 1/4, 1/2, 1, 2, 4, rho*} (rho* from ``optimal_rho``),
Monte Carlo risks at d = 50, 100 and 200 (n = d / gamma, ||theta|| = 1, noise variance 1), the fits computed
directly, are extrapolated in 1/d to d -> inf and compared with ``interpolating_risk_limit`` within 4 standard
errors. Claims: the limit at every rho (so the limit's ordering, rho* below both end points, is confirmed where
the gaps exceed the errors); at d = 200 the estimator at rho* is no worse than the better end point (paired).
Negative control: the limit centred at the fixed-d mean theta / (1 + rho (k - 1)) instead of the proportional one.
Observation: the finite-d gap at d = 50.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import mean_se
from sims.estimation.common import AREA, N_SE, SE_REASON, bagged_fits, extrapolate_in, se_tol
from theory.estimation import interpolating_risk_limit, optimal_rho

RHOS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
NOISE_VAR, SIGNAL2 = 1.0, 1.0


@dataclass(frozen=True)
class BagsProportionalLimitConfig:
    settings: tuple[tuple[float, int], ...] = ((0.1, 2), (0.2, 4), (0.3, 2))
    dims: tuple[int, ...] = (50, 100, 200)
    replicates: int = 120

    @classmethod
    def quick(cls) -> BagsProportionalLimitConfig:
        return cls(settings=((0.1, 2),), dims=(50, 100, 200), replicates=60)

    @classmethod
    def full(cls) -> BagsProportionalLimitConfig:
        return cls()


def rho_grid(gamma: float, k: int) -> np.ndarray:
    """The rho values of a setting: RHOS and the optimum."""
    return np.array([*RHOS, optimal_rho(gamma, k, NOISE_VAR, SIGNAL2)])


def cells(config: BagsProportionalLimitConfig) -> list[Cell]:
    return [{"gamma": g, "k": k, "d": d} for g, k in config.settings for d in config.dims]


def compute(config: BagsProportionalLimitConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    g, k, d = cell["gamma"], cell["k"], cell["d"]
    n = round(d / g / k) * k
    theta = np.zeros(d)
    theta[0] = np.sqrt(SIGNAL2)
    risk = bagged_fits(n, d, k, theta, NOISE_VAR, rho_grid(g, k), config.replicates, np.random.default_rng(seed))
    return {"risk": risk, "n": np.array(n)}


def fixed_d_centred_limit(gamma: float, k: int, rho: float) -> float:
    """The limit formula with the fixed-d mean a = 1/(1 + rho (k - 1)) in place of the proportional one (wrong
    for rho not in {0, 1}: it leaves the cross terms between rows in; see ``interpolating_risk_limit``)."""
    f = 1.0 / k
    qa, qb = gamma * rho * (gamma - 1), gamma * (1 + rho) - f - (1 - f) * rho
    e = 2.0 / (-qb + np.sqrt(qb * qb - 4 * qa))
    ua, ub = 1 + gamma * e, 1 + gamma * rho * e
    mp = 1.0 / (1 / e**2 - gamma * (f / ua**2 + (1 - f) * rho**2 / ub**2))
    a = 1.0 / (1 + rho * (k - 1))
    bias = SIGNAL2 * ((1 - a) ** 2 + gamma * mp * (f * (1 - a) ** 2 / ua**2 + (1 - f) * (rho * a) ** 2 / ub**2))
    return float(bias + NOISE_VAR * gamma * mp * f / ua**2)


def extrapolated(
    config: BagsProportionalLimitConfig, results: Results, g: float, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per rho: the 1/d-extrapolated Monte Carlo risk and its standard error."""
    d = np.array(config.dims, dtype=float)
    r = [results[cell_key({"gamma": g, "k": k, "d": int(di)})]["risk"] for di in config.dims]
    m = np.array([x.mean(0) for x in r])
    se = np.array([x.std(0, ddof=1) / np.sqrt(len(x)) for x in r])
    fits = [extrapolate_in(d, m[:, j], se[:, j]) for j in range(m.shape[1])]
    return np.array([f[0] for f in fits]), np.array([f[1] for f in fits])


def check(config: BagsProportionalLimitConfig, results: Results) -> list[Claim]:
    claims: list[Claim] = []
    worst_nc = 0.0
    for g, k in config.settings:
        rhos = rho_grid(g, k)
        icpt, se = extrapolated(config, results, g, k)
        limit = interpolating_risk_limit(g, k, rhos, NOISE_VAR, SIGNAL2).risk
        method = f"d = {list(config.dims)}, n = d/gamma, {config.replicates} draws each, fitted as L + c/d"
        for j, rho in enumerate(rhos):
            tag = "rho_opt" if j == len(RHOS) else f"rho{rho:g}"
            claims.append(
                equality(
                    id=f"bags_proportional_limit.g{g:g}.k{k}.{tag}.limit",
                    statement=f"The proportional-limit risk at gamma = {g:g}, k = {k}, rho = {rho:.4g}.",
                    method=method,
                    quantity="extrapolated MC risk",
                    predicted=float(limit[j]),
                    measured=float(icpt[j]),
                    tol=se_tol(se[j]),
                    figure="bags_proportional_limit",
                )
            )
        j4 = RHOS.index(4.0)
        worst_nc = max(worst_nc, abs(icpt[j4] - fixed_d_centred_limit(g, k, 4.0)) / se[j4])
        big = results[cell_key({"gamma": g, "k": k, "d": config.dims[-1]})]["risk"]
        best_end = 0 if big[:, 0].mean() < big[:, RHOS.index(1.0)].mean() else RHOS.index(1.0)
        m, s = mean_se(big[:, -1] - big[:, best_end])
        gain = float(min(limit[0], limit[RHOS.index(1.0)]) - limit[-1])
        claims.append(
            bound(
                id=f"bags_proportional_limit.g{g:g}.k{k}.interpolation_no_worse_than_both",
                statement="At rho* the interpolating estimator is no worse than the better end point.",
                method=f"paired draws at d = {config.dims[-1]}",
                quantity="mean (risk(rho*) - risk(best end point))",
                predicted=0.0,
                measured=float(m),
                tol=se_tol(s),
                figure="bags_proportional_limit",
                details=f"rho* = {rhos[-1]:.4g}; best end point rho = {RHOS[best_end]:g}; the limit's gain {gain:.4g}",
            )
        )
        small = results[cell_key({"gamma": g, "k": k, "d": config.dims[0]})]["risk"].mean(0)
        claims.append(
            Claim.observation(
                id=f"bags_proportional_limit.g{g:g}.k{k}.finite_d_gap",
                statement=f"The relative gap between the MC risk at d = {config.dims[0]} and "
                "the limit, worst over rho.",
                method=method,
                quantity="max |MC / limit - 1|",
                measured=float(np.max(np.abs(small / limit - 1))),
                figure="bags_proportional_limit",
            )
        )
    claims.append(
        negative_control(
            id="bags_proportional_limit.negative_control_fixed_d_centring",
            statement="Negative control: the limit centred at the fixed-d mean theta/(1 + rho (k - 1)). False.",
            method="rho = 4, every setting",
            quantity="max over settings of |extrapolated MC - formula| / SE",
            predicted=0.0,
            measured=float(worst_nc),
            tol=Tol(N_SE, SE_REASON),
            figure="bags_proportional_limit",
        )
    )
    return claims


def figures(config: BagsProportionalLimitConfig, results: Results) -> dict:
    fig, axes = figure(1, len(config.settings))
    axes = np.atleast_1d(axes)
    grid = np.r_[0.0, np.logspace(-2, 1, 120)]
    for ax, (g, k) in zip(axes, config.settings, strict=True):
        lim = interpolating_risk_limit(g, k, grid, NOISE_VAR, SIGNAL2)
        ax.plot(grid, lim.risk, "k-", label="limit: risk")
        ax.plot(grid, lim.bias, "k--", lw=1, label="bias")
        ax.plot(grid, lim.variance, "k:", lw=1, label="variance")
        rhos = rho_grid(g, k)
        for j, d in enumerate(config.dims):
            r = results[cell_key({"gamma": g, "k": k, "d": d})]["risk"]
            ax.errorbar(
                rhos,
                r.mean(0),
                yerr=N_SE * r.std(0, ddof=1) / np.sqrt(len(r)),
                fmt="o",
                ms=3,
                color=f"C{j}",
                label=f"MC, d = {d}",
            )
        icpt, _ = extrapolated(config, results, g, k)
        ax.plot(rhos, icpt, "x", color="C3", label="MC extrapolated in 1/d")
        ax.axvline(rhos[-1], color="gray", lw=0.8)
        ax.set(
            xscale="symlog",
            xlim=(-0.01, 12),
            xlabel="rho (0 bag level, 1 instance level)",
            ylabel="E ||theta_rho - theta||^2",
            title=f"gamma = {g:g}, k = {k}",
        )
        ax.set_xscale("symlog", linthresh=0.1)
        ax.legend(fontsize=6)
    return {"bags_proportional_limit": fig}


CLAIMS = (
    ClaimSpec("bags_proportional_limit.g*.k*.rho*.limit", "the proportional-limit risk of theta_rho"),
    ClaimSpec("bags_proportional_limit.g*.k*.interpolation_no_worse_than_both", "rho* no worse than either end"),
    ClaimSpec("bags_proportional_limit.g*.k*.finite_d_gap", "the finite-d gap (observation)"),
    ClaimSpec("bags_proportional_limit.negative_control_fixed_d_centring", "the fixed-d centring: detected"),
)

SIM = register(
    Sim(
        name="bags_proportional_limit",
        area=AREA,
        description="Aggregate responses: the interpolating estimator's proportional-limit risk against Monte Carlo",
        config_cls=BagsProportionalLimitConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
