"""The ``ldr_dual_form`` sim: the LDR-KL closed form against numerical maximisation over the simplex, and its limits"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.ldr.common import AREA
from theory.ldr import ldr_kl_dual_objective, ldr_kl_loss

# SLSQP on the simplex stops at ftol 1e-13 (absolute, on objectives of order 1-10): the maximum it reports is within
# ~1e-9 of the true one, far below any error of a wrong closed form.
MAX_TOL = Tol(1e-8, "SLSQP on the simplex run to ftol 1e-13: its maximum is within ~1e-9 of the true maximum")


@dataclass(frozen=True)
class LDRDualFormConfig:
    n_instances: int = 100
    Ks: tuple[int, ...] = (3, 10)
    lams: tuple[float, ...] = (0.05, 0.3, 1.0, 3.0)
    margins: tuple[float, ...] = (0.0, 1.0)

    @classmethod
    def quick(cls) -> LDRDualFormConfig:
        return cls(n_instances=30, Ks=(3,), lams=(0.3, 3.0))

    @classmethod
    def full(cls) -> LDRDualFormConfig:
        return cls()


def cells(config: LDRDualFormConfig) -> list[Cell]:
    return [{"K": K, "lam": lam, "margin": c} for K in config.Ks for lam in config.lams for c in config.margins]


_FD_STEP = float(np.sqrt(np.finfo(float).eps))  # scipy's 2-point relative step (~1.49e-8), times max(1, |p|) = 1


def _dual_rows(P: np.ndarray, f: np.ndarray, y: np.ndarray, lam: float, c: float) -> np.ndarray:
    """The LDR-KL dual objective sum_k p_k a_k - lam KL(p || uniform), a_k = c 1[k != y] + f_k - f_y, per row, written
    here from the definition (not theory's code) so that the search maximises what the paper defines."""
    rows, K = np.arange(len(y)), f.shape[1]
    a = c + f - f[rows, y][:, None]
    a[rows, y] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P * K), 0.0)
    return np.sum(P * a, axis=1) - lam * plogp.sum(axis=1)


def _numerical_max(f: np.ndarray, y: int, lam: float, c: float) -> float:
    """max over the simplex of sum_k p_k a_k - lam KL(p || u), by SLSQP from several starts (no closed form used)."""
    K = len(f)
    f_rows, y_rows = np.repeat(f[None, :].astype(float), K + 1, axis=0), np.full(K + 1, y)
    cols = np.arange(K)

    def neg_and_grad(p):
        # scipy's 2-point finite differences (step 1.49e-8, reversed where it would cross the bound 1), with the
        # K + 1 evaluations in one vectorised call of the dual objective's arithmetic (without the public function's
        # argument checks, ~95% of a call on one row): the same gradient SLSQP computes with jac=None, ~K times cheaper
        h = np.where(p + _FD_STEP > 1.0, -_FD_STEP, _FD_STEP)
        rows = np.repeat(p[None, :], K + 1, axis=0)
        rows[cols + 1, cols] += h
        dx = rows[cols + 1, cols] - p
        rows = np.clip(rows, 1e-300, None)
        vals = -_dual_rows(rows / rows.sum(axis=1, keepdims=True), f_rows, y_rows, lam, c)
        return float(vals[0]), (vals[1:] - vals[0]) / dx

    ones = np.ones((1, K))  # the constraint's exact Jacobian: without it SLSQP differences the constraint too
    best = -np.inf
    for start in (np.full(K, 1.0 / K), np.eye(K)[int(np.argmax(f))] * 0.9 + 0.1 / K):
        r = minimize(
            neg_and_grad,
            start,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * K,
            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0, "jac": lambda p: ones}],
            options={"ftol": 1e-13, "maxiter": 1000},
        )
        p = np.clip(r.x, 1e-300, None)
        best = max(best, float(ldr_kl_dual_objective(p / p.sum(), f, [y], lam, c)[0]))
    return best


def compute(config: LDRDualFormConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    K, lam, c = cell["K"], cell["lam"], cell["margin"]
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=2.0, size=(config.n_instances, K))
    y = rng.integers(K, size=config.n_instances)
    closed = ldr_kl_loss(f, y, lam, c)
    numeric = np.array([_numerical_max(f[i], int(y[i]), lam, c) for i in range(config.n_instances)])
    # the limits, evaluated at the extremes of the valid temperature range
    a = c * (np.arange(K)[None, :] != y[:, None]) + f - f[np.arange(len(y)), y][:, None]
    return {
        "closed": closed,
        "numeric": numeric,
        "hinge": a.max(axis=1),
        "mean": a.mean(axis=1),
        "range": a.max(axis=1) - a.min(axis=1),
        "at_lam_min": ldr_kl_loss(f, y, 1e-3, c),
        "at_lam_max": ldr_kl_loss(f, y, 1e3, c),
    }


def check(config: LDRDualFormConfig, results: Results) -> list[Claim]:
    rs = [results[cell_key(c)] for c in cells(config)]
    gap = max(float(np.max(np.abs(r["closed"] - r["numeric"]))) for r in rs)
    # lam -> 0: 0 <= l - max_k a_k <= lam log K... the loss is within lam log K of the hinge (and above it - lam log K)
    grid = cells(config)
    # D = l - (max_k a_k - lambda log K) = lambda log sum_k exp((a_k - max a)/lambda) lies in [0, lambda log K]
    # and is ~0 unless several a_k lie within ~lambda of the maximum
    hinge_gap = max(
        float(np.max(np.abs(r["at_lam_min"] - (r["hinge"] - 1e-3 * np.log(c["K"]))))) / (1e-3 * np.log(c["K"]))
        for r, c in zip(rs, grid, strict=True)
    )
    # l - mean(a) = lambda log E_k exp((a_k - mean a)/lambda) is in [0, range^2/(8 lambda)] (Jensen; Hoeffding's lemma)
    mean_ratio = max(float(np.max((r["at_lam_max"] - r["mean"]) / (r["range"] ** 2 / (8 * 1e3)))) for r in rs)
    mean_low = min(float(np.min(r["at_lam_max"] - r["mean"])) for r in rs)
    n = config.n_instances * len(rs)
    return [
        bound(
            id="ldr_dual_form.closed_form_equals_max_over_simplex",
            statement="lambda log((1/K) sum_k exp(a_k/lambda)) = max over the simplex of sum_k p_k a_k - lambda "
            "KL(p || uniform), a_k = c 1[k != y] + f_k - f_y (Donsker-Varadhan).",
            method=f"SLSQP over the simplex from two starts on {n} random (f, y) over K in {list(config.Ks)}, "
            f"lambda in {list(config.lams)}, c in {list(config.margins)}",
            quantity="max |closed form - numerical maximum|",
            predicted=0.0,
            measured=gap,
            tol=MAX_TOL,
            figure="ldr_limits",
        ),
        bound(
            id="ldr_dual_form.limit_lambda_to_zero_is_the_hinge",
            statement="As lambda -> 0 the loss tends to max_k (c 1[k != y] + f_k - f_y) (Crammer-Singer): at "
            "lambda = 1e-3 it equals max_k a_k - lambda log K up to lambda log(number of a_k within ~lambda of the "
            "maximum).",
            method="the loss at lambda = 1e-3 against max_k a_k - lambda log K on the same instances",
            quantity="max |l(1e-3) - (max_k a_k - lambda log K)| / (lambda log K)",
            predicted=0.0,
            measured=hinge_gap,
            tol=Tol(
                1.0,
                "the difference lies in [0, lambda log K] (all K terms tied at the maximum), so 1 is the exact "
                "worst case; random scores put it near 0",
            ),
            figure="ldr_limits",
        ),
        bound(
            id="ldr_dual_form.limit_lambda_to_infinity_is_the_mean",
            statement="As lambda -> infinity the loss tends to the mean (1/K) sum_k a_k: at lambda = 1e3 it exceeds "
            "the mean by at most range(a)^2/(8 lambda) (Hoeffding's lemma) and never falls below it (Jensen).",
            method=f"the loss at lambda = 1e3 against the mean of a_k; smallest excess {mean_low:.2e}",
            quantity="max (l(1e3) - mean_k a_k) / (range^2 / (8 lambda))",
            predicted=1.0,
            measured=mean_ratio if mean_low >= -1e-12 else float("inf"),
            tol=Tol(1e-9, "float64 rounding of the difference of two values of order 10, relative to a bound of ~1e-3"),
            figure="ldr_limits",
        ),
        negative_control(
            id="ldr_dual_form.negative_control_without_kl",
            statement="Negative control: the loss equals the linear part alone, max over the simplex of sum_k p_k a_k "
            "(the hinge), at every lambda of the grid. False: the KL term moves it by up to lambda log K.",
            method="closed form against max_k a_k on every instance and cell",
            quantity="min over instances and cells of |l - max_k a_k|",
            predicted=0.0,
            measured=min(float(np.min(np.abs(r["closed"] - r["hinge"]))) for r in rs),
            tol=Tol(1e-6, "well above rounding; the KL term is of order lambda"),
            figure="ldr_limits",
        ),
    ]


def figures(config: LDRDualFormConfig, results: Results) -> dict:
    fig, ax = figure()
    rng = np.random.default_rng(0)
    f = rng.normal(scale=2.0, size=(1, 5))
    lams = np.logspace(-3, 3, 200)
    for c, style in ((0.0, "-"), (1.0, "--")):
        vals = [float(ldr_kl_loss(f, [0], lam, c)[0]) for lam in lams]
        a = c * (np.arange(5) != 0) + f[0] - f[0, 0]
        ax.plot(lams, vals, style, color="C0", label=f"LDR-KL, c = {c:g}")
        ax.axhline(a.max(), color="C1", ls=style, lw=0.8, label=f"max_k a_k (c = {c:g})")
        ax.axhline(a.mean(), color="C2", ls=style, lw=0.8, label=f"mean_k a_k (c = {c:g})")
    ax.set(
        xscale="log",
        xlabel=r"$\lambda$",
        ylabel="loss",
        title=r"LDR-KL between the hinge ($\lambda \to 0$) and the mean",
    )
    ax.legend(fontsize=8)
    return {"ldr_limits": fig}


CLAIMS = (
    ClaimSpec("ldr_dual_form.closed_form_equals_max_over_simplex", "closed form = numerical max"),
    ClaimSpec("ldr_dual_form.limit_lambda_to_zero_is_the_hinge", "lambda -> 0: Crammer-Singer"),
    ClaimSpec("ldr_dual_form.limit_lambda_to_infinity_is_the_mean", "lambda -> infinity: the mean"),
    ClaimSpec("ldr_dual_form.negative_control_without_kl", "dropping the KL term: detected"),
)

SIM = register(
    Sim(
        name="ldr_dual_form",
        area=AREA,
        description="LDR-KL losses: the closed form is the max over label distributions; its two temperature limits",
        config_cls=LDRDualFormConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
