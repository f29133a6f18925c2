"""Run registered sims cell by cell, resumably, then check claims and draw figures.

Seeds: cell c of sim s with root seed S gets ``SeedSequence(S, spawn_key=(crc32(s), crc32(key(c))))``,
a child of the root that depends only on the sim name and the cell's parameters, so numbers are
identical whatever ``--jobs``, the executor or the order in which cells finish.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from sims.engine.core import Arrays, Cell, Claim, Results, Sim, cell_key, config_dict, get, registry
from sims.engine.store import PROJECT_ROOT, CellRecord, code_fingerprint, load_cell, save_cell


class CellError(RuntimeError):
    """A cell's compute function raised; finished cells are saved, the sweep can be resumed."""


@dataclass(frozen=True)
class Layout:
    """Where results, figures and the report of a run live."""

    out: Path
    quick: bool

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    @property
    def results_dir(self) -> Path:
        return self.out / "results" / self.mode

    @property
    def figures_dir(self) -> Path:
        return self.out / "figures" / "quick" if self.quick else self.out / "figures"


@dataclass
class SimOutcome:
    name: str
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def seed_sequence(seed: int, sim_name: str, key: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(sim_name.encode()), zlib.crc32(key.encode())))


def _records(sim: Sim, config: Any, cells: Sequence[Cell], seed: int, mode: str) -> list[CellRecord]:
    fp = code_fingerprint(sim.compute.__module__)
    cfg = config_dict(config)
    out = []
    for c in cells:
        key = cell_key(c)
        ss = seed_sequence(seed, sim.name, key)
        out.append(CellRecord(sim.name, mode, dict(c), key, cfg, seed, tuple(ss.spawn_key), fp))
    return out


def compute_cell(sim: Sim, config: Any, cell: Cell, seed: int) -> tuple[Arrays, float]:
    """Compute one cell (runs in a worker: pure, no I/O)."""
    t0 = time.perf_counter()
    arrays = sim.compute(config, cell, seed_sequence(seed, sim.name, cell_key(cell)))
    return {k: np.asarray(v) for k, v in arrays.items()}, time.perf_counter() - t0


class _Serial:
    """In-process execution (``--jobs 1``): cells run one after another, in grid order."""

    def submit(self, fn, *args) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as e:  # re-raised by .result(), like a pool would
            fut.set_exception(e)
        return fut

    def as_completed(self, futures: list) -> Iterator:
        yield from futures

    def cancel(self, futures: list) -> None:
        pass


class _Pool:
    def __init__(self, jobs: int) -> None:
        # fork keeps sims registered at run time (e.g. by tests) visible to the workers
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.ex = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)

    def submit(self, fn, *args) -> Future:
        return self.ex.submit(fn, *args)

    def as_completed(self, futures: list) -> Iterator:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from done

    def cancel(self, futures: list) -> None:
        for f in futures:
            f.cancel()

    def close(self) -> None:
        self.ex.shutdown(wait=True, cancel_futures=True)


class _Dask:
    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError as e:  # pragma: no cover - depends on the optional extra
            raise RuntimeError("--dask needs the optional extra: pip install -e '.[dask]'") from e
        self.client = Client(address, set_as_default=False)

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures: list) -> Iterator:
        from distributed import as_completed

        with self.client.as_current():  # as_completed looks up the current client
            yield from as_completed(futures)

    def cancel(self, futures: list) -> None:
        self.client.cancel(futures)

    def close(self) -> None:
        self.client.close()


@contextmanager
def executor(jobs: int, dask: str | None):
    ex = _Dask(dask) if dask else (_Pool(jobs) if jobs > 1 else _Serial())
    try:
        yield ex
    finally:
        if hasattr(ex, "close"):
            ex.close()


def load_results(sim: Sim, layout: Layout, seed: int) -> tuple[Results, list[str]]:
    """Saved results of every cell of ``sim`` (no computation); returns (results, missing keys)."""
    config = sim.config(layout.quick)
    cells = sim.cells(config)
    results: Results = {}
    missing = []
    for rec in _records(sim, config, cells, seed, layout.mode):
        arrays = load_cell(layout.results_dir, rec)
        if arrays is None:
            missing.append(rec.cell_key)
        else:
            results[rec.cell_key] = arrays
    return results, missing


def run_sim(
    sim: Sim,
    layout: Layout,
    *,
    seed: int = 0,
    jobs: int = 1,
    dask: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> SimOutcome:
    """Compute the missing cells of one sim (all of them with ``force``), then check and draw."""
    config = sim.config(layout.quick)
    cells = sim.cells(config)
    records = _records(sim, config, cells, seed, layout.mode)
    outcome = SimOutcome(sim.name)
    results: Results = {}
    todo: list[tuple[CellRecord, Cell]] = []
    for rec, cell in zip(records, cells, strict=True):
        arrays = None if force else load_cell(layout.results_dir, rec)
        if arrays is None:
            todo.append((rec, cell))
        else:
            results[rec.cell_key] = arrays
            outcome.skipped.append(rec.cell_key)

    bar = tqdm(
        total=len(cells),
        initial=len(outcome.skipped),
        desc=sim.name,
        unit="cell",
        disable=None if progress else True,
        file=sys.stderr,
        leave=False,
    )
    with bar, executor(jobs, dask) as ex:
        futures = []
        by_future = {}
        for rec, cell in todo:
            fut = ex.submit(compute_cell, sim, config, cell, seed)
            futures.append(fut)
            by_future[fut] = rec
        for fut in ex.as_completed(futures):
            rec = by_future[fut]
            try:
                arrays, wall = fut.result()
            except Exception as e:
                ex.cancel(futures)
                raise CellError(f"sim {sim.name!r}, cell {rec.cell_key!r} failed: {type(e).__name__}: {e}") from e
            save_cell(layout.results_dir, rec, arrays, wall)
            results[rec.cell_key] = arrays
            outcome.computed.append(rec.cell_key)
            bar.update(1)

    finish(sim, config, results, layout, outcome)
    return outcome


def finish(sim: Sim, config: Any, results: Results, layout: Layout, outcome: SimOutcome) -> None:
    """Check claims and draw figures from complete results (pure functions of the results)."""
    from sims.engine.report import save_figures

    outcome.claims = sim.check(config, results)
    outcome.figures = save_figures(sim, config, results, layout.figures_dir)


def report_only(layout: Layout, seed: int = 0, names: Sequence[str] | None = None) -> list[SimOutcome]:
    """Rebuild claims and figures of every sim from saved results only; never computes."""
    outcomes = []
    for name in names or sorted(registry()):
        sim = get(name)
        results, missing = load_results(sim, layout, seed)
        outcome = SimOutcome(name, skipped=sorted(results), missing=missing)
        if not missing:
            finish(sim, sim.config(layout.quick), results, layout, outcome)
        outcomes.append(outcome)
    return outcomes


def default_layout(quick: bool, out: str | Path | None = None) -> Layout:
    return Layout(Path(out) if out is not None else PROJECT_ROOT, quick)
