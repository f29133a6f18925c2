"""The ``comp_sum_bounded`` sim: score-bounded hypothesis sets H_Lambda = {||h||_inf <= Lambda}"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.hconsistency.common import AREA, BOX_TOL, conservative_inverse
from theory.hconsistency import (
    box_pointwise_infimum,
    comp_sum_bound,
    comp_sum_loss,
    comp_sum_transform,
    tight_transform,
)


@dataclass(frozen=True)
class CompSumBoundedConfig:
    cases: tuple[tuple[float, int, float], ...] = (
        (0.0, 2, 0.5),
        (0.0, 2, 1.0),
        (0.0, 2, 2.0),
        (1.0, 2, 0.5),
        (1.0, 2, 1.0),
        (1.0, 2, 2.0),
        (1.0, 3, 0.5),
        (1.0, 3, 2.0),
    )
    n_grid: int = 12
    n_grid_multi: int = 6
    n_dists: int = 40
    n_hyp: int = 25
    support: int = 6

    @classmethod
    def quick(cls) -> CompSumBoundedConfig:
        return cls(cases=((1.0, 2, 0.5), (1.0, 2, 2.0), (0.0, 2, 1.0)), n_grid=8, n_dists=10, n_hyp=10)

    @classmethod
    def full(cls) -> CompSumBoundedConfig:
        return cls()


def cells(config: CompSumBoundedConfig) -> list[Cell]:
    return [{"tau": tau, "n": n, "Lambda": lam} for tau, n, lam in config.cases]


def compute(config: CompSumBoundedConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    tau, n, lam = float(cell["tau"]), int(cell["n"]), float(cell["Lambda"])
    rng = np.random.default_rng(seed)
    k = config.n_grid if n == 2 else config.n_grid_multi
    t = np.linspace(1.0 / k, 1.0, k)
    tt = tight_transform(tau, n, t, n_starts=0, score_bound=lam, seed=rng.integers(2**32))
    lhs, arg = [], []
    for _ in range(config.n_dists):  # random distributions and random bounded scoring functions
        px = rng.dirichlet(np.ones(config.support))
        py = rng.dirichlet(np.full(n, 0.5), size=config.support)
        inf_box = np.array([box_pointwise_infimum(tau, p, lam, rng) for p in py])
        best01 = px @ (1 - py.max(1))
        for _ in range(config.n_hyp):
            h = rng.uniform(-lam, lam, size=(config.support, n))
            r01 = px @ (1 - np.take_along_axis(py, np.argmax(h, 1)[:, None], 1)[:, 0])
            rl = px @ np.sum(py * comp_sum_loss(h[:, None, :], np.arange(n), tau), axis=1)
            lhs.append(r01 - best01)
            arg.append(max(rl - px @ inf_box, 0.0))
    # the certificates themselves, as one-point distributions: 0-1 excess t, surrogate excess T*_Lambda(t)
    lhs += list(tt.t_certificate)
    arg += list(np.maximum(tt.value, 0.0))
    return {"t": tt.t_certificate, "value": tt.value, "lhs": np.array(lhs), "arg": np.array(arg)}


def check(config: CompSumBoundedConfig, results: Results) -> list[Claim]:
    claims = []
    complete_gap = []
    for c in cells(config):
        r = results[cell_key(c)]
        tau, n, lam = c["tau"], c["n"], c["Lambda"]
        slack = r["lhs"] - conservative_inverse(r["t"], r["value"], r["arg"])
        complete = r["lhs"] - comp_sum_bound(r["arg"], tau, n)
        complete_gap.append(float(complete.max()))
        zero = r["t"][r["value"] <= 1e-9]
        tag = f"tau={tau:g}.n={n}.Lambda={lam:g}"
        claims.append(
            bound(
                id=f"comp_sum_bounded.{tag}.bound_holds",
                statement=f"For H_Lambda (||h||_inf <= {lam:g}), the excess 0-1 risk is at most "
                "Gamma_Lambda(surrogate excess), Gamma_Lambda from the numerical Lambda-dependent tightest "
                "transformation (tight_transform with score_bound).",
                method=f"{len(r['lhs'])} bounded scoring functions: random ones on {config.n_dists} random "
                f"{config.support}-point distributions, and the transformation's certificates; conservative "
                "convex minorant of T*_Lambda",
                quantity="max_h [excess 0-1 - Gamma_Lambda(excess surrogate)]",
                predicted=0.0,
                measured=float(slack.max()),
                tol=BOX_TOL,
                figure="bounded",
            )
        )
        claims.append(
            Claim.observation(
                id=f"comp_sum_bounded.{tag}.transformation",
                statement="Observation: the Lambda-dependent tightest transformation against the complete-class one.",
                method="tight_transform(score_bound=Lambda)",
                quantity="max_t (T_complete(t) - T*_Lambda(t))",
                measured=float(np.max(comp_sum_transform(r["t"], tau, n) - r["value"])),
                figure="bounded",
                details=f"T*_Lambda = 0 (no calibration) for t <= {zero.max() if zero.size else 0:.3g}; "
                f"complete-class Gamma on this class: max excess {float(complete.max()):.4g}",
            )
        )
    claims.append(
        negative_control(
            id="comp_sum_bounded.negative_control_complete_transformation",
            statement="Negative control (violated assumption): the complete-class transformation used for "
            "score-bounded classes. The completeness assumption fails; the check must find hypotheses that violate it.",
            method="same hypotheses as the bound_holds claims",
            quantity="max over cases and h of [excess 0-1 - Gamma_complete(excess surrogate)]",
            predicted=0.0,
            measured=float(max(complete_gap)),
            tol=BOX_TOL,
            figure="bounded",
        )
    )
    return claims


def figures(config: CompSumBoundedConfig, results: Results) -> dict:
    fig, (ax, ax2) = figure(1, 2)
    tt = np.linspace(0, 1, 200)
    for i, c in enumerate(cells(config)):
        r = results[cell_key(c)]
        o = np.argsort(r["t"])
        label = f"τ={c['tau']:g}, n={c['n']}, Λ={c['Lambda']:g}"
        ax.plot(r["t"][o], r["value"][o], "o-", ms=3, color=f"C{i}", label=label)
        ax2.plot(r["arg"], r["lhs"], ".", ms=2, color=f"C{i}", alpha=0.5)
        e = np.linspace(0, max(float(r["arg"].max()), 1e-3), 200)
        ax2.plot(e, conservative_inverse(r["t"], r["value"], e), "-", color=f"C{i}", lw=1)
    for tau in sorted({c[0] for c in config.cases}):
        ax.plot(tt, comp_sum_transform(tt, tau, 2), "k--", lw=1)
    ax.set(
        xlabel="conditional 0-1 regret t",
        ylabel="T*_Λ(t)",
        title="Λ-dependent tightest transformations (dashed: complete class, n=2)",
    )
    ax.legend(fontsize=8)
    ax2.set(
        xlabel="surrogate excess (relative to the box infimum)",
        ylabel="0-1 excess",
        title="Bound on H_Λ: points below their curve Γ_Λ",
    )
    return {"bounded": fig}


CLAIMS = (
    ClaimSpec("comp_sum_bounded.*.bound_holds", "bound with the Lambda-dependent transformation"),
    ClaimSpec("comp_sum_bounded.*.transformation", "observation"),
    ClaimSpec("comp_sum_bounded.negative_control_complete_transformation", "completeness assumption"),
)

SIM = register(
    Sim(
        name="comp_sum_bounded",
        area=AREA,
        description="Lambda-dependent transformations for score-bounded classes, and the bound they give",
        config_cls=CompSumBoundedConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
