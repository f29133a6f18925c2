"""The ``npo_vs_ga`` sim: NPO is gradient ascent on an exponentially slower clock (tabular softmax); on a logistic
model GA's distance from the start grows linearly and NPO's logarithmically (Theorem 2's setting)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, shared_seed
from sims.engine.plotting import figure
from sims.preference.common import AREA
from theory.preference import logistic_unlearning_run, tabular_unlearning_flow

BETAS = (0.25, 0.5, 1.0)
KAPPA = 2.0  # -dz/ds -> ||e_f - pi||^2 -> 1 + 1 once pi(forget) -> 0 and GA has collapsed the rest onto one response


@dataclass(frozen=True)
class NPOvsGAConfig:
    n_reps: int = 8
    n_responses: int = 6
    t_path: float = 8.0  # NPO run length for the path identity
    s_max: float = 40.0  # GA run length; the slope is fitted on [s_max / 2, s_max]
    n_forget: int = 5  # logistic: forget points per replicate
    d: int = 100  # and their dimension (near-orthogonal draws)
    c0: float = 0.9  # Theorem 2's max |<x_i, x_j>| <= c0 / n_forget, met by rejection
    eta: float = 0.5
    npo_steps: int = 100_000
    ga_steps: int = 2000

    @classmethod
    def quick(cls) -> NPOvsGAConfig:
        return cls(n_reps=2, s_max=30.0, npo_steps=10_000)

    @classmethod
    def full(cls) -> NPOvsGAConfig:
        return cls()


def cells(config: NPOvsGAConfig) -> list[Cell]:
    logistic = [{"model": "logistic", "method": "npo", "beta": b} for b in BETAS]
    return [{"beta": b} for b in BETAS] + [{"model": "logistic", "method": "ga"}, *logistic]


def compute(config: NPOvsGAConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell.get("model") == "logistic":
        return _logistic(config, cell, seed)
    beta = float(cell["beta"])
    rng = np.random.default_rng(shared_seed(seed, "npo_vs_ga_logits"))  # the same policies for every beta
    th0 = rng.normal(size=(config.n_reps, config.n_responses))
    t = np.linspace(0.0, config.t_path, 33)
    npo = tabular_unlearning_flow(th0, 0, t, "npo", beta=beta)
    # GA at the GA times the NPO run reached: the two paths must coincide there, and the NPO clock a GA run
    # carries must be the NPO run's own time
    s_hit = np.unique(npo.other_clock.ravel())
    ga_at = tabular_unlearning_flow(th0, 0, s_hit, "ga", beta=beta)
    idx = np.searchsorted(s_hit, npo.other_clock)
    rows = np.arange(config.n_reps)[:, None]
    s = np.linspace(0.0, config.s_max, 161)
    ga = tabular_unlearning_flow(th0, 0, s, "ga", beta=beta)
    npo_same_time = tabular_unlearning_flow(th0, 0, np.array([0.0, config.s_max]), "npo", beta=beta)
    return {
        "path_diff": np.abs(npo.logits - ga_at.logits[rows, idx]).max(axis=(1, 2)),
        "clock_diff": np.abs(ga_at.other_clock[rows, idx] - t).max(axis=1),
        "s": s,
        "z_ga": ga.log_ratio,
        "t_npo": ga.other_clock,
        "entropy_ga": ga.remaining_entropy,
        "entropy_npo_end": npo_same_time.remaining_entropy[:, -1],
        "t": t,
        "z_npo": npo.log_ratio,
    }


def forget_sets(rng: np.random.Generator, config: NPOvsGAConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drawn (X, y, theta_init): unit-norm Gaussian forget points redrawn until max_{i != j} |<x_i, x_j>| <= c0/n_f
    (Theorem 2's assumption), labels +-1 at random, theta_init ~ N(0, I/4) (the reference model)."""
    n, d = config.n_forget, config.d
    X = np.empty((config.n_reps, n, d))
    for r in range(config.n_reps):
        while True:
            x = rng.normal(size=(n, d))
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            if np.abs(x @ x.T - np.eye(n)).max() <= config.c0 / n:
                break
        X[r] = x
    return X, rng.choice([-1.0, 1.0], (config.n_reps, n)), rng.normal(size=(config.n_reps, d)) * 0.5


def _logistic(config: NPOvsGAConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    X, y, th0 = forget_sets(np.random.default_rng(shared_seed(seed, "npo_vs_ga_forget_sets")), config)
    G = np.einsum("rn,rnd,rmd,rm->rnm", y, X, X, y)  # y_i y_j <x_i, x_j>
    if cell["method"] == "ga":
        T, h = config.ga_steps, config.ga_steps // 4
        grid, late = np.r_[0, np.geomspace(1, T, 30)].round(), np.array([T - 2 * h, T - h, T])
        rec = np.sort(np.r_[grid, late])  # one run records both the figure's grid and the three late steps
        run = logistic_unlearning_run(X, y, th0, config.eta, T, "ga", record=rec)
        # once every sigmoid(-z_i) is 1 to rounding, z - z0 = a + b t exactly, so dist^2 is quadratic in t with
        # leading coefficient ||b||^2: its second difference gives the slope without the norm's curvature
        late = run.distance[:, np.searchsorted(rec, late)] ** 2
        return {
            "steps": grid,
            "distance": run.distance[:, np.searchsorted(rec, grid)],
            "slope": np.sqrt((late[:, 2] - 2 * late[:, 1] + late[:, 0]) / (2.0 * h * h)) / config.eta,
            "predicted_slope": np.linalg.norm(G.sum(axis=2), axis=1) / config.n_forget,  # ||X X' y|| / n_f
            "c0": config.n_forget * np.abs(G - np.eye(config.n_forget)).max(axis=(1, 2)),
            "min_g_inv_1": np.linalg.solve(G, np.ones(G.shape[:2])[..., None])[..., 0].min(axis=1),
        }
    T = config.npo_steps
    decades = T // 100, T // 10, T  # the last two decades of the run
    rec = np.unique(np.r_[0, np.geomspace(1, T, 41).round(), decades])
    run = logistic_unlearning_run(X, y, th0, config.eta, T, "npo", beta=float(cell["beta"]), record=rec)
    at = run.distance[:, np.searchsorted(run.steps, decades)]
    return {
        "steps": run.steps.astype(float),
        "distance": run.distance,
        "last_decade": at[:, 2] - at[:, 1],
        "previous_decade": at[:, 1] - at[:, 0],
    }


def _beta_claims(config: NPOvsGAConfig, beta: float, r: Arrays) -> list[Claim]:
    s = r["s"]
    w = s >= config.s_max / 2
    slopes = np.array([np.polyfit(s[w], np.log(tt[w]), 1)[0] for tt in r["t_npo"]])
    kappa = -np.gradient(r["z_ga"], s, axis=1)[:, w]
    n = len(slopes)
    method = (
        f"{n} tabular softmax policies over {r['z_ga'].shape[0] and r['entropy_ga'].shape[0]} replicates, "
        f"K = {config.n_responses}, logits N(0, 1), one forget response; scipy DOP853 at rtol 1e-10"
    )
    return [
        equality(
            id=f"npo_vs_ga.beta={beta:g}.same_path",
            statement="The NPO gradient flow follows the GA path on the clock ds = W dt (the NPO gradient is W "
            "times GA's), and a GA run's integral of 1/W is the NPO run's own time.",
            method=f"{method}; NPO to t = {config.t_path:g}, GA evaluated at the GA times NPO reached",
            quantity="max |theta_NPO(t) - theta_GA(s(t))| and max |t_from_GA - t| (the larger)",
            predicted=0.0,
            measured=float(max(r["path_diff"].max(), r["clock_diff"].max())),
            tol=Tol(1e-6, "two ODE solves at rtol 1e-10, atol 1e-12 over a few time units"),
            figure="npo_vs_ga",
        ),
        equality(
            id=f"npo_vs_ga.beta={beta:g}.exponentially_slower",
            statement="NPO's time to reach the GA path's point at GA time s grows like exp(beta kappa s) with "
            f"kappa = {KAPPA:g} (derived: -dz/ds -> ||e_f - pi||^2 -> 2, W ~ 2 exp(beta z)): the slope of log T_NPO "
            "in T_GA is 2 beta.",
            method=f"{method}; GA to s = {config.s_max:g}, slope fitted on s in [{config.s_max / 2:g}, "
            f"{config.s_max:g}], per replicate",
            quantity="slope of log T_NPO in T_GA (the replicate furthest from 2 beta)",
            predicted=KAPPA * beta,
            measured=float(slopes[np.argmax(np.abs(slopes - KAPPA * beta))]),
            tol=Tol(
                0.005 * KAPPA * beta,
                "0.5% of 2 beta: kappa(s) >= 1.996 on the window and the GA-time part "
                "of T_NPO is below 0.1% of it there",
            ),
            figure="npo_vs_ga",
            details=f"kappa on the window in [{kappa.min():.4f}, {kappa.max():.4f}]",
        ),
        bound(
            id=f"npo_vs_ga.beta={beta:g}.npo_keeps_more_entropy",
            statement="At equal flow time GA has collapsed the remaining responses onto one (entropy -> 0) while NPO "
            "still spreads them: its remaining entropy is larger.",
            method=f"{method}; both at time {config.s_max:g}",
            quantity="min over replicates of H_NPO - H_GA (remaining responses, nats)",
            predicted=0.0,
            measured=float(np.min(r["entropy_npo_end"] - r["entropy_ga"][:, -1])),
            relation=">=",
            tol=Tol(0.0, "a strict comparison"),
            details=f"GA's remaining entropy at s = {config.s_max:g}: at most {r['entropy_ga'][:, -1].max():.2g} "
            f"(from at least {r['entropy_ga'][:, 0].min():.3g})",
        ),
        negative_control(
            id=f"npo_vs_ga.beta={beta:g}.negative_control_linear_clock",
            statement="Negative control: NPO reaches a divergence at most twice as late as GA (a linear clock, "
            "W >= 1/2). False: W -> 0.",
            method=method,
            quantity="min over replicates of T_NPO / T_GA at the largest divergence",
            predicted=2.0,
            measured=float(np.min(r["t_npo"][:, -1] / s[-1])),
            tol=Tol(0.0, "a strict comparison"),
        ),
    ]


def _logistic_method(config: NPOvsGAConfig, ga: Arrays, what: str) -> str:
    return (
        f"{config.n_reps} drawn forget sets: n_f = {config.n_forget} unit-norm Gaussian points in d = {config.d} with "
        f"max |<x_i, x_j>| <= {config.c0:g}/n_f (realised C0 up to {ga['c0'].max():.3f}), labels +-1, theta_init ~ "
        f"N(0, I/4) as the reference; eta = {config.eta:g}, {what}"
    )


def _logistic_claims(config: NPOvsGAConfig, results: Results) -> list[Claim]:
    ga = results[cell_key({"model": "logistic", "method": "ga"})]
    T = config.ga_steps
    claims = [
        equality(
            id="npo_vs_ga.logistic.ga_linear_rate",
            statement="Under GA the distance ||theta_t - theta_init||_{X'X} grows linearly in eta t (Theorem 2, as "
            "restated), with slope ||X X' y|| / n_f (derived: every sigmoid(-z_i) -> 1).",
            method=_logistic_method(
                config,
                ga,
                f"GA for {T} steps; slope from the second difference of the squared distance at steps "
                f"{T // 2}, {3 * T // 4}, {T}",
            ),
            quantity="max over replicates of |slope / (||X X' y|| / n_f) - 1|",
            predicted=0.0,
            measured=float(np.abs(ga["slope"] / ga["predicted_slope"] - 1.0).max()),
            tol=Tol(1e-9, f"sigmoid(-z_i) = 1 - O(exp(-eta t / n_f)) is 1 to rounding after {T // 2} steps"),
            details=f"min over replicates of min(G^-1 1): {ga['min_g_inv_1'].min():.3f} (> 0: the NPO balance exists)",
            figure="npo_vs_ga_logistic",
        )
    ]
    for b in BETAS:
        r = results[cell_key({"model": "logistic", "method": "npo", "beta": b})]
        per_decade = np.sqrt(config.n_forget) * np.log(10.0) / b
        T = config.npo_steps
        method = _logistic_method(config, ga, f"NPO with beta = {b:g} for {T} steps")
        claims += [
            equality(
                id=f"npo_vs_ga.logistic.beta={b:g}.npo_log_rate",
                statement="Under NPO (eta <= 1) the distance grows logarithmically in t (Theorem 2, as restated), by "
                "sqrt(n_f) ln(10) / beta per decade (derived: W_j ~ a_j / t with G a = n_f / (beta eta) 1).",
                method=f"{method}; the increase over steps {T // 10} to {T}",
                quantity="max over replicates of the last decade's increase / (sqrt(n_f) ln 10 / beta) - 1, in "
                "absolute value",
                predicted=0.0,
                measured=float(np.abs(r["last_decade"] / per_decade - 1.0).max()),
                tol=Tol(
                    float(np.abs((r["previous_decade"] - r["last_decade"]) / per_decade).max()),
                    "the change from the decade before (the increase converges from above, each decade's error a "
                    "fraction of the one before), relative",
                ),
                figure="npo_vs_ga_logistic",
            ),
            negative_control(
                id=f"npo_vs_ga.logistic.beta={b:g}.negative_control_npo_linear",
                statement="Negative control: NPO's distance grows linearly like GA's. False: it grows by a constant "
                "per decade.",
                method=f"{method}; the increase over steps {T // 10} to {T}",
                quantity="min over replicates of the last decade's increase / (GA's slope x eta x the decade's steps)",
                predicted=1.0,
                measured=float(np.min(r["last_decade"] / (ga["predicted_slope"] * config.eta * (T - T // 10)))),
                relation=">=",
                tol=Tol(0.5, "half of GA's linear growth"),
            ),
        ]
    return claims


def check(config: NPOvsGAConfig, results: Results) -> list[Claim]:
    tabular = [c for b in BETAS for c in _beta_claims(config, b, results[cell_key({"beta": b})])]
    return tabular + _logistic_claims(config, results)


def figures(config: NPOvsGAConfig, results: Results) -> dict:
    fig, (ax, ax2) = figure(1, 2, figsize=(11, 4))
    r0 = results[cell_key({"beta": BETAS[0]})]
    ax.plot(r0["s"], -r0["z_ga"][0], "k-", lw=2, label="GA")
    for i, b in enumerate(BETAS):
        r = results[cell_key({"beta": b})]
        ax.plot(r["t_npo"][0], -r["z_ga"][0], "-", color=f"C{i}", label=f"NPO, beta = {b:g}")
        ax2.semilogy(r["s"], r["t_npo"].T, "-", color=f"C{i}", lw=0.8)
        ax2.semilogy(
            r["s"],
            np.exp(KAPPA * b * r["s"]) / (2 * KAPPA * b),
            "--",
            color=f"C{i}",
            label=f"exp(2 beta s) / (4 beta), beta = {b:g}",
        )
    ax.set_xscale("log")
    ax.set(
        xlabel="flow time (log)",
        ylabel="divergence -log(pi/pi_ref) of the forget response",
        title="Same path, slower clock",
    )
    ax.legend(fontsize=8)
    ax2.set(
        xlabel="GA time to reach the divergence",
        ylabel="NPO time to reach it",
        title="NPO's time grows like exp(2 beta T_GA)",
    )
    ax2.legend(fontsize=7)
    return {"npo_vs_ga": fig, "npo_vs_ga_logistic": _logistic_figure(config, results)}


def _logistic_figure(config: NPOvsGAConfig, results: Results) -> object:
    fig, ax = figure()
    ga = results[cell_key({"model": "logistic", "method": "ga"})]
    ok = ga["steps"] > 0
    ax.semilogx(ga["steps"][ok], ga["distance"][:, ok].T, "k-", lw=0.8)
    ax.plot([], [], "k-", label="GA (linear in t)")
    for i, b in enumerate(BETAS):
        r = results[cell_key({"model": "logistic", "method": "npo", "beta": b})]
        ok = r["steps"] > 0
        ax.semilogx(r["steps"][ok], r["distance"][:, ok].T, "-", color=f"C{i}", lw=0.8)
        ax.plot(
            [],
            [],
            "-",
            color=f"C{i}",
            label=f"NPO, beta = {b:g}: sqrt(n_f) ln 10 / beta = "
            f"{np.sqrt(config.n_forget) * np.log(10) / b:.3g} per decade",
        )
    top = max(float(results[cell_key({"model": "logistic", "method": "npo", "beta": BETAS[0]})]["distance"].max()), 1.0)
    ax.set(
        xlabel="step t (log)",
        ylabel="||theta_t - theta_init||_{X'X}",
        ylim=(0, 1.3 * top),
        title="Logistic unlearning: GA runs away, NPO creeps (straight lines on a log axis)",
    )
    ax.legend(fontsize=8, loc="upper left")
    return fig


CLAIMS = (
    ClaimSpec("npo_vs_ga.*.same_path", "NPO = GA path on the clock ds = W dt"),
    ClaimSpec("npo_vs_ga.*.exponentially_slower", "log T_NPO grows like 2 beta T_GA"),
    ClaimSpec("npo_vs_ga.*.npo_keeps_more_entropy", "GA collapses the remaining responses first"),
    ClaimSpec("npo_vs_ga.*.negative_control_linear_clock", "a linear clock is detected as false"),
    ClaimSpec("npo_vs_ga.logistic.ga_linear_rate", "GA's distance grows linearly, slope ||X X'y|| / n_f"),
    ClaimSpec("npo_vs_ga.logistic.*.npo_log_rate", "NPO's distance grows by sqrt(n_f) ln 10 / beta per decade"),
    ClaimSpec("npo_vs_ga.logistic.*.negative_control_npo_linear", "NPO's growth is not linear"),
)

SIM = register(
    Sim(
        name="npo_vs_ga",
        area=AREA,
        description="NPO follows GA's path on an exponentially slower clock (tabular softmax); logistic: GA's "
        "distance grows linearly, NPO's logarithmically",
        config_cls=NPOvsGAConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
