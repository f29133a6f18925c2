"""The ``sea_rates`` sim: growth in T in the four regimes"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, shared_seed
from sims.engine.plotting import figure
from sims.engine.stats import loglog_slope, mean_se
from sims.online.common import AREA
from theory.online import (
    optimistic_omd,
    sea_environment,
    simulate_oco,
)

SEA_REGIMES = {  # (sigma, a)
    "stochastic": (0.3, 0.0),
    "adversarial": (0.0, 0.3),
    "mixed": (0.3, 0.3),
    "benign": (0.0, 0.0),
}


@dataclass(frozen=True)
class SEARatesConfig:
    horizons: tuple[int, ...] = (1000, 2154, 4642, 10_000, 21_544, 46_416, 100_000)
    n_reps: int = 20
    d: int = 5

    @classmethod
    def quick(cls) -> SEARatesConfig:
        return cls(horizons=(500, 1000, 2000, 4000, 8000), n_reps=10)

    @classmethod
    def full(cls) -> SEARatesConfig:
        return cls()


def cells(config: SEARatesConfig) -> list[Cell]:
    return [{"regime": g, "alg": a} for g in SEA_REGIMES for a in ("optimistic", "plain")]


def compute(config: SEARatesConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    sigma, a = SEA_REGIMES[cell["regime"]]
    seeds = seed.spawn(len(config.horizons))
    reg = np.empty((len(config.horizons), config.n_reps))
    for j, T in enumerate(config.horizons):
        env = sea_environment(
            T, config.d, sigma, a, 1.0, "ball", rng=np.random.default_rng(shared_seed(seed, "sea_signs"))
        )
        reg[j] = simulate_oco(optimistic_omd(cell["alg"] == "optimistic"), env, config.n_reps, seeds[j]).regret
    return {"horizons": np.array(config.horizons), "regret": reg}


def check(config: SEARatesConfig, results: Results) -> list[Claim]:
    claims = []
    for g in SEA_REGIMES:
        for alg in ("optimistic", "plain"):
            r = results[cell_key({"regime": g, "alg": alg})]
            Ts = r["horizons"].astype(float)
            mean = r["regret"].mean(1)
            benign_opt = g == "benign" and alg == "optimistic"
            if benign_opt:
                growth = float(mean[-1] / mean[0])
                claims.append(
                    equality(
                        id="sea_rates.benign.optimistic.bounded",
                        statement="Optimistic OGD with sigma = 0 and Sigma^2_{1:T} = 0: regret O(1) (the bound is "
                        "D ||m_1||, independent of T).",
                        method=f"T from {int(Ts[0])} to {int(Ts[-1])}, {config.n_reps} replicates",
                        quantity="regret at the largest T / regret at the smallest T",
                        predicted=1.0,
                        measured=growth,
                        tol=Tol(0.05, "deterministic runs (no noise, fixed means): a 5% allowance for the transient"),
                        figure="sea_rates",
                        details=f"regret {mean[0]:.3f} -> {mean[-1]:.3f}",
                    )
                )
                continue
            slope, half = loglog_slope(Ts, mean, positive_only=True)
            claims.append(
                equality(
                    id=f"sea_rates.{g}.{alg}.slope",
                    statement=f"{alg} OGD in the {g} regime: regret grows as sqrt(T) "
                    + (
                        "(sigma^2_{1:T} and/or Sigma^2_{1:T} grow linearly in T)."
                        if alg == "optimistic"
                        else "(plain OGD pays sum ||g_t||^2 ~ T, whatever sigma and Sigma)."
                    ),
                    method=f"log-log fit of the mean regret over T = {int(Ts[0])}..{int(Ts[-1])}, "
                    f"{config.n_reps} replicates",
                    quantity="growth exponent",
                    predicted=0.5,
                    measured=slope,
                    tol=Tol(
                        half + 0.03,
                        f"95% CI half-width of the slope ({half:.3f}) + 0.03 for the finite-T "
                        "transient of the tuned step size",
                    ),
                    figure="sea_rates",
                )
            )
            if g == "benign":
                claims.append(
                    negative_control(
                        id="sea_rates.benign.negative_control_plain_bounded",
                        statement="Negative control: plain OGD has O(1) regret in the benign regime (growth "
                        "exponent <= 0.1). False: without a hint it pays sqrt(T).",
                        method="same fit",
                        quantity="growth exponent",
                        predicted=0.1,
                        measured=slope,
                        tol=Tol(half, "95% CI half-width of the slope"),
                        figure="sea_rates",
                    )
                )
    return claims


def figures(config: SEARatesConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, g in enumerate(SEA_REGIMES):
        for alg, style in (("optimistic", "-o"), ("plain", "--s")):
            r = results[cell_key({"regime": g, "alg": alg})]
            m, se = mean_se(r["regret"], axis=1)
            ax.errorbar(r["horizons"], m, yerr=2 * se, fmt=style, color=f"C{i}", ms=3, label=f"{g}, {alg}")
    ax.set(xscale="log", yscale="log", xlabel="T", ylabel="E[regret] (± 2 SE)", title="Optimistic vs plain OGD")
    ax.legend(fontsize=6, ncols=2)
    return {"sea_rates": fig}


CLAIMS = (
    ClaimSpec("sea_rates.*.*.slope", "sqrt(T) growth exponents"),
    ClaimSpec("sea_rates.benign.optimistic.bounded", "O(1) regret with a perfect hint"),
    ClaimSpec("sea_rates.benign.negative_control_plain_bounded", "plain OGD is not O(1): detected"),
)

SIM = register(
    Sim(
        name="sea_rates",
        area=AREA,
        description="Growth of optimistic/plain OGD regret in T in the stochastic, adversarial, mixed, benign regimes",
        config_cls=SEARatesConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
