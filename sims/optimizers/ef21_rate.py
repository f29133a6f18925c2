"""The ``ef21_rate`` sim: EF21 with the arithmetic-mean step, its weighted Lyapunov function and rate bound"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.optimizers.common import AREA, CLIENT_PROBLEMS, top_k_switch
from theory.optimizers import (
    ef21_constants,
    ef21_initial_error,
    ef21_rate_bound,
    ef21_run,
    ef21_stepsize,
    ef21w_weights,
    top_k,
)

PROBLEMS = CLIENT_PROBLEMS
COMPRESSORS = ("top_k", "switch")


@dataclass(frozen=True)
class EF21RateConfig:
    n_draws: int = 4
    n_clients: int = 10
    d: int = 20
    k: int = 2
    n_steps: int = 1000

    @classmethod
    def quick(cls) -> EF21RateConfig:
        return cls(n_draws=2, n_steps=300)

    @classmethod
    def full(cls) -> EF21RateConfig:
        return cls()


def cells(config: EF21RateConfig) -> list[Cell]:
    return [{"problem": p, "compressor": c} for p in PROBLEMS for c in COMPRESSORS]


def compute(config: EF21RateConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    k, d, T = config.k, config.d, config.n_steps
    alpha = k / d
    C = (lambda V: top_k(V, k)) if cell["compressor"] == "top_k" else top_k_switch(k)
    out = {key: [] for key in ("violation", "ratio", "w_diff", "am_over_qm")}
    for j in range(config.n_draws):
        P = PROBLEMS[cell["problem"]](rng, config.n_clients, d)
        x0 = rng.normal(size=d)
        G0 = P.grads(x0)
        g0 = G0 if j % 2 else C(G0)  # every other draw starts from the exact gradients
        gamma = ef21_stepsize(P.L, P.L_i, alpha, "AM")
        run = ef21_run(P.grads, x0, gamma, T, C, loss=P.loss, f_inf=P.f_inf, alpha=alpha, L_i=P.L_i, g0=g0)
        psi = run.lyapunov
        out["violation"].append(np.max(psi[1:] - psi[:-1] + gamma / 2 * run.grad_norm2[:-1]) / psi[0])
        bnd = ef21_rate_bound(
            P.loss(x0) - P.f_inf, gamma, T, ef21_initial_error(g0, G0, P.L_i), ef21_constants(alpha)[0]
        )
        out["ratio"].append(run.grad_norm2[:T].mean() / float(bnd))
        w_run = ef21_run(P.grads, x0, gamma, T, C, g0=g0, weights=ef21w_weights(P.L_i))
        out["w_diff"].append(np.abs(w_run.x - run.x).max() / max(1.0, np.abs(run.x).max()))
        out["am_over_qm"].append(gamma / ef21_stepsize(P.L, P.L_i, alpha, "QM"))
    return {key: np.array(v) for key, v in out.items()}


def _method(config: EF21RateConfig, problem: str, compressor: str) -> str:
    return (
        f"{config.n_draws} drawn {problem} problems, n = {config.n_clients} clients with smoothness spread over "
        f"four decades, d = {config.d}, {compressor} with k = {config.k} (alpha = {config.k / config.d:g}), "
        f"gamma = 1/(L + L_AM sqrt(beta/theta)), {config.n_steps} steps, g0 compressed or exact (alternating)"
    )


def check(config: EF21RateConfig, results: Results) -> list[Claim]:
    claims = []
    for p in PROBLEMS:
        for c in COMPRESSORS:
            r = results[cell_key({"problem": p, "compressor": c})]
            method = _method(config, p, c)
            claims += [
                bound(
                    id=f"ef21_rate.{p}.{c}.lyapunov_descent",
                    statement="With gamma <= 1/(L + L_AM sqrt(beta/theta)) the weighted Lyapunov function "
                    "Psi = f - f_inf + (gamma/(2 theta)) (1/n) sum (L_AM/L_i) ||g_i - grad f_i||^2 decreases by "
                    "at least (gamma/2) ||grad f(x_t)||^2 every step (derived here).",
                    method=method,
                    quantity="max_t (Psi_{t+1} - Psi_t + (gamma/2) ||grad f_t||^2) / Psi_0",
                    predicted=0.0,
                    measured=float(r["violation"].max()),
                    tol=Tol(1e-12, "rounding of Psi, summed terms of size Psi_0"),
                    figure="ef21_rate",
                ),
                bound(
                    id=f"ef21_rate.{p}.{c}.rate_bound",
                    statement="(1/T) sum_{t<T} ||grad f(x_t)||^2 <= 2 (f(x0) - f_inf)/(gamma T) + G_w^0/(theta T).",
                    method=method,
                    quantity="max over draws of the average squared gradient norm / the bound",
                    predicted=1.0,
                    measured=float(r["ratio"].max()),
                    tol=Tol(1e-12, "rounding"),
                    figure="ef21_rate",
                    details=f"ratios from {r['ratio'].min():.3f} to {r['ratio'].max():.3f}; gamma_AM/gamma_QM "
                    f"from {r['am_over_qm'].min():.2f} to {r['am_over_qm'].max():.2f}",
                ),
            ]
            if c == "top_k":
                claims.append(
                    bound(
                        id=f"ef21_rate.{p}.top_k.ef21w_equals_ef21",
                        statement="For a positively homogeneous compressor (Top-k) EF21-W (weights L_i / sum L_j) "
                        "and EF21 produce the same iterates.",
                        method=method,
                        quantity="max relative difference of the last iterates",
                        predicted=0.0,
                        measured=float(r["w_diff"].max()),
                        tol=Tol(
                            1e-9, "rounding accumulated over the steps (the two scale the same vectors differently)"
                        ),
                    )
                )
            else:
                claims.append(
                    negative_control(
                        id=f"ef21_rate.{p}.switch.negative_control_ef21w_equals_ef21",
                        statement="Negative control: EF21-W equals EF21 for any contractive compressor. False for "
                        "one that is not positively homogeneous (Top-(k+1) below norm 1, Top-k above).",
                        method=method,
                        quantity="max relative difference of the last iterates",
                        predicted=0.0,
                        measured=float(r["w_diff"].max()),
                        tol=Tol(1e-9, "rounding accumulated over the steps, the allowance of the Top-k comparison"),
                    )
                )
    return claims


def figures(config: EF21RateConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, (p, c) in enumerate((p, c) for p in PROBLEMS for c in COMPRESSORS):
        r = results[cell_key({"problem": p, "compressor": c})]
        ax.plot(r["am_over_qm"], r["ratio"], "o", color=f"C{i}", label=f"{p}, {c}")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="the bound")
    ax.set(
        xlabel="gamma_AM / gamma_QM (the step the arithmetic mean buys)",
        ylabel="average ||grad f||^2 / bound",
        title="EF21 with the L_AM step: the rate bound holds",
    )
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=8)
    return {"ef21_rate": fig}


CLAIMS = (
    ClaimSpec("ef21_rate.*.lyapunov_descent", "the weighted Lyapunov function decreases"),
    ClaimSpec("ef21_rate.*.rate_bound", "the L_AM rate bound holds"),
    ClaimSpec("ef21_rate.*.top_k.ef21w_equals_ef21", "EF21-W = EF21 for Top-k"),
    ClaimSpec("ef21_rate.*.switch.negative_control_ef21w_equals_ef21", "not for a non-homogeneous compressor"),
)

SIM = register(
    Sim(
        name="ef21_rate",
        area=AREA,
        description="EF21 with the arithmetic-mean step: weighted Lyapunov descent and the rate bound",
        config_cls=EF21RateConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
