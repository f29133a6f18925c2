"""Sims for bandits: regret guarantees checked by Monte Carlo on stochastic and adversarial instances."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sims.core import Arrays, Cell, Claim, ClaimSpec, Results, Sim, cell_key, register
from sims.report import figure
from theory.bandits import (
    ACF2002,
    LR1985,
    LS2020,
    WANG2023,
    ZS2021,
    adversarial_bandit,
    bernoulli_bandit,
    exp3,
    exp3_regret_bound,
    follow_the_leader,
    ftl_killer_table,
    gaussian_bandit,
    hedge,
    hedge_regret_bound,
    kl_ucb,
    lai_robbins_constant,
    simulate,
    simulate_streaming,
    stochastically_constrained_table,
    streaming_challenge,
    streaming_explore_pulls,
    streaming_rate,
    streaming_uniform_exploration,
    switching_loss_table,
    thompson,
    tsallis_inf,
    tsallis_inf_regret_bound,
    ucb1,
    ucb1_regret_bound,
    uniform_exploration_regret_bound,
)

AREA = "Online learning and bandits"
N_SE = 3.0  # one-sided 3 standard errors (99.87% under normality of the replicate mean)

POLICIES = {
    "ucb1": ucb1,
    "kl_ucb": kl_ucb,
    "thompson": thompson,
    "exp3": exp3,
    "tsallis_iw": lambda: tsallis_inf("iw"),
    "tsallis_rv": lambda: tsallis_inf("rv"),
    "hedge": hedge,
    "ftl": follow_the_leader,
}

INSTANCES = {
    "linspace": np.linspace(0.1, 0.9, 10),  # the anchor instance of issue 4
    "close": np.array([0.55, 0.5, 0.5, 0.5, 0.45]),
}
GAUSSIAN_MEANS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # unit-variance Gaussian arms, for Gaussian Thompson sampling


def _mean_se(x: NDArray) -> tuple[float, float]:
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


def _slope_ci(t: NDArray, y: NDArray) -> tuple[float, float]:
    from scipy import stats

    ok = y > 0
    res = stats.linregress(np.log(t[ok]), np.log(y[ok]))
    return float(res.slope), float(stats.t.ppf(0.975, ok.sum() - 2) * res.stderr)


def _run(policy: str, env, T: int, R: int, seed: np.random.SeedSequence) -> Arrays:
    res = simulate(POLICIES[policy](), env, T, R, seed)
    return {"regret": res.regret, "checkpoints": res.checkpoints, "curve": res.curve}


# ---------------------------------------------------------------------------------------------------------
# bandit_stochastic
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StochasticConfig:
    instances: tuple[str, ...] = ("linspace", "close")
    policies: tuple[str, ...] = ("ucb1", "kl_ucb", "thompson", "exp3", "tsallis_iw", "tsallis_rv")
    horizon: int = 10_000
    n_reps: int = 1000

    @classmethod
    def quick(cls) -> StochasticConfig:
        return cls(horizon=2000, n_reps=100)

    @classmethod
    def full(cls) -> StochasticConfig:
        return cls()


def _stoch_cells(config: StochasticConfig) -> list[Cell]:
    cells = [{"instance": i, "policy": p} for i in config.instances for p in config.policies]
    return [*cells, {"instance": "gaussian", "policy": "thompson_gaussian"}]


def _stoch_compute(config: StochasticConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["instance"] == "gaussian":
        res = simulate(thompson(prior="gaussian"), gaussian_bandit(GAUSSIAN_MEANS), config.horizon, config.n_reps, seed)
        return {"regret": res.regret, "checkpoints": res.checkpoints, "curve": res.curve}
    return _run(cell["policy"], bernoulli_bandit(INSTANCES[cell["instance"]]), config.horizon, config.n_reps, seed)


def _gaussian_thompson_claim(config: StochasticConfig, r: Arrays) -> Claim:
    T, R = config.horizon, config.n_reps
    lr = lai_robbins_constant(GAUSSIAN_MEANS, family="gaussian")
    m, se = _mean_se(r["regret"])
    slope, half = _slope_ci(r["checkpoints"][-15:].astype(float), r["curve"][:, -15:].mean(0))
    return Claim.observation(
        id="bandit_stochastic.gaussian.thompson_gaussian.observed",
        statement="Observation: Thompson sampling with a flat Gaussian prior on unit-variance Gaussian arms "
        f"(means {GAUSSIAN_MEANS.tolist()}).",
        source=LR1985 + "; Agrawal and Goyal (2013), Further optimal regret bounds for Thompson sampling",
        method=f"{R} replicates, T = {T}",
        quantity="R_T / (Lai-Robbins constant sum_i 2 sigma^2/Delta_i x ln T)",
        predicted=1.0,
        measured=m / (lr * math.log(T)),
        figure="stochastic_gaussian",
        details=f"mean regret {m:.1f} +- {se:.1f} (SE); growth exponent over the last 15 checkpoints "
        f"{slope:.3f} +- {half:.3f} (95% CI)",
    )


def _bound_claim(
    cid: str,
    statement: str,
    source: str,
    r: Arrays,
    bound: float,
    R: int,
    figure_name: str,
    expect: str = "holds",
    role: str = "claim",
) -> Claim:
    m, se = _mean_se(r["regret"])
    measured = m + N_SE * se if expect == "holds" else m - N_SE * se
    return Claim(
        id=cid,
        statement=statement,
        source=source,
        method=f"{R} replicates, pseudo-regret at T",
        quantity="mean regret + 3 SE" if expect == "holds" else "mean regret - 3 SE",
        predicted=float(bound),
        measured=float(measured),
        tolerance=0.0,
        tolerance_reason=f"3 standard errors of the mean over R = {R} replicates, folded into the measured "
        "value (one-sided, conservative in the direction of the statement)",
        relation="<=",
        expect=expect,
        role=role,
        figure=figure_name,
        details=f"mean {m:.2f}, SE {se:.2f}",
    )


def _stoch_check(config: StochasticConfig, results: Results) -> list[Claim]:
    T, R = config.horizon, config.n_reps
    claims = []
    for inst in config.instances:
        means = INSTANCES[inst]
        K = len(means)
        res = {p: results[cell_key({"instance": inst, "policy": p})] for p in config.policies}
        if "ucb1" in res:
            b = float(ucb1_regret_bound(T, means))
            claims.append(
                _bound_claim(
                    f"bandit_stochastic.{inst}.ucb1_bound",
                    "UCB1: R_T <= sum_i 8 ln T/Delta_i + (1 + pi^2/3) sum_i Delta_i.",
                    ACF2002 + ", Thm 1",
                    res["ucb1"],
                    b,
                    R,
                    f"stochastic_{inst}",
                )
            )
            if inst == "linspace":  # the bound is ~50x loose on 'close'; the control lives on the anchor instance
                claims.append(
                    _bound_claim(
                        f"bandit_stochastic.{inst}.negative_control_ucb1_bound_over_20",
                        "Negative control: the UCB1 bound divided by 20. The data must violate it.",
                        "deliberately wrong",
                        res["ucb1"],
                        b / 20,
                        R,
                        f"stochastic_{inst}",
                        expect="violated",
                        role="negative_control",
                    )
                )
            m_ucb, _ = _mean_se(res["ucb1"]["regret"])
            claims.append(
                Claim.observation(
                    id=f"bandit_stochastic.{inst}.ucb1_bound_looseness",
                    statement="Observation: how loose the UCB1 bound is on this instance.",
                    source=ACF2002,
                    method=f"{R} replicates",
                    quantity="bound / mean regret",
                    predicted=float("nan"),
                    measured=b / m_ucb,
                    figure=f"stochastic_{inst}",
                )
            )
        if "exp3" in res:
            claims.append(
                _bound_claim(
                    f"bandit_stochastic.{inst}.exp3_bound",
                    "Exp3 (tuned eta): R_T <= sqrt(2 T K ln K) (any oblivious sequence, so also stochastic ones).",
                    LS2020 + ", Thm 11.2",
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
                    _bound_claim(
                        f"bandit_stochastic.{inst}.{key}_adversarial_bound",
                        f"Tsallis-INF ({est}) stays below its adversarial bound on a stochastic instance.",
                        ZS2021,
                        res[key],
                        float(tsallis_inf_regret_bound(T, K, est)),
                        R,
                        f"stochastic_{inst}",
                    )
                )
        lr = lai_robbins_constant(means)
        d = means.max() - means
        log_sum = float(np.sum(math.log(T) / d[d > 0]))
        for p in config.policies:
            m, se = _mean_se(res[p]["regret"])
            slope, half = _slope_ci(res[p]["checkpoints"][-15:].astype(float), res[p]["curve"][:, -15:].mean(0))
            claims.append(
                Claim.observation(
                    id=f"bandit_stochastic.{inst}.{p}.observed",
                    statement=f"Observation: {p} on '{inst}' (K={K}).",
                    source=LR1985 if p in ("kl_ucb", "thompson") else (ZS2021 if p.startswith("tsallis") else LS2020),
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
    claims.append(
        _gaussian_thompson_claim(config, results[cell_key({"instance": "gaussian", "policy": "thompson_gaussian"})])
    )
    return claims


def _curves_figure(title: str, rows: dict, bounds: dict, dashed: str = "guarantee") -> object:
    fig, ax = figure()
    for i, (name, r) in enumerate(rows.items()):
        cps, curve = r["checkpoints"], r["curve"]
        m = curve.mean(0)
        ax.plot(cps, m, color=f"C{i}", label=name)
        if curve.shape[0] > 1:  # full-information runs have one (deterministic) replicate: no band
            se = curve.std(0, ddof=1) / math.sqrt(curve.shape[0])
            ax.fill_between(cps, m - 2 * se, m + 2 * se, color=f"C{i}", alpha=0.2)
        if name in bounds:
            ax.plot(cps, bounds[name](cps), "--", color=f"C{i}", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="round t", ylabel="pseudo-regret (mean ± 2 SE)", title=title)
    ax.legend(fontsize=7, ncols=2, title=f"dashed: {dashed}")
    return fig


def _stoch_figures(config: StochasticConfig, results: Results) -> dict:
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
        out[f"stochastic_{inst}"] = _curves_figure(f"Bernoulli bandit '{inst}' (K={K})", rows, bounds)
    g = results[cell_key({"instance": "gaussian", "policy": "thompson_gaussian"})]
    lr = lai_robbins_constant(GAUSSIAN_MEANS, family="gaussian")
    out["stochastic_gaussian"] = _curves_figure(
        "Gaussian bandit (sigma=1), Thompson sampling",
        {"thompson_gaussian": g},
        {"thompson_gaussian": lambda t: lr * np.log(np.maximum(t, 1))},
        dashed="Lai-Robbins asymptote",
    )
    return out


BANDIT_STOCHASTIC = register(
    Sim(
        name="bandit_stochastic",
        area=AREA,
        description="UCB1, KL-UCB, Thompson, Exp3, Tsallis-INF on Bernoulli bandits; Gaussian Thompson",
        config_cls=StochasticConfig,
        cells=_stoch_cells,
        compute=_stoch_compute,
        check=_stoch_check,
        figures=_stoch_figures,
        claims=(
            ClaimSpec("bandit_stochastic.*.ucb1_bound", "UCB1 bound"),
            ClaimSpec("bandit_stochastic.*.exp3_bound", "Exp3 bound"),
            ClaimSpec("bandit_stochastic.*.tsallis_*_adversarial_bound", "Tsallis-INF bounds"),
            ClaimSpec("bandit_stochastic.*.negative_control_ucb1_bound_over_20", "divided bound detected"),
            ClaimSpec("bandit_stochastic.*.*.observed", "Lai-Robbins ratios, growth exponents (observations)"),
            ClaimSpec("bandit_stochastic.gaussian.thompson_gaussian.observed", "Gaussian Thompson (observation)"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# bandit_adversarial
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdversarialConfig:
    horizon: int = 10_000
    n_reps: int = 500
    K: int = 10

    @classmethod
    def quick(cls) -> AdversarialConfig:
        return cls(horizon=2000, n_reps=50)

    @classmethod
    def full(cls) -> AdversarialConfig:
        return cls()


ADV_PLAN = {
    "switching": ("exp3", "tsallis_iw", "tsallis_rv", "hedge"),
    "stoch_constrained": ("exp3", "tsallis_iw", "tsallis_rv", "hedge"),
    "ftl_killer": ("hedge", "ftl"),
}


def loss_table(name: str, T: int, K: int, seed: int = 12345) -> NDArray:
    """The oblivious loss tables shared by the adversarial sims (drawn once, from a fixed seed)."""
    if name == "switching":
        return switching_loss_table(T, K, rng=seed)
    if name == "stoch_constrained":
        return stochastically_constrained_table(T, np.linspace(0.0, 0.3, K), rng=seed)
    return ftl_killer_table(T)


def _adv_cells(config: AdversarialConfig) -> list[Cell]:
    return [{"table": t, "policy": p} for t, ps in ADV_PLAN.items() for p in ps]


def _adv_compute(config: AdversarialConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    env = adversarial_bandit(loss_table(cell["table"], config.horizon, config.K))
    return _run(cell["policy"], env, config.horizon, config.n_reps, seed)


def _adv_check(config: AdversarialConfig, results: Results) -> list[Claim]:
    T, R = config.horizon, config.n_reps
    claims = []
    for table, pols in ADV_PLAN.items():
        K = 2 if table == "ftl_killer" else config.K
        for p in pols:
            r = results[cell_key({"table": table, "policy": p})]
            cid = f"bandit_adversarial.{table}.{p}"
            if p == "exp3":
                claims.append(
                    _bound_claim(
                        cid + "_bound",
                        "Exp3: R_T <= sqrt(2 T K ln K) on an oblivious adversary.",
                        LS2020 + ", Thm 11.2",
                        r,
                        float(exp3_regret_bound(T, K)),
                        R,
                        f"adv_{table}",
                    )
                )
                claims.append(
                    _bound_claim(
                        cid + "_negative_control_bound_over_10",
                        "Negative control: the Exp3 bound divided by 10. The data must violate it.",
                        "deliberately wrong",
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
                    _bound_claim(
                        cid + "_bound",
                        f"Tsallis-INF ({est}): adversarial regret bound.",
                        ZS2021,
                        r,
                        float(tsallis_inf_regret_bound(T, K, est)),
                        R,
                        f"adv_{table}",
                    )
                )
            elif p == "hedge":
                claims.append(
                    _bound_claim(
                        cid + "_bound",
                        "Hedge (full information): R_T <= sqrt((T/2) ln K).",
                        "Cesa-Bianchi and Lugosi (2006), Thm 2.2",
                        r,
                        float(hedge_regret_bound(T, K)),
                        R,
                        f"adv_{table}",
                    )
                )
            else:
                claims.append(
                    _bound_claim(
                        cid + "_negative_control_sublinear",
                        "Negative control: follow-the-leader "
                        "has regret within the Hedge bound sqrt((T/2) ln K) on the FTL-killer "
                        "sequence. False (its regret is linear); the check must detect it.",
                        "deliberately wrong (FTL is not Hannan-consistent)",
                        r,
                        float(hedge_regret_bound(T, K)),
                        R,
                        f"adv_{table}",
                        expect="violated",
                        role="negative_control",
                    )
                )
    return claims


def _adv_figures(config: AdversarialConfig, results: Results) -> dict:
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
        out[f"adv_{table}"] = _curves_figure(f"Adversarial table '{table}' (K={K})", rows, bounds)
    return out


BANDIT_ADVERSARIAL = register(
    Sim(
        name="bandit_adversarial",
        area=AREA,
        description="Exp3, Tsallis-INF, Hedge, FTL on oblivious adversarial tables",
        config_cls=AdversarialConfig,
        cells=_adv_cells,
        compute=_adv_compute,
        check=_adv_check,
        figures=_adv_figures,
        claims=(
            ClaimSpec("bandit_adversarial.*.exp3_bound", "Exp3 bound"),
            ClaimSpec("bandit_adversarial.*.tsallis_*_bound", "Tsallis-INF bounds"),
            ClaimSpec("bandit_adversarial.*.hedge_bound", "Hedge bound"),
            ClaimSpec("bandit_adversarial.*.negative_control_*", "divided bound and FTL detected"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# streaming_bandits: single pass, memory of one arm
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamingConfig:
    Ks: tuple[int, ...] = (10, 100, 1000)
    horizons: tuple[int, ...] = tuple(int(x) for x in np.logspace(4, 8, 9))
    n_gaps: int = 15  # gap of the single best arm, log-spaced in [1e-3, 0.5]; the worst case is the max over gaps
    n_reps: int = 300

    @classmethod
    def quick(cls) -> StreamingConfig:
        return cls(Ks=(10, 100), horizons=tuple(int(x) for x in np.logspace(4, 6, 5)), n_gaps=8, n_reps=100)

    @classmethod
    def full(cls) -> StreamingConfig:
        return cls()

    @property
    def gaps(self) -> NDArray:
        return np.logspace(-3, math.log10(0.5), self.n_gaps)


STREAMING = {"uniform": streaming_uniform_exploration, "challenge": streaming_challenge}


def _streaming_means(K: int, gap: float) -> NDArray:
    means = np.full(K, 0.5)
    means[np.random.default_rng(K).integers(K)] += gap  # the best arm's place in the stream: drawn once per K
    return means


def _streaming_cells(config: StreamingConfig) -> list[Cell]:
    return [{"K": K, "alg": a} for K in config.Ks for a in STREAMING]


def _streaming_compute(config: StreamingConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    K, G = cell["K"], config.gaps
    shape = (len(config.horizons), len(G))
    mean, se, bound, capped = np.empty(shape), np.empty(shape), np.empty(shape), np.zeros(shape)
    seeds = seed.spawn(mean.size)
    for j, T in enumerate(config.horizons):
        for k, g in enumerate(G):
            means = _streaming_means(K, float(g))
            r = simulate_streaming(
                STREAMING[cell["alg"]](), bernoulli_bandit(means), T, config.n_reps, seeds[j * len(G) + k]
            )
            mean[j, k], se[j, k] = r.mean, r.stderr
            bound[j, k] = float(uniform_exploration_regret_bound(T, means))
            # capped: the bound is the largest possible regret n sum Delta + (T - nK) max Delta
            n, d = streaming_explore_pulls(T, K), means.max() - means
            capped[j, k] = bound[j, k] >= n * d.sum() + (T - n * K) * d.max()
    return {"horizons": np.array(config.horizons), "gaps": G, "mean": mean, "se": se, "bound": bound, "capped": capped}


def _worst_case(r: Arrays) -> tuple[NDArray, NDArray]:
    """Max over gaps of the mean regret at each T, and the SE at the maximising gap."""
    k = np.argmax(r["mean"], axis=1)
    rows = np.arange(len(k))
    return r["mean"][rows, k], r["se"][rows, k]


def _streaming_check(config: StreamingConfig, results: Results) -> list[Claim]:
    claims = []
    Ts = np.array(config.horizons, float)
    log_allow = 1 / (3 * math.log(Ts.min()))  # d ln(ln^{1/3} T) / d ln T at the smallest T
    for K in config.Ks:
        for alg in STREAMING:
            r = results[cell_key({"K": K, "alg": alg})]
            worst, _ = _worst_case(r)
            slope, half = _slope_ci(Ts, worst)
            ratio = worst / streaming_rate(Ts, K)
            if alg == "uniform":
                # where the Hoeffding term exceeds the largest gap, the bound is capped at the largest possible regret
                # n sum Delta + (T - nK) max Delta, which every replicate meets by construction and the mean nearly
                # attains (the king is then almost a random arm): those instances say nothing and are left out
                m_plus = (r["mean"] + N_SE * r["se"]) / r["bound"]
                capped = r["capped"].astype(bool)
                m_plus = np.where(capped, -np.inf, m_plus)
                claims.append(
                    Claim(
                        id=f"streaming_bandits.K{K}.uniform.instance_bound",
                        statement="Streaming uniform exploration with n pulls per arm: E[R_T] <= n sum_i Delta_i + "
                        "(T - nK) min(max_i Delta_i, sum_i Delta_i exp(-n Delta_i^2/2)) (Hoeffding), on every (T, gap) "
                        "instance.",
                        source=WANG2023 + " (the algorithm); the bound derived in theory.bandits",
                        method=f"{len(Ts)} horizons x {config.n_gaps} gaps, {config.n_reps} replicates each; "
                        f"{int(capped.sum())} instances where the bound is capped at the largest possible regret are "
                        "left out",
                        quantity="max over instances of (mean regret + 3 SE) / bound",
                        predicted=1.0,
                        measured=float(np.max(m_plus)),
                        tolerance=1e-9,
                        tolerance_reason=f"3 standard errors over R = {config.n_reps} folded in; 1e-9 for floating "
                        "point (with large gaps exploration dominates and the bound is attained exactly)",
                        figure="streaming_worst_case",
                    )
                )
                claims.append(
                    Claim(
                        id=f"streaming_bandits.K{K}.uniform.slope",
                        statement="Worst-case (over the gap) regret of streaming uniform exploration grows as "
                        "K^{1/3} T^{2/3} up to log^{1/3} T: growth exponent 2/3 in T.",
                        source=WANG2023 + ", Sec. 1 (upper bound) and Thm 1 (the Omega(K^{1/3} T^{2/3}) lower bound)",
                        method=f"log-log fit of max over {config.n_gaps} gaps of the mean regret, T = "
                        f"{int(Ts[0]):.0e}..{int(Ts[-1]):.0e}",
                        quantity="growth exponent in T",
                        predicted=2 / 3,
                        measured=slope,
                        tolerance=half + log_allow,
                        tolerance_reason=f"95% CI half-width ({half:.3f}) + {log_allow:.3f}, the local exponent of "
                        "the log^{1/3} T factor at the smallest T",
                        relation="==",
                        figure="streaming_worst_case",
                        details="worst-case regret / (K^{1/3} T^{2/3}) = " + ", ".join(f"{x:.2f}" for x in ratio),
                    )
                )
                claims.append(
                    Claim(
                        id=f"streaming_bandits.K{K}.negative_control_sqrt_rate",
                        statement="Negative control: one-arm-memory streaming reaches the full-memory minimax rate "
                        "sqrt(K T) (growth exponent <= 1/2). False for o(K) memory.",
                        source="deliberately wrong (contradicts the Omega(K^{1/3} T^{2/3}) lower bound)",
                        method="same fit",
                        quantity="growth exponent in T",
                        predicted=0.5,
                        measured=slope,
                        tolerance=half,
                        tolerance_reason="95% CI half-width of the slope",
                        expect="violated",
                        role="negative_control",
                        figure="streaming_worst_case",
                    )
                )
            else:
                u_worst, _ = _worst_case(results[cell_key({"K": K, "alg": "uniform"})])
                claims.append(
                    Claim.observation(
                        id=f"streaming_bandits.K{K}.challenge.observed",
                        statement="Observation: worst-case regret of the single-arm challenge algorithm (early "
                        "elimination) relative to uniform exploration.",
                        source=WANG2023,
                        method=f"max over {config.n_gaps} gaps, {config.n_reps} replicates",
                        quantity="worst-case regret / uniform exploration's, at the largest T",
                        measured=float(worst[-1] / u_worst[-1]),
                        figure="streaming_worst_case",
                        details=f"growth exponent {slope:.3f} +- {half:.3f}; worst-case regret / (K^(1/3) T^(2/3)) = "
                        + ", ".join(f"{x:.2f}" for x in ratio),
                    )
                )
    return claims


def _streaming_figures(config: StreamingConfig, results: Results) -> dict:
    fig, axes = figure(1, 2)
    Ts = np.array(config.horizons, float)
    for i, K in enumerate(config.Ks):
        for alg, style in (("uniform", "-o"), ("challenge", "--s")):
            r = results[cell_key({"K": K, "alg": alg})]
            worst, se = _worst_case(r)
            rate = streaming_rate(Ts, K)
            axes[0].errorbar(
                Ts, worst / rate, yerr=2 * se / rate, fmt=style, color=f"C{i}", ms=3, label=f"K={K}, {alg}"
            )
            j = len(Ts) // 2
            axes[1].plot(r["gaps"], r["mean"][j] / rate[j], style, color=f"C{i}", ms=3, label=f"K={K}, {alg}")
    axes[0].set(xscale="log", xlabel="T", ylabel="max over gaps of E[R_T] / (K^1/3 T^2/3)", title="Worst case")
    axes[1].set(
        xscale="log",
        xlabel="gap of the best arm",
        ylabel="E[R_T] / (K^1/3 T^2/3)",
        title=f"Regret vs gap at T={int(Ts[len(Ts) // 2]):.0e}",
    )
    axes[0].legend(fontsize=6)
    return {"streaming_worst_case": fig}


STREAMING_BANDITS = register(
    Sim(
        name="streaming_bandits",
        area=AREA,
        description="Single-pass streaming bandits with one-arm memory: uniform exploration and a challenge variant",
        config_cls=StreamingConfig,
        cells=_streaming_cells,
        compute=_streaming_compute,
        check=_streaming_check,
        figures=_streaming_figures,
        claims=(
            ClaimSpec("streaming_bandits.*.uniform.instance_bound", "instance-dependent bound of uniform exploration"),
            ClaimSpec("streaming_bandits.*.uniform.slope", "T^(2/3) growth of the worst case"),
            ClaimSpec("streaming_bandits.*.negative_control_sqrt_rate", "sqrt(KT) rate with one-arm memory: detected"),
            ClaimSpec("streaming_bandits.*.challenge.observed", "challenge variant vs uniform (observation)"),
        ),
    )
)


# ---------------------------------------------------------------------------------------------------------
# bandit_extremes: horizon 1e6, K = 1000
# ---------------------------------------------------------------------------------------------------------


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
    return _run(cell["policy"], bernoulli_bandit(_extreme_means(config.K)), config.horizon, config.n_reps, seed)


def _extremes_check(config: ExtremesConfig, results: Results) -> list[Claim]:
    T, K, R = config.horizon, config.K, config.n_reps
    claims = []
    for p in config.policies:
        r = results[cell_key({"policy": p})]
        bad = int(np.sum(~np.isfinite(r["curve"])))
        claims.append(
            Claim(
                id=f"bandit_extremes.{p}.finite",
                statement=f"{p} runs T = {T:.0e} rounds with K = {K} arms without overflow or NaN.",
                source="issue 4 (must hold)",
                method=f"{R} replicates; every checkpoint of every regret curve",
                quantity="number of non-finite values",
                predicted=0.0,
                measured=float(bad),
                tolerance=0.0,
                tolerance_reason="exact count",
                relation="==",
                figure="extremes",
            )
        )
        bound = {
            "ucb1": lambda: float(ucb1_regret_bound(T, _extreme_means(K))),
            "exp3": lambda: float(exp3_regret_bound(T, K)),
            "tsallis_iw": lambda: float(tsallis_inf_regret_bound(T, K, "iw")),
        }[p]()
        claims.append(
            _bound_claim(
                f"bandit_extremes.{p}.bound",
                f"{p} stays below its regret bound at T = {T:.0e}, K = {K}.",
                {"ucb1": ACF2002, "exp3": LS2020, "tsallis_iw": ZS2021}[p],
                r,
                bound,
                R,
                "extremes",
            )
        )
    return claims


def _extremes_figures(config: ExtremesConfig, results: Results) -> dict:
    rows = {p: results[cell_key({"policy": p})] for p in config.policies}
    return {"extremes": _curves_figure(f"Bernoulli, K={config.K}, T={config.horizon:.0e}", rows, {})}


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
