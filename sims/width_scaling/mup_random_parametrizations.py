"""The ``mup_random_parametrizations`` sim: the predicted exponents on parametrisations nobody hand-picked

Random abc tables (each of a, b, c per layer drawn from {-1, -1/2, 0, 1/2, 1}; kept when the initial forward pass
and the predicted exponents stay within float64's comfortable range at the widths used), half with SGD and half
with Adam, and the "almost muP" tables (muP with one exponent moved by +1/2, those whose prediction is no longer
(0, 0)). For each, ``theory.width_scaling.predicted_update_exponents`` gives the slopes; ``coordinate_check``
measures them over widths and seeds, with ``first_order=True``: the change is the exact first-order term, by
forward-mode differentiation along the step. (A difference of two forward passes cannot measure these tables: their
layers' changes differ by many powers of n, so any learning rate small enough for the largest to stay first-order
puts the smallest below rounding; the mup_coordinate_check sim shows that the two agree where both work.)
Negative control: the almost-muP tables do not keep muP's width-independent change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.width_scaling.common import AREA, bonferroni, int_seed
from theory.width_scaling import (
    PARAMETRIZATIONS,
    Parametrization,
    coordinate_check,
    predicted_update_exponents,
)

KEYS = ("hidden", "output")
GRID = (-1.0, -0.5, 0.0, 0.5, 1.0)


@dataclass(frozen=True)
class MupRandomParametrizationsConfig:
    n_random: int = 8
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048)
    seeds: int = 8
    batch: int = 16

    @classmethod
    def quick(cls) -> MupRandomParametrizationsConfig:
        return cls(n_random=2, widths=(64, 128, 256, 512, 1024), seeds=8)

    @classmethod
    def full(cls) -> MupRandomParametrizationsConfig:
        return cls()


def _forward_exponents(P: Parametrization) -> tuple[float, float, float]:
    """p_1, p_2, p_out: the initial pre-activation and output sizes (module docstring of theory.width_scaling)."""
    ab = [P.a[k] + P.b[k] for k in range(3)]
    p1 = -ab[0]
    p2 = p1 + 0.5 - ab[1]
    return p1, p2, p2 + 0.5 - ab[2]


def near_mup() -> list[tuple[str, Parametrization, str]]:
    """muP (abc form) with one exponent of one layer moved by +1/2, SGD, where the prediction leaves (0, 0)."""
    base = PARAMETRIZATIONS["mup"]
    out = []
    for field in ("a", "b", "c_sgd"):
        for layer in range(3):
            v = list(getattr(base, field))
            v[layer] += 0.5
            kw = {f: getattr(base, f) for f in ("a", "b", "c_sgd", "c_adam")} | {field: tuple(v)}
            P = Parametrization(f"mup_{field}{layer}+1/2", **kw)
            if predicted_update_exponents(P, "sgd") != {"hidden": 0.0, "output": 0.0}:
                out.append((P.name, P, "sgd"))
    return out


def random_tables(n: int, seed: int) -> list[tuple[str, Parametrization, str]]:
    rng = np.random.default_rng([seed, 7])
    out = []
    while len(out) < n:
        a, b, c = (tuple(float(x) for x in rng.choice(GRID, 3)) for _ in range(3))
        opt = ("sgd", "adam")[len(out) % 2]
        P = Parametrization(f"random{len(out)}", a, b, c, c)
        pred = predicted_update_exponents(P, opt)
        if all(-1.5 <= p <= 1.0 for p in _forward_exponents(P)) and all(-2 <= v <= 2 for v in pred.values()):
            out.append((P.name, P, opt))
    return out


def tables(config: MupRandomParametrizationsConfig) -> list[tuple[str, Parametrization, str]]:
    return random_tables(config.n_random, 0) + near_mup()


def cells(config: MupRandomParametrizationsConfig) -> list[Cell]:
    return [{"table": name} for name, _, _ in tables(config)]


def n_checks(config: MupRandomParametrizationsConfig) -> int:
    return len(cells(config)) * len(KEYS)


def compute(config: MupRandomParametrizationsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    _, P, opt = {name: (name, P, o) for name, P, o in tables(config)}[cell["table"]]
    r = coordinate_check(P, list(config.widths), seeds=config.seeds, optimizer=opt, lr=1.0, batch=config.batch,
                         seed=int_seed(seed), confidence=bonferroni(n_checks(config)), first_order=True)  # fmt: skip
    pred = predicted_update_exponents(P, opt)
    out = {f"slopes_{k}": r.seed_slopes[k] for k in KEYS}
    out |= {f"interval_{k}": np.array(r.intervals[k]) for k in KEYS}
    out |= {f"predicted_{k}": np.array(pred[k]) for k in KEYS}
    return out | {"table": np.array([*P.a, *P.b, *P.c(opt)])}


def check(config: MupRandomParametrizationsConfig, results: Results) -> list[Claim]:
    rows = []
    for name, _, opt in tables(config):
        r = results[cell_key({"table": name})]
        for k in KEYS:
            lo, hi = r[f"interval_{k}"]
            pred, mean = float(r[f"predicted_{k}"]), float(r[f"slopes_{k}"].mean())
            rows.append((name, opt, k, pred, mean, (hi - lo) / 2))
    ratio = [abs(m - p) / h for _, _, _, p, m, h in rows]
    worst = int(np.argmax(ratio))
    near = [r for r in rows if r[0].startswith("mup_") and r[3] != 0.0]
    flat = [abs(m) / h for _, _, _, _, m, h in near]
    n_tab = len(tables(config))
    w = rows[worst]
    return [
        bound(
            id="mup_random_parametrizations.slopes_match_prediction",
            statement="For abc-parametrisations drawn at random and for muP with one exponent moved by 1/2, the "
            "measured slopes of the first step's change (last hidden pre-activations, output) are the ones "
            "predicted from the exponents.",
            method=f"{n_tab} tables ({config.n_random} random, half SGD and half Adam; {n_tab - config.n_random} "
            f"almost-muP, SGD), widths {list(config.widths)}, {config.seeds} seeds, the exact first-order change",
            quantity="max over tables and quantities of |mean slope - predicted| / interval half-width",
            predicted=1.0,
            measured=float(ratio[worst]),
            tol=Tol(
                0.0,
                f"each half-width is that of a t-interval over seeds at level "
                f"{bonferroni(n_checks(config)):.4f} (95% family-wise over {n_checks(config)}, Bonferroni)",
            ),
            figure="mup_random_parametrizations",
            details=f"worst: {w[0]} ({w[1]}, {w[2]}): slope {w[4]:.3f}, predicted {w[3]:g}, half-width {w[5]:.3f}",
        ),
        negative_control(
            id="mup_random_parametrizations.negative_control_almost_mup_is_flat",
            statement="Negative control: moving one exponent of muP by 1/2 keeps the change width-independent "
            "(slope 0). False wherever the prediction moves: the check detects it on every such table.",
            method=f"the {len(near)} (table, quantity) pairs of the almost-muP tables whose predicted slope is not 0",
            quantity="min over them of |mean slope| / interval half-width (the statement: <= 1)",
            predicted=1.0,
            measured=float(min(flat)) if flat else float("nan"),
            tol=Tol(0.0, "the same intervals"),
            figure="mup_random_parametrizations",
        ),
    ]


def figures(config: MupRandomParametrizationsConfig, results: Results) -> dict:
    fig, ax = figure()
    for name, _, opt in tables(config):
        r = results[cell_key({"table": name})]
        near = name.startswith("mup_")
        for k, marker in (("hidden", "o"), ("output", "s")):
            lo, hi = r[f"interval_{k}"]
            m = float(r[f"slopes_{k}"].mean())
            ax.errorbar(float(r[f"predicted_{k}"]), m, yerr=[[m - lo], [hi - m]], fmt=marker, ms=4,
                        color="C3" if near else ("C0" if opt == "sgd" else "C1"), alpha=0.8)  # fmt: skip
    lim = [-2.2, 2.2]
    ax.plot(lim, lim, "k:", lw=0.8)
    ax.set(xlim=lim, ylim=lim, xlabel="predicted slope", ylabel="measured slope (family-wise 95% interval)",
           title="random tables: SGD (blue), Adam (orange), almost muP (red); o hidden, s output")  # fmt: skip
    return {"mup_random_parametrizations": fig}


CLAIMS = (
    ClaimSpec("mup_random_parametrizations.slopes_match_prediction", "random tables: the predicted slopes"),
    ClaimSpec("mup_random_parametrizations.negative_control_almost_mup_is_flat", "almost muP is not flat: detected"),
)

SIM = register(
    Sim(
        name="mup_random_parametrizations",
        area=AREA,
        description="Random abc tables and almost-muP tables: measured one-step slopes against the prediction",
        config_cls=MupRandomParametrizationsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
