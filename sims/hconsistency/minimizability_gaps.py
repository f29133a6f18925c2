"""The ``minimizability_gaps`` sim: gap vs class size and vs approximation error"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.hconsistency.common import AREA, BOUND_TOL, random_finite_distribution
from theory.hconsistency import (
    FiniteDistribution,
    LinearScores,
    ScoreBox,
    minimizability_gap,
)


@dataclass(frozen=True)
class MinimizabilityGapsConfig:
    taus: tuple[float, ...] = (0.0, 0.5, 1.0)
    Bs: tuple[float, ...] = tuple(float(b) for b in np.round(np.logspace(-1.3, 1.3, 9), 4))
    Lambdas: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0, 4.0)
    n_dists: int = 4
    m: int = 8
    d: int = 3
    n: int = 3

    @classmethod
    def quick(cls) -> MinimizabilityGapsConfig:
        return cls(taus=(0.0, 1.0), Bs=(0.1, 1.0, 10.0), Lambdas=(0.5, 2.0), n_dists=2)

    @classmethod
    def full(cls) -> MinimizabilityGapsConfig:
        return cls()


def cells(config: MinimizabilityGapsConfig) -> list[Cell]:
    return [{"tau": tau} for tau in config.taus]


def compute(config: MinimizabilityGapsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    tau = float(cell["tau"])
    rng = np.random.default_rng(seed)
    gap = np.zeros((config.n_dists, len(config.Bs)))
    approx = np.zeros_like(gap)
    for k in range(config.n_dists):
        dist = random_finite_distribution(rng, config.m, config.d, config.n)
        for j, B in enumerate(config.Bs):
            g = minimizability_gap(tau, dist, LinearScores(B), seed=int(rng.integers(2**31)))
            gap[k, j], approx[k, j] = g.gap, g.approximation_error
    # deterministic labels: pointwise infimum over the score box, found by numerical minimisation
    det = FiniteDistribution(
        rng.standard_normal((config.m, config.d)),
        rng.dirichlet(np.ones(config.m)),
        np.eye(config.n)[rng.integers(0, config.n, config.m)],
    )
    box_inf = np.array([minimizability_gap(tau, det, ScoreBox(L)).pointwise_inf for L in config.Lambdas])
    return {"gap": gap, "approx": approx, "box_inf": box_inf}


def check(config: MinimizabilityGapsConfig, results: Results) -> list[Claim]:
    claims = []
    for tau in config.taus:
        r = results[cell_key({"tau": tau})]
        exact = tau in (0.0, 1.0)
        how = "convex programs (cvxpy, status checked)" if exact else "SLSQP local search (estimates)"
        claims.append(
            bound(
                id=f"minimizability_gaps.tau={tau:g}.gap_below_approximation_error",
                statement="M_l(H) <= R*_l(H) - E_x C*_l(x) (the gap never exceeds the approximation error) for "
                f"norm-bounded linear classes, tau = {tau:g}.",
                method=f"{config.n_dists} random finite distributions x B in {list(config.Bs)}; {how}",
                quantity="max (M - A)",
                predicted=0.0,
                measured=float(np.max(r["gap"] - r["approx"])),
                tol=BOUND_TOL,
                figure="gaps",
            )
        )
        claims.append(
            bound(
                id=f"minimizability_gaps.tau={tau:g}.nonnegative",
                statement="M_l(H) >= 0.",
                method=how,
                quantity="min M",
                predicted=0.0,
                measured=float(np.min(r["gap"])),
                tol=BOUND_TOL,
                relation=">=",
                figure="gaps",
            )
        )
        phi = _phi(tau, (config.n - 1) * np.exp(-2 * np.array(config.Lambdas)))
        claims.append(
            equality(
                id=f"minimizability_gaps.tau={tau:g}.box_infimum_deterministic",
                statement="For a deterministic label and ||h||_inf <= Lambda, "
                "inf_h l_tau = Phi^tau((n-1) e^(-2 Lambda)).",
                method=f"L-BFGS-B over the score box, Lambda in {list(config.Lambdas)}",
                quantity="max_Lambda |numeric - Phi^tau((n-1)e^(-2 Lambda))|",
                predicted=0.0,
                measured=float(np.max(np.abs(r["box_inf"] - phi))),
                tol=Tol(1e-8, "L-BFGS-B ftol 1e-15 on a smooth objective whose minimiser is a corner of the box"),
                figure="gaps",
            )
        )
    return claims


def _phi(tau: float, u: NDArray) -> NDArray:
    """Phi^tau(u) of the comp-sum family, written out here independently of comp_sum_loss."""
    return np.log1p(u) if tau == 1.0 else ((1 + u) ** (1 - tau) - 1) / (1 - tau)


def figures(config: MinimizabilityGapsConfig, results: Results) -> dict:
    fig, (ax, ax2) = figure(1, 2)
    for i, tau in enumerate(config.taus):
        r = results[cell_key({"tau": tau})]
        g, a = r["gap"], r["approx"]
        ax.fill_between(config.Bs, g.min(0), g.max(0), color=f"C{i}", alpha=0.2)
        ax.plot(config.Bs, g.mean(0), "-o", ms=3, color=f"C{i}", label=rf"$M$, $\tau = {tau:g}$")
        ax.plot(config.Bs, a.mean(0), "--", color=f"C{i}", label=rf"approximation error, $\tau = {tau:g}$")
        ax2.plot(a.ravel(), g.ravel(), "o", ms=3, color=f"C{i}", label=rf"$\tau = {tau:g}$")
    ax.set(
        xscale="log",
        xlabel="norm bound B of the linear class",
        ylabel="nats",
        title="Minimizability gap (band: range over distributions)",
    )
    ax.legend(fontsize=8)
    lim = [0, max(ax2.get_xlim()[1], ax2.get_ylim()[1])]
    ax2.plot(lim, lim, "k--", lw=1, label="M = A")
    ax2.set(
        xlabel="approximation error A = R*_l(H) − E_x C*_l",
        ylabel="minimizability gap M_l(H)",
        title="M ≤ A: every point below the diagonal",
    )
    ax2.legend(fontsize=8)
    return {"gaps": fig}


CLAIMS = (
    ClaimSpec("minimizability_gaps.tau=*.gap_below_approximation_error", "M <= A"),
    ClaimSpec("minimizability_gaps.tau=*.nonnegative", "M >= 0"),
    ClaimSpec("minimizability_gaps.tau=*.box_infimum_deterministic", "Phi((n-1)e^-2Lambda) formula"),
)

SIM = register(
    Sim(
        name="minimizability_gaps",
        area=AREA,
        description="Minimizability gaps of comp-sum losses for linear and score-bounded classes",
        config_cls=MinimizabilityGapsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
