"""The ``icl_nonlinear_targets`` sim: nonlinear responses leave the least-squares preconditioner proportional to I

With isotropic covariates and y = f(w.x) + e for f = relu, tanh or the cube, the rotation invariance of the prompt
distribution forces the risk-minimising G of x_q' G g to be a multiple of the identity (derived here: R(Q G Q') = R(G)
for every rotation Q, and R is convex in G, so the average of Q G Q' over rotations is also optimal). The least-squares
fit of G checks it; with an anisotropic covariance (negative control) it is not a multiple of I.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec, bound, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register
from sims.engine.plotting import figure
from sims.in_context.common import AREA, N_SE, Z_TOL, fit_preconditioner_chunked


def relu(u: np.ndarray) -> np.ndarray:
    return np.maximum(u, 0.0)


def cube(u: np.ndarray) -> np.ndarray:
    return u**3


TARGETS = {"relu": relu, "tanh": np.tanh, "cube": cube}
ANISOTROPIC = np.diag([0.25, 1.0, 4.0])  # the negative control's covariance (d = 3)


@dataclass(frozen=True)
class ICLNonlinearTargetsConfig:
    n: int = 20
    d: int = 3
    noise_var: float = 0.25
    n_prompts: int = 1_000_000

    @classmethod
    def quick(cls) -> ICLNonlinearTargetsConfig:
        return cls(n_prompts=100_000)

    @classmethod
    def full(cls) -> ICLNonlinearTargetsConfig:
        return cls()


def cells(config: ICLNonlinearTargetsConfig) -> list[Cell]:
    return [{"target": t, "cov": "isotropic"} for t in TARGETS] + [{"target": "relu", "cov": "anisotropic"}]


def compute(config: ICLNonlinearTargetsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    cov = None if cell["cov"] == "isotropic" else ANISOTROPIC
    return fit_preconditioner_chunked(
        config.n_prompts, config.n, config.d, seed, cov=cov, noise_var=config.noise_var, target=TARGETS[cell["target"]]
    )


def _distance_to_multiple_of_identity(G: np.ndarray, cov_vecG: np.ndarray) -> tuple[float, float]:
    """max over the entries of |G - (tr G / d) I| / SE, the SE of each entry of G - (tr G/d) I from cov(vec G)."""
    d = G.shape[0]
    P = np.eye(d * d) - np.outer(np.eye(d).ravel(), np.eye(d).ravel()) / d  # vec(G) -> vec(G - tr(G)/d I)
    dev = P @ G.ravel()
    se = np.sqrt(np.maximum(np.diag(P @ cov_vecG @ P.T), 1e-300))
    return float(np.max(np.abs(dev) / se)), float(np.trace(G) / d)


def check(config: ICLNonlinearTargetsConfig, results: Results) -> list[Claim]:
    claims = []
    for t in TARGETS:
        r = results[cell_key({"target": t, "cov": "isotropic"})]
        z, scale = _distance_to_multiple_of_identity(r["G"], r["cov_vecG"])
        claims.append(
            bound(
                id=f"icl_nonlinear_targets.{t}.G_multiple_of_identity",
                statement=f"y = {t}(w.x) + e with isotropic Gaussian covariates: the risk-minimising preconditioner "
                "of one-step GD is a multiple of the identity (plain GD).",
                method=f"least squares of y_q on vec(x_q g') over {config.n_prompts:.0e} prompts (n = {config.n}, "
                f"d = {config.d}), robust standard errors",
                quantity="max over entries of |G - (tr G/d) I| / SE",
                predicted=N_SE,
                measured=z,
                tol=Z_TOL,
                figure="nonlinear",
                details=f"tr(G)/d = {scale:.4g}; G = {np.array2string(r['G'], precision=4)}",
            )
        )
    r = results[cell_key({"target": "relu", "cov": "anisotropic"})]
    z, _ = _distance_to_multiple_of_identity(r["G"], r["cov_vecG"])
    claims.append(
        negative_control(
            id="icl_nonlinear_targets.negative_control_anisotropic",
            statement="Negative control: with covariance diag(0.25, 1, 4) the least-squares preconditioner for "
            "relu targets is a multiple of the identity. False: the check must detect the difference.",
            method="same fit, anisotropic covariates",
            quantity="max over entries of |G - (tr G/d) I| / SE",
            predicted=N_SE,
            measured=z,
            tol=Z_TOL,
            figure="nonlinear",
            details=f"G = {np.array2string(r['G'], precision=4)}",
        )
    )
    return claims


def figures(config: ICLNonlinearTargetsConfig, results: Results) -> dict:
    fig, ax = figure()
    for k, cell in enumerate(cells(config)):
        r = results[cell_key(cell)]
        G = r["G"] / (np.trace(r["G"]) / config.d)
        ax.bar(np.arange(config.d**2) + 0.2 * k - 0.3, G.ravel(), 0.2, label=f"{cell['target']}, {cell['cov']}")
    ax.set(
        xticks=range(config.d**2),
        xticklabels=[f"G{i}{j}" for i in range(config.d) for j in range(config.d)],
        ylabel="G / (tr G / d)",
        title="Least-squares preconditioner: plain GD (I) unless the covariates are anisotropic",
    )
    ax.legend(fontsize=8)
    return {"nonlinear": fig}


CLAIMS = (
    ClaimSpec("icl_nonlinear_targets.*.G_multiple_of_identity", "G is a multiple of I (isotropic x)"),
    ClaimSpec("icl_nonlinear_targets.negative_control_anisotropic", "anisotropic x: not a multiple of I"),
)

SIM = register(
    Sim(
        name="icl_nonlinear_targets",
        area=AREA,
        description="Nonlinear in-context targets (relu, tanh, cube) keep the optimal one-step preconditioner "
        "proportional to I",
        config_cls=ICLNonlinearTargetsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
