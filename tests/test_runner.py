"""The runner's contract: atomic, resumable, seed-stable results whatever the executor."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TOY_FAIL_AT

from sims.engine.core import get
from sims.engine.runner import CellError, Layout, load_results, run_sim, seed_sequence
from sims.engine.store import paths_for


def _arrays_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].keys() == b[k].keys()
        for name in a[k]:
            np.testing.assert_array_equal(a[k][name], b[k][name])


def test_resume_after_interruption_computes_only_missing(toy_sim, tmp_path):
    layout = Layout(tmp_path, quick=True)
    TOY_FAIL_AT["i"] = 3
    with pytest.raises(CellError, match="cell 'i=3'"):
        run_sim(toy_sim, layout, progress=False)
    _, missing = load_results(toy_sim, layout, seed=0)
    assert missing == ["i=3", "i=4", "i=5"]
    assert not list(tmp_path.rglob("*.tmp")), "no temporary files are left behind"
    TOY_FAIL_AT["i"] = None
    out = run_sim(toy_sim, layout, progress=False)
    assert out.computed == ["i=3", "i=4", "i=5"]
    assert out.skipped == ["i=0", "i=1", "i=2"]
    assert [c.verdict for c in out.claims] == ["PASS"]


def test_same_seed_bit_identical_and_seed_matters(toy_sim, tmp_path):
    a = run_sim(toy_sim, Layout(tmp_path / "a", True), seed=7, progress=False)
    b = run_sim(toy_sim, Layout(tmp_path / "b", True), seed=7, progress=False)
    assert a.computed == b.computed
    ra, _ = load_results(toy_sim, Layout(tmp_path / "a", True), 7)
    rb, _ = load_results(toy_sim, Layout(tmp_path / "b", True), 7)
    _arrays_equal(ra, rb)
    run_sim(toy_sim, Layout(tmp_path / "c", True), seed=8, progress=False)
    rc, _ = load_results(toy_sim, Layout(tmp_path / "c", True), 8)
    assert not np.array_equal(ra["i=0"]["x"], rc["i=0"]["x"])
    # cells get distinct streams
    assert not np.array_equal(ra["i=0"]["x"], ra["i=1"]["x"])


def test_jobs_1_and_2_agree(toy_sim, tmp_path):
    run_sim(toy_sim, Layout(tmp_path / "j1", True), jobs=1, progress=False)
    run_sim(toy_sim, Layout(tmp_path / "j2", True), jobs=2, progress=False)
    r1, _ = load_results(toy_sim, Layout(tmp_path / "j1", True), 0)
    r2, _ = load_results(toy_sim, Layout(tmp_path / "j2", True), 0)
    _arrays_equal(r1, r2)


@pytest.mark.parametrize("damage", ["truncate_npz", "garble_json", "delete_npz", "other_config"])
def test_corrupt_or_stale_cell_is_recomputed(toy_sim, tmp_path, damage):
    layout = Layout(tmp_path, True)
    run_sim(toy_sim, layout, progress=False)
    before, _ = load_results(toy_sim, layout, 0)
    npz, side = paths_for(layout.results_dir, "toy", "i=2")
    if damage == "truncate_npz":
        npz.write_bytes(npz.read_bytes()[:50])
    elif damage == "garble_json":
        side.write_text(side.read_text()[:-20])
    elif damage == "delete_npz":
        npz.unlink()
    else:
        d = json.loads(side.read_text())
        d["config"]["n"] = 7
        side.write_text(json.dumps(d))
    out = run_sim(toy_sim, layout, progress=False)
    assert out.computed == ["i=2"]
    after, _ = load_results(toy_sim, layout, 0)
    _arrays_equal(before, after)  # recomputed to the same numbers


def test_force_recomputes_everything(toy_sim, tmp_path):
    layout = Layout(tmp_path, True)
    run_sim(toy_sim, layout, progress=False)
    out = run_sim(toy_sim, layout, force=True, progress=False)
    assert len(out.computed) == 6 and not out.skipped


def test_sidecar_carries_provenance(toy_sim, tmp_path):
    layout = Layout(tmp_path, True)
    run_sim(toy_sim, layout, seed=3, progress=False)
    d = json.loads(paths_for(layout.results_dir, "toy", "i=1")[1].read_text())
    for key in (
        "config",
        "seed",
        "package_version",
        "git_commit",
        "wall_time_s",
        "npz_sha256",
        "spawn_key",
        "code_fingerprint",
    ):
        assert key in d
    assert d["seed"] == 3 and d["config"] == {"n_cells": 6, "n": 1000}
    assert d["spawn_key"] == list(seed_sequence(3, "toy", "i=1").spawn_key)


def test_failing_claim_is_reported(toy_sim, tmp_path):
    from conftest import TOY_WRONG

    TOY_WRONG["flag"] = True
    out = run_sim(toy_sim, Layout(tmp_path, True), progress=False)
    assert [c.verdict for c in out.claims] == ["FAIL"]


@pytest.mark.slow
def test_dask_matches_local(tmp_path):
    distributed = pytest.importorskip("distributed")
    sim = get("margin_calibration")
    local = Layout(tmp_path / "local", True)
    remote = Layout(tmp_path / "dask", True)
    run_sim(sim, local, jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        out = run_sim(sim, remote, dask=cluster.scheduler_address, progress=False)
    assert len(out.computed) == len(sim.cells(sim.config(True)))
    r_local, _ = load_results(sim, local, 0)
    r_dask, _ = load_results(sim, remote, 0)
    _arrays_equal(r_local, r_dask)
    assert [c.measured for c in out.claims] == [c.measured for c in run_sim(sim, local, progress=False).claims]


def test_fingerprint_follows_transitive_imports_as_relative_paths():
    from sims.engine.store import fingerprint_files

    ftrl = fingerprint_files("sims.online.online_ftrl")
    # reached only through sims.bandits.common (loss_table), and theory.bandits through it
    assert "sims/bandits/common.py" in ftrl
    assert {
        "theory/bandits/__init__.py",
        "theory/bandits/simulation.py",
        "theory/online.py",
        "theory/_probability.py",
    } <= set(ftrl)
    assert {"sims/engine/core.py", "sims/engine/store.py"} <= set(ftrl)
    assert "theory/neural_collapse/__init__.py" not in ftrl and "sims/hconsistency/common.py" not in ftrl
    # presentation modules never shape a cell
    assert "sims/engine/claims.py" not in ftrl and "sims/engine/plotting.py" not in ftrl
    mc = fingerprint_files("sims.hconsistency.margin_calibration")
    assert {"theory/hconsistency/margin.py", "theory/_checks.py", "sims/hconsistency/common.py"} <= set(mc)
    assert "sims/bandits/common.py" not in mc and "theory/bandits.py" not in mc


def _copy_project(dst):
    import shutil

    from sims.engine.store import PROJECT_ROOT

    for d in ("theory", "sims"):
        shutil.copytree(PROJECT_ROOT / d, dst / d, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "references.bib", dst / "references.bib")  # the report cites from it
    return dst


def _fingerprints(root):
    import subprocess
    import sys

    code = (
        "import json, sims; from pathlib import Path; from sims.engine import store; "
        "assert Path(sims.__file__).resolve().is_relative_to(Path.cwd().resolve()), sims.__file__; "
        "print(json.dumps({n: store.code_fingerprint(s.compute.__module__) for n, s in sims.registry().items()}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_fingerprint_ignores_docstrings_comments_and_layout_but_not_code(tmp_path):
    """Documenting or reformatting a module leaves its cells current; changing a constant or an operator does not."""
    from sims.engine.store import _hash_files

    f = tmp_path / "m.py"

    def fp(text: str) -> str:
        f.write_text(text)
        import os

        os.utime(f, ns=(fp.tick, fp.tick))  # a new version for the per-version cache
        fp.tick += 1
        return _hash_files(["m.py"], tmp_path)

    fp.tick = 10**18
    base = fp('"""Module."""\n\ndef f(x):\n    return x + 1\n')
    documented = '"""Module, at length."""\n\n\ndef f(x):  # why\n    """f(x) = x + 1."""\n    return (x + 1)\n'
    assert fp(documented) == base
    assert fp("def f(x):\n    return x + 1\n") == base
    assert fp('"""Module."""\n\ndef f(x):\n    return x + 2\n') != base
    assert fp('"""Module."""\n\ndef f(x):\n    return x - 1\n') != base
    assert fp('"""Module."""\n\ndef f(x):\n    s = "not a docstring"\n    return x + 1\n') != base


@pytest.mark.slow
def test_fingerprint_mutation_in_a_copy(tmp_path):
    """Mutation test: editing a helper a sim reaches only indirectly makes exactly the sims that reach it stale."""
    root = _copy_project(tmp_path / "p")
    before = _fingerprints(root)
    # theory/_solvers.py is imported by no sim module: only through theory.hconsistency, .logistic_gd, .multiplicity
    solvers = root / "theory" / "_solvers.py"
    solvers.write_text(solvers.read_text() + "\n_MUTATION = 1\n")
    indirect = _fingerprints(root)
    stale = {n for n in before if before[n] != indirect[n]}
    users = {n for n in before if n.startswith(("margin_", "comp_sum", "hconsistency", "minimizability"))}
    users |= {"perceptron_limit", "worst_case_scaling", "iteration_bounds", "step_size_paradox", "large_step_rates"}
    users |= {n for n in before if n.startswith("multiplicity_")}
    users |= {"ldr_calibration"}  # draws the comp-sum transformations of theory.hconsistency beside its own curves
    assert stale == users, sorted(stale ^ users)
    before = indirect
    helper = root / "sims" / "bandits" / "common.py"
    helper.write_text(helper.read_text() + "\n_MUTATION = 1\n")
    after = _fingerprints(root)
    changed = {n for n in before if before[n] != after[n]}
    assert "online_ftrl" in changed  # reaches sims.bandits.common only through loss_table
    assert {"bandit_adversarial", "bandit_stochastic"} <= changed
    assert "sea_rates" not in changed  # the online room takes only loss_table's module, and sea_rates does not
    assert not changed & {"margin_calibration", "nc_balanced", "perceptron_limit", "multiplicity_exactness"}
    # an unrelated area: nothing outside it changes
    nc = root / "theory" / "neural_collapse" / "ufm.py"
    nc.write_text(nc.read_text() + "\n_MUTATION = 1\n")
    again = _fingerprints(root)
    moved = {n for n in after if after[n] != again[n]}
    assert moved and all(n.startswith("nc_") for n in moved), moved


@pytest.mark.slow
def test_mutated_helper_recomputes_cells_in_a_copy(tmp_path):
    """End to end in a copy: cached cells of nc_imbalanced_ce are reused after an edit to another area, and
    recomputed after an edit to theory/_checks.py, which the sim reaches only through theory.neural_collapse."""
    import subprocess
    import sys

    root = _copy_project(tmp_path / "p")
    name = "nc_imbalanced_ce"

    def run():
        r = subprocess.run(
            [sys.executable, "-m", "sims", "run", name, "--quick", "--out", str(tmp_path / "out")],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    n = len(get(name).cells(get(name).config(True)))
    assert f"cells: {n} computed, 0 reused" in run()
    assert f"cells: 0 computed, {n} reused" in run()
    other = root / "theory" / "bandits" / "simulation.py"
    other.write_text(other.read_text() + "\n_MUTATION = 1\n")
    assert f"cells: 0 computed, {n} reused" in run()
    helper = root / "theory" / "_checks.py"
    helper.write_text(helper.read_text() + "\n_MUTATION = 1\n")
    assert f"cells: {n} computed, 0 reused" in run()


def test_stale_temporaries_are_removed_by_the_next_run(toy_sim, tmp_path):
    layout = Layout(tmp_path, True)
    run_sim(toy_sim, layout, progress=False)
    npz, side = paths_for(layout.results_dir, "toy", "i=2")
    side.unlink()  # the cell is unfinished, as after a SIGKILL between the two renames
    leftovers = [npz.parent / ".i=2.npz.abc123.tmp", npz.parent / ".i=2.json.def456.tmp"]
    for p in leftovers:
        p.write_bytes(b"torn")
    out = run_sim(toy_sim, layout, progress=False)
    assert out.computed == ["i=2"]
    assert not any(p.exists() for p in leftovers)
    assert not list(tmp_path.rglob("*.tmp"))


def test_concurrent_runs_compute_each_cell_once(toy_sim, tmp_path):
    import threading

    from conftest import TOY_SLEEP

    TOY_SLEEP["s"] = 0.2
    layout = Layout(tmp_path, True)
    outs = []
    threads = [threading.Thread(target=lambda: outs.append(run_sim(toy_sim, layout, progress=False))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    computed = [k for o in outs for k in o.computed]
    assert sorted(computed) == [f"i={i}" for i in range(6)], computed  # each cell once, by one of the runs
    a, b = outs
    assert sorted(a.computed + a.skipped) == sorted(b.computed + b.skipped)
    assert [c.measured for c in a.claims] == [c.measured for c in b.claims]


def test_cell_lock_is_exclusive_and_released(tmp_path):
    from sims.engine.store import CellLock

    a, b = CellLock(tmp_path, "s", "k"), CellLock(tmp_path, "s", "k")
    assert a.acquire()
    assert not b.acquire()
    a.release()
    assert b.acquire()
    b.release()


def test_seed_reaches_shared_tables():
    from sims.bandits.common import loss_table
    from sims.engine.core import shared_seed

    s0, s1 = np.random.SeedSequence(0, spawn_key=(1, 2)), np.random.SeedSequence(1, spawn_key=(1, 2))
    other_cell = np.random.SeedSequence(0, spawn_key=(3, 4))
    t0 = loss_table("switching", 200, 3, s0)
    assert np.array_equal(t0, loss_table("switching", 200, 3, other_cell))  # shared by cells of one root seed
    assert not np.array_equal(t0, loss_table("switching", 200, 3, s1))  # and follows --seed
    assert not np.array_equal(loss_table("iid0", 50, 3, s0), loss_table("iid1", 50, 3, s0))
    with pytest.raises(TypeError, match="seed must be a numpy SeedSequence"):
        shared_seed(0, "x")


def test_run_many_gives_run_sims_results_and_finishes_each_sim(toy_sim, tmp_path):
    from sims.engine.runner import run_many

    done = []
    (out,) = run_many([toy_sim], Layout(tmp_path / "many", True), jobs=2, progress=False, on_done=done.append)
    single = run_sim(toy_sim, Layout(tmp_path / "one", True), progress=False)
    assert done == [out] and sorted(out.computed) == sorted(single.computed) and out.compute_s > 0
    assert [c.measured for c in out.claims] == [c.measured for c in single.claims]
    _arrays_equal(
        load_results(toy_sim, Layout(tmp_path / "many", True), 0)[0],
        load_results(toy_sim, Layout(tmp_path / "one", True), 0)[0],
    )
    again = run_many([toy_sim], Layout(tmp_path / "many", True), progress=False)[0]
    assert again.computed == [] and len(again.skipped) == 6


def test_run_many_queues_the_most_expensive_cells_first(toy_sim, tmp_path, monkeypatch):
    """Longest-first: the costs recorded in the sidecars of an earlier run order the queue (here a fake one)."""
    import sims.engine.runner as runner

    layout = Layout(tmp_path, True)
    (tmp_path / "results" / "quick" / "toy").mkdir(parents=True)
    for i, cost in enumerate([1.0, 5.0, 0.5, 9.0, 2.0, 3.0]):
        (tmp_path / "results" / "quick" / "toy" / f"i={i}.json").write_text(json.dumps({"wall_time_s": cost}))
    order = []
    real = runner.compute_cell
    monkeypatch.setattr(
        runner, "compute_cell", lambda sim, cfg, cell, seed: order.append(cell["i"]) or real(sim, cfg, cell, seed)
    )
    runner.run_many([toy_sim], layout, jobs=1, progress=False)
    assert order == [3, 1, 5, 4, 0, 2]


def test_a_fresh_clone_orders_its_queue_by_the_committed_cell_costs(toy_sim, tmp_path, monkeypatch):
    """No results yet: the per-cell costs the report wrote (``cell_costs.json``) order the queue, not the sim's mean
    (which would leave a long cell to end the run alone); and a report writes them back, merged with the others'."""
    import sims.engine.runner as runner
    from sims.engine.publish import _write_cell_costs

    layout = Layout(tmp_path, True)
    layout.figures_dir.mkdir(parents=True)
    costs = {"toy": {f"i={i}": c for i, c in enumerate([1.0, 5.0, 0.5, 9.0, 2.0, 3.0])}, "other": {"all": 7.0}}
    (layout.figures_dir / runner.CELL_COSTS).write_text(json.dumps(costs))
    order = []
    real = runner.compute_cell
    monkeypatch.setattr(
        runner, "compute_cell", lambda sim, cfg, cell, seed: order.append(cell["i"]) or real(sim, cfg, cell, seed)
    )
    (out,) = runner.run_many([toy_sim], layout, jobs=1, progress=False)
    assert order == [3, 1, 5, 4, 0, 2]
    _write_cell_costs([out], layout.figures_dir / runner.CELL_COSTS)
    written = json.loads((layout.figures_dir / runner.CELL_COSTS).read_text())
    assert written["other"] == {"all": 7.0} and sorted(written["toy"]) == sorted(costs["toy"])
    assert all(v >= 0 for v in written["toy"].values())
