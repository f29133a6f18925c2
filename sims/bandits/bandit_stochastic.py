"""The ``bandit_stochastic`` sim."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sims.bandits.common import AREA, bound_claim, run_policy
from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import regret_curves_figure
from sims.engine.stats import loglog_slope, mean_se
from theory.bandits import (
    bernoulli_bandit,
    exp3_regret_bound,
    gaussian_bandit,
    lai_robbins_constant,
    simulate,
    thompson,
    tsallis_inf_regret_bound,
    ucb1_regret_bound,
)

INSTANCES = {
    "linspace": np.linspace(0.1, 0.9, 10),  # the instance of the SMPyBandits anchor (benchmarks/bench_bandits.py)
    "close": np.array([0.55, 0.5, 0.5, 0.5, 0.45]),
}


GAUSSIAN_MEANS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # unit-variance Gaussian arms, for Gaussian Thompson sampling


@dataclass(frozen=True)
class BanditStochasticConfig:
    instances: tuple[str, ...] = ("linspace", "close")
    policies: tuple[str, ...] = ("ucb1", "kl_ucb", "thompson", "exp3", "tsallis_iw", "tsallis_rv")
    horizon: int = 10_000
    n_reps: int = 1000

    @classmethod
    def quick(cls) -> BanditStochasticConfig:
        return cls(horizon=2000, n_reps=100)

    @classmethod
    def full(cls) -> BanditStochasticConfig:
        return cls()


def cells(config: BanditStochasticConfig) -> list[Cell]:
    grid = [{"instance": i, "policy": p} for i in config.instances for p in config.policies]
    return [*grid, {"instance": "gaussian", "policy": "thompson_gaussian"}]


def compute(config: BanditStochasticConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["instance"] == "gaussian":
        res = simulate(thompson(prior="gaussian"), gaussian_bandit(GAUSSIAN_MEANS), config.horizon, config.n_reps, seed)
        return {"regret": res.regret, "checkpoints": res.checkpoints, "curve": res.curve}
    return run_policy(
        cell["policy"], bernoulli_bandit(INSTANCES[cell["instance"]]), config.horizon, config.n_reps, seed
    )


def _gaussian_thompson_claim(config: BanditStochasticConfig, r: Arrays) -> Claim:
    T, R = config.horizon, config.n_reps
    lr = lai_robbins_constant(GAUSSIAN_MEANS, family="gaussian")
    m, se = mean_se(r["regret"])
    slope, half = loglog_slope(r["checkpoints"][-15:].astype(float), r["curve"][:, -15:].mean(0), positive_only=True)
    return Claim.observation(
        id="bandit_stochastic.gaussian.thompson_gaussian.observed",
        statement="Observation: Thompson sampling with a flat Gaussian prior on unit-variance Gaussian arms "
        f"(means {GAUSSIAN_MEANS.tolist()}).",
        method=f"{R} replicates, T = {T}",
        quantity="R_T / (Lai-Robbins constant sum_i 2 sigma^2/Delta_i x ln T)",
        predicted=1.0,
        measured=m / (lr * math.log(T)),
        figure="stochastic_gaussian",
        details=f"mean regret {m:.1f} +- {se:.1f} (SE); growth exponent over the last 15 checkpoints "
        f"{slope:.3f} +- {half:.3f} (95% CI)",
    )


def _ucb1_claims(inst: str, r: Arrays, means: np.ndarray, T: int, R: int) -> list[Claim]:
    """UCB1's gap-dependent bound, its negative control (on the anchor instance) and how loose the bound is."""
    b = float(ucb1_regret_bound(T, means))
    claims = [
        bound_claim(
            f"bandit_stochastic.{inst}.ucb1_bound",
            "UCB1: R_T <= sum_i 8 ln T/Delta_i + (1 + pi^2/3) sum_i Delta_i.",
            r,
            b,
            R,
            f"stochastic_{inst}",
        )
    ]
    if inst == "linspace":  # the bound is ~50x loose on 'close'; the control lives on the anchor instance
        claims.append(
            bound_claim(
                f"bandit_stochastic.{inst}.negative_control_ucb1_bound_over_20",
                "Negative control: the UCB1 bound divided by 20. The data must violate it.",
                r,
                b / 20,
                R,
                f"stochastic_{inst}",
                expect="violated",
                role="negative_control",
            )
        )
    m_ucb, _ = mean_se(r["regret"])
    claims.append(
        Claim.observation(
            id=f"bandit_stochastic.{inst}.ucb1_bound_looseness",
            statement="Observation: how loose the UCB1 bound is on this instance.",
            method=f"{R} replicates",
            quantity="bound / mean regret",
            predicted=float("nan"),
            measured=b / m_ucb,
            figure=f"stochastic_{inst}",
        )
    )
    return claims


def _minimax_bound_claims(inst: str, res: dict[str, Arrays], K: int, T: int, R: int) -> list[Claim]:
    """Exp3's and Tsallis-INF's adversarial bounds, which hold on stochastic instances too."""
    claims = []
    if "exp3" in res:
        claims.append(
            bound_claim(
                f"bandit_stochastic.{inst}.exp3_bound",
                "Exp3 (tuned eta): R_T <= sqrt(2 T K ln K) (any oblivious sequence, so also stochastic ones).",
                res["exp3"],
                float(exp3_regret_bound(T, K)),
                R,
                f"stochastic_{inst}",
            )
        )
    for est in ("iw", "rv"):
        key = f"tsallis_{est}"
        if key in res:
            claims.append(
                bound_claim(
                    f"bandit_stochastic.{inst}.{key}_adversarial_bound",
                    f"Tsallis-INF ({est}) stays below its adversarial bound on a stochastic instance.",
                    res[key],
                    float(tsallis_inf_regret_bound(T, K, est)),
                    R,
                    f"stochastic_{inst}",
                )
            )
    return claims


def _lai_robbins_observations(config: BanditStochasticConfig, inst: str, res: dict[str, Arrays]) -> list[Claim]:
    """Each policy's regret against the Lai-Robbins rate, with its growth exponent."""
    T, R, means = config.horizon, config.n_reps, INSTANCES[inst]
    lr = lai_robbins_constant(means)
    d = means.max() - means
    log_sum = float(np.sum(math.log(T) / d[d > 0]))
    claims = []
    for p in config.policies:
        m, se = mean_se(res[p]["regret"])
        slope, half = loglog_slope(
            res[p]["checkpoints"][-15:].astype(float), res[p]["curve"][:, -15:].mean(0), positive_only=True
        )
        claims.append(
            Claim.observation(
                id=f"bandit_stochastic.{inst}.{p}.observed",
                statement=f"Observation: {p} on '{inst}' (K={len(means)}).",
                method=f"{R} replicates, T = {T}",
                quantity="R_T / (Lai-Robbins constant x ln T)",
                predicted=1.0,
                measured=m / (lr * math.log(T)),
                figure=f"stochastic_{inst}",
                details=f"mean regret {m:.1f} +- {se:.1f} (SE); growth exponent of the mean curve over the last "
                f"15 checkpoints {slope:.3f} +- {half:.3f} (95% CI); "
                f"R_T / sum_i (ln T / Delta_i) = {m / log_sum:.3f}",
            )
        )
    return claims


def check(config: BanditStochasticConfig, results: Results) -> list[Claim]:
    T, R = config.horizon, config.n_reps
    claims = []
    for inst in config.instances:
        means = INSTANCES[inst]
        res = {p: results[cell_key({"instance": inst, "policy": p})] for p in config.policies}
        if "ucb1" in res:
            claims += _ucb1_claims(inst, res["ucb1"], means, T, R)
        claims += _minimax_bound_claims(inst, res, len(means), T, R)
        claims += _lai_robbins_observations(config, inst, res)
    claims.append(
        _gaussian_thompson_claim(config, results[cell_key({"instance": "gaussian", "policy": "thompson_gaussian"})])
    )
    return claims


def figures(config: BanditStochasticConfig, results: Results) -> dict:
    out = {}
    for inst in config.instances:
        means = INSTANCES[inst]
        K = len(means)
        rows = {p: results[cell_key({"instance": inst, "policy": p})] for p in config.policies}
        bounds: dict = {
            "ucb1": lambda t, m=means: ucb1_regret_bound(np.maximum(t, 2), m),
            "exp3": lambda t, K=K: np.full(len(t), float(exp3_regret_bound(config.horizon, K))),
            "tsallis_iw": lambda t, K=K: tsallis_inf_regret_bound(np.maximum(t, 1), K, "iw"),
        }
        out[f"stochastic_{inst}"] = regret_curves_figure(f"Bernoulli bandit '{inst}' (K={K})", rows, bounds)
    g = results[cell_key({"instance": "gaussian", "policy": "thompson_gaussian"})]
    lr = lai_robbins_constant(GAUSSIAN_MEANS, family="gaussian")
    out["stochastic_gaussian"] = regret_curves_figure(
        "Gaussian bandit (sigma=1), Thompson sampling",
        {"thompson_gaussian": g},
        {"thompson_gaussian": lambda t: lr * np.log(np.maximum(t, 1))},
        dashed="Lai-Robbins asymptote",
    )
    return out


CLAIMS = (
    ClaimSpec("bandit_stochastic.*.ucb1_bound", "UCB1 bound"),
    ClaimSpec("bandit_stochastic.*.ucb1_bound_looseness", "how loose the UCB1 bound is (observation)"),
    ClaimSpec("bandit_stochastic.*.exp3_bound", "Exp3 bound"),
    ClaimSpec("bandit_stochastic.*.tsallis_*_adversarial_bound", "Tsallis-INF bounds"),
    ClaimSpec("bandit_stochastic.*.negative_control_ucb1_bound_over_20", "divided bound detected"),
    ClaimSpec("bandit_stochastic.*.*.observed", "Lai-Robbins ratios, growth exponents (observations)"),
    ClaimSpec("bandit_stochastic.gaussian.thompson_gaussian.observed", "Gaussian Thompson (observation)"),
)

SIM = register(
    Sim(
        name="bandit_stochastic",
        area=AREA,
        description="UCB1, KL-UCB, Thompson, Exp3, Tsallis-INF on Bernoulli bandits; Gaussian Thompson",
        config_cls=BanditStochasticConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
