"""The ``npo_vs_ga`` sim: NPO is gradient ascent on an exponentially slower clock (tabular softmax)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, shared_seed
from sims.engine.plotting import figure
from sims.preference.common import AREA
from theory.preference import tabular_unlearning_flow

BETAS = (0.25, 0.5, 1.0)
KAPPA = 2.0  # -dz/ds -> ||e_f - pi||^2 -> 1 + 1 once pi(forget) -> 0 and GA has collapsed the rest onto one response


@dataclass(frozen=True)
class NPOvsGAConfig:
    n_reps: int = 8
    n_responses: int = 6
    t_path: float = 8.0  # NPO run length for the path identity
    s_max: float = 40.0  # GA run length; the slope is fitted on [s_max / 2, s_max]

    @classmethod
    def quick(cls) -> NPOvsGAConfig:
        return cls(n_reps=2, s_max=30.0)

    @classmethod
    def full(cls) -> NPOvsGAConfig:
        return cls()


def cells(config: NPOvsGAConfig) -> list[Cell]:
    return [{"beta": b} for b in BETAS]


def compute(config: NPOvsGAConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
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


def check(config: NPOvsGAConfig, results: Results) -> list[Claim]:
    return [c for b in BETAS for c in _beta_claims(config, b, results[cell_key({"beta": b})])]


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
    return {"npo_vs_ga": fig}


CLAIMS = (
    ClaimSpec("npo_vs_ga.*.same_path", "NPO = GA path on the clock ds = W dt"),
    ClaimSpec("npo_vs_ga.*.exponentially_slower", "log T_NPO grows like 2 beta T_GA"),
    ClaimSpec("npo_vs_ga.*.npo_keeps_more_entropy", "GA collapses the remaining responses first"),
    ClaimSpec("npo_vs_ga.*.negative_control_linear_clock", "a linear clock is detected as false"),
)

SIM = register(
    Sim(
        name="npo_vs_ga",
        area=AREA,
        description="NPO follows GA's path on an exponentially slower clock (tabular softmax)",
        config_cls=NPOvsGAConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
