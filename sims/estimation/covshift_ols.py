"""The ``covshift_ols`` sim: the exact target risk of least squares under covariate shift, against Monte Carlo.

Random shifted Gaussian designs (``shifted_covariances``: generalised eigenvalues U(0.2, 3), so the target puts mass
where the source has little and the reverse) in d = 2, 4 and 6, source sample sizes from d + 6 to 200; each cell
draws R designs and noises, fits least squares and measures the target excess (b - beta)'S_T(b - beta) exactly (a
quadratic form). The claim: its mean equals ``ols_covshift_risk`` = sigma^2 tr(S_T S_S^-1) / (n - d - 1) within
4 standard errors. Negative controls: the no-shift formula sigma^2 d / (n - d - 1) and the large-n form
sigma^2 tr(S_T S_S^-1) / n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, Tol, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.engine.stats import mean_se
from sims.estimation.common import AREA, N_SE, SE_REASON, se_tol, shifted_covariances
from theory.estimation import ols_covshift_risk

NOISE_VAR = 1.0
CHUNK = 2000  # replicates per vectorised batch (R x n x d floats stay under 20 MB)


@dataclass(frozen=True)
class CovshiftOLSConfig:
    dims: tuple[int, ...] = (2, 4, 6)
    extra: tuple[int, ...] = (5, 15, 60, 200)  # n = d + 1 + extra
    replicates: int = 20_000

    @classmethod
    def quick(cls) -> CovshiftOLSConfig:
        return cls(dims=(2, 4), extra=(5, 30), replicates=4000)

    @classmethod
    def full(cls) -> CovshiftOLSConfig:
        return cls()


def cells(config: CovshiftOLSConfig) -> list[Cell]:
    return [{"d": d, "n": d + 1 + e} for d in config.dims for e in config.extra]


def _instance(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The instance of dimension d: fixed by d alone, so that every n of one d shares it."""
    rng = np.random.default_rng(1000 + d)
    S, T = shifted_covariances(d, rng, 0.2, 3.0)
    return S, T, rng.standard_normal(d)


def compute(config: CovshiftOLSConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    d, n = cell["d"], cell["n"]
    S, T, beta = _instance(d)
    L = np.linalg.cholesky(S)
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, config.replicates, CHUNK):
        r = min(CHUNK, config.replicates - start)
        X = rng.standard_normal((r, n, d)) @ L.T
        y = X @ beta + np.sqrt(NOISE_VAR) * rng.standard_normal((r, n))
        b = np.linalg.solve(np.matmul(X.transpose(0, 2, 1), X), np.einsum("rnd,rn->rd", X, y)[..., None])[..., 0]
        err = b - beta
        out.append(np.einsum("ri,ij,rj->r", err, T, err))
    return {"excess": np.concatenate(out), "trace": np.array(np.trace(np.linalg.solve(S, T)))}


def check(config: CovshiftOLSConfig, results: Results) -> list[Claim]:
    claims: list[Claim] = []
    for cell in cells(config):
        d, n = cell["d"], cell["n"]
        S, T, _ = _instance(d)
        m, se = mean_se(results[cell_key(cell)]["excess"])
        claims.append(
            equality(
                id=f"covshift_ols.d{d}.n{n}.exact_risk",
                statement=f"E target excess of least squares = sigma^2 tr(S_T S_S^-1)/(n - d - 1) (d = {d}, n = {n}).",
                method=f"{config.replicates} source samples of size {n}, least squares, exact target quadratic form",
                quantity="Monte Carlo mean target excess",
                predicted=ols_covshift_risk(S, T, n, NOISE_VAR),
                measured=m,
                tol=se_tol(se),
                figure="covshift_ols",
                details=f"tr(S_T S_S^-1) = {float(results[cell_key(cell)]['trace']):.4g} (d = {d})",
            )
        )
    gaps = {"no_shift_formula": 0.0, "large_n_formula": 0.0}
    for cell in cells(config):
        d, n = cell["d"], cell["n"]
        m, se = mean_se(results[cell_key(cell)]["excess"])
        tr = float(results[cell_key(cell)]["trace"])
        gaps["no_shift_formula"] = max(gaps["no_shift_formula"], abs(m - NOISE_VAR * d / (n - d - 1)) / se)
        gaps["large_n_formula"] = max(gaps["large_n_formula"], abs(m - NOISE_VAR * tr / n) / se)
    for name, form in (
        ("no_shift_formula", "sigma^2 d / (n - d - 1)"),
        ("large_n_formula", "sigma^2 tr(S_T S_S^-1) / n"),
    ):
        claims.append(
            negative_control(
                id=f"covshift_ols.negative_control_{name}",
                statement=f"Negative control: the target excess of least squares is {form}. False.",
                method="the same cells",
                quantity="max over cells of |MC mean - formula| / SE",
                predicted=0.0,
                measured=gaps[name],
                tol=Tol(N_SE, SE_REASON),
                figure="covshift_ols",
            )
        )
    return claims


def figures(config: CovshiftOLSConfig, results: Results) -> dict:
    fig, ax = figure()
    for j, d in enumerate(config.dims):
        S, T, _ = _instance(d)
        ns = np.array([d + 1 + e for e in config.extra])
        m = np.array([mean_se(results[cell_key({"d": d, "n": n})]["excess"]) for n in ns])
        grid = np.arange(d + 3, ns.max() + 1)
        ax.plot(
            grid, [ols_covshift_risk(S, T, int(n), NOISE_VAR) for n in grid], color=f"C{j}", label=f"exact, d = {d}"
        )
        ax.errorbar(ns, m[:, 0], yerr=4 * m[:, 1], fmt="o", color=f"C{j}", ms=4)
        ax.plot(grid, NOISE_VAR * d / (grid - d - 1), ":", color=f"C{j}", lw=1)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="source sample size n",
        ylabel="target excess risk",
        title="Least squares under covariate shift: MC (points, 4 SE) on the exact curve; dotted: no-shift formula",
    )
    ax.legend(fontsize=7)
    return {"covshift_ols": fig}


CLAIMS = (
    ClaimSpec("covshift_ols.d*.n*.exact_risk", "the exact target risk of least squares under covariate shift"),
    ClaimSpec("covshift_ols.negative_control_no_shift_formula", "the no-shift formula: detected"),
    ClaimSpec("covshift_ols.negative_control_large_n_formula", "the 1/n form: detected"),
)

SIM = register(
    Sim(
        name="covshift_ols",
        area=AREA,
        description="Least squares under covariate shift: the exact (inverse-Wishart) target risk against Monte Carlo",
        config_cls=CovshiftOLSConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
