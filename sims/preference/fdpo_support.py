"""The ``fdpo_support`` sim: full support, chi2's truncation, and the mass placed where the reference has none"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import loglog_slope
from sims.preference.common import ALL_DIVERGENCE_CELLS, AREA, DIVERGENCE_CELLS
from theory.preference import f_divergence, f_regularized_optimum, off_support_mass

CELLS = ALL_DIVERGENCE_CELLS
EPS = 10.0 ** -np.arange(4, 11)  # reference mass given to the off-support responses, 1e-4 .. 1e-10


@dataclass(frozen=True)
class FDPOSupportConfig:
    n_draws: int = 40

    @classmethod
    def quick(cls) -> FDPOSupportConfig:
        return cls(n_draws=8)

    @classmethod
    def full(cls) -> FDPOSupportConfig:
        return cls()


def cells(config: FDPOSupportConfig) -> list[Cell]:
    return [{"divergence": c} for c in CELLS]


def _draw(rng: np.random.Generator, fp_inf: float) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """An instance with one or two responses the reference never produces; their rewards are raised by about
    beta f'(inf) (the price of off-support mass), so that about half of the draws place mass there."""
    K, n0, beta = int(rng.integers(3, 9)), int(rng.integers(1, 3)), float(10 ** rng.uniform(-1, 1))
    r = rng.normal(size=K)
    zero = rng.choice(K, n0, replace=False)
    r[zero] += beta * (min(fp_inf, 3.0) + rng.uniform(-1.0, 2.0))
    p0 = rng.dirichlet(np.ones(K))
    p0[zero] = 0.0
    return r, p0 / p0.sum(), beta, zero


def compute(config: FDPOSupportConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    name, alpha = CELLS[cell["divergence"]]
    rng = np.random.default_rng(seed)
    fp_inf = f_divergence(name, alpha=alpha).fprime_inf
    mass, err, zeros = [], [], []
    for _ in range(config.n_draws):
        r, p0, beta, zero = _draw(rng, fp_inf)
        m = float(off_support_mass(r, p0, beta, name, alpha=alpha))
        e = []
        for eps in EPS:  # the ordinary optimum with a vanishing reference mass on the off-support responses
            pe = (1.0 - len(zero) * eps) * p0
            pe[zero] = eps
            e.append(abs(f_regularized_optimum(r, pe, beta, name, alpha=alpha)[zero].sum() - m))
        mass.append(m)
        err.append(e)
        # full support: the optimum on a full-support reference (the off-support responses given mass 1e-3)
        pf = 0.999 * p0
        pf[zero] = 1e-3 / len(zero)
        zeros.append(float(np.sum(f_regularized_optimum(r - r.mean(), pf, beta / 10, name, alpha=alpha) == 0.0)))
    return {"eps": EPS, "mass": np.array(mass), "err": np.array(err), "zeros": np.array(zeros)}


def _rate(name: str, alpha: float | None) -> float:
    """The convergence rate of the eps-optimum to the off-support limit (derived in theory.preference
    off_support_mass: the best response's ratio is eps^-1 times a gap-function, so its gap moves like eps for
    forward KL and JS, like eps^alpha for the alpha-divergence; for reverse KL the off-support mass itself is
    O(eps))."""
    return float(alpha) if name == "alpha" else 1.0


def _limit_claims(cell: str, r: Arrays, n: int) -> list[Claim]:
    name, alpha = CELLS[cell]
    rate = _rate(name, alpha)
    on = r["mass"] > 0.01 if name != "reverse_kl" else np.ones(len(r["mass"]), bool)
    med = np.median(r["err"][on], axis=0) if on.any() else np.full(len(EPS), np.nan)
    slope, half = loglog_slope(r["eps"], med, positive_only=True) if on.sum() else (np.nan, np.nan)
    method = f"{n} drawn instances with 1-2 responses outside the reference's support; eps from 1e-4 to 1e-10"
    claims = [
        equality(
            id=f"fdpo_support.{cell}.off_support_limit_rate",
            statement=f"{name}: the optimum with reference mass eps on the off-support responses converges to "
            f"off_support_mass (the perspective limit) at rate eps^{rate:g} (derived here).",
            method=f"{method}; median over the {int(on.sum())} draws with off-support mass > 0.01"
            if name != "reverse_kl"
            else f"{method}; every draw (the limit mass is 0)",
            quantity="log-log slope of |mass(eps) - limit| in eps",
            predicted=rate,
            measured=slope,
            tol=Tol(half + 0.05, f"95% CI of the slope ({half:.3f}) + 0.05 for the next term, O(eps^(2 rate))"),
            figure="fdpo_support",
        )
    ]
    if name == "reverse_kl":
        claims.append(
            equality(
                id="fdpo_support.reverse_kl.no_off_support_mass",
                statement="reverse KL (f'(inf) = inf) never places mass where the reference has none.",
                method=method,
                quantity="max off-support mass",
                predicted=0.0,
                measured=float(r["mass"].max()),
                tol=Tol(0.0, "exact: the formula's mass is 0 when f'(inf) = inf"),
            )
        )
    return claims


def check(config: FDPOSupportConfig, results: Results) -> list[Claim]:
    claims: list[Claim] = []
    for cell in CELLS:
        r = results[cell_key({"divergence": cell})]
        n = len(r["mass"])
        if cell == "chi2":
            claims.append(
                negative_control(
                    id="fdpo_support.chi2.negative_control_full_support",
                    statement="Negative control: the chi2 optimum keeps full support like the admissible "
                    "divergences. False: 0 is in the domain of f', and the optimum puts responses at exactly 0.",
                    method=f"{n} drawn instances, rewards centred, beta/10",
                    quantity="responses at probability 0, summed over draws",
                    predicted=0.0,
                    measured=float(r["zeros"].sum()),
                    tol=Tol(0.0, "exact count"),
                    figure="fdpo_support",
                )
            )
            continue
        claims.append(
            bound(
                id=f"fdpo_support.{cell}.full_support",
                statement=f"{cell}: 0 is not in the domain of f', so the optimum gives every response positive mass.",
                method=f"{n} drawn instances, rewards centred, beta/10 (a sharper optimum)",
                quantity="responses at probability 0, summed over draws",
                predicted=0.0,
                measured=float(r["zeros"].sum()),
                tol=Tol(0.0, "exact count"),
            )
        )
        claims += _limit_claims(cell, r, n)
    return claims


def figures(config: FDPOSupportConfig, results: Results) -> dict:
    fig, ax = figure()
    for i, cell in enumerate(DIVERGENCE_CELLS):
        r = results[cell_key({"divergence": cell})]
        on = r["mass"] > 0.01 if cell != "reverse_kl" else np.ones(len(r["mass"]), bool)
        if on.any():
            ax.loglog(r["eps"], np.median(r["err"][on], axis=0), "o-", color=f"C{i}", label=cell)
    ax.set(
        xlabel="reference mass eps on the off-support responses",
        ylabel="median |off-support mass(eps) - limit|",
        title="The off-support mass is the eps -> 0 limit (slopes 1, 1, alpha)",
    )
    ax.legend(fontsize=8)
    return {"fdpo_support": fig}


CLAIMS = (
    ClaimSpec("fdpo_support.*.full_support", "admissible divergences keep full support"),
    ClaimSpec("fdpo_support.*.off_support_limit_rate", "off-support mass is the eps -> 0 limit, at the derived rate"),
    ClaimSpec("fdpo_support.reverse_kl.no_off_support_mass", "reverse KL places no off-support mass"),
    ClaimSpec("fdpo_support.chi2.negative_control_full_support", "chi2 truncates"),
)

SIM = register(
    Sim(
        name="fdpo_support",
        area=AREA,
        description="Full support, chi2 truncation, mass off the reference support",
        config_cls=FDPOSupportConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
