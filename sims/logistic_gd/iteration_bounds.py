"""The ``iteration_bounds`` sim: Thms 3.3, 5.3, 6.1 on many random separable data sets"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Claim, ClaimSpec, Tol, bound
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.logistic_gd.common import AREA, iterations_to_separate
from theory.logistic_gd import (
    batch_perceptron,
    batch_perceptron_iteration_bound,
    margin,
    normalized_lr_gd_iteration_bound,
    normalized_perceptron_iteration_bound,
    planted_margin_dataset,
)


@dataclass(frozen=True)
class IterationBoundsConfig:
    ns: tuple[int, ...] = (20, 100, 500)
    ds: tuple[int, ...] = (2, 10, 50)
    mus: tuple[float, ...] = (0.1, 0.3, 0.6)
    reps: int = 4
    lr_gammas: tuple[float, ...] = (0.1, 1.0, 10.0)
    max_iters: int = 50_000

    @classmethod
    def quick(cls) -> IterationBoundsConfig:
        return cls(ns=(20, 100), ds=(2, 10), mus=(0.1, 0.5), reps=2, max_iters=20_000)

    @classmethod
    def full(cls) -> IterationBoundsConfig:
        return cls()


def cells(config: IterationBoundsConfig) -> list[Cell]:
    return [{"n": n, "d": d, "mu": mu} for n in config.ns for d in config.ds for mu in config.mus]


def compute(config: IterationBoundsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(config.reps):
        A, y = planted_margin_dataset(cell["n"], cell["d"], cell["mu"], rng)
        mu, R = margin(A, y)
        cap = config.max_iters
        counts = [
            batch_perceptron(A, y, cap).first_separated,
            batch_perceptron(A, y, cap, normalized=True).first_separated,
        ]
        counts += [iterations_to_separate(A, y, g, cap, normalized=True) for g in config.lr_gammas]
        rows.append([mu, R, *[-1 if c is None else c for c in counts]])
    return {"rows": np.array(rows, dtype=float)}  # columns: mu, R, batch, normalized, nlr(gamma) ...


def _ratios(config: IterationBoundsConfig, results: Results) -> dict[str, NDArray]:
    out: dict[str, list] = {"batch": [], "normalized": [], **{f"nlr{g:g}": [] for g in config.lr_gammas}}
    censored = 0
    for c in cells(config):
        rows = results[cell_key(c)]["rows"]
        for mu, R, *counts in rows:
            n = c["n"]
            bounds = [batch_perceptron_iteration_bound(n, R, mu), normalized_perceptron_iteration_bound(R, mu)]
            bounds += [normalized_lr_gd_iteration_bound(n, R, mu, g) for g in config.lr_gammas]
            for key, cnt, b in zip(out, counts, bounds, strict=True):
                if cnt < 0:  # not separated within the cap: the ratio is at least cap / bound
                    censored += 1
                    cnt = config.max_iters
                out[key].append(cnt / float(b))
    return {k: np.array(v) for k, v in out.items()} | {"censored": np.array(censored)}


def check(config: IterationBoundsConfig, results: Results) -> list[Claim]:
    ratios = _ratios(config, results)
    specs = [
        ("batch", "Thm 3.3: batch perceptron iterations <= n R^2/mu^2"),
        ("normalized", "Thm 5.3: normalized batch perceptron iterations <= R^2/mu^2"),
    ]
    specs += [
        (
            f"nlr{g:g}",
            f"Thm 6.1: Normalized LR+GD (gamma = {g:g}) iterations <= R^2/mu^2 + 2 log(2n-1)/(gamma mu^2)",
        )
        for g in config.lr_gammas
    ]
    n_sets = len(ratios["batch"])
    claims = []
    for key, statement in specs:
        r = ratios[key]
        claims.append(
            bound(
                id=f"iteration_bounds.{key}",
                statement=statement + " on random separable data.",
                method=f"{n_sets} planted-margin data sets (n in {list(config.ns)}, d in {list(config.ds)}, mu in "
                f"{list(config.mus)}); mu from the max-margin program",
                quantity="max count / bound",
                predicted=1.0,
                measured=float(r.max()),
                tol=Tol(1e-6, "relative accuracy of mu^2 from the conic solver"),
                figure="bounds",
                details=f"count/bound quantiles 50/90/100%: {np.quantile(r, [0.5, 0.9, 1.0]).round(4).tolist()}; "
                f"censored runs: {int(ratios['censored'])}",
            )
        )
    return claims


def figures(config: IterationBoundsConfig, results: Results) -> dict:
    ratios = _ratios(config, results)
    fig, ax = figure()
    keys = [k for k in ratios if k != "censored"]
    ax.boxplot([np.maximum(ratios[k], 1e-6) for k in keys], tick_labels=keys, whis=(0, 100))
    ax.axhline(1.0, color="C3", lw=1.5, label="bound")
    ax.set(
        yscale="log",
        ylabel="iterations until separation / bound",
        title="Tyurin (2024) iteration bounds on random separable data (whiskers: min, max)",
    )
    ax.legend()
    return {"bounds": fig}


CLAIMS = (
    ClaimSpec("iteration_bounds.batch", "Thm 3.3"),
    ClaimSpec("iteration_bounds.normalized", "Thm 5.3"),
    ClaimSpec("iteration_bounds.nlr*", "Thm 6.1 for several gamma"),
)

SIM = register(
    Sim(
        name="iteration_bounds",
        area=AREA,
        description="Iteration bounds of Thms 3.3, 5.3, 6.1 on random data",
        config_cls=IterationBoundsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
