"""Checked convex solves: a value is never used unless the solver reports optimality.

Clarabel first (the project's default conic solver); on failure or an inaccurate status, SCS at tight
tolerances; if neither reaches ``optimal``, ``SolverError`` is raised with the statuses.
"""

from __future__ import annotations

from typing import Any


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
