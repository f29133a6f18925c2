"""The ``nc_stationary_windows`` sim: the released code's stationary point vs collapse, imbalanced deep MSE UFMs

For the bias-free MSE UFM of depth L >= 2 each class reduces to F(u) = n_k/(u^L + 1) + b u (``ufm_mse_solution``).
The released code of Dang et al. (2023) keeps the larger positive stationary root whenever one exists, i.e. for
n_k/b >= ``stationary_ratio_threshold(L)`` (1.540, 1.191, 0.939 for L = 2, 3, 4), while the global minimum leaves
collapse (u = 0) only for n_k/b > ``collapse_ratio_threshold(L)`` (2.000, 1.890, 1.755). Inside the window between
them the code's configuration is a stationary point with a larger objective than collapse. Each cell builds both
configurations as explicit parameters of a two-class UFM whose minority class sits at a grid of ratios n_k/b in
(and just above) the window, and evaluates the full objective and gradient with ``ufm_objective``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.neural_collapse.common import AREA
from theory.neural_collapse import (
    collapse_ratio_threshold,
    stationary_ratio_threshold,
    ufm_mse_parameters,
    ufm_objective,
)

# Rounding of an objective of order 1 summed over a few hundred samples: the two configurations are compared far above.
ROUND_TOL = Tol(1e-12, "float64 rounding of objectives of order 0.1-1 summed over <= 1000 samples (~1e-14)")
# Stationarity of explicit closed-form parameters: the gradient is zero up to rounding of its O(1) terms.
GRAD_TOL = Tol(1e-10, "float64 rounding of O(1) gradient terms (observed ~1e-16); far below any real slope")


@dataclass(frozen=True)
class NCStationaryWindowsConfig:
    depths: tuple[int, ...] = (2, 3, 4)
    n_ratios: int = 9  # ratios n_k/b inside the window, plus two above the global threshold
    majority: int = 200
    minority: int = 40
    grid: int = 200_001  # the brute-force grid for the threshold of the stationary equation

    @classmethod
    def quick(cls) -> NCStationaryWindowsConfig:
        return cls(depths=(2, 3), n_ratios=4, grid=20_001)

    @classmethod
    def full(cls) -> NCStationaryWindowsConfig:
        return cls()


def cells(config: NCStationaryWindowsConfig) -> list[Cell]:
    return [{"L": L} for L in config.depths]


def _ratios(config: NCStationaryWindowsConfig, L: int) -> np.ndarray:
    lo, hi = stationary_ratio_threshold(L), collapse_ratio_threshold(L)
    inside = np.linspace(lo, hi, config.n_ratios + 2)[1:-1]
    return np.r_[inside, hi * 1.05, hi * 1.25]


def _lam_for_ratio(config: NCStationaryWindowsConfig, L: int, ratio: float) -> float:
    """The weight decay (the same on W and H) that puts the minority class at n_k/b = ratio."""
    N = config.majority + config.minority
    b = config.minority / ratio  # b = L N (N lam^(L+1))^(1/L)
    return float((b / (L * N ** (1 + 1 / L))) ** (L / (L + 1)))


def compute(config: NCStationaryWindowsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    L = cell["L"]
    sizes = [config.majority, config.minority]
    labels = np.repeat([0, 1], sizes)
    ratios = _ratios(config, L)
    obj = np.empty((len(ratios), 2))
    grad = np.empty((len(ratios), 2))
    for i, ratio in enumerate(ratios):
        lam = _lam_for_ratio(config, L, ratio)
        for j, rule in enumerate(("global", "positive_root")):
            Ws, H, _ = ufm_mse_parameters(sizes, lam, lam, L, d=3, rule=rule)
            params = np.concatenate([w.ravel() for w in Ws] + [H.ravel()])
            shapes = [w.shape for w in Ws] + [H.shape]
            v, g = ufm_objective(params, shapes, labels, 2, lam, lam, "mse", False)
            obj[i, j], grad[i, j] = v, np.linalg.norm(g)
    # brute force of the threshold: 1 / max_u L u^(L-1)/(u^L + 1)^2 on a fine grid
    u = np.linspace(0.0, 4.0, config.grid)
    peak = np.max(L * u ** (L - 1) / (u**L + 1) ** 2)
    return {"ratios": ratios, "objective": obj, "grad_norm": grad, "brute_threshold": np.array(1.0 / peak)}


def check(config: NCStationaryWindowsConfig, results: Results) -> list[Claim]:
    claims = []
    for L in config.depths:
        r = results[cell_key({"L": L})]
        lo, hi = stationary_ratio_threshold(L), collapse_ratio_threshold(L)
        inside = r["ratios"] < hi
        excess = r["objective"][:, 1] - r["objective"][:, 0]  # code's configuration minus the global minimum
        # grid step 4/(grid-1) moves the peak's argument by at most half a step; the peak value by O(step^2) there
        step = 4.0 / (config.grid - 1)
        claims.append(
            equality(
                id=f"nc_stationary_windows.L={L}.threshold",
                statement=f"L = {L}: the per-class stationary equation b/n_k = L u^(L-1)/(u^L+1)^2 has a positive "
                f"root iff n_k/b >= {lo:.4f} (stationary_ratio_threshold).",
                method=f"brute force: 1 / max of the right side on a grid of {config.grid} points in [0, 4]",
                quantity="threshold n_k/b",
                predicted=lo,
                measured=float(r["brute_threshold"]),
                tol=Tol(10 * step**2 * lo, f"the grid maximum is within O(step^2) of the peak (step {step:.1e})"),
            )
        )
        claims.append(
            bound(
                id=f"nc_stationary_windows.L={L}.code_point_stationary",
                statement=f"L = {L}: the configuration the released code keeps (and the global minimiser) is a "
                "stationary point of the full UFM objective, at every ratio tested.",
                method="ufm_objective gradient at the explicit parameters (ufm_mse_parameters, both rules)",
                quantity="max gradient norm",
                predicted=0.0,
                measured=float(r["grad_norm"].max()),
                tol=GRAD_TOL,
                figure="stationary_windows",
            )
        )
        claims.append(
            bound(
                id=f"nc_stationary_windows.L={L}.code_point_worse_in_window",
                statement=f"L = {L}: for minority-class ratios n_k/b in ({lo:.3f}, {hi:.3f}) the released code's "
                "stationary point has a strictly larger objective than the global minimiser (where that class "
                "collapses).",
                method=f"{int(inside.sum())} ratios in the window, two-class UFM ({config.majority} + "
                f"{config.minority} samples), objectives from ufm_objective at explicit parameters",
                quantity="min over the window of objective(code) - objective(global)",
                relation=">=",
                predicted=ROUND_TOL.value,
                measured=float(excess[inside].min()),
                tol=Tol(0.0, "the prediction is already the rounding floor: " + ROUND_TOL.reason),
                figure="stationary_windows",
                details="excess per ratio: "
                + ", ".join(f"{x:.3f}: {e:.2e}" for x, e in zip(r["ratios"][inside], excess[inside], strict=True)),
            )
        )
        claims.append(
            equality(
                id=f"nc_stationary_windows.L={L}.code_point_global_above",
                statement=f"L = {L}: above the window (n_k/b > {hi:.3f}) the released code's root is the global "
                "minimiser: both configurations have the same objective.",
                method="the two ratios 1.05 and 1.25 x the global threshold",
                quantity="max |objective(code) - objective(global)|",
                predicted=0.0,
                measured=float(np.abs(excess[~inside]).max()),
                tol=ROUND_TOL,
                figure="stationary_windows",
            )
        )
    return claims


def figures(config: NCStationaryWindowsConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, L in enumerate(config.depths):
        r = results[cell_key({"L": L})]
        excess = r["objective"][:, 1] - r["objective"][:, 0]
        ax.plot(r["ratios"], excess, "o-", color=f"C{i}", ms=3, label=f"$L = {L}$")
        ax.axvline(stationary_ratio_threshold(L), color=f"C{i}", ls=":", lw=1)
        ax.axvline(collapse_ratio_threshold(L), color=f"C{i}", ls="--", lw=1)
    ax.set(
        xlabel=r"minority class $n_k / b$",
        ylabel="objective(code's stationary point) - global minimum",
        title="Released code vs global minimum (dotted: a root exists; dashed: it is global)",
    )
    ax.legend(fontsize=8)
    return {"stationary_windows": fig}


CLAIMS = (
    ClaimSpec("nc_stationary_windows.L=*.threshold", "threshold of the stationary equation, brute force"),
    ClaimSpec("nc_stationary_windows.L=*.code_point_stationary", "both configurations are stationary"),
    ClaimSpec("nc_stationary_windows.L=*.code_point_worse_in_window", "code's point is worse in the window"),
    ClaimSpec("nc_stationary_windows.L=*.code_point_global_above", "code's point is global above it"),
)

SIM = register(
    Sim(
        name="nc_stationary_windows",
        area=AREA,
        description="Imbalanced deep MSE UFMs: the stationary point Dang et al.'s released code keeps vs the global "
        "minimiser, inside and above the window of class sizes where they differ",
        config_cls=NCStationaryWindowsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
