"""The ``ldr_calibration`` sim: the top-1 calibration function of LDR-KL (K = 3), checked by brute force

``ldr_top1_calibration`` reduces the constrained infimum to one free score (derived in its docstring); a brute-force
search over a two-dimensional grid of scores (no reduction) on the same label distributions checks it, and the curves
are drawn beside the comp-sum transformations of the same area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.ldr.common import AREA
from theory.hconsistency import comp_sum_transform
from theory.ldr import conditional_minimizer, conditional_risk, ldr_kl_loss, ldr_top1_calibration

T_GRID = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))
T_BRUTE = (0.2, 0.5, 0.8)


def half_width(lam: float, c: float) -> float:
    """Half-width of the brute-force score grid: beyond it a score's softmax weight is below exp(-V/lam + c/lam)."""
    return 12.0 * max(1.0, lam) + 2.0 * c


@dataclass(frozen=True)
class LDRCalibrationConfig:
    settings: tuple[tuple[float, float], ...] = ((0.3, 1.0), (1.0, 1.0), (3.0, 1.0), (1.0, 0.0))  # (lambda, c)
    n_q: int = 100
    n_q_brute: int = 12
    n_f: int = 481  # brute-force grid points per score axis

    @classmethod
    def quick(cls) -> LDRCalibrationConfig:
        return cls(settings=((1.0, 1.0),), n_q=40, n_q_brute=6, n_f=161)

    @classmethod
    def full(cls) -> LDRCalibrationConfig:
        return cls()


def cells(config: LDRCalibrationConfig) -> list[Cell]:
    return [{"lam": lam, "margin": c} for lam, c in config.settings]


def _brute(t: float, lam: float, c: float, n_q: int, n_f: int) -> float:
    """min over the same q grid and a 2-d grid of scores f = (0, x, y) with class 1 predicted (x >= 0, x >= y)."""
    lo, hi = max((1 - 2 * t) / 3, 1e-9), (1 - t) / 2 - 1e-9
    V = half_width(lam, c)
    xs = np.linspace(0.0, V, (n_f + 1) // 2)
    ys = np.linspace(-V, V, n_f)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    keep = X >= Y
    F = np.stack([np.zeros(keep.sum()), X[keep], Y[keep]], axis=1)

    def loss(s, y):
        return ldr_kl_loss(s, y, lam, c)

    best = np.inf
    for q1 in np.linspace(lo, hi, n_q):
        q = np.array([q1 + t, q1, 1 - 2 * q1 - t])
        q = np.clip(q, 1e-9, None)
        q = q / q.sum()
        risk = conditional_risk(loss, F, np.broadcast_to(q, F.shape)).min()
        best = min(best, float(risk - conditional_minimizer(q[None], lam, c).risk[0]))
    return best


def compute(config: LDRCalibrationConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    lam, c = cell["lam"], cell["margin"]
    T, q = ldr_top1_calibration(np.array(T_GRID), lam, c, config.n_q)
    T_small, _ = ldr_top1_calibration(np.array(T_BRUTE), lam, c, config.n_q_brute)
    brute = np.array([_brute(t, lam, c, config.n_q_brute, config.n_f) for t in T_BRUTE])
    return {"t": np.array(T_GRID), "T": T, "q": q, "t_brute": np.array(T_BRUTE), "T_small": T_small, "brute": brute}


def check(config: LDRCalibrationConfig, results: Results) -> list[Claim]:
    claims = []
    for cell in cells(config):
        r = results[cell_key(cell)]
        lam, c = cell["lam"], cell["margin"]
        V = half_width(lam, c)
        h = 2 * V / (config.n_f - 1)
        tag = f"lam={lam:g}.c={c:g}"
        claims.append(
            equality(
                id=f"ldr_calibration.{tag}.matches_brute_force",
                statement=f"lambda = {lam:g}, c = {c:g}, K = 3: the one-dimensional reduction of the calibration "
                "function (f_predicted = f_top, one free score) equals a brute-force search over two free scores.",
                method=f"t in {list(T_BRUTE)}: {config.n_q_brute} label distributions per t, a {config.n_f} x "
                f"{(config.n_f + 1) // 2} grid of scores on [-{V:g}, {V:g}] with the predicted class on top",
                quantity="max over t |T_brute - T_reduced|",
                predicted=0.0,
                measured=float(np.max(np.abs(r["brute"] - r["T_small"]))),
                tol=Tol(
                    h**2 / (16 * lam) + 1e-9,
                    f"grid step h = {h:.3g}: the nearest grid point is within h/2 of the minimiser along the free "
                    "score and the risk's curvature is at most 1/(2 lambda), so the grid minimum is within "
                    "h^2/(16 lambda) of the infimum; plus 1e-9 for the golden-section and Newton solves",
                ),
                figure="ldr_calibration",
            )
        )
        pos = float(np.min(r["T"]))
        claims.append(
            bound(
                id=f"ldr_calibration.{tag}.positive",
                statement=f"lambda = {lam:g}, c = {c:g}: LDR-KL is top-1 calibrated for K = 3: its calibration "
                f"function is positive for every t in [{T_GRID[0]:g}, {T_GRID[-1]:g}].",
                method=f"ldr_top1_calibration on {len(T_GRID)} values of t, {config.n_q} label distributions each",
                quantity="min over t of T(t)",
                relation=">=",
                predicted=1e-9,
                measured=pos,
                tol=Tol(0.0, "the prediction is already above the solves' accuracy (1e-9)"),
                figure="ldr_calibration",
                details="T(t) = " + ", ".join(f"{t:g}: {v:.4g}" for t, v in zip(r["t"], r["T"], strict=True)),
            )
        )
    r = results[cell_key(cells(config)[0])]
    claims.append(
        negative_control(
            id="ldr_calibration.negative_control_uncalibrated",
            statement="Negative control: LDR-KL is not top-1 calibrated, i.e. its calibration function vanishes at "
            "t = 0.5. False: the check must find it positive.",
            method="the first cell's T(0.5)",
            quantity="T(0.5)",
            predicted=0.0,
            measured=float(r["T"][list(T_GRID).index(0.5)]),
            tol=Tol(1e-9, "the solves' accuracy"),
            figure="ldr_calibration",
        )
    )
    ce = float(comp_sum_transform(0.5, 1.0, 3))
    claims.append(
        Claim.observation(
            id="ldr_calibration.versus_cross_entropy",
            statement="Observation: the LDR-KL calibration function at t = 0.5 relative to the cross-entropy "
            "transformation (comp-sum tau = 1, as restated) for K = 3, per (lambda, c).",
            method="ldr_top1_calibration vs comp_sum_transform",
            quantity="T_LDR(0.5) / T_CE(0.5) for the first (lambda, c)",
            measured=float(r["T"][list(T_GRID).index(0.5)] / ce),
            figure="ldr_calibration",
            details=", ".join(
                f"lambda = {cl['lam']:g}, c = {cl['margin']:g}: "
                f"{float(results[cell_key(cl)]['T'][list(T_GRID).index(0.5)]) / ce:.3f}"
                for cl in cells(config)
            ),
        )
    )
    return claims


def figures(config: LDRCalibrationConfig, results: Results) -> dict:
    fig, ax = figure()
    for k, cell in enumerate(cells(config)):
        r = results[cell_key(cell)]
        ax.plot(
            r["t"], r["T"], "-", color=f"C{k}", label=rf"LDR-KL, $\lambda = {cell['lam']:g}$, $c = {cell['margin']:g}$"
        )
        ax.plot(r["t_brute"], r["brute"], "x", color=f"C{k}", ms=5)
    t = np.linspace(0.01, 0.99, 100)
    for tau, style in ((1.0, "k--"), (2.0, "k:")):
        ax.plot(t, comp_sum_transform(t, tau, 3), style, lw=1, label=rf"comp-sum $\tau = {tau:g}$ (as restated)")
    ax.set(
        xlabel="conditional 0-1 regret t",
        ylabel="calibration function T(t)",
        title="Top-1 calibration of LDR-KL, K = 3 (x: brute force over two free scores)",
    )
    ax.legend(fontsize=8)
    return {"ldr_calibration": fig}


CLAIMS = (
    ClaimSpec("ldr_calibration.*.matches_brute_force", "the reduction equals brute force"),
    ClaimSpec("ldr_calibration.*.positive", "T(t) > 0 for t > 0"),
    ClaimSpec("ldr_calibration.negative_control_uncalibrated", "T(0.5) = 0 is detected as false"),
    ClaimSpec("ldr_calibration.versus_cross_entropy", "LDR-KL vs CE (observation)"),
)

SIM = register(
    Sim(
        name="ldr_calibration",
        area=AREA,
        description="Top-1 calibration function of LDR-KL (K = 3) against brute force and the comp-sum transformations",
        config_cls=LDRCalibrationConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
