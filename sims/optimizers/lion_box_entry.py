"""The ``lion_box_entry`` sim: Lion enters the box ||lam x||_inf <= 1 at rate (1 - eta lam), stays there, and can
leave it when eta lam > 1"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, register, single_cell
from sims.engine.plotting import figure
from sims.optimizers.common import AREA
from theory.optimizers import lion_k_step


@dataclass(frozen=True)
class LionBoxEntryConfig:
    n_draws: int = 300
    n_steps: int = 200
    d: int = 5

    @classmethod
    def quick(cls) -> LionBoxEntryConfig:
        return cls(n_draws=40, n_steps=50)

    @classmethod
    def full(cls) -> LionBoxEntryConfig:
        return cls()


cells = single_cell
ETA_LAM_CONTROL = 1.5


def _dist(lam_x: np.ndarray) -> np.ndarray:
    """The l_inf distance of each row to the unit box."""
    return np.maximum(np.abs(lam_x).max(axis=-1) - 1.0, 0.0)


def compute(config: LionBoxEntryConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    R, d, T = config.n_draws, config.d, config.n_steps
    # drawn: eta lam log-uniform in [1e-3, 1], lam log-uniform in [0.1, 10], a start 1 to 10 box-widths out,
    # Gaussian gradients of a random scale (1e-2 to 1e2), a random momentum, beta1 and beta2 uniform in [0, 1)
    el, lam = 10 ** rng.uniform(-3.0, 0.0, R), 10 ** rng.uniform(-1.0, 1.0, R)
    ratio, excess, inside_dist, tight = np.zeros((R, T)), np.zeros((R, T)), np.zeros((R, T)), np.zeros(R)
    step = lion_k_step.__wrapped__  # the rule itself: every argument here is valid by construction (~20x faster)
    for r in range(R):
        eta, b1, b2 = el[r] / lam[r], rng.uniform(), rng.uniform()
        x = rng.normal(size=d) * rng.uniform(1.0, 10.0) / lam[r]
        m, scale = rng.normal(size=d), 10 ** rng.uniform(-2.0, 2.0)
        entered = False
        for t in range(T):
            d0 = _dist(lam[r] * x)
            x, m = step(x, m, rng.normal(size=d) * scale, eta, lam[r], b1, b2, np.sign, "paper")
            d1 = _dist(lam[r] * x)
            # the bound in absolute terms, relative to the size of lam x (rounding is relative to it); the ratio for
            # the figure where the distance is well above rounding
            excess[r, t] = (d1 - (1 - el[r]) * d0) / max(1.0, float(np.abs(lam[r] * x).max()))
            ratio[r, t] = d1 / (d0 * (1 - el[r])) if d0 > 1e-8 and el[r] < 1 else 0.0
            inside_dist[r, t] = d1 if entered else 0.0
            entered |= d1 == 0
        # tightness: a coordinate 3 box-widths out whose update pushes outward (gradient -1, momentum +1)
        x1, _ = lion_k_step(np.r_[3.0 / lam[r], np.zeros(d - 1)], np.ones(d), -np.ones(d), eta, lam[r], 0.5, 0.5)
        tight[r] = (lam[r] * x1[0] - 1.0) / ((1 - el[r]) * 2.0) if el[r] < 1 else 1.0
    return {
        "ratio": ratio,
        "excess": excess,
        "inside_dist": inside_dist,
        "tight": tight,
        "el": el,
        "amplitude": np.array(_alternating_amplitude(ETA_LAM_CONTROL, 1.0, 400)),
    }


def _alternating_amplitude(eta: float, lam: float, n_steps: int) -> float:
    """max_t ||x_t||_inf from x0 = 0 with gradients alternating in sign (momentum off, so the sign flips too)."""
    x, m, top = np.zeros(1), np.zeros(1), 0.0
    for t in range(n_steps):
        x, m = lion_k_step(x, m, np.array([(-1.0) ** t]), eta, lam, 0.0, 0.0)
        top = max(top, float(np.abs(x).max()))
    return top


def check(config: LionBoxEntryConfig, results: Results) -> list[Claim]:
    r = results["all"]
    n, T = r["ratio"].shape
    method = (
        f"{n} drawn runs of {T} steps in d = {config.d} (eta lam log-uniform in [1e-3, 1], lam in [0.1, 10], "
        "Gaussian gradients of scale 1e-2..1e2, beta1, beta2 uniform)"
    )
    amp, pred = float(r["amplitude"][()]), ETA_LAM_CONTROL / (2 - ETA_LAM_CONTROL)
    return [
        bound(
            id="lion_box_entry.contraction",
            statement="For 0 < eta lam <= 1: dist_C(lam x_{t+1}) <= (1 - eta lam) dist_C(lam x_t), C the unit "
            "l_inf ball (the range of sign), whatever the gradients and momenta.",
            method=method,
            quantity="max over steps of (dist_{t+1} - (1 - eta lam) dist_t) / max(1, ||lam x_{t+1}||_inf)",
            predicted=0.0,
            measured=float(r["excess"].max()),
            tol=Tol(1e-14, "a few roundings of lam x, relative to its size (up to 10 box-widths)"),
            details=f"largest ratio dist_(t+1) / ((1 - eta lam) dist_t) where dist_t > 1e-8: {r['ratio'].max():.15f}",
            figure="lion_box_entry",
        ),
        equality(
            id="lion_box_entry.invariant",
            statement="Once lam x is in the box it stays there.",
            method=method,
            quantity="max distance to the box after the first entry",
            predicted=0.0,
            measured=float(r["inside_dist"].max()),
            tol=Tol(4.5e-16, "two roundings next to 1 (the convex combination)"),
        ),
        equality(
            id="lion_box_entry.tight_outward",
            statement="The contraction is exact when the update pushes the farthest coordinate outward.",
            method=f"{n} drawn (eta, lam), a coordinate 3 box-widths out with gradient -1 and momentum +1",
            quantity="max |(dist_1 / ((1 - eta lam) dist_0)) - 1|",
            predicted=0.0,
            measured=float(np.max(np.abs(r["tight"] - 1.0))),
            tol=Tol(1e-12, "rounding"),
        ),
        equality(
            id="lion_box_entry.amplitude_above_one",
            statement="At eta lam = 1.5, from x0 = 0 with alternating gradients, ||x||_inf reaches eta/(2 - eta lam) "
            "(derived: the contraction factor is 1 - eta lam = -0.5).",
            method="eta = 1.5, lam = 1, 400 steps, beta1 = beta2 = 0",
            quantity="max ||x_t||_inf",
            predicted=pred,
            measured=amp,
            tol=Tol(1e-9, "geometric convergence to the 2-cycle at rate 0.5 over 400 steps, and rounding"),
            figure="lion_box_entry",
        ),
        negative_control(
            id="lion_box_entry.negative_control_box_invariant_above_one",
            statement="Negative control: the box {lam ||x||_inf <= 1} is invariant at eta lam = 1.5 too. False: "
            "the iterate leaves it.",
            method="eta = 1.5, lam = 1, 400 steps",
            quantity="max lam ||x_t||_inf",
            predicted=1.0,
            measured=amp,
            tol=Tol(1e-12, "rounding"),
        ),
    ]


def figures(config: LionBoxEntryConfig, results: Results) -> dict:
    r = results["all"]
    fig, ax = figure()
    ok = r["ratio"] > 0
    ax.semilogx(
        np.broadcast_to(r["el"][:, None], r["ratio"].shape)[ok],
        r["ratio"][ok],
        ".",
        ms=2,
        alpha=0.3,
        label="steps outside the box",
    )
    ax.axhline(1.0, color="k", ls="--", lw=1, label="bound (1 - eta lam) x dist")
    ax.set(
        xlabel="eta lam",
        ylabel="dist_{t+1} / ((1 - eta lam) dist_t)",
        title=f"Lion enters the box at rate 1 - eta lam; at eta lam = 1.5 it reaches {float(r['amplitude']):.3g}",
    )
    ax.legend(fontsize=8)
    return {"lion_box_entry": fig}


CLAIMS = (
    ClaimSpec("lion_box_entry.contraction", "dist contracts by (1 - eta lam)"),
    ClaimSpec("lion_box_entry.invariant", "the box is invariant"),
    ClaimSpec("lion_box_entry.tight_outward", "exact when pushed outward"),
    ClaimSpec("lion_box_entry.amplitude_above_one", "eta/(2 - eta lam) at eta lam = 1.5"),
    ClaimSpec("lion_box_entry.negative_control_box_invariant_above_one", "the box is not invariant above 1"),
)

SIM = register(
    Sim(
        name="lion_box_entry",
        area=AREA,
        description="Lion enters and keeps the box ||lam x||_inf <= 1 at rate 1 - eta lam; not above eta lam = 1",
        config_cls=LionBoxEntryConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
