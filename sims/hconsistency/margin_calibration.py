"""The ``margin_calibration`` sim."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.hconsistency.common import AREA, numerical_conditional_infima
from theory.hconsistency import (
    MARGIN_LOSSES,
    conditional_margin_risk,
    margin_calibration,
)

# Tolerance for closed form vs numerical infimum, per value of t. Error budget: truncating the scores to
# |a| <= 40 costs at most e^-40 ~ 4e-18 (exponential/logistic tails, tanh(40) == 1 in float); Brent's
# xatol of 1e-11 costs at most sup|dC/da| * 1e-11 <= 2e-11 on the refined bracket (|dC/da| <= 2 there for
# every loss at its minimiser's neighbourhood); loss evaluation error ~1e-15. 1e-9 covers this by 50x.
PSI_TOL = 1e-9


PSI_TOL_REASON = (
    "numerical infimum error budget: score truncation |a|<=40 (<=4e-18) + Brent xatol 1e-11 times "
    "|dC/da|<=2 (<=2e-11) + float evaluation (~1e-15); 1e-9 leaves 50x headroom"
)


@dataclass(frozen=True)
class MarginCalibrationConfig:
    losses: tuple[str, ...] = MARGIN_LOSSES
    n_grid: int = 201  # evenly spaced t in [0, 1]
    n_random: int = 300  # t drawn uniformly at random
    a_max: float = 40.0
    n_a: int = 8001
    n_pairs: int = 2000  # random (distribution, scoring function) pairs for the bound check
    support: int = 8  # points in each random finite distribution

    @classmethod
    def quick(cls) -> MarginCalibrationConfig:
        return cls(n_grid=21, n_random=20, n_a=2001, n_pairs=100)

    @classmethod
    def full(cls) -> MarginCalibrationConfig:
        return cls()


def cells(config: MarginCalibrationConfig) -> list[Cell]:
    return [{"loss": loss} for loss in config.losses]


def compute(config: MarginCalibrationConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    loss = cell["loss"]
    rng = np.random.default_rng(seed)
    t = np.concatenate([np.linspace(0.0, 1.0, config.n_grid), rng.uniform(0.0, 1.0, config.n_random)])
    inf_all, a_all, inf_wrong, a_wrong = numerical_conditional_infima(loss, (1.0 + t) / 2.0, config.a_max, config.n_a)
    # Random finite distributions (support points with random weights and random eta(x)) and random
    # scoring functions h(x) = scale * N(0, 1): the excess risks the bound speaks about.
    m = config.support
    px = rng.dirichlet(np.ones(m), size=config.n_pairs)
    eta = rng.uniform(0.0, 1.0, size=(config.n_pairs, m))
    scale = 10.0 ** rng.uniform(-2, 1, size=(config.n_pairs, 1))
    h = scale * rng.standard_normal((config.n_pairs, m))
    inf_eta, _ = numerical_conditional_infima(loss, eta.ravel(), config.a_max, config.n_a, wrong_side=False)
    cond_surr = conditional_margin_risk(loss, eta, h) - inf_eta.reshape(eta.shape)
    wrong = np.where(eta >= 0.5, h <= 0, h > 0)
    excess_01 = np.sum(px * np.abs(2 * eta - 1) * wrong, axis=1)
    excess_surr = np.sum(px * np.maximum(cond_surr, 0.0), axis=1)
    return {
        "t": t,
        "psi_numeric": inf_wrong - inf_all,
        "inf_all": inf_all,
        "argmin_all": a_all,
        "inf_wrong": inf_wrong,
        "argmin_wrong": a_wrong,
        "excess_01": excess_01,
        "excess_surrogate": excess_surr,
    }


def check(config: MarginCalibrationConfig, results: Results) -> list[Claim]:
    claims = []
    for loss in config.losses:
        r = results[cell_key({"loss": loss})]
        diff = np.abs(margin_calibration(loss, r["t"]) - r["psi_numeric"])
        worst = int(np.argmax(diff))
        claims.append(
            equality(
                id=f"margin_calibration.{loss}.closed_form",
                statement=f"The calibration function of the {loss} loss is the closed form "
                "margin_calibration(loss, t) for every t in [0, 1].",
                method=f"numerical infimum of the conditional regret at {len(r['t'])} values of t "
                f"({config.n_grid} grid + {config.n_random} random): {config.n_a}-point score grid + Brent",
                quantity="max_t |psi_closed(t) - psi_numeric(t)|",
                predicted=0.0,
                measured=float(diff.max()),
                tol=Tol(PSI_TOL, PSI_TOL_REASON),
                figure="psi",
                details=f"worst at t = {r['t'][worst]:.6g}; certificate: wrong-side minimiser a = "
                f"{r['argmin_wrong'][worst]:.6g}, overall minimiser a = {r['argmin_all'][worst]:.6g}",
            )
        )
        # psi is convex here, so Jensen gives psi(R01 excess) <= surrogate excess for any h
        gap = margin_calibration(loss, r["excess_01"]) - r["excess_surrogate"]
        claims.append(
            bound(
                id=f"margin_calibration.{loss}.excess_risk_bound",
                statement=f"psi(R_01(h) - R*_01) <= R_phi(h) - R*_phi for the {loss} loss, on random "
                "finite distributions and random scoring functions.",
                method=f"{config.n_pairs} random (distribution, h) pairs, {config.support}-point support; "
                "R*_phi from the numerical infimum",
                quantity="max over pairs of psi(excess 0-1) - excess surrogate",
                predicted=0.0,
                measured=float(gap.max()),
                tol=Tol(PSI_TOL, "numerical infimum error (as for the closed-form claim)"),
                figure="bound",
            )
        )
    if "logistic" in config.losses:
        r = results[cell_key({"loss": "logistic"})]
        wrong = r["t"] - r["psi_numeric"]
        claims.append(
            negative_control(
                id="margin_calibration.negative_control.logistic_psi_is_t",
                statement="Negative control: psi(t) = t (the hinge form) as calibration function of the "
                "logistic loss. It is false; the check must detect it.",
                method="same numerical infimum as the closed-form claim",
                quantity="max_t (t - psi_numeric_logistic(t))",
                predicted=0.0,
                measured=float(wrong.max()),
                tol=Tol(PSI_TOL, PSI_TOL_REASON),
                figure="psi",
            )
        )
    return claims


def figures(config: MarginCalibrationConfig, results: Results) -> dict:
    fig, (ax, ax2) = figure(1, 2)
    tt = np.linspace(0, 1, 400)
    for i, loss in enumerate(config.losses):
        r = results[cell_key({"loss": loss})]
        colour = f"C{i}"
        ax.plot(tt, margin_calibration(loss, tt), color=colour, label=loss)
        order = np.argsort(r["t"])
        ax.plot(r["t"][order][::4], r["psi_numeric"][order][::4], "o", ms=3, color=colour, mfc="none")
        diff = np.abs(margin_calibration(loss, r["t"]) - r["psi_numeric"])
        ax2.semilogy(r["t"][order], np.maximum(diff[order], 1e-18), ".", ms=3, color=colour)
    ax.set(
        xlabel="conditional 0-1 regret t = |2η − 1|",
        ylabel="ψ(t)  (surrogate regret, nats)",
        title="Calibration functions: closed form (lines) vs numerical infimum (circles)",
    )
    ax.legend(ncols=2)
    ax2.axhline(PSI_TOL, color="k", ls="--", lw=1, label="tolerance")
    ax2.set(
        xlabel="t",
        ylabel="|ψ_closed − ψ_numeric|  (floored at 1e-18)",
        title="Agreement",
        ylim=(1e-19, 1e-6),
    )
    ax2.legend()

    fig2, bx = figure()
    for i, loss in enumerate(config.losses):
        r = results[cell_key({"loss": loss})]
        bx.loglog(
            np.maximum(r["excess_surrogate"], 1e-12),
            np.maximum(margin_calibration(loss, r["excess_01"]), 1e-12),
            ".",
            ms=2,
            alpha=0.5,
            color=f"C{i}",
            label=loss,
        )
    lim = np.array([1e-12, 1e2])
    bx.loglog(lim, lim, "k--", lw=1, label="ψ(excess 0-1) = excess surrogate")
    bx.set(
        xlabel="surrogate excess risk R_φ(h) − R*_φ",
        ylabel="ψ(R_01(h) − R*_01)",
        title="Excess-risk bound on random distributions and scorers: all points below the line",
        xlim=(1e-8, 1e2),
        ylim=(1e-8, 1e2),
    )
    bx.legend(ncols=2, markerscale=4)
    return {"psi": fig, "bound": fig2}


CLAIMS = (
    *tuple(
        ClaimSpec(f"margin_calibration.{loss}.{kind}", text)
        for loss in MARGIN_LOSSES
        for kind, text in (
            ("closed_form", f"psi_{loss} closed form equals the numerical infimum"),
            ("excess_risk_bound", f"psi_{loss}(excess 0-1) <= excess surrogate on random instances"),
        )
    ),
    ClaimSpec(
        "margin_calibration.negative_control.logistic_psi_is_t",
        "psi(t) = t for the logistic loss is detected as wrong",
    ),
)

SIM = register(
    Sim(
        name="margin_calibration",
        area=AREA,
        description="Binary margin-loss calibration functions vs brute-force conditional regret",
        config_cls=MarginCalibrationConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
