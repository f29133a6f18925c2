"""The ``lion_k_geometry`` sim: other K, other constraints: K = ||.||_2 gives the l2 ball, K = ||.||^2/2 gives l2
regularisation"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from sims.engine.claims import Claim, ClaimSpec, Tol, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, register, single_cell
from sims.engine.plotting import figure
from sims.optimizers.common import AREA, quadratic_problems
from theory.optimizers import lion_run

LAM = 0.5


def _unit(m: np.ndarray) -> np.ndarray:
    """grad ||m||_2 = m/||m|| (rows), 0 at 0."""
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return np.where(n > 0, m / np.where(n > 0, n, 1.0), 0.0)


@dataclass(frozen=True)
class LionKGeometryConfig:
    n_problems: int = 12
    d: int = 5
    eta: float = 1e-3
    n_steps: int = 40_000

    @classmethod
    def quick(cls) -> LionKGeometryConfig:
        return cls(n_problems=3, eta=1e-2, n_steps=4000)

    @classmethod
    def full(cls) -> LionKGeometryConfig:
        return cls()


cells = single_cell


def compute(config: LionKGeometryConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    rng = np.random.default_rng(seed)
    A, c = quadratic_problems(rng, config.n_problems, config.d, scale=3.0)
    R, d = c.shape

    def grad(x: np.ndarray) -> np.ndarray:
        return np.einsum("rij,rj->ri", A, x - c)

    ball = lion_run(grad, np.zeros((R, d)), config.eta, LAM, n_steps=config.n_steps, grad_K=_unit)
    ridge = lion_run(
        grad, np.zeros((R, d)), config.eta, LAM, beta1=0.0, beta2=0.0, n_steps=config.n_steps, grad_K=lambda m: m
    )
    ref_ball = np.array([_ball_minimiser(A[r], c[r], 1.0 / LAM) for r in range(R)])
    ref_ridge = np.array([np.linalg.solve(A[r] + LAM * np.eye(d), A[r] @ c[r]) for r in range(R)])
    return {
        "ball": ball.x_avg,
        "ref_ball": ref_ball,
        "ridge": ridge.x,
        "ref_ridge": ref_ridge,
        "norm_c": np.linalg.norm(c, axis=1),
    }


def _ball_minimiser(A: np.ndarray, c: np.ndarray, radius: float) -> np.ndarray:
    """argmin (x - c)'A(x - c)/2 s.t. ||x||_2 <= radius, by SLSQP at tight tolerances."""
    res = minimize(
        lambda x: 0.5 * (x - c) @ A @ (x - c),
        np.zeros(len(c)),
        jac=lambda x: A @ (x - c),
        method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda x: radius**2 - x @ x, "jac": lambda x: -2 * x}],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return res.x


def check(config: LionKGeometryConfig, results: Results) -> list[Claim]:
    r = results["all"]
    n = len(r["norm_c"])
    method = (
        f"{n} drawn quadratics in d = {config.d} (c ~ N(0, 3^2)), lam = {LAM:g}, eta = {config.eta:g}, "
        f"{config.n_steps} steps"
    )
    return [
        equality(
            id="lion_k_geometry.l2_ball",
            statement="Lion-K with K = ||.||_2 (grad K = m/||m||) solves min f s.t. ||x||_2 <= 1/lam.",
            method=method + "; iterates averaged over the second half; reference SLSQP",
            quantity="max ||avg - x*_ball||_inf",
            predicted=0.0,
            measured=float(np.abs(r["ball"] - r["ref_ball"]).max()),
            tol=Tol(
                2 * config.eta,
                "the average's O(eta) error, ~0.1 eta on the box problems of lion_box_limit (7e-5 at eta = 1e-3), "
                "with a factor 20 of room for the ball's curvature",
            ),
            figure="lion_k_geometry",
        ),
        equality(
            id="lion_k_geometry.l2_regularisation",
            statement="With K = ||.||^2/2 (grad K the identity) and no momentum the fixed point is "
            "(A + lam I)^-1 A c: l2 regularisation, not a constraint.",
            method=method,
            quantity="max ||x_T - (A + lam I)^-1 A c||_inf",
            predicted=0.0,
            measured=float(np.abs(r["ridge"] - r["ref_ridge"]).max()),
            tol=Tol(1e-8, "linear convergence at rate 1 - eta (lam + lambda_min(A)) over the run, to ~1e-12"),
        ),
        negative_control(
            id="lion_k_geometry.negative_control_box_for_l2",
            statement="Negative control: K = ||.||_2 gives the box ||x||_inf <= 1/lam like sign. False: it gives the "
            "ball, strictly inside the box's corners.",
            method=method,
            quantity="max ||x||_2 of the averaged iterates, times lam",
            predicted=float(np.sqrt(config.d)),
            measured=float(LAM * np.linalg.norm(r["ball"], axis=1).max()),
            relation="==",
            tol=Tol(0.1, "a tenth of the box's corner norm sqrt(d)"),
        ),
    ]


def figures(config: LionKGeometryConfig, results: Results) -> dict:
    r = results["all"]
    fig, ax = figure()
    ax.plot(np.linalg.norm(r["ref_ball"], axis=1), np.linalg.norm(r["ball"], axis=1), "o", label="K = ||.||_2")
    ax.plot(np.linalg.norm(r["ref_ridge"], axis=1), np.linalg.norm(r["ridge"], axis=1), "s", label="K = ||.||^2/2")
    lim = max(1.0, float(np.linalg.norm(r["ref_ridge"], axis=1).max()))
    ax.plot([0, lim], [0, lim], "k--", lw=1)
    ax.axvline(1.0 / LAM, color="0.6", lw=1, label="ball radius 1/lam")
    ax.set(xlabel="||reference||_2", ylabel="||Lion-K||_2", title="Lion-K: the ball for ||.||_2, ridge for ||.||^2/2")
    ax.legend(fontsize=8)
    return {"lion_k_geometry": fig}


CLAIMS = (
    ClaimSpec("lion_k_geometry.l2_ball", "K = ||.||_2: the l2 ball"),
    ClaimSpec("lion_k_geometry.l2_regularisation", "K = ||.||^2/2: l2 regularisation"),
    ClaimSpec("lion_k_geometry.negative_control_box_for_l2", "not the box"),
)

SIM = register(
    Sim(
        name="lion_k_geometry",
        area=AREA,
        description="Lion-K with K = ||.||_2 solves the l2-ball problem; K = ||.||^2/2 is l2 regularisation",
        config_cls=LionKGeometryConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
