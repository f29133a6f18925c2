"""The ``icl_optimal_step`` sim: the closed-form step eta* and risk R(eta) of one-step GD against Monte Carlo"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.in_context.common import AREA, N_SE, Z_TOL, LossStats, chunks, paired
from theory.in_context import gd_statistic, one_step_gd_risk, optimal_gd_step

# Steps as multiples of eta*: the curve's shape around its minimum, and the unit step (a common default) separately.
ETA_FACTORS = (0.25, 0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5)


@dataclass(frozen=True)
class ICLOptimalStepConfig:
    ns: tuple[int, ...] = (5, 20, 80)
    ds: tuple[int, ...] = (2, 5)
    noise_vars: tuple[float, ...] = (0.0, 1.0)
    n_prompts: int = 500_000

    @classmethod
    def quick(cls) -> ICLOptimalStepConfig:
        return cls(ns=(5, 20), ds=(3,), noise_vars=(0.0, 1.0), n_prompts=50_000)

    @classmethod
    def full(cls) -> ICLOptimalStepConfig:
        return cls()


def cells(config: ICLOptimalStepConfig) -> list[Cell]:
    return [{"n": n, "d": d, "noise_var": s2} for n in config.ns for d in config.ds for s2 in config.noise_vars]


def _etas(cell: Cell) -> np.ndarray:
    star = optimal_gd_step(cell["n"], cell["d"], cell["noise_var"])
    return np.r_[star * np.array(ETA_FACTORS), 1.0]


def compute(config: ICLOptimalStepConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    n, d, s2 = cell["n"], cell["d"], cell["noise_var"]
    etas = _etas(cell)
    stats = LossStats(len(etas))
    for X, y, xq, yq in chunks(config.n_prompts, n, d, seed, noise_var=s2):
        base = np.einsum("md,md->m", xq, gd_statistic(X, y))  # x_q' g: the prediction of step 1
        stats.add((etas[:, None] * base[None, :] - yq[None, :]) ** 2)
    return {"etas": etas} | stats.arrays()


def check(config: ICLOptimalStepConfig, results: Results) -> list[Claim]:
    z_max, worst, gaps, unit = 0.0, "", [], []
    for cell in cells(config):
        r = results[cell_key(cell)]
        n, d, s2 = cell["n"], cell["d"], cell["noise_var"]
        se = np.sqrt(np.diag(r["cov_of_mean"]))
        z = np.abs(r["mean"] - one_step_gd_risk(r["etas"], n, d, s2)) / se
        if z.max() > z_max:
            z_max, worst = float(z.max()), f"n={n}, d={d}, s2={s2:g}, eta={r['etas'][np.argmax(z)]:.4g}"
        i_star = ETA_FACTORS.index(1.0)
        for j in range(len(ETA_FACTORS)):  # paired: does any other step beat eta* beyond the noise?
            if j != i_star:
                diff, sd = paired(r["mean"], r["cov_of_mean"], j, i_star)
                gaps.append(diff / sd)
        diff, sd = paired(r["mean"], r["cov_of_mean"], len(ETA_FACTORS), i_star)
        unit.append((diff / sd, n, d, s2))
    u = min(unit)
    return [
        bound(
            id="icl_optimal_step.risk_curve",
            statement="R(eta) = d [eta^2 (n+d+1)/n - 2 eta + 1] + eta^2 s2 d/n + s2 is the risk of one-step GD from "
            "zero (isotropic Gaussian prompts), at every step and (n, d, s2) of the grid.",
            method=f"Monte Carlo over {config.n_prompts:.0e} prompts per (n, d, s2), {len(ETA_FACTORS) + 1} steps each",
            quantity="max |MC risk - R(eta)| / SE",
            predicted=N_SE,
            measured=z_max,
            tol=Z_TOL,
            figure="risk_curve",
            details=f"worst at {worst}",
        ),
        bound(
            id="icl_optimal_step.eta_star_not_beaten",
            statement="eta* = n/(n + d + 1 + s2) minimises the risk: no other step of the grid has a lower Monte "
            "Carlo risk beyond the noise (paired comparison on the same prompts).",
            method="paired differences loss(eta) - loss(eta*) for the 7 other multiples of eta* in every cell",
            quantity="min over steps and cells of (risk(eta) - risk(eta*)) / SE",
            relation=">=",
            predicted=-N_SE,
            measured=float(min(gaps)),
            tol=Z_TOL,
            figure="risk_curve",
        ),
        negative_control(
            id="icl_optimal_step.negative_control_unit_step",
            statement="Negative control: the unit step eta = 1 is as good as eta* (within the noise). False: the "
            "check must find it worse in every cell.",
            method="paired difference loss(1) - loss(eta*) on the same prompts",
            quantity="min over cells of (risk(1) - risk(eta*)) / SE",
            relation="<=",
            predicted=N_SE,
            measured=float(u[0]),
            tol=Z_TOL,
            figure="risk_curve",
            details=f"smallest at n={u[1]}, d={u[2]}, s2={u[3]:g}",
        ),
    ]


def figures(config: ICLOptimalStepConfig, results: Results) -> dict:
    fig, axes = figure(1, len(config.noise_vars))
    axes = np.atleast_1d(axes)
    for ax, s2 in zip(axes, config.noise_vars, strict=True):
        k = 0
        for n in config.ns:
            for d in config.ds:
                r = results[cell_key({"n": n, "d": d, "noise_var": s2})]
                grid = np.linspace(0, 1.6 * optimal_gd_step(n, d, s2), 200)
                ax.plot(grid, one_step_gd_risk(grid, n, d, s2) / d, "-", color=f"C{k}", lw=1, label=f"n={n}, d={d}")
                se = np.sqrt(np.diag(r["cov_of_mean"]))
                ax.errorbar(r["etas"], r["mean"] / d, yerr=2 * se / d, fmt="o", color=f"C{k}", ms=3)
                k += 1
        ax.set(
            xlabel=r"step $\eta$",
            ylabel=r"risk / $d$",
            title=rf"One-step GD risk, $\sigma^2 = {s2:g}$ (lines: $R(\eta)$; dots: MC)",
        )
        ax.legend(fontsize=8)
    return {"risk_curve": fig}


CLAIMS = (
    ClaimSpec("icl_optimal_step.risk_curve", "R(eta) matches Monte Carlo everywhere on the grid"),
    ClaimSpec("icl_optimal_step.eta_star_not_beaten", "no step beats eta* beyond the noise"),
    ClaimSpec("icl_optimal_step.negative_control_unit_step", "the unit step is detected as worse"),
)

SIM = register(
    Sim(
        name="icl_optimal_step",
        area=AREA,
        description="One-step GD for in-context linear regression: closed-form R(eta) and step eta* vs Monte Carlo",
        config_cls=ICLOptimalStepConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
