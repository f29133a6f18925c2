"""The ``nc_imbalanced_ce`` sim: no closed form in the paper; observations only"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.neural_collapse.common import AREA, METRICS, means, metric_vector
from theory.neural_collapse import (
    train_ufm,
)


@dataclass(frozen=True)
class NCImbalancedCEConfig:
    K: int = 4
    d: int = 8
    depths: tuple[int, ...] = (1, 2)
    ratios: tuple[float, ...] = (1.0, 3.0, 10.0)
    majority: int = 20
    lambda_W: float = 5e-3
    lambda_H: float = 5e-3
    restarts: int = 2

    @classmethod
    def quick(cls) -> NCImbalancedCEConfig:
        return cls(depths=(1,), ratios=(1.0, 10.0), majority=10)

    @classmethod
    def full(cls) -> NCImbalancedCEConfig:
        return cls()


def cells(config: NCImbalancedCEConfig) -> list[Cell]:
    return [{"L": L, "ratio": r} for L in config.depths for r in config.ratios]


def compute(config: NCImbalancedCEConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    minority = max(1, round(config.majority / cell["ratio"]))
    sizes = np.array([config.majority] * (config.K // 2) + [minority] * (config.K - config.K // 2))
    tr = train_ufm(
        sizes, config.d, cell["L"], config.lambda_W, config.lambda_H, loss="ce", seed=seed, restarts=config.restarts
    )
    M = means(tr.H, tr.labels, config.K)
    return {
        "metrics": metric_vector(tr.H, tr.labels, tr.W, tr.b),
        "h2": (M**2).sum(0),
        "w2": (tr.W**2).sum(1),
        "grad_norm": np.array(tr.grad_norm),
    }


def check(config: NCImbalancedCEConfig, results: Results) -> list[Claim]:
    claims = []
    idx = {k: i for i, k in enumerate(METRICS)}
    for c in cells(config):
        r = results[cell_key(c)]
        K2 = config.K // 2
        claims.append(
            Claim.observation(
                id=f"nc_imbalanced_ce.L={c['L']}.ratio={c['ratio']:g}",
                statement="Observation (no closed form in the "
                "paper): geometry of the bias-free CE UFM minimiser with imbalanced classes.",
                method=f"train_ufm (CE), gradient norm {float(r['grad_norm']):.1e}",
                quantity="nc2_etf (centred means)",
                predicted=float("nan"),
                measured=float(r["metrics"][idx["nc2_etf"]]),
                figure="ce",
                details=f"nc1={r['metrics'][idx['nc1']]:.2e}, nc2_etf_W={r['metrics'][idx['nc2_etf_W']]:.3g}, "
                f"nc2_orthogonal={r['metrics'][idx['nc2_orthogonal']]:.3g}; ||h||^2 major/minor = "
                f"{r['h2'][:K2].mean() / r['h2'][K2:].mean():.3g}, ||w||^2 major/minor = "
                f"{r['w2'][:K2].mean() / r['w2'][K2:].mean():.3g}",
            )
        )
    return claims


def figures(config: NCImbalancedCEConfig, results: Results) -> dict:
    fig, ax = figure()
    idx = {k: i for i, k in enumerate(METRICS)}
    for i, L in enumerate(config.depths):
        rs = [results[cell_key({"L": L, "ratio": r})] for r in config.ratios]
        ax.plot(
            config.ratios,
            [r["metrics"][idx["nc2_etf"]] for r in rs],
            "o-",
            color=f"C{i}",
            label=f"nc2_etf (means), L={L}",
        )
        ax.plot(
            config.ratios,
            [r["metrics"][idx["nc2_etf_W"]] for r in rs],
            "s--",
            color=f"C{i}",
            label=f"nc2_etf (classifier), L={L}",
        )
    ax.set(
        xscale="log",
        xlabel="imbalance ratio",
        ylabel="RMS distance to the simplex-ETF Gram",
        title="Imbalanced CE UFM: departure from the ETF (observation)",
    )
    ax.legend()
    return {"ce": fig}


CLAIMS = (ClaimSpec("nc_imbalanced_ce.*", "observation: geometry vs imbalance"),)

SIM = register(
    Sim(
        name="nc_imbalanced_ce",
        area=AREA,
        description="Imbalanced CE UFM geometry (observations)",
        config_cls=NCImbalancedCEConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
