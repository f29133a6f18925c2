"""The ``bandit_extremes`` sim: horizon 1e6, K = 1000"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sims.bandits.common import AREA, bound_claim, run_policy
from sims.engine.claims import Claim, ClaimSpec, Tol, equality
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import regret_curves_figure
from theory.bandits import (
    bernoulli_bandit,
    exp3_regret_bound,
    tsallis_inf_regret_bound,
    ucb1_regret_bound,
)


@dataclass(frozen=True)
class BanditExtremesConfig:
    horizon: int = 1_000_000
    K: int = 1000
    n_reps: int = 4
    policies: tuple[str, ...] = ("ucb1", "exp3", "tsallis_iw")

    @classmethod
    def quick(cls) -> BanditExtremesConfig:
        return cls(horizon=10_000, K=100)

    @classmethod
    def full(cls) -> BanditExtremesConfig:
        return cls()


def _extreme_means(K: int) -> NDArray:
    return np.r_[0.6, np.random.default_rng(K).uniform(0.3, 0.55, K - 1)]


def cells(config: BanditExtremesConfig) -> list[Cell]:
    return [{"policy": p} for p in config.policies]


def compute(config: BanditExtremesConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    return run_policy(cell["policy"], bernoulli_bandit(_extreme_means(config.K)), config.horizon, config.n_reps, seed)


def check(config: BanditExtremesConfig, results: Results) -> list[Claim]:
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


def figures(config: BanditExtremesConfig, results: Results) -> dict:
    rows = {p: results[cell_key({"policy": p})] for p in config.policies}
    return {"extremes": regret_curves_figure(f"Bernoulli, K={config.K}, T={config.horizon:.0e}", rows, {})}


CLAIMS = (
    ClaimSpec("bandit_extremes.*.finite", "no overflow or NaN at T = 1e6, K = 1000"),
    ClaimSpec("bandit_extremes.*.bound", "regret bounds at the extreme scale"),
)

SIM = register(
    Sim(
        name="bandit_extremes",
        area=AREA,
        description="UCB1, Exp3, Tsallis-INF at horizon 1e6 with 1000 arms (numerical soundness)",
        config_cls=BanditExtremesConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
