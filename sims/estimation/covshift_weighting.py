"""The ``covshift_weighting`` sim: importance-weighted least squares under covariate shift, where it converges and
where it does not.

Two instances, each with designs drawn from the source and weights w = p_T / p_S (``gaussian_density_ratio``):

- *finite*: d = 3, a random shift with generalised eigenvalues U(0.4, 1.3) (so E_S[w^4] is finite too and the
  Monte Carlo errors are trustworthy), n from 250 to 4000;
- *infinite*: d = 1, S_S = 1, S_T = 3 (eigenvalue 3 >= 2: E_S[w^2] is infinite), n from 250 to 16000.

Per design the conditional target risks are exact: sigma^2 tr(S_T (X'X)^-1) for least squares and
sigma^2 tr(S_T G^-1 H G^-1) (G = X'WX, H = X'W^2X) for the weighted fit. Claims: n times the mean risk extrapolated
to n -> inf (in 1/n) equals ``iwls_asymptotic_risk`` (finite case); per design least squares is never worse
(Gauss-Markov); in the infinite case n times the risk keeps growing (log-log slope > 0 by 4 standard errors),
where the limit is inf. Negative controls: the weighted limit equals least squares'; IWLS <= OLS per design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, register
from sims.engine.plotting import figure
from sims.estimation.common import AREA, N_SE, SE_REASON, extrapolate_in, se_tol, shifted_covariances, size_curve
from theory.estimation import gaussian_density_ratio, iwls_asymptotic_risk

NOISE_VAR = 1.0
CHUNK = 250
ROUNDING = Tol(1e-9, "rounding of the d x d solves, relative to the risk")


@dataclass(frozen=True)
class CovshiftWeightingConfig:
    finite_n: tuple[int, ...] = (250, 500, 1000, 2000, 4000)
    infinite_n: tuple[int, ...] = (250, 1000, 4000, 16000)
    replicates: int = 2000

    @classmethod
    def quick(cls) -> CovshiftWeightingConfig:
        return cls(finite_n=(250, 500, 1000), infinite_n=(250, 1000, 4000), replicates=500)

    @classmethod
    def full(cls) -> CovshiftWeightingConfig:
        return cls()


def instance(case: str) -> tuple[np.ndarray, np.ndarray]:
    """(S_S, S_T) of the case ("finite" or "infinite")."""
    if case == "infinite":
        return np.eye(1), 3.0 * np.eye(1)
    return shifted_covariances(3, np.random.default_rng(2024), 0.4, 1.3)


def cells(config: CovshiftWeightingConfig) -> list[Cell]:
    return [{"case": "finite", "n": n} for n in config.finite_n] + [
        {"case": "infinite", "n": n} for n in config.infinite_n
    ]


def compute(config: CovshiftWeightingConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    S, T = instance(cell["case"])
    d, n = S.shape[0], cell["n"]
    L, zero = np.linalg.cholesky(S), np.zeros(d)
    rng = np.random.default_rng(seed)
    ols, iw = [], []
    for start in range(0, config.replicates, CHUNK):
        r = min(CHUNK, config.replicates - start)
        X = rng.standard_normal((r, n, d)) @ L.T
        w = gaussian_density_ratio(X.reshape(-1, d), zero, S, zero, T).reshape(r, n)
        w = w / w.max(axis=1, keepdims=True)  # the weighted fit is scale-free; this keeps G and H finite
        XtX = np.matmul(X.transpose(0, 2, 1), X)
        G = np.matmul(X.transpose(0, 2, 1), X * w[..., None])
        H = np.matmul(X.transpose(0, 2, 1), X * (w * w)[..., None])
        Gi = np.linalg.inv(G)
        ols.append(NOISE_VAR * np.einsum("ij,rji->r", T, np.linalg.inv(XtX)))
        iw.append(NOISE_VAR * np.einsum("ij,rjk,rkl,rli->r", T, Gi, H, Gi))
    return {"ols": np.concatenate(ols), "iwls": np.concatenate(iw)}


def _scaled(config: CovshiftWeightingConfig, results: Results, case: str, key: str) -> tuple[np.ndarray, ...]:
    return size_curve(results, config.finite_n if case == "finite" else config.infinite_n, key, {"case": case})


def _infinite_claims(config: CovshiftWeightingConfig, results: Results) -> list[Claim]:
    ni, yi, _ = _scaled(config, results, "infinite", "iwls")
    fit = stats.linregress(np.log(ni), np.log(yi))
    lam = 3.0
    heuristic = 2.0 * (lam - 1.0) / lam - 1.0  # 2/beta - 1 with tail index beta = lam / (lam - 1) of w x^2
    return [
        bound(
            id="covshift_weighting.infinite.risk_grows_faster_than_1_over_n",
            statement="Where S_T is not < 2 S_S (limit inf), n x the weighted fit's risk grows with n.",
            method=f"S_S = 1, S_T = 3, n = {list(config.infinite_n)}, {config.replicates} designs each; limit "
            f"{iwls_asymptotic_risk(np.eye(1), 3 * np.eye(1), NOISE_VAR)}",
            quantity="log-log slope of n x mean risk, minus 4 standard errors",
            predicted=0.0,
            measured=float(fit.slope - N_SE * fit.stderr),
            tol=Tol(0.0, "the 4 standard errors are subtracted"),
            relation=">=",
            figure="covshift_weighting",
            details=f"slope {fit.slope:.3f} +- {fit.stderr:.3f}",
        ),
        Claim.observation(
            id="covshift_weighting.infinite.slope_against_tail_heuristic",
            statement="The growth rate against the heuristic n^(2/beta - 1), beta = lambda/(lambda - 1) "
            "the tail index of w x^2 (1/3 at lambda = 3).",
            method="the infinite cells",
            quantity="log-log slope of n x mean risk",
            measured=float(fit.slope),
            predicted=heuristic,
            figure="covshift_weighting",
        ),
    ]


def check(config: CovshiftWeightingConfig, results: Results) -> list[Claim]:
    S, T = instance("finite")
    limit = iwls_asymptotic_risk(S, T, NOISE_VAR)
    ols_limit = NOISE_VAR * float(np.trace(np.linalg.solve(S, T)))
    ns, y, se = _scaled(config, results, "finite", "iwls")
    icpt, icpt_se = extrapolate_in(ns, y, se)
    o_icpt, o_se = extrapolate_in(*_scaled(config, results, "finite", "ols"))
    method = f"{config.replicates} designs per n, n = {list(config.finite_n)}; n x mean risk fitted as L + c/n"
    rel = [(r["iwls"] - r["ols"]) / r["ols"] for r in results.values()]
    gap_min, gap_max = float(min(v.min() for v in rel)), float(max(v.max() for v in rel))
    return [
        equality(
            id="covshift_weighting.finite.iwls_limit",
            statement="n x target risk of importance-weighted least squares -> sigma^2 c tr(S_T^-1 M).",
            method=method,
            quantity="extrapolated n x risk (intercept L)",
            predicted=limit,
            measured=icpt,
            tol=se_tol(icpt_se, "the intercept's standard error from the points'"),
            figure="covshift_weighting",
        ),
        equality(
            id="covshift_weighting.finite.ols_limit",
            statement="n x target risk of least squares -> sigma^2 tr(S_T S_S^-1).",
            method=method,
            quantity="extrapolated n x risk (intercept L)",
            predicted=ols_limit,
            measured=o_icpt,
            tol=se_tol(o_se, "the intercept's standard error from the points'"),
            figure="covshift_weighting",
        ),
        negative_control(
            id="covshift_weighting.negative_control_weighting_is_free",
            statement="Negative control: the weighted fit's limit equals least squares'. False.",
            method=method,
            quantity="|extrapolated weighted n x risk - sigma^2 tr(S_T S_S^-1)| / SE",
            predicted=0.0,
            measured=abs(icpt - ols_limit) / icpt_se,
            tol=Tol(N_SE, SE_REASON),
            relation="<=",
            figure="covshift_weighting",
        ),
        bound(
            id="covshift_weighting.gauss_markov_per_design",
            statement="Given the design, least squares' target risk never exceeds the weighted fit's (Gauss-Markov).",
            method=f"every design of every cell ({sum(len(v) for v in rel)} designs)",
            quantity="min over designs of (risk_IWLS - risk_OLS) / risk_OLS",
            predicted=0.0,
            measured=gap_min,
            tol=ROUNDING,
            relation=">=",
            figure="covshift_weighting",
        ),
        negative_control(
            id="covshift_weighting.negative_control_weighted_never_worse",
            statement="Negative control: given the design, the weighted fit is never worse. False.",
            method="every design of every cell",
            quantity="max over designs of (risk_IWLS - risk_OLS) / risk_OLS",
            predicted=0.0,
            measured=gap_max,
            tol=ROUNDING,
            figure="covshift_weighting",
        ),
        *_infinite_claims(config, results),
    ]


def figures(config: CovshiftWeightingConfig, results: Results) -> dict:
    fig, axes = figure(1, 2)
    S, T = instance("finite")
    for key, c, lim in (
        ("iwls", "C0", iwls_asymptotic_risk(S, T, NOISE_VAR)),
        ("ols", "C1", float(np.trace(np.linalg.solve(S, T)))),
    ):
        ns, y, se = _scaled(config, results, "finite", key)
        axes[0].errorbar(ns, y, yerr=N_SE * se, fmt="o-", color=c, ms=4, label=f"{key}: n x risk")
        axes[0].axhline(lim, color=c, ls=":", label=f"{key} limit")
    axes[0].set(xscale="log", xlabel="n", ylabel="n x target risk", title="finite case: both converge, weighting costs")
    axes[0].legend(fontsize=7)
    for key, c in (("iwls", "C0"), ("ols", "C1")):
        ns, y, se = _scaled(config, results, "infinite", key)
        axes[1].errorbar(ns, y, yerr=N_SE * se, fmt="o-", color=c, ms=4, label=key)
    axes[1].set(
        xscale="log",
        yscale="log",
        xlabel="n",
        ylabel="n x target risk",
        title=f"S_T = 3 S_S: the weighted risk falls slower than 1/n (limit {math.inf})",
    )
    axes[1].legend(fontsize=7)
    return {"covshift_weighting": fig}


CLAIMS = (
    ClaimSpec("covshift_weighting.finite.iwls_limit", "the IWLS limit sigma^2 c tr(S_T^-1 M)"),
    ClaimSpec("covshift_weighting.finite.ols_limit", "the OLS limit sigma^2 tr(S_T S_S^-1)"),
    ClaimSpec("covshift_weighting.negative_control_weighting_is_free", "weighting is free: detected"),
    ClaimSpec("covshift_weighting.gauss_markov_per_design", "OLS <= IWLS given the design"),
    ClaimSpec("covshift_weighting.negative_control_weighted_never_worse", "IWLS <= OLS per design: detected"),
    ClaimSpec("covshift_weighting.infinite.risk_grows_faster_than_1_over_n", "infinite variance: slower than 1/n"),
    ClaimSpec("covshift_weighting.infinite.slope_against_tail_heuristic", "the growth rate (observation)"),
)

SIM = register(
    Sim(
        name="covshift_weighting",
        area=AREA,
        description="Importance-weighted least squares: its limit, Gauss-Markov per design, the infinite-variance case",
        config_cls=CovshiftWeightingConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
