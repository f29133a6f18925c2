"""The ``mup_lr_transfer`` sim: under muP the best learning rate does not move with width; under SP it falls like 1/n

Full-batch SGD on a fixed synthetic regression (``theory.width_scaling.tanh_teacher``: 64 samples, 8 inputs,
y = tanh(2 u'x)) for a fixed number of steps (40), over a log2 grid of learning rates (-9 to 3, spacing 1),
for ReLU MLPs of widths 64 to 512, averaged over seeds. The best learning rate per width: muP's should stay put
(Tensor Programs V's zero-shot transfer); SP's should fall like 1/n, since its output's change per unit rate grows
like n (``predicted_update_exponents``). Claims with a tolerance of one grid point. Negative controls: SP's optimum is
stable; muP's falls like 1/n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.width_scaling.common import AREA, int_seed
from theory.width_scaling import lr_sweep

GRID_STEP = 1.0
ONE_POINT = Tol(GRID_STEP, "one point of the log2 learning-rate grid")


@dataclass(frozen=True)
class MupLRTransferConfig:
    widths: tuple[int, ...] = (64, 128, 256, 512)
    log2_lr_min: float = -9.0
    log2_lr_max: float = 3.0
    steps: int = 40
    seeds: int = 2
    n_samples: int = 64

    @classmethod
    def quick(cls) -> MupLRTransferConfig:
        return cls(widths=(64, 128, 256), steps=40, seeds=1)

    @classmethod
    def full(cls) -> MupLRTransferConfig:
        return cls()

    def grid(self) -> np.ndarray:
        return np.arange(self.log2_lr_min, self.log2_lr_max + GRID_STEP / 2, GRID_STEP)


def cells(config: MupLRTransferConfig) -> list[Cell]:
    return [{"parametrization": p} for p in ("mup", "sp")]


def compute(config: MupLRTransferConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    r = lr_sweep(cell["parametrization"], list(config.widths), config.grid(), steps=config.steps, seeds=config.seeds,
                 n_samples=config.n_samples, seed=int_seed(seed))  # fmt: skip
    return {"loss": r.loss, "best": r.best_log2_lr}


def _drift(best: np.ndarray, widths: tuple[int, ...], slope: float) -> float:
    """max over widths of |best(n) - (best(n_0) + slope log2(n / n_0))|."""
    n = np.log2(np.asarray(widths, dtype=float))
    return float(np.max(np.abs(best - (best[0] + slope * (n - n[0])))))


def check(config: MupLRTransferConfig, results: Results) -> list[Claim]:
    mup, sp = (results[cell_key({"parametrization": p})]["best"] for p in ("mup", "sp"))
    method = (f"widths {list(config.widths)}, log2 learning rates {config.log2_lr_min:g} to {config.log2_lr_max:g} "
              f"step {GRID_STEP:g}, {config.steps} full-batch SGD steps, {config.seeds} seeds averaged, "
              f"{config.n_samples} samples")  # fmt: skip
    fmt = lambda b: ", ".join(f"{v:g}" for v in b)  # noqa: E731
    return [
        bound(
            id="mup_lr_transfer.mup_optimum_stable",
            statement="Under muP the best learning rate is the same at every width (within one grid point).",
            method=method,
            quantity="max over widths of |log2 eta*(n) - log2 eta*(n_0)|",
            predicted=0.0,
            measured=_drift(mup, config.widths, 0.0),
            tol=ONE_POINT,
            figure="mup_lr_transfer",
            details=f"log2 eta* = {fmt(mup)}",
        ),
        bound(
            id="mup_lr_transfer.sp_optimum_falls_like_1_over_n",
            statement="Under SP (one global learning rate) the best learning rate falls like 1/n (within one grid "
            "point of log2 eta*(n_0) - log2(n / n_0)).",
            method=method,
            quantity="max over widths of |log2 eta*(n) - (log2 eta*(n_0) - log2(n / n_0))|",
            predicted=0.0,
            measured=_drift(sp, config.widths, -1.0),
            tol=ONE_POINT,
            figure="mup_lr_transfer",
            details=f"log2 eta* = {fmt(sp)}",
        ),
        negative_control(
            id="mup_lr_transfer.negative_control_sp_stable",
            statement="Negative control: SP's best learning rate is the same at every width. False.",
            method=method,
            quantity="max over widths of |log2 eta*(n) - log2 eta*(n_0)|",
            predicted=0.0,
            measured=_drift(sp, config.widths, 0.0),
            tol=ONE_POINT,
            figure="mup_lr_transfer",
        ),
        negative_control(
            id="mup_lr_transfer.negative_control_mup_falls",
            statement="Negative control: muP's best learning rate falls like 1/n. False.",
            method=method,
            quantity="max over widths of |log2 eta*(n) - (log2 eta*(n_0) - log2(n / n_0))|",
            predicted=0.0,
            measured=_drift(mup, config.widths, -1.0),
            tol=ONE_POINT,
            figure="mup_lr_transfer",
        ),
    ]


def figures(config: MupLRTransferConfig, results: Results) -> dict:
    fig, axes = figure(1, 2)
    g = config.grid()
    for ax, p in zip(axes, ("mup", "sp"), strict=True):
        r = results[cell_key({"parametrization": p})]
        for j, n in enumerate(config.widths):
            loss = np.where(np.isfinite(r["loss"][j]), r["loss"][j], np.nan)
            ax.plot(g, loss, "o-", ms=3, color=f"C{j}", label=f"n = {n}")
            k = int(np.nanargmin(loss))
            ax.plot(g[k], loss[k], "*", ms=12, color=f"C{j}", mec="k")
        ax.set(yscale="log", xlabel="log2 learning rate", ylabel=f"training loss after {config.steps} steps",
               title=f"{p}: optimum (stars) {'stays' if p == 'mup' else 'moves left with width'}")  # fmt: skip
        ax.legend(fontsize=7)
    return {"mup_lr_transfer": fig}


CLAIMS = (
    ClaimSpec("mup_lr_transfer.mup_optimum_stable", "muP: the best learning rate transfers across widths"),
    ClaimSpec("mup_lr_transfer.sp_optimum_falls_like_1_over_n", "SP: the best learning rate falls like 1/n"),
    ClaimSpec("mup_lr_transfer.negative_control_sp_stable", "SP stable: detected"),
    ClaimSpec("mup_lr_transfer.negative_control_mup_falls", "muP falling like 1/n: detected"),
)

SIM = register(
    Sim(
        name="mup_lr_transfer",
        area=AREA,
        description="Learning-rate sweeps over widths: muP's optimum is stable, SP's falls like 1/n",
        config_cls=MupLRTransferConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
