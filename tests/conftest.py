"""Shared fixtures: a toy sim for exercising the runner's mechanics cheaply."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import settings

from sims.engine.claims import Claim
from sims.engine.core import Sim, cell_key, register, unregister
from sims.engine.plotting import figure

# Speed is measured in benchmarks/, never asserted in tests: no per-example deadline (a loaded 2-core CI machine
# would otherwise fail correct examples for being slow).
settings.register_profile("theory-sims", deadline=None)
settings.load_profile("theory-sims")

# Set by tests to make the toy sim raise at one cell (simulates a sweep killed half-way).
TOY_FAIL_AT: dict[str, int | None] = {"i": None}
TOY_WRONG: dict[str, bool] = {"flag": False}
TOY_SLEEP: dict[str, float] = {"s": 0.0}  # seconds per cell, to make runs overlap in the concurrency test


@dataclass(frozen=True)
class ToyConfig:
    n_cells: int = 6
    n: int = 1000

    @classmethod
    def quick(cls) -> ToyConfig:
        return cls(n_cells=6, n=1000)

    @classmethod
    def full(cls) -> ToyConfig:
        return cls(n_cells=6, n=5000)


def _toy_cells(config: ToyConfig):
    return [{"i": i} for i in range(config.n_cells)]


def _toy_compute(config: ToyConfig, cell, seed):
    if TOY_FAIL_AT["i"] is not None and cell["i"] == TOY_FAIL_AT["i"]:
        raise RuntimeError("simulated interruption")
    if TOY_SLEEP["s"]:
        time.sleep(TOY_SLEEP["s"])
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal(config.n), "i": np.array(cell["i"])}


def _toy_check(config: ToyConfig, results):
    means = np.array([results[cell_key(c)]["x"].mean() for c in _toy_cells(config)])
    # the mean of n standard normals has standard error 1/sqrt(n); 5 standard errors
    tol = 5 / np.sqrt(config.n)
    return [
        Claim(
            id="toy.mean_zero",
            statement="sample means of N(0,1) are within 5 standard errors of 0",
            source="toy",
            method="Monte Carlo",
            quantity="max |mean|",
            predicted=-1.0 if TOY_WRONG["flag"] else 0.0,
            measured=float(np.abs(means).max()),
            tolerance=float(tol),
            tolerance_reason="5 standard errors, n per cell",
            relation="<=",
            figure="hist",
        )
    ]


def _toy_figures(config: ToyConfig, results):
    fig, ax = figure()
    ax.hist(np.concatenate([r["x"] for r in results.values()]), bins=30)
    ax.set(xlabel="x", ylabel="count", title="toy")
    return {"hist": fig}


TOY = Sim(
    name="toy",
    area="Toy",
    description="toy sim for runner tests",
    config_cls=ToyConfig,
    cells=_toy_cells,
    compute=_toy_compute,
    check=_toy_check,
    figures=_toy_figures,
)


@pytest.fixture
def toy_sim():
    register(TOY)
    TOY_FAIL_AT["i"] = None
    TOY_WRONG["flag"] = False
    yield TOY
    TOY_FAIL_AT["i"] = None
    TOY_WRONG["flag"] = False
    TOY_SLEEP["s"] = 0.0
    unregister("toy")


@pytest.fixture(scope="session")
def quick_results_dir(tmp_path_factory):
    """One quick-mode output folder shared by the figure command, the registry contract and the notebooks, and by
    both pytest-xdist workers: the runner's per-cell locks make concurrent runs on one folder compute each cell once
    (the second run waits for the first and loads its results), so the suite runs every quick sim once."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "quick_results"  # the same folder for every worker
        shared.mkdir(exist_ok=True)
        return shared
    return tmp_path_factory.mktemp("quick_results")


@pytest.fixture(scope="session")
def quick_all(quick_results_dir):
    """The main job's command in quick mode, run once per session: (completed process, its claims.json rows)."""
    import json
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "sims", "all", "--quick", "--jobs", "2", "--out", str(quick_results_dir)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    claims = quick_results_dir / "figures" / "quick" / "claims.json"
    rows = json.loads(claims.read_text()) if claims.exists() else []
    return r, rows
