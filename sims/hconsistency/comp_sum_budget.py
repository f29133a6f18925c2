"""The ``comp_sum_budget`` sim: which tau guarantees the smallest 0-1 excess for a given surrogate excess"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, single_cell
from sims.engine.plotting import figure
from sims.hconsistency.common import AREA
from theory.hconsistency import (
    comp_sum_bound,
)


@dataclass(frozen=True)
class CompSumBudgetConfig:
    taus: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)
    ns: tuple[int, ...] = (2, 3, 5, 10, 100)
    eps: tuple[float, ...] = tuple(float(e) for e in np.logspace(-4, 0, 33))

    @classmethod
    def quick(cls) -> CompSumBudgetConfig:
        return cls(ns=(2, 10), eps=tuple(float(e) for e in np.logspace(-4, 0, 9)))

    @classmethod
    def full(cls) -> CompSumBudgetConfig:
        return cls()


def compute(config: CompSumBudgetConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    eps = np.array(config.eps)
    guarantee = np.array([[comp_sum_bound(eps, tau, n) for tau in config.taus] for n in config.ns])
    return {"eps": eps, "guarantee": guarantee}  # (n, tau, eps)


def check(config: CompSumBudgetConfig, results: Results) -> list[Claim]:
    r = results[cell_key({})]
    j = int(np.argmin(np.abs(r["eps"] - 0.01)))
    claims = []
    for i, n in enumerate(config.ns):
        g = r["guarantee"][i, :, j]
        best = int(np.argmin(g))
        claims.append(
            Claim(
                id=f"comp_sum_budget.n={n}",
                statement=f"Observation: for a surrogate excess of {r['eps'][j]:.3g} (plus gap) and n = {n}, the "
                f"transformations as restated guarantee the smallest 0-1 excess for tau = {config.taus[best]:g}.",
                method="comp_sum_bound (inverse of T_tau as restated); surrogate scales differ across tau",
                quantity=f"smallest guaranteed 0-1 excess (tau = {config.taus[best]:g})",
                predicted=float("nan"),
                measured=float(g[best]),
                tolerance=0.0,
                tolerance_reason="deterministic computation",
                relation="info",
                role="observation",
                figure="budget",
                details=", ".join(f"tau={tau:g}: {v:.4g}" for tau, v in zip(config.taus, g, strict=True)),
            )
        )
    return claims


def figures(config: CompSumBudgetConfig, results: Results) -> dict:
    r = results[cell_key({})]
    fig, axes = figure(1, len(config.ns), figsize=(3.6 * len(config.ns), 3.8), squeeze=False)
    styles = ("-", "--", ":", "-.")
    for ax, i in zip(axes[0], range(len(config.ns)), strict=True):
        curves = [np.maximum(r["guarantee"][i, k], 1e-6) for k in range(len(config.taus))]
        for k, tau in enumerate(config.taus):
            # curves within 5% of each other overlap at this scale: name them together, and draw them with
            # different dashes and widths so that each stays visible
            near = [f"{t:g}" for j, t in enumerate(config.taus) if j != k and np.allclose(curves[j], curves[k], 0.05)]
            label = rf"$\tau = {tau:g}$" + (rf" ($\approx$ {', '.join(near)})" if near else "")
            ax.loglog(r["eps"], curves[k], color=f"C{k}", ls=styles[k % len(styles)], lw=2.4 - 0.4 * k, label=label)
        ax.set(
            title=f"$n = {config.ns[i]}$",
            xlabel=r"surrogate excess + gap $\varepsilon$",
            ylabel=r"guaranteed 0-1 excess $\Gamma(\varepsilon)$",
        )
        ax.legend(fontsize=8)
    fig.suptitle(
        "0-1 excess guaranteed by the restated comp-sum transformations ($\\approx$: within 5%, drawn over each other)"
    )
    return {"budget": fig}


cells = single_cell  # everything in one cell

CLAIMS = (ClaimSpec("comp_sum_budget.n=*", "observation: best tau for a surrogate budget"),)

SIM = register(
    Sim(
        name="comp_sum_budget",
        area=AREA,
        description="Guaranteed 0-1 excess per tau and n for a given surrogate excess (observations)",
        config_cls=CompSumBudgetConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
