"""Helpers shared by the sims of one area: optimisers with provable structure (theory/optimizers.py).

Public, so that each sim module imports them by name; nothing here is a sim. The problems are drawn from a seed, never
hand-picked; their reference solutions come from scipy (L-BFGS-B, SLSQP), which knows nothing of Lion or EF21.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from theory.optimizers import top_k

AREA = "Optimisers with provable structure"


def quadratic_problems(rng: np.random.Generator, R: int, d: int, scale: float) -> tuple[NDArray, NDArray]:
    """R quadratics f(x) = (x - c)' A (x - c) / 2: A = Q Q'/d + 0.1 I (Q Gaussian), c ~ N(0, scale^2 I)."""
    Q = rng.normal(size=(R, d, d))
    return Q @ Q.transpose(0, 2, 1) / d + 0.1 * np.eye(d), rng.normal(size=(R, d)) * scale


def box_minimiser(A: NDArray, c: NDArray, radius: float) -> tuple[NDArray, NDArray]:
    """(x*, f*) of each quadratic on the box ||x||_inf <= radius, by L-BFGS-B at tight tolerances."""
    xs, fs = [], []
    for Ai, ci in zip(A, c, strict=True):
        res = minimize(
            lambda x, Ai=Ai, ci=ci: 0.5 * (x - ci) @ Ai @ (x - ci),
            np.zeros(len(ci)),
            jac=lambda x, Ai=Ai, ci=ci: Ai @ (x - ci),
            method="L-BFGS-B",
            bounds=[(-radius, radius)] * len(ci),
            options={"ftol": 1e-16, "gtol": 1e-13, "maxiter": 10_000},
        )
        xs.append(res.x)
        fs.append(res.fun)
    return np.array(xs), np.array(fs)


@dataclass(frozen=True)
class WavyProblems:
    """R non-convex objectives f_r(x) = sum_j a_rj cos(w_rj'x + phi_rj) + mu_r ||x||^2/2: smooth, bounded below,
    with many stationary points (the Lyapunov function needs no convexity). ``f`` and ``grad`` take (R, d) iterates,
    one per problem, or any (n, d) for a one-problem ``row``."""

    W: NDArray  # (R, J, d)
    phase: NDArray  # (R, J)
    a: NDArray  # (R, J)
    mu: NDArray  # (R,)

    def _inner(self, x: NDArray) -> NDArray:
        return np.einsum("...jd,...d->...j", self.W, x) + self.phase

    def f(self, x: NDArray) -> NDArray:
        return np.sum(self.a * np.cos(self._inner(x)), axis=-1) + 0.5 * self.mu * np.sum(x * x, axis=-1)

    def grad(self, x: NDArray) -> NDArray:
        return -np.einsum("...j,...jd->...d", self.a * np.sin(self._inner(x)), self.W) + self.mu[..., None] * x

    def row(self, r: int) -> WavyProblems:
        """Problem r alone, for iterates of any leading shape."""
        return WavyProblems(self.W[r], self.phase[r], self.a[r], self.mu[r])


def wavy_problems(rng: np.random.Generator, R: int, d: int, n_waves: int = 6) -> WavyProblems:
    """Draw R ``WavyProblems``: w_rj ~ N(0, I_d), phi_rj ~ U(0, 2 pi), a_rj ~ U(0.5, 1.5), mu_r ~ U(0.1, 0.5)."""
    return WavyProblems(
        rng.normal(size=(R, n_waves, d)),
        rng.uniform(0.0, 2 * np.pi, (R, n_waves)),
        rng.uniform(0.5, 1.5, (R, n_waves)),
        rng.uniform(0.1, 0.5, R),
    )


@dataclass(frozen=True)
class Clients:
    """A federated problem f = (1/n) sum_i f_i: the clients' gradients and losses, their smoothness constants,
    the smoothness of f and f's minimum (by L-BFGS on the whole problem)."""

    grads: Callable[[NDArray], NDArray]
    loss: Callable[[NDArray], float]
    L_i: NDArray
    L: float
    f_inf: float
    d: int


def quadratic_clients(rng: np.random.Generator, n: int, d: int) -> Clients:
    """f_i(x) = (x - c_i)' A_i (x - c_i) / 2 with heterogeneous curvature: A_i = s_i^2 Q_i Q_i'/d + 0.01 I,
    s_i log-uniform over two decades (so L_QM and L_AM differ)."""
    s = 10 ** rng.uniform(-1.0, 1.0, n)
    Q = rng.normal(size=(n, d, d)) * s[:, None, None]
    A = Q @ Q.transpose(0, 2, 1) / d + 0.01 * np.eye(d)
    c = rng.normal(size=(n, d))
    Abar, b = A.mean(0), np.einsum("nij,nj->i", A, c) / n

    def loss(x: NDArray) -> float:
        return float(np.mean(0.5 * np.einsum("ni,nij,nj->n", x - c, A, x - c)))

    x_star = np.linalg.solve(Abar, b)
    return Clients(
        lambda x: np.einsum("nij,nj->ni", A, x - c),
        loss,
        np.linalg.eigvalsh(A)[:, -1],
        float(np.linalg.eigvalsh(Abar)[-1]),
        loss(x_star),
        d,
    )


def logistic_clients(rng: np.random.Generator, n: int, d: int, m: int = 30, l2: float = 1e-2) -> Clients:
    """f_i(x) = mean_j log(1 + exp(-y_ij a_ij'x)) + l2 ||x||^2 / 2 on client-specific feature scales (s_i
    log-uniform over two decades); L_i = s_i^2 lambda_max(A_i'A_i)/(4 m) + l2, and L that of the pooled problem."""
    s = 10 ** rng.uniform(-1.0, 1.0, n)
    X = rng.normal(size=(n, m, d)) * s[:, None, None]
    w = rng.normal(size=d)
    Y = np.where(rng.random((n, m)) < expit(X @ w), 1.0, -1.0)

    def loss(x: NDArray) -> float:
        return float(-np.mean(log_expit(Y * (X @ x))) + 0.5 * l2 * x @ x)

    def grads(x: NDArray) -> NDArray:
        r = -Y * expit(-Y * (X @ x))  # d/dz log(1 + exp(-y z))
        return np.einsum("nm,nmd->nd", r, X) / m + l2 * x

    L_i = np.linalg.eigvalsh(np.einsum("nmi,nmj->nij", X, X))[:, -1] / (4 * m) + l2
    pooled = X.reshape(-1, d)
    L = float(np.linalg.eigvalsh(pooled.T @ pooled)[-1] / (4 * n * m) + l2)
    res = minimize(
        lambda x: loss(x),
        np.zeros(d),
        jac=lambda x: grads(x).mean(0),
        method="L-BFGS-B",
        options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 10_000},
    )
    return Clients(grads, loss, L_i, L, float(res.fun), d)


def top_k_switch(k: int, threshold: float = 1.0) -> Callable[[NDArray], NDArray]:
    """A contractive compressor that is not positively homogeneous: Top-(k+1) on rows of norm below ``threshold``,
    Top-k on the others; contraction alpha = k/d (that of the worse of the two)."""

    def C(V: NDArray) -> NDArray:
        small = np.linalg.norm(V, axis=1) < threshold
        return np.where(small[:, None], top_k(V, min(k + 1, V.shape[1])), top_k(V, k))

    return C


# The federated problems the EF21 sims draw, by cell name.
CLIENT_PROBLEMS: dict[str, Callable[..., Clients]] = {"quadratic": quadratic_clients, "logistic": logistic_clients}
