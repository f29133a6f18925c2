"""The ``mup_equivalence`` sim: the three forms of muP are one parametrisation

Tensor Programs IV writes muP as an abc-parametrisation (multipliers n^-a, initial scales n^-b, learning rates
eta n^-c); Tensor Programs V's Table 3 puts everything in the initial variances and learning rates; the ``mup``
package uses a 1/width multiplier in its readout (``MuReadout``) and rescales the learning rates in ``MuSGD`` and
``MuAdam``. They are related layer by layer by the symmetry (a, b, c) -> (a + theta, b - theta, c - 2 theta) (SGD;
c - theta for Adam) of ``theory.width_scaling``. Checked: from the same standard normals, the three forms give the
same network outputs and pre-activations at initialisation, and after each of three steps of SGD or Adam (at a
practical learning rate), at every width, to rounding. Negative controls: SP from the same normals is a different
network; a Table 3 form with its output variance exponent moved by 1/2 without the matching multiplier is too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.width_scaling.common import AREA, MUP_FORMS, int_seed
from theory.width_scaling import PARAMETRIZATIONS, Parametrization, mlp_forward, mlp_init, mlp_one_step

LRS = {"sgd": 0.05, "adam": 0.01}  # practical rates: the changes are O(1), not first-order
# rounding: n^theta is not exact for odd powers of 2 under a square root, so the forms differ by ~1 ulp per weight;
# through three layers, a batch of 16 and three steps that is ~1e-14 relative, far below any real difference
ROUNDING = Tol(
    1e-11, "rounding of n^theta (not exact for odd powers of 2 under a square root) through 3 layers and 3 steps"
)


def _off_symmetry() -> Parametrization:
    """Table 3 with the output initial variance exponent moved by 1/2 (b_out 1 -> 1/2) and nothing else."""
    t = PARAMETRIZATIONS["mup_table3"]
    return Parametrization("table3_b_out_off", t.a, (t.b[0], t.b[1], 0.5), t.c_sgd, t.c_adam)


@dataclass(frozen=True)
class MupEquivalenceConfig:
    widths: tuple[int, ...] = (64, 128, 512, 2048)
    seeds: int = 2
    steps: int = 3
    batch: int = 16
    d_in: int = 8

    @classmethod
    def quick(cls) -> MupEquivalenceConfig:
        return cls(widths=(64, 128), seeds=1)

    @classmethod
    def full(cls) -> MupEquivalenceConfig:
        return cls()


def cells(config: MupEquivalenceConfig) -> list[Cell]:
    return [{"optimizer": o} for o in ("sgd", "adam")]


def _trajectory(parametrization, n: int, s: int, base: int, config: MupEquivalenceConfig, opt: str, x, y):
    """Outputs and last pre-activations at init and after each step, stacked: (steps + 1, batch, n + 1)."""
    p = mlp_init((config.d_in, n, n, 1), parametrization, np.random.default_rng([base, s, n]))
    out = []
    for t in range(config.steps + 1):
        fw = mlp_forward(p, x)
        out.append(np.c_[fw.output, fw.preactivations[-1]])
        if t < config.steps:
            p = mlp_one_step(p, x, y, LRS[opt], opt)
    return np.array(out)


def compute(config: MupEquivalenceConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    opt, base = cell["optimizer"], int_seed(seed)
    data = np.random.default_rng([base, 10**6])
    x, y = data.standard_normal((config.batch, config.d_in)), data.standard_normal((config.batch, 1))
    forms = {name: PARAMETRIZATIONS[name] for name in (*MUP_FORMS, "sp")} | {"off": _off_symmetry()}
    res: dict[str, list] = {f"{k}_vs_mup": [] for k in forms if k != "mup"}
    for n in config.widths:
        for s in range(config.seeds):
            ref = _trajectory(forms["mup"], n, s, base, config, opt, x, y)
            scale = np.abs(ref).max(axis=(1, 2))  # per step
            for k, P in forms.items():
                if k != "mup":
                    other = _trajectory(P, n, s, base, config, opt, x, y)
                    res[f"{k}_vs_mup"].append(np.abs(other - ref).max(axis=(1, 2)) / scale)
    return {k: np.array(v) for k, v in res.items()}  # (widths x seeds, steps + 1)


def check(config: MupEquivalenceConfig, results: Results) -> list[Claim]:
    claims = []
    for c in cells(config):
        r, opt = results[cell_key(c)], c["optimizer"]
        forms_gap = max(float(r["mup_table3_vs_mup"].max()), float(r["mup_package_vs_mup"].max()))
        claims += [
            bound(
                id=f"mup_equivalence.{opt}.forms_agree",
                statement=f"The three forms of muP (abc as in Tensor Programs IV, Table 3 of Tensor Programs V, the "
                f"mup package's) give the same network at initialisation and after each of {config.steps} {opt} "
                "steps, at every width.",
                method=f"the same standard normals; widths {list(config.widths)}, {config.seeds} seeds, batch "
                f"{config.batch}, learning rate {LRS[opt]:g}",
                quantity="max over widths, seeds, steps of max |difference| / max |value| (outputs and last "
                "pre-activations)",
                predicted=0.0,
                measured=forms_gap,
                tol=ROUNDING,
                figure="mup_equivalence",
            ),
            negative_control(
                id=f"mup_equivalence.{opt}.negative_control_sp",
                statement="Negative control: SP from the same normals is the same network as muP. False.",
                method="the same comparison",
                quantity="max relative difference",
                predicted=0.0,
                measured=float(r["sp_vs_mup"].max()),
                tol=ROUNDING,
                figure="mup_equivalence",
            ),
            negative_control(
                id=f"mup_equivalence.{opt}.negative_control_off_symmetry",
                statement="Negative control: Table 3 with its output variance exponent moved by 1/2 (b_out = 1/2, "
                "nothing else) is still muP's network. False: only moves along the symmetry keep it.",
                method="the same comparison",
                quantity="max relative difference",
                predicted=0.0,
                measured=float(r["off_vs_mup"].max()),
                tol=ROUNDING,
                figure="mup_equivalence",
            ),
        ]
    return claims


def figures(config: MupEquivalenceConfig, results: Results) -> dict:
    fig, axes = figure(1, 2)
    steps = np.arange(config.steps + 1)
    for ax, c in zip(axes, cells(config), strict=True):
        r = results[cell_key(c)]
        for j, (k, lab) in enumerate(
            [("mup_table3_vs_mup", "Table 3 form"), ("mup_package_vs_mup", "mup package form"),
             ("sp_vs_mup", "SP (control)"), ("off_vs_mup", "b_out off by 1/2 (control)")]
        ):  # fmt: skip
            ax.plot(steps, np.maximum(r[k].max(axis=0), 1e-18), "o-", color=f"C{j}", label=lab)
        ax.set(yscale="log", xlabel="step", ylabel="max relative difference from the abc form",
               title=f"{c['optimizer']}: the muP forms agree to rounding")  # fmt: skip
        ax.axhline(ROUNDING.value, color="k", lw=0.6, ls=":")
    axes[0].legend(fontsize=7)
    return {"mup_equivalence": fig}


CLAIMS = (
    ClaimSpec("mup_equivalence.*.forms_agree", "the three muP forms are one network"),
    ClaimSpec("mup_equivalence.*.negative_control_sp", "SP is another network: detected"),
    ClaimSpec("mup_equivalence.*.negative_control_off_symmetry", "a move off the symmetry: detected"),
)

SIM = register(
    Sim(
        name="mup_equivalence",
        area=AREA,
        description="The abc, Table 3 and mup-package forms of muP give the same network and the same steps",
        config_cls=MupEquivalenceConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
