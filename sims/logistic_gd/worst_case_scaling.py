"""The ``worst_case_scaling`` sim: Omega(n) vs O(1) iterations on the Thm 5.1 data"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import loglog_slope
from sims.logistic_gd.common import AREA
from theory.logistic_gd import (
    batch_perceptron,
    batch_perceptron_iteration_bound,
    lr_gd,
    margin,
    normalized_perceptron_iteration_bound,
    perceptron_worst_case_dataset,
    perceptron_worst_case_iterations,
)


@dataclass(frozen=True)
class WorstCaseScalingConfig:
    ns: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000, 10000)
    gamma: float = 1e12

    @classmethod
    def quick(cls) -> WorstCaseScalingConfig:
        return cls(ns=(10, 100, 300, 1000))

    @classmethod
    def full(cls) -> WorstCaseScalingConfig:
        return cls()


# both ratios divide by mu^2, with mu from the max-margin program
MU_TOL = Tol(1e-6, "relative accuracy of mu from the conic solver (~1e-9), squared; 1e-6 leaves 1000x")


def cells(config: WorstCaseScalingConfig) -> list[Cell]:
    return [{"n": n} for n in config.ns]


def compute(config: WorstCaseScalingConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    n = int(cell["n"])
    A, y = perceptron_worst_case_dataset(n)
    cap = n + 10  # > 0.3 n + 2, the exact count
    mu, R = margin(A, y)
    counts = [
        batch_perceptron(A, y, cap).first_separated,
        batch_perceptron(A, y, 20, normalized=True).first_separated,
        lr_gd(A, y, config.gamma, cap).first_separated,
        lr_gd(A, y, config.gamma, 20, normalized=True).first_separated,
    ]
    return {"counts": np.array([-1 if c is None else c for c in counts]), "mu": np.array(mu), "R": np.array(R)}


METHODS = ("batch perceptron", "normalized batch perceptron", "LR+GD (γ=1e12)", "Normalized LR+GD (γ=1e12)")


def check(config: WorstCaseScalingConfig, results: Results) -> list[Claim]:
    ns = np.array(config.ns)
    C = np.array([results[cell_key({"n": int(n)})]["counts"] for n in ns])
    mu = np.array([float(results[cell_key({"n": int(n)})]["mu"]) for n in ns])
    R = np.array([float(results[cell_key({"n": int(n)})]["R"]) for n in ns])
    exact = np.array([perceptron_worst_case_iterations(int(n)) for n in ns])
    big = ns >= 100  # the exact count is 0.3 n + O(1): the offset bends the log-log line at small n
    slope, half = loglog_slope(ns[big], C[big, 0].astype(float))
    classical = normalized_perceptron_iteration_bound(R, mu)
    return [
        equality(
            id="worst_case_scaling.batch_exact_count",
            statement="On the Thm 5.1 data the batch perceptron separates "
            "at t = 1 + floor((3n - 8)/10) + 1 (derived here: perceptron_worst_case_iterations).",
            method=f"batch perceptron, n in {ns.tolist()}",
            quantity="max |count - formula|",
            predicted=0.0,
            measured=float(np.abs(C[:, 0] - exact).max()),
            tol=Tol(0.0, "integer counts"),
            figure="scaling",
        ),
        equality(
            id="worst_case_scaling.lr_gd_matches_perceptron",
            statement="LR+GD with gamma = 1e12 separates at the same "
            "iteration as the batch perceptron (its gamma -> infinity limit).",
            method="LR+GD from theta_0 = 0",
            quantity="max |count LR+GD - count perceptron|",
            predicted=0.0,
            measured=float(np.abs(C[:, 2] - C[:, 0]).max()),
            tol=Tol(0.0, "integer counts"),
            figure="scaling",
        ),
        equality(
            id="worst_case_scaling.linear_in_n",
            statement="Batch perceptron / LR+GD with large steps need Omega(n) "
            "iterations on this data: log-log slope of the count in n is 1.",
            method=f"least squares on log count vs log n, n in {ns.tolist()}",
            quantity="slope",
            predicted=1.0,
            measured=slope,
            tol=Tol(
                max(half, 0.05), f"95% CI half-width of the slope ({half:.3g}), at least 0.05 for the +O(1) offset"
            ),
            figure="scaling",
        ),
        bound(
            id="worst_case_scaling.normalized_constant",
            statement="The normalized variants need O(1) iterations: at "
            "most 2 for every n here (derived: t = 2 for n >= 6).",
            method="normalized batch perceptron and Normalized LR+GD (gamma = 1e12)",
            quantity="max count",
            predicted=2.0,
            measured=float(C[:, [1, 3]].max()),
            tol=Tol(0.0, "integer counts"),
            figure="scaling",
        ),
        bound(
            id="worst_case_scaling.batch_bound_holds",
            statement="Thm 3.3: batch perceptron iterations <= n R^2/mu^2.",
            method="mu from the max-margin program (cvxpy)",
            quantity="max count / bound",
            predicted=1.0,
            measured=float((C[:, 0] / batch_perceptron_iteration_bound(ns, R, mu)).max()),
            tol=MU_TOL,
            figure="scaling",
        ),
        negative_control(
            id="worst_case_scaling.negative_control_classical_bound",
            statement="Negative control: the classical "
            "one-sample perceptron bound R^2/mu^2 applied to the batch perceptron. It must be violated for large n.",
            method="batch perceptron counts",
            quantity="max count / (R^2/mu^2)",
            predicted=1.0,
            measured=float((C[:, 0] / classical).max()),
            tol=MU_TOL,
            figure="scaling",
        ),
    ]


def figures(config: WorstCaseScalingConfig, results: Results) -> dict:
    ns = np.array(config.ns)
    C = np.array([results[cell_key({"n": int(n)})]["counts"] for n in ns])
    mu = float(results[cell_key({"n": int(ns[0])})]["mu"])
    R = float(results[cell_key({"n": int(ns[0])})]["R"])
    fig, ax = figure()
    for k, (name, marker) in enumerate(zip(METHODS, "os^v", strict=True)):
        ax.loglog(ns, C[:, k], marker + "-", ms=4, mfc="none", label=name)
    ax.loglog(ns, batch_perceptron_iteration_bound(ns, R, mu), "k--", lw=1, label="n R²/μ² (Thm 3.3)")
    ax.loglog(ns, np.full(len(ns), R**2 / mu**2), "k:", lw=1, label="R²/μ² (Thm 5.3; classical)")
    ax.set(
        xlabel="number of points n",
        ylabel="iterations until separation",
        title="Thm 5.1 data: Ω(n) for the batch perceptron and LR+GD, O(1) when normalized",
    )
    ax.legend()
    return {"scaling": fig}


CLAIMS = tuple(
    ClaimSpec(f"worst_case_scaling.{k}", k)
    for k in (
        "batch_exact_count",
        "lr_gd_matches_perceptron",
        "linear_in_n",
        "normalized_constant",
        "batch_bound_holds",
        "negative_control_classical_bound",
    )
)

SIM = register(
    Sim(
        name="worst_case_scaling",
        area=AREA,
        description="Iterations to separate vs n on the Thm 5.1 data",
        config_cls=WorstCaseScalingConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
