"""The runner's contract: atomic, resumable, seed-stable results whatever the executor."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TOY_FAIL_AT

from sims.core import get
from sims.runner import CellError, Layout, load_results, run_sim, seed_sequence
from sims.store import paths_for


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


def test_code_fingerprint_covers_the_sims_own_dependencies_only():
    from sims.store import fingerprint_files

    names = {p.name for p in fingerprint_files("sims.hconsistency")}
    assert {"hconsistency.py", "_checks.py", "_solvers.py"} <= names
    assert "neural_collapse.py" not in names and "logistic_gd.py" not in names
    assert "logistic_gd.py" in {p.name for p in fingerprint_files("sims.logistic_gd")}
