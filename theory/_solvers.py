"""Solvers shared by the areas (private).

Checked convex solves: a value is never used unless the solver reports optimality. Clarabel first (the project's
default conic solver); on failure or an inaccurate status, SCS at tight tolerances; if neither reaches ``optimal``,
``SolverError`` is raised with the statuses.

Batched golden-section search: many one-dimensional minimisations at once, one vectorised evaluation per step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def golden_section_min(fn: Callable[[NDArray], NDArray], lo: NDArray, hi: NDArray, xtol: float) -> NDArray:
    """Minimisers of unimodal functions on [lo, hi], all rows at once: ``fn`` maps points (N,) to values (N,).

    Golden section shrinks every bracket by 0.618 per step, with one call of ``fn`` on all rows per step, until
    every bracket is narrower than ``xtol``; returns the bracket midpoints. Where scipy's scalar Brent search
    runs one Python-level optimiser per row, this costs ~60 vectorised calls in all (brackets of width 1 to
    1e-13). For unimodal functions only: on others it returns a local minimiser.
    """
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    while np.max(hi - lo, initial=0.0) > xtol:
        c, d = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
        left = fn(c) <= fn(d)
        lo, hi = np.where(left, lo, c), np.where(left, d, hi)
    return (lo + hi) / 2


class SolverError(RuntimeError):
    """A convex program did not reach an optimal status (the statuses are in the message)."""

    def __init__(self, message: str, statuses: dict[str, str] | None = None, index: Any = None) -> None:
        super().__init__(message)
        self.statuses = statuses or {}
        self.index = index


def solve_checked(problem: Any, context: str = "", index: Any = None) -> float:
    """Solve a cvxpy problem with Clarabel, falling back to SCS; return the optimal value or raise."""
    import cvxpy as cp

    statuses: dict[str, str] = {}
    attempts = (("CLARABEL", {}), ("SCS", {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}))
    for solver, opts in attempts:
        if solver not in cp.installed_solvers():
            statuses[solver] = "not installed"
            continue
        try:
            problem.solve(solver=solver, **opts)
        except cp.error.SolverError as e:
            statuses[solver] = f"failed ({e})"
            continue
        statuses[solver] = str(problem.status)
        if problem.status == cp.OPTIMAL:
            return float(problem.value)
    where = f" at index {index}" if index is not None else ""
    raise SolverError(
        f"{context or 'convex program'}{where}: no optimal solution; statuses {statuses}", statuses, index
    )
