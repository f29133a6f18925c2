"""The ``perceptron_limit`` sim: theta_t / gamma -> batch perceptron (Thm 3.2), and how fast"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.logistic_gd.common import AREA, degenerate_dataset
from theory.logistic_gd import (
    batch_perceptron,
    lr_gd,
    planted_margin_dataset,
)

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class PerceptronLimitConfig:
    n_datasets: int = 12
    n: int = 40
    d: int = 5
    mu: float = 0.1
    gammas: tuple[float, ...] = tuple(float(g) for g in np.logspace(0, 12, 37))
    extra_steps: int = 3

    @classmethod
    def quick(cls) -> PerceptronLimitConfig:
        return cls(n_datasets=3, gammas=tuple(float(g) for g in np.logspace(0, 12, 13)))

    @classmethod
    def full(cls) -> PerceptronLimitConfig:
        return cls()


def cells(config: PerceptronLimitConfig) -> list[Cell]:
    return [{"data": f"planted{i}"} for i in range(config.n_datasets)] + [{"data": "degenerate"}]


def compute(config: PerceptronLimitConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["data"] == "degenerate":
        A, y = degenerate_dataset()
    else:
        A, y = planted_margin_dataset(config.n, config.d, config.mu, np.random.default_rng(seed))
    bp = batch_perceptron(A, y, 100_000)
    t_sep = bp.first_separated
    T = t_sep + config.extra_steps
    hat = bp.iterates[: T + 1]
    margins = np.abs((hat[1:] @ A.T) * y)  # |y_i a_i^T theta_hat_t|, t >= 1: what sigma(-gamma m) is judged on
    nonzero = margins[margins > 0]

    def error(g: float) -> float:
        return float(np.max(np.abs(lr_gd(A, y, g, T).iterates / g - hat)))

    c = float(nonzero.min()) if nonzero.size else np.nan
    # the decay exp(-c gamma) happens within gamma ~ 5/c..40/c: a linear grid there measures the rate
    g_rate = np.arange(2, 41, 2) / c if np.isfinite(c) else np.zeros(0)
    return {
        "gammas": np.array(config.gammas),
        "err": np.array([error(g) for g in config.gammas]),
        "gammas_rate": g_rate,
        "err_rate": np.array([error(g) for g in g_rate]),
        "t_sep": np.array(t_sep),
        "rate_pred": np.array(c),
        "has_zero_margin": np.array(bool((margins == 0).any())),
        "scale": np.array(np.abs(hat).max()),
        "R": np.array(np.linalg.norm(A, axis=1).max()),
    }


def _machine_tol(r: Arrays) -> float:
    # theta_T/gamma accumulates T + extra steps, each a sum of n terms of size <= R, rounded to relative eps;
    # 16 eps per step and term is a generous constant for the sum and the division by gamma
    return float(16 * EPS * (int(r["t_sep"]) + 3) * max(float(r["R"]), 1.0) * max(float(r["scale"]), 1.0))


def check(config: PerceptronLimitConfig, results: Results) -> list[Claim]:
    planted = [results[cell_key({"data": f"planted{i}"})] for i in range(config.n_datasets)]
    final = np.array([r["err"][-1] for r in planted])
    tols = np.array([_machine_tol(r) for r in planted])
    worst = int(np.argmax(final / tols))
    claims = [
        bound(
            id="perceptron_limit.machine_precision_at_1e12",
            statement="Thm 3.2: with theta_0 = 0, theta_t/gamma -> the batch-perceptron iterate for every t as "
            "gamma -> infinity; at gamma = 1e12 the difference is at machine precision.",
            method=f"{config.n_datasets} random data sets with planted margin {config.mu} (n={config.n}, "
            f"d={config.d}); max over t <= t_sep + 3 of ||theta_t/gamma - theta_hat_t||_inf",
            quantity="max error / machine tolerance (worst data set)",
            predicted=1.0,
            measured=float(final[worst] / tols[worst]),
            tol=Tol(
                0.0,
                "per data set, tolerance 16 eps (t_sep + 3) max(R, 1) max(||theta_hat||, 1): rounding of "
                "t sums of n terms; the ratio must be <= 1",
            ),
            figure="limit",
            details=f"errors at 1e12: {np.array2string(final, precision=2)}",
        )
    ]
    # the rate: error ~ K exp(-gamma c), c the smallest |margin| of the perceptron path (predicted here)
    ratios = []
    for r in planted:
        g, e = r["gammas_rate"], r["err_rate"]
        tol = _machine_tol(r)
        decay = (e > 1e3 * tol) & (e < 1e-2 * float(r["scale"]))  # clear of the start and of rounding
        if decay.sum() >= 3:
            slope = np.polyfit(g[decay], np.log(e[decay]), 1)[0]
            ratios.append(float(-slope / r["rate_pred"]))
    ratios = np.array(ratios)
    claims.append(
        bound(
            id="perceptron_limit.exponential_rate",
            statement="The error of the limit decays like exp(-c gamma) with c = min_{t,i} |y_i a_i^T theta_hat_t| "
            "(the smallest nonzero margin along the perceptron path; derived here from sigma(-gamma m) - 1[m <= 0]).",
            method="least-squares slope of ln(error) on gamma over gamma in [2/c, 40/c] where 1e3 tol < error < "
            "1e-2 ||theta_hat||, divided by c",
            quantity="max |measured rate / predicted c - 1| over data sets",
            predicted=0.0,
            measured=float(np.max(np.abs(ratios - 1))) if ratios.size else float("nan"),
            tol=Tol(
                0.25,
                "asymptotic form: subleading terms exp(-c' gamma) with c' close to c bias the "
                "fitted slope; 25% still separates exp(-c gamma) from exp(-2c gamma) or polynomial decay",
            ),
            figure="limit",
            details=f"rate/c per data set: {np.array2string(ratios, precision=3)}",
        )
    )
    deg = results[cell_key({"data": "degenerate"})]
    claims.append(
        negative_control(
            id="perceptron_limit.negative_control_assumption_3_1",
            statement="Negative control: the limit of Thm 3.2 on data violating Assumption 3.1 (a zero margin "
            "along the perceptron path). The limit is then sigma(0) = 1/2 instead of 1 for that point, so the "
            "error must not vanish.",
            method="signed points (1, 0) and (-1, 1); theta_hat_1 = (0, 1/4) has a zero margin",
            quantity="error at gamma = 1e12",
            predicted=0.0,
            measured=float(deg["err"][-1]),
            tol=Tol(
                _machine_tol(deg),
                "16 eps (t_sep + 3) max(R, 1) max(||theta_hat||, 1): rounding of t sums of n terms, "
                "as for machine_precision_at_1e12",
            ),
            figure="limit",
        )
    )
    return claims


def figures(config: PerceptronLimitConfig, results: Results) -> dict:
    fig, ax = figure()
    for i in range(config.n_datasets):
        r = results[cell_key({"data": f"planted{i}"})]
        ax.loglog(
            r["gammas"],
            np.maximum(r["err"], 1e-18),
            "-",
            lw=1,
            alpha=0.7,
            color="C0",
            label="planted-margin data" if i == 0 else None,
        )
        g = r["gammas"]
        e0 = r["err"][np.argmax(r["err"] < 1e-3)] if np.any(r["err"] < 1e-3) else None
        if e0 is not None and i == 0:
            g0 = g[np.argmax(r["err"] < 1e-3)]
            gg = g[(g >= g0) & (g <= g0 * 50)]
            ax.loglog(
                gg, e0 * np.exp(-float(r["rate_pred"]) * (gg - g0)), "k--", lw=1, label=r"$e^{-c\gamma}$, $c$ predicted"
            )
    deg = results[cell_key({"data": "degenerate"})]
    ax.loglog(deg["gammas"], deg["err"], "C3-", lw=2, label="Assumption 3.1 violated")
    ax.axhline(1e3 * EPS, color="gray", ls=":", lw=1, label="~1000 ε")
    ax.set(
        xlabel=r"step size $\gamma$",
        ylabel=r"$\max_t \|\theta_t/\gamma - \hat\theta_t\|_\infty$ (floored at $10^{-18}$)",
        title=r"LR+GD iterates / $\gamma$ $\to$ batch perceptron (Tyurin 2025, Thm 3.2)",
        ylim=(1e-18, 10),
    )
    ax.legend()
    return {"limit": fig}


CLAIMS = (
    ClaimSpec("perceptron_limit.machine_precision_at_1e12", "Thm 3.2 limit to machine precision"),
    ClaimSpec("perceptron_limit.exponential_rate", "error ~ exp(-c gamma), c predicted"),
    ClaimSpec("perceptron_limit.negative_control_assumption_3_1", "zero margin breaks the limit"),
)

SIM = register(
    Sim(
        name="perceptron_limit",
        area=AREA,
        description="theta_t/gamma of LR+GD vs the batch perceptron for gamma in [1, 1e12]",
        config_cls=PerceptronLimitConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
