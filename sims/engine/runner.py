"""Run registered sims cell by cell, resumably, then check claims and draw figures.

Seeds: cell c of sim s with root seed S gets ``SeedSequence(S, spawn_key=(crc32(s), crc32(key(c))))``
(``sims.engine.core.seed_sequence``), so numbers are identical whatever ``--jobs``, the executor or the order in
which cells finish.

Faults: a cell is computed only by the run holding its lock (``CellLock``), so concurrent runs on one folder never
compute it twice; stale temporary files of a killed writer are removed by the next run that takes the lock; pool
workers die with their parent (Linux ``PR_SET_PDEATHSIG``) and ignore Ctrl-C, which the parent handles once.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from sims.engine.claims import Claim
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, config_dict, get, registry, seed_sequence
from sims.engine.figures import save_figures
from sims.engine.store import (
    PROJECT_ROOT,
    CellLock,
    CellRecord,
    code_fingerprint,
    load_cell,
    remove_stale_temporaries,
    row_fingerprint,
    save_cell,
)

__all__ = [
    "CellError",
    "Layout",
    "SimOutcome",
    "compute_cell",
    "default_layout",
    "load_results",
    "pin_fingerprints",
    "report_only",
    "run_sim",
    "seed_sequence",
]


class CellError(RuntimeError):
    """A cell's compute function raised; finished cells are saved, the sweep can be resumed."""


@dataclass(frozen=True)
class Layout:
    """Where results, figures and the report of a run live.

    ``figures_override`` sends figures elsewhere (notebooks draw into the untracked results folder, so that opening
    a notebook never changes the committed ``figures/``).
    """

    out: Path
    quick: bool
    figures_override: Path | None = None
    formats: tuple[str, ...] = ("png", "pdf")  # PNG for the web and notebooks, PDF for papers

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    @property
    def results_dir(self) -> Path:
        return self.out / "results" / self.mode

    @property
    def figures_dir(self) -> Path:
        if self.figures_override is not None:
            return self.figures_override
        return self.out / "figures" / "quick" if self.quick else self.out / "figures"


@dataclass
class SimOutcome:
    name: str
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    compute_s: float = 0.0  # summed wall time of the sim's cells, as recorded in their sidecars
    cell_s: dict[str, float] = field(default_factory=dict)  # each cell's wall time (the queue's hints on a new clone)
    computed_at: str | None = None  # newest cell's time stamp (UTC, ISO 8601)
    commits: tuple[str, ...] = ()  # the commits the cells were computed at
    results_digest: str | None = None  # SHA-256 over the cells' keys and npz digests: what figures are drawn from

    @property
    def complete(self) -> bool:
        return not self.missing


def pin_fingerprints(sims: Iterable[Sim]) -> None:
    """Compute (and cache, for this process) the code and row fingerprints of ``sims`` now.

    Fingerprints hash the files on disk, while the code that runs is what the process imported. Pinning them right
    after the import means a source file edited while a long run is under way cannot stamp the cells computed by the
    old code with the new code's fingerprint; those cells keep the old one and are recomputed by the next run.
    """
    for sim in sims:
        code_fingerprint(sim.compute.__module__)
        row_fingerprint(sim.compute.__module__)


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
    """In-process execution (``--jobs 1``): cells run one after another, in the order submitted, each when
    ``as_completed`` reaches it, so that each is saved before the next starts (an interrupted run keeps them)."""

    def submit(self, fn: Callable, *args: Any) -> Future:
        fut: Future = Future()
        fut.call = (fn, args)  # type: ignore[attr-defined]
        return fut

    def as_completed(self, futures: list) -> Iterator:
        for fut in futures:
            if not fut.done():
                fn, args = fut.call
                try:
                    fut.set_result(fn(*args))
                except Exception as e:  # re-raised by .result(), like a pool would; Ctrl-C propagates at once
                    fut.set_exception(e)
            yield fut

    def cancel(self, futures: list) -> None:
        pass


def _keep_freed_memory() -> None:
    """Let glibc keep freed blocks for reuse instead of unmapping them (``mallopt``; a no-op elsewhere).

    By default a large array (above ~32 MB) is a fresh mapping, and touching it costs a page fault per 4 kB: the
    Monte Carlo sims draw hundreds of such batches, and 47 of 14 ns per normal draw went to faults (measured). With
    the mapping threshold at 1 GB and no trimming, the heap keeps the memory and the next batch reuses it; the price
    is a worker's resident size staying at its peak (< 2 GB here)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _worker_init(parent: int, threads: int) -> None:
    """Pool worker start-up: die with the parent, leave Ctrl-C to it, and share the cores with the other workers.

    Without the limit every worker's BLAS and OpenMP pools start one thread per core, so ``--jobs 2`` on two
    cores runs four busy threads on two cores and the large products (prompt moments, Gram matrices) slow down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(threads)
    _keep_freed_memory()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1: the kernel kills us when the parent dies
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _Pool:
    def __init__(self, jobs: int) -> None:
        # fork keeps sims registered at run time (e.g. by tests) visible to the workers
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.ex = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(os.getpid(), max(1, (os.cpu_count() or 1) // jobs)),
        )

    def submit(self, fn: Callable, *args: Any) -> Future:
        return self.ex.submit(fn, *args)

    def as_completed(self, futures: list) -> Iterator:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from done

    def cancel(self, futures: list) -> None:
        for f in futures:
            f.cancel()

    def close(self, interrupted: bool = False) -> None:
        if interrupted:  # do not wait for running cells: stop the workers now
            for p in list(getattr(self.ex, "_processes", {}).values()):
                p.kill()
        self.ex.shutdown(wait=not interrupted, cancel_futures=True)


class _Dask:
    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client = Client(address, set_as_default=False, timeout=DASK_CONNECT_TIMEOUT_S)

    def submit(self, fn: Callable, *args: Any):
        return self.client.submit(fn, *args, pure=False)

    def as_completed(self, futures: list) -> Iterator:
        from distributed import as_completed

        with self.client.as_current():  # as_completed looks up the current client
            yield from as_completed(futures)

    def cancel(self, futures: list) -> None:
        self.client.cancel(futures)

    def close(self, interrupted: bool = False) -> None:
        self.client.close()


DASK_CONNECT_TIMEOUT_S = 5  # a scheduler that does not answer within this fails the run before any compute


@contextmanager
def executor(jobs: int, dask: str | None):
    if not dask and jobs <= 1:
        _keep_freed_memory()  # the cells run in this process
    ex = _Dask(dask) if dask else (_Pool(jobs) if jobs > 1 else _Serial())
    interrupted = False
    try:
        yield ex
    except BaseException:
        interrupted = True
        raise
    finally:
        if hasattr(ex, "close"):
            ex.close(interrupted)


def _stamp(layout: Layout, sim: str, keys: Sequence[str], outcome: SimOutcome) -> None:
    """Fill the outcome's compute time, time stamp and commits from the cells' sidecars."""
    total, stamps, commits = 0.0, [], set()
    h = hashlib.sha256()
    for k in sorted(keys):
        try:
            side = json.loads((layout.results_dir / sim / f"{k}.json").read_text())
        except (OSError, ValueError):
            continue
        total += float(side.get("wall_time_s", 0.0))
        outcome.cell_s[k] = round(float(side.get("wall_time_s", 0.0)), 2)
        if side.get("computed_at"):
            stamps.append(side["computed_at"])
        if side.get("git_commit"):
            commits.add(side["git_commit"])
        h.update(f"{k}={side.get('npz_sha256')};".encode())
    outcome.compute_s = total
    outcome.computed_at = max(stamps) if stamps else None
    outcome.commits = tuple(sorted(commits))
    outcome.results_digest = h.hexdigest()


def _progress_bar() -> type:
    """tqdm's notebook widget inside a Jupyter kernel with ipywidgets, else its text bar (which a notebook shows
    as text; ``tqdm.auto`` would warn there when ipywidgets is missing)."""
    if "ipykernel" in sys.modules:
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm as widget

            return widget
        except ImportError:
            pass
    return tqdm


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


def _bar(total: int, initial: int, desc: str, progress: bool):
    """The progress bar of a run: on in a Jupyter kernel (its stderr is no terminal, yet a reader is watching);
    off when not asked for; else only on a terminal (not in CI logs, where the per-sim progress lines say enough)."""
    return _progress_bar()(
        total=total,
        initial=initial,
        desc=desc,
        unit="cell",
        disable=True if not progress else (False if "ipykernel" in sys.modules else None),
        file=sys.stderr,
        leave=False,
    )


def _claim(layout: Layout, rec: CellRecord, *, blocking: bool, reload: bool) -> tuple[Arrays | None, CellLock | None]:
    """Take a missing cell's lock: (None, lock) when this run is to compute it, (arrays, None) when another run
    saved it meanwhile (loaded; with ``reload``), (None, None) when another run holds it (without ``blocking``)."""
    lock = CellLock(layout.results_dir, rec.sim, rec.cell_key)
    if not lock.acquire(blocking=blocking):
        return None, None
    remove_stale_temporaries(layout.results_dir, rec.sim, rec.cell_key)
    done = load_cell(layout.results_dir, rec) if reload else None
    if done is not None:
        lock.release()
        return done, None
    return None, lock


def _cell_error(sim: Sim, rec: CellRecord, e: Exception) -> CellError:
    return CellError(f"sim {sim.name!r}, cell {rec.cell_key!r} failed: {type(e).__name__}: {e}")


def run_sim(
    sim: Sim,
    layout: Layout,
    *,
    seed: int = 0,
    jobs: int = 1,
    dask: str | None = None,
    force: bool = False,
    progress: bool = True,
    draw: bool = True,
) -> SimOutcome:
    """Compute the missing cells of one sim (all of them with ``force``), then check and draw.

    Each missing cell is locked before it is computed; a cell locked by another run is waited for and loaded
    from that run's result (computed here only if that run failed to save it).
    """
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

    bar = _bar(len(cells), len(outcome.skipped), sim.name, progress)
    locks: dict[str, CellLock] = {}
    try:
        with bar:
            for attempt in ("free", "held elsewhere"):
                mine, busy = [], []
                for rec, cell in todo:
                    done, lock = _claim(
                        layout, rec, blocking=attempt != "free", reload=not (force and attempt == "free")
                    )
                    if lock is not None:
                        locks[rec.cell_key] = lock
                        mine.append((rec, cell))
                    elif done is not None:  # another run finished it while we waited
                        results[rec.cell_key] = done
                        outcome.skipped.append(rec.cell_key)
                        bar.update(1)
                    else:
                        busy.append((rec, cell))
                _compute(sim, config, seed, mine, jobs, dask, layout, results, outcome, bar, locks)
                todo = busy
                if not todo:
                    break
    finally:
        for lock in locks.values():
            lock.release()
    _stamp(layout, sim.name, list(results), outcome)
    if draw:
        finish(sim, config, results, layout, outcome)
    return outcome


def _compute(sim, config, seed, todo, jobs, dask, layout, results, outcome, bar, locks) -> None:
    if not todo:
        return
    with executor(jobs, dask) as ex:
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
                raise _cell_error(sim, rec, e) from e
            save_cell(layout.results_dir, rec, arrays, wall)
            locks.pop(rec.cell_key).release()
            results[rec.cell_key] = arrays
            outcome.computed.append(rec.cell_key)
            bar.update(1)


def _plan(
    sim: Sim, layout: Layout, seed: int, force: bool, outcome: SimOutcome, locks: dict[tuple[str, str], CellLock]
) -> tuple[Any, Results, list[tuple[CellRecord, Cell]], bool]:
    """One sim's part of ``run_many``: its saved cells loaded (recorded as skipped in ``outcome``), and a lock taken
    (into ``locks``) on each cell to compute. Returns (config, results so far, the cells to compute, whether a cell
    is held by another run)."""
    config = sim.config(layout.quick)
    cells = sim.cells(config)
    results: Results = {}
    mine, busy = [], False
    for rec, cell in zip(_records(sim, config, cells, seed, layout.mode), cells, strict=True):
        arrays = None if force else load_cell(layout.results_dir, rec)
        if arrays is not None:
            results[rec.cell_key] = arrays
            outcome.skipped.append(rec.cell_key)
            continue
        done, lock = _claim(layout, rec, blocking=False, reload=not force)
        if lock is not None:
            locks[sim.name, rec.cell_key] = lock
            mine.append((rec, cell))
        elif done is not None:  # another run finished it just now
            results[rec.cell_key] = done
            outcome.skipped.append(rec.cell_key)
        else:
            busy = True
    return config, results, mine, busy


def _save_finished(
    layout: Layout, fut: Any, by_future: dict, ex: Any, locks: dict[tuple[str, str], CellLock]
) -> tuple[Sim, CellRecord, Arrays]:
    """A finished cell of ``run_many`` saved and its lock released; a cell that raised cancels the rest and raises
    the error naming the sim and the cell."""
    sim, rec = by_future[fut]
    try:
        arrays, wall = fut.result()
    except Exception as e:
        ex.cancel(list(by_future))
        raise _cell_error(sim, rec, e) from e
    save_cell(layout.results_dir, rec, arrays, wall)
    locks.pop((sim.name, rec.cell_key)).release()
    return sim, rec, arrays


def run_many(
    sims: Sequence[Sim],
    layout: Layout,
    *,
    seed: int = 0,
    jobs: int = 1,
    dask: str | None = None,
    force: bool = False,
    progress: bool = True,
    on_done: Callable[[SimOutcome], None] | None = None,
) -> list[SimOutcome]:
    """``run_sim`` for several sims at once: every missing cell of every sim goes to one pool, the most expensive
    first, and each sim is checked and drawn as soon as its last cell is saved (``on_done`` is then called).

    Why one pool: run one sim after another, a sim whose cells are fewer than the workers, or of unequal cost,
    leaves workers idle (a sim of one 200-s cell idles the other core for 200 s), and its figures are drawn while no
    cell runs. The order is longest-first (LPT scheduling, within 4/3 of the best makespan) by the cost of each
    cell's last computation (its sidecar, else the committed ``cell_costs.json``, so that a fresh clone orders its
    first run too, else the sim's mean cell cost in ``claims.json``), so that the long cells do not end the run
    alone. Cells are locked exactly as in ``run_sim``; a sim with a cell held by another run is finished by
    ``run_sim`` afterwards (which waits for that run).
    Returns the outcomes in the order of ``sims``.
    """
    hints = _cost_hints(layout)
    outcomes: dict[str, SimOutcome] = {}
    state: dict[str, tuple[Any, Results]] = {}  # sim -> (config, results so far)
    left: dict[str, int] = {}  # sim -> cells still to compute
    queue: list[tuple[float, int, Sim, CellRecord, Cell]] = []
    deferred: list[Sim] = []
    locks: dict[tuple[str, str], CellLock] = {}
    ready: list[Sim] = []
    try:
        for sim in sims:
            outcomes[sim.name] = SimOutcome(sim.name)
            config, results, mine, busy = _plan(sim, layout, seed, force, outcomes[sim.name], locks)
            if busy:  # run_sim waits for the other run's cells, then computes this run's own
                for rec, _ in mine:
                    locks.pop((sim.name, rec.cell_key)).release()
                deferred.append(sim)
                continue
            state[sim.name], left[sim.name] = (config, results), len(mine)
            for rec, cell in mine:
                cost = hints.get((sim.name, rec.cell_key), hints.get((sim.name, None), 0.0))
                queue.append((cost, len(queue), sim, rec, cell))
            if not mine:
                ready.append(sim)
        queue.sort(key=lambda q: (-q[0], q[1]))
        total = sum(len(outcomes[name].skipped) + n for name, n in left.items())
        bar = _bar(total, total - len(queue), "cells", progress)

        def complete(sim: Sim) -> None:
            config, results = state[sim.name]
            _stamp(layout, sim.name, list(results), outcomes[sim.name])
            finish(sim, config, results, layout, outcomes[sim.name])
            if on_done is not None:
                on_done(outcomes[sim.name])

        with bar, executor(jobs, dask) as ex:
            by_future = {
                ex.submit(compute_cell, sim, state[sim.name][0], cell, seed): (sim, rec)
                for _, _, sim, rec, cell in queue
            }
            for sim in ready:  # already complete: checked and drawn while the workers compute
                complete(sim)
            for fut in ex.as_completed(list(by_future)):
                sim, rec, arrays = _save_finished(layout, fut, by_future, ex, locks)
                state[sim.name][1][rec.cell_key] = arrays
                outcomes[sim.name].computed.append(rec.cell_key)
                left[sim.name] -= 1
                bar.update(1)
                if not left[sim.name]:
                    complete(sim)
    finally:
        for lock in locks.values():
            lock.release()
    for sim in deferred:
        outcomes[sim.name] = run_sim(sim, layout, seed=seed, jobs=jobs, dask=dask, force=force, progress=progress)
        if on_done is not None:
            on_done(outcomes[sim.name])
    return [outcomes[s.name] for s in sims]


CELL_COSTS = "cell_costs.json"  # beside claims.json: {sim: {cell key: seconds}}, written with the report


def _cost_hints(layout: Layout) -> dict[tuple[str, str | None], float]:
    """Expected seconds per cell: (sim, key) from the sidecars in the results folder (any code version: only the
    order of the queue depends on it) or else from the committed ``cell_costs.json``, and (sim, None), the sim's
    mean cell cost in the claims table."""
    hints: dict[tuple[str, str | None], float] = {}
    try:
        for row in json.loads((layout.figures_dir / "claims.json").read_text()):
            if row.get("compute_s") and row.get("n_cells"):
                hints[row["sim"], None] = float(row["compute_s"]) / int(row["n_cells"])
    except (OSError, ValueError, TypeError, KeyError):
        pass
    try:
        for sim, cells in json.loads((layout.figures_dir / CELL_COSTS).read_text()).items():
            hints.update({(sim, key): float(sec) for key, sec in cells.items()})
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    if layout.results_dir.is_dir():
        for side in layout.results_dir.glob("*/*.json"):
            try:
                hints[side.parent.name, side.stem] = float(json.loads(side.read_text())["wall_time_s"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return hints


def finish(sim: Sim, config: Any, results: Results, layout: Layout, outcome: SimOutcome) -> None:
    """Check claims and draw figures from complete results (pure functions of the results)."""
    outcome.claims = sim.check(config, results)
    outcome.figures = save_figures(sim, config, results, layout.figures_dir, outcome.results_digest, layout.formats)


def report_only(
    layout: Layout, seed: int = 0, names: Sequence[str] | None = None, draw: bool = True
) -> list[SimOutcome]:
    """Rebuild claims (and figures, with ``draw``) of the named sims from saved results only; never computes."""
    outcomes = []
    for name in names if names is not None else sorted(registry()):
        sim = get(name)
        results, missing = load_results(sim, layout, seed)
        outcome = SimOutcome(name, skipped=sorted(results), missing=missing)
        if not missing:
            _stamp(layout, name, list(results), outcome)
            if draw:
                finish(sim, sim.config(layout.quick), results, layout, outcome)
            else:
                outcome.claims = sim.check(sim.config(layout.quick), results)
        outcomes.append(outcome)
    return outcomes


def default_layout(quick: bool, out: str | Path | None = None) -> Layout:
    return Layout(Path(out) if out is not None else PROJECT_ROOT, quick)
