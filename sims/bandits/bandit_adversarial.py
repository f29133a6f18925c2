"""The ``bandit_adversarial`` sim."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.bandits.common import AREA, bound_claim, loss_table, run_policy
from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import regret_curves_figure
from theory.bandits import (
    adversarial_bandit,
    exp3_regret_bound,
    hedge_regret_bound,
    tsallis_inf_regret_bound,
)


@dataclass(frozen=True)
class BanditAdversarialConfig:
    horizon: int = 10_000
    n_reps: int = 500
    K: int = 10

    @classmethod
    def quick(cls) -> BanditAdversarialConfig:
        return cls(horizon=2000, n_reps=50)

    @classmethod
    def full(cls) -> BanditAdversarialConfig:
        return cls()


ADV_PLAN = {
    "switching": ("exp3", "tsallis_iw", "tsallis_rv", "hedge"),
    "stoch_constrained": ("exp3", "tsallis_iw", "tsallis_rv", "hedge"),
    "ftl_killer": ("hedge", "ftl"),
}


def cells(config: BanditAdversarialConfig) -> list[Cell]:
    return [{"table": t, "policy": p} for t, ps in ADV_PLAN.items() for p in ps]


def compute(config: BanditAdversarialConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    env = adversarial_bandit(loss_table(cell["table"], config.horizon, config.K, seed))
    return run_policy(cell["policy"], env, config.horizon, config.n_reps, seed)


def check(config: BanditAdversarialConfig, results: Results) -> list[Claim]:
    T, R = config.horizon, config.n_reps
    claims = []
    for table, pols in ADV_PLAN.items():
        K = 2 if table == "ftl_killer" else config.K
        for p in pols:
            r = results[cell_key({"table": table, "policy": p})]
            cid = f"bandit_adversarial.{table}.{p}"
            if p == "exp3":
                claims.append(
                    bound_claim(
                        cid + "_bound",
                        "Exp3: R_T <= sqrt(2 T K ln K) on an oblivious adversary.",
                        r,
                        float(exp3_regret_bound(T, K)),
                        R,
                        f"adv_{table}",
                    )
                )
                claims.append(
                    bound_claim(
                        cid + "_negative_control_bound_over_10",
                        "Negative control: the Exp3 bound divided by 10. The data must violate it.",
                        r,
                        float(exp3_regret_bound(T, K)) / 10,
                        R,
                        f"adv_{table}",
                        expect="violated",
                        role="negative_control",
                    )
                )
            elif p.startswith("tsallis"):
                est = p.split("_")[1]
                claims.append(
                    bound_claim(
                        cid + "_bound",
                        f"Tsallis-INF ({est}): adversarial regret bound.",
                        r,
                        float(tsallis_inf_regret_bound(T, K, est)),
                        R,
                        f"adv_{table}",
                    )
                )
            elif p == "hedge":
                claims.append(
                    bound_claim(
                        cid + "_bound",
                        "Hedge (full information): R_T <= sqrt((T/2) ln K).",
                        r,
                        float(hedge_regret_bound(T, K)),
                        R,
                        f"adv_{table}",
                    )
                )
            else:
                claims.append(
                    bound_claim(
                        cid + "_negative_control_sublinear",
                        "Negative control: follow-the-leader "
                        "has regret within the Hedge bound sqrt((T/2) ln K) on the FTL-killer "
                        "sequence. False (its regret is linear); the check must detect it.",
                        r,
                        float(hedge_regret_bound(T, K)),
                        R,
                        f"adv_{table}",
                        expect="violated",
                        role="negative_control",
                    )
                )
    return claims


def figures(config: BanditAdversarialConfig, results: Results) -> dict:
    out = {}
    for table, pols in ADV_PLAN.items():
        K = 2 if table == "ftl_killer" else config.K
        rows = {p: results[cell_key({"table": table, "policy": p})] for p in pols}
        T = config.horizon
        bounds = {
            "exp3": lambda t, K=K, T=T: np.full(len(t), float(exp3_regret_bound(T, K))),
            "hedge": lambda t, K=K, T=T: np.full(len(t), float(hedge_regret_bound(T, K))),
            "tsallis_iw": lambda t, K=K: tsallis_inf_regret_bound(np.maximum(t, 1), K, "iw"),
        }
        out[f"adv_{table}"] = regret_curves_figure(f"Adversarial table '{table}' (K={K})", rows, bounds)
    return out


CLAIMS = (
    ClaimSpec("bandit_adversarial.*.exp3_bound", "Exp3 bound"),
    ClaimSpec("bandit_adversarial.*.tsallis_*_bound", "Tsallis-INF bounds"),
    ClaimSpec("bandit_adversarial.*.hedge_bound", "Hedge bound"),
    ClaimSpec("bandit_adversarial.*.exp3_negative_control_bound_over_10", "a tenth of the Exp3 bound: detected"),
    ClaimSpec("bandit_adversarial.ftl_killer.ftl_negative_control_sublinear", "FTL is not sublinear: detected"),
)

SIM = register(
    Sim(
        name="bandit_adversarial",
        area=AREA,
        description="Exp3, Tsallis-INF, Hedge, FTL on oblivious adversarial tables",
        config_cls=BanditAdversarialConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
