"""The ``ef21_step_gain`` sim: the arithmetic-mean step is larger and converges faster; a step far above the theory
diverges"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.optimizers.common import AREA, CLIENT_PROBLEMS
from theory.optimizers import EF21Path, ef21_run, ef21_stepsize, top_k

PROBLEMS = CLIENT_PROBLEMS
# steps until ||grad f||^2 <= TARGET ||grad f(x0)||^2 (the logistic problems are worse conditioned: l2 = 1e-2)
TARGET = {"quadratic": 1e-6, "logistic": 1e-3}


@dataclass(frozen=True)
class EF21StepGainConfig:
    n_draws: int = 3
    n_clients: int = 10
    d: int = 20
    k: int = 2
    max_steps: int = 4000

    @classmethod
    def quick(cls) -> EF21StepGainConfig:
        return cls(n_draws=2)  # the full step budget: fewer steps leave the logistic target unreached

    @classmethod
    def full(cls) -> EF21StepGainConfig:
        return cls()


def cells(config: EF21StepGainConfig) -> list[Cell]:
    return [{"problem": p} for p in PROBLEMS]


def _steps_to_target(run: EF21Path, target: float) -> float:
    hit = np.nonzero(run.grad_norm2 <= target * run.grad_norm2[0])[0]
    return float(hit[0]) if hit.size else np.inf


def compute(config: EF21StepGainConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    alpha = config.k / config.d

    def C(V: np.ndarray) -> np.ndarray:
        return top_k(V, config.k)

    out = {key: [] for key in ("steps_am", "steps_qm", "gain", "diverged")}
    for _ in range(config.n_draws):
        P = PROBLEMS[cell["problem"]](rng, config.n_clients, config.d)
        x0 = rng.normal(size=config.d)
        g_am, g_qm = ef21_stepsize(P.L, P.L_i, alpha, "AM"), ef21_stepsize(P.L, P.L_i, alpha, "QM")
        target = TARGET[cell["problem"]]
        out["steps_am"].append(_steps_to_target(ef21_run(P.grads, x0, g_am, config.max_steps, C), target))
        out["steps_qm"].append(_steps_to_target(ef21_run(P.grads, x0, g_qm, config.max_steps, C), target))
        out["gain"].append(g_am / g_qm)
        try:  # 5/L: beyond gradient descent's own stability limit 2/L (it overflows well within 2000 steps)
            ef21_run(P.grads, x0, 5.0 / P.L, 2000, C)
            out["diverged"].append(0.0)
        except ValueError:
            out["diverged"].append(1.0)
    return {key: np.array(v) for key, v in out.items()}


def check(config: EF21StepGainConfig, results: Results) -> list[Claim]:
    claims = []
    for p in PROBLEMS:
        r = results[cell_key({"problem": p})]
        method = (
            f"{config.n_draws} drawn {p} problems (n = {config.n_clients}, d = {config.d}, Top-{config.k}); "
            f"steps until ||grad f||^2 <= {TARGET[p]:g} ||grad f(x0)||^2, at most {config.max_steps}"
        )
        claims += [
            bound(
                id=f"ef21_step_gain.{p}.am_no_slower",
                statement="EF21 with the arithmetic-mean step 1/(L + L_AM sqrt(beta/theta)) reaches the target in no "
                "more steps than with the quadratic-mean step (L_AM <= L_QM: the step is larger).",
                method=method,
                quantity="max over draws of steps(AM) / steps(QM)",
                predicted=1.0,
                # a QM run that misses the target within the run counts as max_steps + 1 (a conservative ratio); an
                # AM run that misses it makes the ratio inf (a FAIL)
                measured=float(np.max(r["steps_am"] / np.minimum(r["steps_qm"], config.max_steps + 1))),
                tol=Tol(0.0, "a strict comparison of counts"),
                figure="ef21_step_gain",
                details=f"steps(QM)/steps(AM) from {np.min(r['steps_qm'] / r['steps_am']):.2f} to "
                f"{np.max(r['steps_qm'] / r['steps_am']):.2f}; gamma_AM/gamma_QM from {r['gain'].min():.2f} to "
                f"{r['gain'].max():.2f}",
            ),
        ]
        if p == "quadratic":
            claims.append(
                negative_control(
                    id="ef21_step_gain.quadratic.negative_control_huge_step",
                    statement="Negative control: EF21 also converges with the step 5/L (beyond gradient descent's "
                    "2/L). False: it diverges.",
                    method=method,
                    quantity="draws that diverge (overflow) within the run",
                    predicted=0.0,
                    measured=float(r["diverged"].sum()),
                    relation="==",
                    tol=Tol(0.0, "exact count"),
                )
            )
    return claims


def figures(config: EF21StepGainConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, p in enumerate(PROBLEMS):
        r = results[cell_key({"problem": p})]
        ax.plot(r["gain"], r["steps_qm"] / r["steps_am"], "o", color=f"C{i}", label=p)
    lim = max(float(results[cell_key({"problem": p})]["gain"].max()) for p in PROBLEMS) * 1.1
    ax.plot([1, lim], [1, lim], "k--", lw=1, label="speed-up = step ratio")
    ax.set(xlabel="gamma_AM / gamma_QM", ylabel="steps(QM) / steps(AM)", title="The L_AM step converges faster")
    ax.legend(fontsize=8)
    return {"ef21_step_gain": fig}


CLAIMS = (
    ClaimSpec("ef21_step_gain.*.am_no_slower", "the AM step is no slower"),
    ClaimSpec("ef21_step_gain.quadratic.negative_control_huge_step", "a step of 5/L diverges"),
)

SIM = register(
    Sim(
        name="ef21_step_gain",
        area=AREA,
        description="The arithmetic-mean step against the quadratic-mean one; a step far above theory diverges",
        config_cls=EF21StepGainConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
