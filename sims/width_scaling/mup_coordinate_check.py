"""The ``mup_coordinate_check`` sim: how the first step's change of features and outputs scales with width

The coordinate check of the ``mup`` package, for a ReLU MLP with 2 hidden layers: the RMS change of the last hidden
pre-activations and of the output after one step, against the width n (64 to 4096), over seeds, for SP, NTK and muP
with SGD and with Adam. The learning rate is small (1e-6), so the change is in its first-order regime at every width,
which is what ``theory.width_scaling.predicted_update_exponents`` predicts from the exponents alone: SGD SP (+1/2, +1),
NTK (-1/2, 0: the features stop learning), muP (0, 0); Adam SP (+1, +3/2), NTK (+1/2, +1), muP (0, 0). Each slope is
the mean over seeds of a per-seed fit with a finite-width correction (``coordinate_check``), with a t-interval at the
family-wise level 95% over the sim's checks (Bonferroni). Negative controls: NTK's features keep learning (slope 0);
SP's output change is width-independent (slope 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.width_scaling.common import AREA, SHOWN, bonferroni, int_seed
from theory.width_scaling import coordinate_check, predicted_update_exponents

KEYS = ("hidden", "output")
OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class MupCoordinateCheckConfig:
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096)
    seeds: int = 4
    batch: int = 16
    lr: float = 1e-6
    steps: int = 2

    @classmethod
    def quick(cls) -> MupCoordinateCheckConfig:
        return cls(widths=(32, 64, 128, 256, 512), seeds=6)

    @classmethod
    def full(cls) -> MupCoordinateCheckConfig:
        return cls()


def cells(config: MupCoordinateCheckConfig) -> list[Cell]:
    return [{"parametrization": p, "optimizer": o} for p in SHOWN for o in OPTIMIZERS]


def n_checks(config: MupCoordinateCheckConfig) -> int:
    return len(cells(config)) * len(KEYS)


def compute(config: MupCoordinateCheckConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    r = coordinate_check(
        cell["parametrization"], list(config.widths), seeds=config.seeds, optimizer=cell["optimizer"], lr=config.lr,
        steps=config.steps, batch=config.batch, seed=int_seed(seed), confidence=bonferroni(n_checks(config)),
    )  # fmt: skip
    out = {f"rms_{k}": r.rms[k] for k in KEYS}
    out |= {f"slopes_{k}": r.seed_slopes[k] for k in KEYS}
    out |= {f"interval_{k}": np.array(r.intervals[k]) for k in KEYS}
    out |= {f"raw_slope_{k}": np.array(r.raw_slopes[k]) for k in KEYS}
    return out


def check(config: MupCoordinateCheckConfig, results: Results) -> list[Claim]:
    claims = []
    level = bonferroni(n_checks(config))
    for c in cells(config):
        r, p, o = results[cell_key(c)], c["parametrization"], c["optimizer"]
        pred = predicted_update_exponents(p, o)
        for k in KEYS:
            lo, hi = r[f"interval_{k}"]
            mean = float(r[f"slopes_{k}"].mean())
            claims.append(
                bound(
                    id=f"mup_coordinate_check.{p}.{o}.{k}_slope",
                    statement=f"{p.upper()} with {o}: the RMS first-order change of the "
                    f"{'last hidden pre-activations' if k == 'hidden' else 'output'} after one step grows like "
                    f"n^{pred[k]:g} (predicted from the exponents).",
                    method=f"widths {list(config.widths)}, {config.seeds} seeds, batch {config.batch}, learning rate "
                    f"{config.lr:g}; per-seed fit log RMS = s log n + c + d n^(-1/2)",
                    quantity="|mean slope - predicted|",
                    predicted=0.0,
                    measured=abs(mean - pred[k]),
                    tol=Tol(
                        (hi - lo) / 2,
                        f"half-width of the t-interval over seeds at level {level:.4f} (95% "
                        f"family-wise over {n_checks(config)} checks, Bonferroni)",
                    ),
                    figure="mup_coordinate_check",
                    details=f"slope {mean:.3f} in [{lo:.3f}, {hi:.3f}]; plain least squares "
                    f"{float(r[f'raw_slope_{k}']):.3f}",
                )
            )
    for p, o, k, why in (("ntk", "sgd", "hidden", "NTK's features keep learning"),
                         ("sp", "sgd", "output", "SP's output change does not depend on the width")):  # fmt: skip
        r = results[cell_key({"parametrization": p, "optimizer": o})]
        lo, hi = r[f"interval_{k}"]
        mean = float(r[f"slopes_{k}"].mean())
        claims.append(
            negative_control(
                id=f"mup_coordinate_check.negative_control_{p}_{k}_flat",
                statement=f"Negative control: {why} (slope 0, as under muP). False: the check detects it.",
                method="the same fits",
                quantity="|mean slope - 0|",
                predicted=0.0,
                measured=abs(mean),
                tol=Tol((hi - lo) / 2, "the same interval"),
                figure="mup_coordinate_check",
            )
        )
    return claims


def figures(config: MupCoordinateCheckConfig, results: Results) -> dict:
    fig, axes = figure(2, len(SHOWN))
    n = np.asarray(config.widths)
    for i, o in enumerate(OPTIMIZERS):
        for j, p in enumerate(SHOWN):
            ax, r = axes[i, j], results[cell_key({"parametrization": p, "optimizer": o})]
            pred = predicted_update_exponents(p, o)
            for kk, (k, style) in enumerate((("hidden", "-"), ("output", "--"))):
                for t in range(config.steps):
                    rms = np.exp(np.log(r[f"rms_{k}"][:, :, t]).mean(axis=0))
                    ax.plot(n, rms / config.lr, style, marker="o", ms=3, color=f"C{t}",
                            label=f"{k}, step {t + 1}" if kk == 0 or t == 0 else None)  # fmt: skip
                ref = np.exp(np.log(r[f"rms_{k}"][:, 0, 0]).mean()) / config.lr
                ax.plot(n, ref * (n / n[0]) ** pred[k], ":", color="k", lw=0.8)
            ax.set(xscale="log", yscale="log", xlabel="width n", title=f"{p}, {o}: predicted "
                   f"n^{pred['hidden']:g} (hidden), n^{pred['output']:g} (output)")  # fmt: skip
            if j == 0:
                ax.set_ylabel("RMS change / learning rate")
    axes[0, 0].legend(fontsize=6)
    return {"mup_coordinate_check": fig}


CLAIMS = (
    ClaimSpec("mup_coordinate_check.*.*.*_slope", "the first step's change scales as predicted"),
    ClaimSpec("mup_coordinate_check.negative_control_*", "a width-independent change where it is not: detected"),
)

SIM = register(
    Sim(
        name="mup_coordinate_check",
        area=AREA,
        description="Coordinate check: the one-step change of features and outputs against width, SP, NTK and muP",
        config_cls=MupCoordinateCheckConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
