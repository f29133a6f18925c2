"""The ``step_size_paradox`` sim: f(theta_1) -> infinity, f(theta_2) -> 0 (Thm 4.1); iterations to separate vs gamma"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.logistic_gd.common import AREA, iterations_to_separate
from theory.logistic_gd import (
    logistic_loss,
    lr_gd,
    planted_margin_dataset,
    step_size_paradox_dataset,
)


@dataclass(frozen=True)
class StepSizeParadoxConfig:
    gammas: tuple[float, ...] = tuple(float(g) for g in np.logspace(-2, 12, 29))
    n_random: int = 8
    n: int = 40
    d: int = 5
    mu: float = 0.1
    max_iters: int = 20_000

    @classmethod
    def quick(cls) -> StepSizeParadoxConfig:
        return cls(gammas=tuple(float(g) for g in np.logspace(-1, 12, 14)), n_random=2, max_iters=5_000)

    @classmethod
    def full(cls) -> StepSizeParadoxConfig:
        return cls()


def cells(config: StepSizeParadoxConfig) -> list[Cell]:
    return [{"data": "thm4.1"}] + [{"data": f"planted{i}"} for i in range(config.n_random)]


def compute(config: StepSizeParadoxConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["data"] == "thm4.1":
        A, y = step_size_paradox_dataset()
    else:
        A, y = planted_margin_dataset(config.n, config.d, config.mu, np.random.default_rng(seed))
    g = np.array(config.gammas)
    f1, f2, th2 = [], [], []
    for gamma in g:
        it = lr_gd(A, y, gamma, 2).iterates
        f = logistic_loss(it, A, y)
        f1.append(f[1])
        f2.append(f[2])
        th2.append(it[2] / gamma)
    iters = np.array([iterations_to_separate(A, y, gamma, config.max_iters) for gamma in g])
    return {"gammas": g, "f1": np.array(f1), "f2": np.array(f2), "theta2_over_gamma": np.array(th2), "iters": iters}


def check(config: StepSizeParadoxConfig, results: Results) -> list[Claim]:
    r = results[cell_key({"data": "thm4.1"})]
    claims = [
        equality(
            id="step_size_paradox.f_theta1_grows",
            statement="Thm 4.1 data: f(theta_1) -> infinity as gamma -> "
            "infinity; precisely f(theta_1)/gamma -> 1/8 (theta_1 = gamma (1/2, 3/4), margin -gamma/4 on point 1).",
            method="LR+GD from theta_0 = 0, gamma = 1e12",
            quantity="f(theta_1)/gamma at gamma = 1e12",
            predicted=0.125,
            measured=float(r["f1"][-1] / r["gammas"][-1]),
            tol=Tol(
                1e-12,
                "f(theta_1)/gamma = 1/8 + log(2)/(2 gamma) + O(exp(-gamma)): 3.5e-13 at 1e12, plus rounding 1e-16",
            ),
            figure="paradox",
        ),
        bound(
            id="step_size_paradox.f_theta2_vanishes",
            statement="Thm 4.1 data: f(theta_2) -> 0 as gamma -> infinity.",
            method="LR+GD, gamma = 1e12",
            quantity="f(theta_2) at gamma = 1e12",
            predicted=0.0,
            measured=float(r["f2"][-1]),
            tol=Tol(1e-300, "f(theta_2) = O(exp(-0.75 gamma)), below the smallest float already at gamma ~ 1e3"),
            figure="paradox",
        ),
        equality(
            id="step_size_paradox.theta2_limit",
            statement="Thm 4.1 data: theta_2/gamma -> (1, 1/4).",
            method="LR+GD, gamma = 1e12",
            quantity="||theta_2/gamma - (1, 1/4)||_inf at gamma = 1e12",
            predicted=0.0,
            measured=float(np.abs(r["theta2_over_gamma"][-1] - [1.0, 0.25]).max()),
            tol=Tol(1e-12, "sigma(0)=1/2 exact; remaining terms exp(-gamma/4) and rounding 1e-16"),
            figure="paradox",
        ),
    ]
    rows = [results[cell_key({"data": f"planted{i}"})] for i in range(config.n_random)]
    small, large = np.array([x["iters"][0] for x in rows]), np.array([x["iters"][-1] for x in rows])
    claims.append(
        Claim.observation(
            id="step_size_paradox.iterations_vs_gamma",
            statement="Observation: on random separable data, LR+GD separates in fewer iterations with larger steps "
            "although the loss is not monotone.",
            method=f"{config.n_random} planted-margin data sets; -1 means not separated in {config.max_iters}",
            quantity=f"median iterations at gamma = {config.gammas[0]:g} (at 1e12: {np.median(large):g})",
            predicted=float("nan"),
            measured=float(np.median(small)),
            figure="paradox",
            details=f"iterations at smallest gamma {small.tolist()}, at largest {large.tolist()}",
        )
    )
    return claims


def figures(config: StepSizeParadoxConfig, results: Results) -> dict:
    r = results[cell_key({"data": "thm4.1"})]
    fig, (ax, ax2) = figure(1, 2)
    g = r["gammas"]
    ax.loglog(g, r["f1"], "o-", ms=3, label="f(θ₁)")
    ax.loglog(g, np.maximum(r["f2"], 1e-320), "s-", ms=3, label="f(θ₂) (floored at 1e-320)")
    ax.loglog(g, g / 8, "k--", lw=1, label="γ/8 (limit of f(θ₁))")
    ax.set(xlabel="step size γ", ylabel="logistic loss f", title="Thm 4.1 data: the step-size paradox")
    ax.legend()
    for i in range(config.n_random):
        x = results[cell_key({"data": f"planted{i}"})]
        it = np.where(x["iters"] < 0, np.nan, x["iters"])
        ax2.loglog(x["gammas"], it, ".-", lw=1, alpha=0.7, color="C0", label="planted-margin data" if i == 0 else None)
    ax2.loglog(g, np.where(r["iters"] < 0, np.nan, r["iters"]), "C1s-", ms=3, label="Thm 4.1 data")
    ax2.set(xlabel="step size γ", ylabel="iterations until all margins > 0", title="Iterations to separate")
    ax2.legend()
    return {"paradox": fig}


CLAIMS = (
    ClaimSpec("step_size_paradox.f_theta1_grows", "f(theta_1)/gamma -> 1/8"),
    ClaimSpec("step_size_paradox.f_theta2_vanishes", "f(theta_2) -> 0"),
    ClaimSpec("step_size_paradox.theta2_limit", "theta_2/gamma -> (1, 1/4)"),
    ClaimSpec("step_size_paradox.iterations_vs_gamma", "observation"),
)

SIM = register(
    Sim(
        name="step_size_paradox",
        area=AREA,
        description="f(theta_1), f(theta_2), theta_2/gamma and iterations vs gamma",
        config_cls=StepSizeParadoxConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
