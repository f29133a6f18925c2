"""The ``bandit_extremes`` sim: horizon 1e6, K = 1000"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sims.bandits._common import AREA, bound_claim, curves_figure, run_policy
from sims.engine.claims import Claim, ClaimSpec, Tol, equality
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from theory.bandits import (
    bernoulli_bandit,
    exp3_regret_bound,
    tsallis_inf_regret_bound,
    ucb1_regret_bound,
)


@dataclass(frozen=True)
class ExtremesConfig:
    horizon: int = 1_000_000
    K: int = 1000
    n_reps: int = 4
    policies: tuple[str, ...] = ("ucb1", "exp3", "tsallis_iw")

    @classmethod
    def quick(cls) -> ExtremesConfig:
        return cls(horizon=10_000, K=100)

    @classmethod
    def full(cls) -> ExtremesConfig:
        return cls()


def _extreme_means(K: int) -> NDArray:
    return np.r_[0.6, np.random.default_rng(K).uniform(0.3, 0.55, K - 1)]


def _extremes_cells(config: ExtremesConfig) -> list[Cell]:
    return [{"policy": p} for p in config.policies]


def _extremes_compute(config: ExtremesConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    return run_policy(cell["policy"], bernoulli_bandit(_extreme_means(config.K)), config.horizon, config.n_reps, seed)


def _extremes_check(config: ExtremesConfig, results: Results) -> list[Claim]:
    T, K, R = config.horizon, config.K, config.n_reps
    claims = []
    for p in config.policies:
        r = results[cell_key({"policy": p})]
        bad = int(np.sum(~np.isfinite(r["curve"])))
        claims.append(
            equality(
                id=f"bandit_extremes.{p}.finite",
                statement=f"{p} runs T = {T:.0e} rounds with K = {K} arms without overflow or NaN.",
                method=f"{R} replicates; every checkpoint of every regret curve",
                quantity="number of non-finite values",
                predicted=0.0,
                measured=float(bad),
                tol=Tol(0.0, "exact count"),
                figure="extremes",
            )
        )
        bound = {
            "ucb1": lambda: float(ucb1_regret_bound(T, _extreme_means(K))),
            "exp3": lambda: float(exp3_regret_bound(T, K)),
            "tsallis_iw": lambda: float(tsallis_inf_regret_bound(T, K, "iw")),
        }[p]()
        claims.append(
            bound_claim(
                f"bandit_extremes.{p}.bound",
                f"{p} stays below its regret bound at T = {T:.0e}, K = {K}.",
                r,
                bound,
                R,
                "extremes",
            )
        )
    return claims


def _extremes_figures(config: ExtremesConfig, results: Results) -> dict:
    rows = {p: results[cell_key({"policy": p})] for p in config.policies}
    return {"extremes": curves_figure(f"Bernoulli, K={config.K}, T={config.horizon:.0e}", rows, {})}


BANDIT_EXTREMES = register(
    Sim(
        name="bandit_extremes",
        area=AREA,
        description="UCB1, Exp3, Tsallis-INF at horizon 1e6 with 1000 arms (numerical soundness)",
        config_cls=ExtremesConfig,
        cells=_extremes_cells,
        compute=_extremes_compute,
        check=_extremes_check,
        figures=_extremes_figures,
        claims=(
            ClaimSpec("bandit_extremes.*.finite", "no overflow or NaN at T = 1e6, K = 1000"),
            ClaimSpec("bandit_extremes.*.bound", "regret bounds at the extreme scale"),
        ),
    )
)
