"""The ``multiplicity_small_eps`` sim: half-width -> sqrt(2 eps c^T H^-1 c)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, single_cell
from sims.engine.plotting import figure
from sims.engine.stats import loglog_slope
from sims.multiplicity.common import AREA, load_dataset
from theory.multiplicity import (
    small_eps_half_width,
    viable_logit_range,
)


@dataclass(frozen=True)
class MultiplicitySmallEpsConfig:
    l2: float = 1e-2
    eps: tuple[float, ...] = tuple(float(e) for e in np.logspace(-9, -1, 17))
    n_query: int = 40

    @classmethod
    def quick(cls) -> MultiplicitySmallEpsConfig:
        return cls(eps=tuple(float(e) for e in np.logspace(-8, -2, 7)), n_query=10)

    @classmethod
    def full(cls) -> MultiplicitySmallEpsConfig:
        return cls()


def compute(config: MultiplicitySmallEpsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    X, y = load_dataset("breast_cancer")
    q = np.sort(rng.choice(len(X), config.n_query, replace=False))
    ratios = []
    for e in config.eps:
        lo, hi = viable_logit_range(X, y, X[q], e, config.l2)
        ratios.append((hi - lo) / 2 / small_eps_half_width(X, y, X[q], e, config.l2))
    return {"eps": np.array(config.eps), "ratio": np.array(ratios)}  # (n_eps, n_query)


def check(config: MultiplicitySmallEpsConfig, results: Results) -> list[Claim]:
    r = results[cell_key({})]
    dev = np.abs(r["ratio"] - 1).max(axis=1)
    fit_rows = (dev > 1e-7) & (r["eps"] <= 1e-3)  # above rounding noise, inside the asymptotic regime
    slope, half = loglog_slope(r["eps"][fit_rows], dev[fit_rows])
    return [
        bound(
            id="multiplicity_small_eps.ratio_to_one",
            statement="Small-eps law: the logit half-width of the viable "
            "range approaches sqrt(2 eps c^T H^-1 c) (H the Hessian of L at theta*) as eps -> 0.",
            method=f"{config.n_query} breast-cancer points, eps in [{r['eps'][0]:.0e}, {r['eps'][-1]:.0e}]",
            quantity=f"max_i |ratio - 1| at eps = {r['eps'][0]:.0e}",
            predicted=0.0,
            measured=float(dev[0]),
            tol=Tol(
                1e-3,
                "the deviation is O(eps) (next claim); at eps <= 1e-8 it is < 1e-6 "
                "plus the fast method's relative accuracy ~1e-6 at tiny widths",
            ),
            figure="small_eps",
        ),
        equality(
            id="multiplicity_small_eps.correction_order",
            statement="The correction to the law is O(eps), not "
            "O(sqrt(eps)): the O(sqrt(eps)) shifts of the two ends (from the third derivative of L) are equal and "
            "cancel in the half-width (derived here).",
            method="least-squares slope of log max|ratio - 1| on log eps, eps <= 1e-3",
            quantity="slope",
            predicted=1.0,
            measured=slope,
            tol=Tol(max(half, 0.1), f"95% CI half-width {half:.3g} (at least 0.1 for the next-order term)"),
            figure="small_eps",
        ),
    ]


def figures(config: MultiplicitySmallEpsConfig, results: Results) -> dict:
    r = results[cell_key({})]
    fig, ax = figure()
    dev = np.abs(r["ratio"] - 1)
    ax.loglog(r["eps"], np.maximum(dev, 1e-16), "-", color="C0", alpha=0.3, lw=1)
    ax.loglog(r["eps"], np.maximum(dev.max(1), 1e-16), "o-", color="C0", label="max over points")
    ax.loglog(r["eps"], r["eps"] * dev.max(1)[-1] / r["eps"][-1], "k--", lw=1, label=r"$\propto \varepsilon$")
    ax.set(
        xlabel=r"$\varepsilon$",
        ylabel=r"$|\,\mathrm{half\ width} / \sqrt{2 \varepsilon\, c^\top H^{-1} c} - 1\,|$",
        title=r"Small-$\varepsilon$ law of the viable logit range",
    )
    ax.legend()
    return {"small_eps": fig}


cells = single_cell  # everything in one cell

CLAIMS = (
    ClaimSpec("multiplicity_small_eps.ratio_to_one", "ratio -> 1"),
    ClaimSpec("multiplicity_small_eps.correction_order", "correction O(eps)"),
)

SIM = register(
    Sim(
        name="multiplicity_small_eps",
        area=AREA,
        description="Half-width of viable ranges vs sqrt(2 eps c'H^-1 c)",
        config_cls=MultiplicitySmallEpsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
