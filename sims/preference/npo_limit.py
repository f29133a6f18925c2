"""The ``npo_limit`` sim: NPO tends to gradient ascent as beta -> 0, with explicit bounds, and its gradient is W times
GA's"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
from scipy.special import logsumexp

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, register, single_cell
from sims.engine.plotting import figure
from sims.preference.common import AREA
from theory.preference import ga_loss, npo_loss, npo_weight

DIGITS = 40  # mpmath's working precision for the exact values
EPS64 = float(np.finfo(float).eps)


@dataclass(frozen=True)
class NPOLimitConfig:
    n_draws: int = 2000
    n_grad: int = 40

    @classmethod
    def quick(cls) -> NPOLimitConfig:
        return cls(n_draws=200, n_grad=5)

    @classmethod
    def full(cls) -> NPOLimitConfig:
        return cls()


cells = single_cell


def _exact(beta: float, logp: float, logp_ref: float) -> tuple[float, float]:
    """(L_NPO, L_NPO - (2/beta) log 2 - z) of these float arguments in 40-digit arithmetic, z = logp - logp_ref:
    independent of the float formulas."""
    with mpmath.workdps(DIGITS):
        b, zz = mpmath.mpf(beta), mpmath.mpf(logp) - mpmath.mpf(logp_ref)
        loss = (2 / b) * mpmath.log1p(mpmath.exp(b * zz))
        return float(loss), float(loss - (2 / b) * mpmath.log(2) - zz)


def _gradient_ratio(rng: np.random.Generator) -> float:
    """max |grad L_NPO - W grad L_GA| / |grad L_GA| in a tabular softmax, by central differences (h = 1e-5)."""
    K, beta, h = int(rng.integers(3, 9)), float(10 ** rng.uniform(-2, 1)), 1e-5
    th, ref = rng.normal(size=K) * 2, rng.normal(size=K)
    f = int(rng.integers(K))
    log_ref = ref[f] - logsumexp(ref)

    def logp(t: np.ndarray) -> float:
        return t[f] - logsumexp(t)

    def grad(fun) -> np.ndarray:
        return np.array([(fun(th + h * e) - fun(th - h * e)) / (2 * h) for e in np.eye(K)])

    g_npo = grad(lambda t: float(npo_loss(logp(t), log_ref, beta)))
    g_ga = grad(lambda t: float(ga_loss(logp(t))))
    w = float(npo_weight(logp(th), log_ref, beta))
    return float(np.abs(g_npo - w * g_ga).max() / np.abs(g_ga).max())


def compute(config: NPOLimitConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    beta = 10 ** rng.uniform(-4, 1, config.n_draws)
    z = rng.normal(size=config.n_draws) * 10 ** rng.uniform(-2, 3, config.n_draws)
    z[:4] = (9e5, -9e5, 1e5, -3e5)  # huge log-ratios: the float loss must stay exact there too
    ref = -np.maximum(z, 0.0) - 1.0  # log-probabilities in [-1e6, 0] with log-ratio z
    pairs = list(zip(ref + z, ref, beta, strict=True))  # beta is a scalar argument: one call per draw
    exact = np.array([_exact(b, lp, lr) for lp, lr, b in pairs])
    z = (ref + z) - ref  # the log-ratio the float arguments carry
    return {
        "beta": beta,
        "z": z,
        "loss": np.array([float(npo_loss(lp, lr, b)) for lp, lr, b in pairs]),
        "exact_loss": exact[:, 0],
        "exact_gap": exact[:, 1],
        "weight": np.array([float(npo_weight(lp, lr, b)) for lp, lr, b in pairs]),
        "grad_ratio": np.array([_gradient_ratio(rng) for _ in range(config.n_grad)]),
    }


def _relative_error(x: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|x - exact| / |exact|; where the exact value itself underflows float64 to 0, |x| (0 when x is 0 too)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(exact == 0.0, np.abs(x), np.abs(x - exact) / np.abs(exact))


def check(config: NPOLimitConfig, results: Results) -> list[Claim]:
    r = results["all"]
    beta, z, gap = r["beta"], r["z"], r["exact_gap"]
    quad = beta * z**2 / 4
    ratio = gap / quad
    small = np.abs(beta * z) < 1e-3
    n = len(z)
    method = (
        f"{n} draws: beta log-uniform in [1e-4, 10], z = N(0, 1) x 10^U(-2, 3), and |z| up to 9e5; exact values "
        f"in {DIGITS}-digit arithmetic (mpmath)"
    )
    return [
        bound(
            id="npo_limit.gap_bound",
            statement="0 <= L_NPO - (2/beta) log 2 - z <= beta z^2 / 4, z = log(pi/pi_ref): NPO tends to the GA loss "
            "minus log pi_ref as beta -> 0 (the gap is (2/beta) log cosh(beta z/2), derived here).",
            method=method,
            quantity="max gap / (beta z^2 / 4)",
            predicted=1.0,
            measured=float(ratio.max()),
            tol=Tol(1e-15, "40-digit arithmetic, rounded to float64 at the end"),
            figure="npo_limit",
            details=f"min gap {gap.min():.3g} (>= 0)",
        ),
        bound(
            id="npo_limit.gap_bound_is_tight",
            statement="The bound is tight as beta z -> 0: the gap is beta z^2/4 (1 - (beta z)^2/24 + ...).",
            method=f"the {int(small.sum())} draws with |beta z| < 1e-3",
            quantity="min gap / (beta z^2 / 4)",
            predicted=1.0,
            measured=float(ratio[small].min()),
            relation=">=",
            tol=Tol(5e-8, "(beta z)^2 / 24 < 4.2e-8 for |beta z| < 1e-3, plus rounding"),
        ),
        bound(
            id="npo_limit.weight_bound",
            statement="0 < W <= 2 and |W - 1| <= beta |z| / 2 for W = 2 pi^beta / (pi^beta + pi_ref^beta) (derived).",
            method=method,
            quantity="max (|W - 1| - beta |z| / 2)",
            predicted=0.0,
            measured=float(np.max(np.abs(r["weight"] - 1) - beta * np.abs(z) / 2)),
            tol=Tol(2.3e-16, "W - 1 is formed next to 1: one ulp of 1"),
            details=f"W in [{r['weight'].min():.3g}, {r['weight'].max():.3g}]",
        ),
        bound(
            id="npo_limit.loss_accurate_at_any_log_ratio",
            statement="The float64 NPO loss (via logaddexp) is accurate to its condition number for log-ratios of "
            "any size (|z| up to 9e5): relative error at most a few ulps times (1 + |beta z|).",
            method=f"{method}; the exact value of the same float arguments",
            quantity="max relative error / ((1 + |beta z|) x 2.2e-16)",
            predicted=4.0,
            measured=float(np.max(_relative_error(r["loss"], r["exact_loss"]) / ((1 + np.abs(beta * z)) * EPS64))),
            tol=Tol(
                0.0,
                "the bound is the tolerance: one rounding of beta z is amplified by |d log L / d log(beta z)| "
                "<= 1 + |beta z|, and logaddexp adds a few ulps",
            ),
        ),
        bound(
            id="npo_limit.gradient_is_w_times_ga",
            statement="grad L_NPO = W grad L_GA (Zhang et al.'s gradient identity), on a tabular softmax policy.",
            method=f"{len(r['grad_ratio'])} drawn tabular instances, central differences with h = 1e-5",
            quantity="max |grad NPO - W grad GA| / max |grad GA|",
            predicted=0.0,
            measured=float(r["grad_ratio"].max()),
            tol=Tol(1e-7, "central differences: O(h^2) = 1e-10 with third derivatives up to ~100, plus eps/h = 1e-11"),
        ),
        negative_control(
            id="npo_limit.negative_control_half_bound",
            statement="Negative control: the gap is at most beta z^2 / 8. False: the bound beta z^2 / 4 is tight.",
            method=method,
            quantity="max gap / (beta z^2 / 4)",
            predicted=0.5,
            measured=float(ratio.max()),
            tol=Tol(1e-15, "40-digit arithmetic"),
            figure="npo_limit",
        ),
    ]


def figures(config: NPOLimitConfig, results: Results) -> dict:
    r = results["all"]
    x = np.abs(r["beta"] * r["z"])
    fig, ax = figure()
    ax.loglog(x, r["exact_gap"] / (r["beta"] * r["z"] ** 2 / 4), ".", ms=3, label="gap / (beta z^2 / 4)")
    ax.loglog(x, np.abs(r["weight"] - 1) / (x / 2), ".", ms=3, label="|W - 1| / (beta |z| / 2)")
    ax.axhline(1.0, color="k", ls="--", lw=1, label="bound")
    ax.set(
        xlabel="|beta z|", ylabel="ratio to the bound", title="NPO -> GA as beta -> 0: both bounds hold and are tight"
    )
    ax.set_ylim(1e-8, 3)
    ax.legend(fontsize=8)
    return {"npo_limit": fig}


CLAIMS = (
    ClaimSpec("npo_limit.gap_bound", "0 <= L_NPO - (2/beta) log 2 - z <= beta z^2/4"),
    ClaimSpec("npo_limit.gap_bound_is_tight", "tight as beta z -> 0"),
    ClaimSpec("npo_limit.weight_bound", "|W - 1| <= beta |z| / 2"),
    ClaimSpec("npo_limit.loss_accurate_at_any_log_ratio", "stable loss at any log-ratio"),
    ClaimSpec("npo_limit.gradient_is_w_times_ga", "grad NPO = W grad GA"),
    ClaimSpec("npo_limit.negative_control_half_bound", "the bound with 1/8 is detected"),
)

SIM = register(
    Sim(
        name="npo_limit",
        area=AREA,
        description="NPO tends to gradient ascent as beta -> 0 (explicit bounds); its gradient is W times GA's",
        config_cls=NPOLimitConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
