"""The ``multiplicity_measures`` sim: ambiguity and discrepancy vs eps and delta"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from sims.engine.claims import Claim, ClaimSpec, Tol, bound
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.multiplicity.common import AREA, load_dataset
from theory.multiplicity import (
    logistic_objective,
    multiplicity_profile,
)


@dataclass(frozen=True)
class MultiplicityMeasuresConfig:
    l2: float = 1e-2
    eps: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1)
    deltas: tuple[float, ...] = (0.01, 0.05, 0.1, 0.2)
    greedy_rounds: int = 30

    @classmethod
    def quick(cls) -> MultiplicityMeasuresConfig:
        return cls(eps=(0.003, 0.03), deltas=(0.05, 0.2), greedy_rounds=5)

    @classmethod
    def full(cls) -> MultiplicityMeasuresConfig:
        return cls()


def cells(config: MultiplicityMeasuresConfig) -> list[Cell]:
    return [{"eps": e} for e in config.eps]


def compute(config: MultiplicityMeasuresConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    X, y = load_dataset("breast_cancer")
    p = multiplicity_profile(X, y, cell["eps"], config.deltas, config.l2, greedy_rounds=config.greedy_rounds)
    models = np.vstack([d.model for d in p.discrepancy] + [p.discrepancy_01.model])
    return {
        "baseline": p.baseline,
        "lo": p.lo,
        "hi": p.hi,
        "ambiguity": p.ambiguity,
        "disc_lower": np.array([d.lower for d in p.discrepancy]),
        "disc_upper": np.array([d.upper for d in p.discrepancy]),
        "ambiguity_01": np.array(p.ambiguity_01),
        "disc01": np.array([p.discrepancy_01.lower, p.discrepancy_01.upper]),
        "model_loss_minus_tau": logistic_objective(models, X, y, config.l2) - p.tau,
    }


def check(config: MultiplicityMeasuresConfig, results: Results) -> list[Claim]:
    rows = [results[cell_key({"eps": e})] for e in config.eps]
    amb = np.array([r["ambiguity"] for r in rows])
    mono = float(np.max(-np.diff(amb, axis=0), initial=0.0))
    cert = float(max(r["model_loss_minus_tau"].max() for r in rows))
    order_ok = float(max(np.max(r["disc_lower"] - r["disc_upper"]) for r in rows))
    gaps = np.array([r["disc_upper"] - r["disc_lower"] for r in rows])
    claims = [
        bound(
            id="multiplicity_measures.ambiguity_monotone_in_eps",
            statement="Ambiguity is non-decreasing in eps (the level sets are nested).",
            method=f"breast cancer, eps in {list(config.eps)}, delta in {list(config.deltas)}",
            quantity="max decrease between consecutive eps",
            predicted=0.0,
            measured=mono,
            tol=Tol(0.0, "exact counts"),
            figure="measures",
        ),
        bound(
            id="multiplicity_measures.discrepancy_certificates",
            statement="The lower end of every discrepancy interval is attained by a model inside S_eps.",
            method="L(model) recomputed for every reported discrepancy model",
            quantity="max L(model) - tau",
            predicted=0.0,
            measured=cert,
            tol=Tol(1e-12, "float64 evaluation of L"),
            figure="measures",
        ),
        bound(
            id="multiplicity_measures.discrepancy_interval_ordered",
            statement="Certified discrepancy lower <= upper (= ambiguity).",
            method="all eps and delta",
            quantity="max (lower - upper)",
            predicted=0.0,
            measured=order_ok,
            tol=Tol(0.0, "exact counts"),
            figure="measures",
        ),
        Claim.observation(
            id="multiplicity_measures.discrepancy_gap",
            statement="Observation: width of the certified discrepancy "
            "intervals (upper from the ranges, lower from models found by greedy search).",
            method="all eps and delta",
            quantity="max gap",
            predicted=float("nan"),
            measured=float(gaps.max()),
            figure="measures",
            details=f"gap per eps (rows) and delta (cols): {np.round(gaps, 3).tolist()}; 0-1 ambiguity per eps: "
            f"{[round(float(r['ambiguity_01']), 4) for r in rows]}; 0-1 discrepancy intervals: "
            f"{[np.round(r['disc01'], 4).tolist() for r in rows]}",
        ),
    ]
    return claims


def figures(config: MultiplicityMeasuresConfig, results: Results) -> dict:
    rows = [results[cell_key({"eps": e})] for e in config.eps]
    fig, (ax, ax2) = figure(1, 2)
    for j, delta in enumerate(config.deltas):
        amb = [r["ambiguity"][j] for r in rows]
        lo = [r["disc_lower"][j] for r in rows]
        ax.semilogx(config.eps, amb, "o-", color=f"C{j}", label=f"ambiguity, δ={delta}")
        ax.fill_between(config.eps, lo, amb, color=f"C{j}", alpha=0.15)
        ax.semilogx(config.eps, lo, "v--", color=f"C{j}", ms=3)
    ax.semilogx(config.eps, [float(r["ambiguity_01"]) for r in rows], "ks-", label="0-1 ambiguity")
    ax.set(
        xlabel="ε (absolute)",
        ylabel="fraction of points",
        title="Ambiguity (solid) and certified discrepancy (band: [lower, upper])",
    )
    ax.legend(fontsize=8)
    r = rows[len(rows) // 2]
    order = np.argsort(r["baseline"])
    x = np.arange(len(order))
    ax2.vlines(x, expit(r["lo"][order]), expit(r["hi"][order]), lw=0.6, color="C0")
    ax2.plot(x, r["baseline"][order], "k-", lw=1, label="baseline g0")
    ax2.set(
        xlabel="point (sorted by baseline probability)",
        ylabel="probability",
        title=f"Viable prediction ranges, ε = {config.eps[len(rows) // 2]}",
    )
    ax2.legend()
    return {"measures": fig}


CLAIMS = (
    ClaimSpec("multiplicity_measures.ambiguity_monotone_in_eps", "monotone"),
    ClaimSpec("multiplicity_measures.discrepancy_certificates", "certified"),
    ClaimSpec("multiplicity_measures.discrepancy_interval_ordered", "lower <= upper"),
    ClaimSpec("multiplicity_measures.discrepancy_gap", "observation"),
)

SIM = register(
    Sim(
        name="multiplicity_measures",
        area=AREA,
        description="Ambiguity and discrepancy vs eps and delta (breast cancer)",
        config_cls=MultiplicityMeasuresConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
