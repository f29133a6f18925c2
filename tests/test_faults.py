"""The runner survives faults: Ctrl-C, SIGKILL of the parent, a scheduler that does not answer."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

# A script that registers a slow sim (each cell sleeps) and runs it through the CLI.
# It restores Python's Ctrl-C handler first: a shell without job control starts a background job (e.g. the test
# suite run as `cmd &` from a script) with SIGINT ignored, every process below inherits that, and Python installs
# its KeyboardInterrupt handler only when SIGINT is at its default. A terminal's foreground run is what is tested.
SLOW = textwrap.dedent(
    """
    import signal
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import sys, time
    from dataclasses import dataclass
    import numpy as np
    from sims.engine.claims import Claim
    from sims.engine.core import Sim, register
    from sims.engine.cli import main

    @dataclass(frozen=True)
    class C:
        n: int = 8
        @classmethod
        def quick(cls): return cls()
        @classmethod
        def full(cls): return cls()

    def compute(config, cell, seed):
        time.sleep(1.0 if cell["i"] else 0.05)
        return {"x": np.random.default_rng(seed).random(3)}

    def check(config, results):
        return [Claim.observation(id="slow.n", statement="s", source="test", method="m", quantity="q",
                                  measured=float(len(results)))]

    def cells(config): return [{"i": i} for i in range(config.n)]
    def figures(config, results): return {}

    register(Sim("slow", "Test", "slow cells", C, cells, compute, check, figures))
    sys.exit(main(sys.argv[1:]))
    """
)


def _start(tmp_path, *args):
    script = tmp_path / "slow.py"
    script.write_text(SLOW)
    return subprocess.Popen(
        [sys.executable, str(script), "run", "slow", "--quick", "--out", str(tmp_path / "out"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_first_cell(tmp_path, proc, timeout=60):
    results = tmp_path / "out" / "results" / "quick" / "slow"
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if results.exists() and list(results.glob("*.json")):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no cell finished in time")


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_prints_one_line_exits_130_and_keeps_cells(tmp_path, jobs):
    proc = _start(tmp_path, "--jobs", jobs)
    _wait_for_first_cell(tmp_path, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], err
    assert "Traceback" not in err
    kept = list((tmp_path / "out" / "results" / "quick" / "slow").glob("*.json"))
    assert kept  # finished cells stay


@pytest.mark.slow
def test_sigkill_leaves_no_orphan_workers(tmp_path):
    psutil = pytest.importorskip("psutil")
    proc = _start(tmp_path, "--jobs", "2")
    _wait_for_first_cell(tmp_path, proc)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children, "the pool has workers"
    proc.kill()
    proc.communicate(timeout=30)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"workers outlived their parent: {[p.pid for p in alive]}"


@pytest.mark.slow
def test_unreachable_scheduler_fails_fast_with_one_line(tmp_path):
    pytest.importorskip("distributed")
    t0 = time.monotonic()
    args = ["run", "margin_calibration", "--quick", "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path)]
    r = subprocess.run(
        [sys.executable, "-m", "sims", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - t0
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "no scheduler answered" in r.stderr
    assert elapsed < 30
    assert not (tmp_path / "results" / "quick" / "margin_calibration").exists()  # nothing computed
