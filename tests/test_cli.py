"""`python -m sims`: exit codes, one-line errors, and report-only rebuilds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sims.engine.cli import main
from sims.engine.core import registry


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sims", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_sim"], "unknown sim 'no_such_sim'; choose from: "),
        (["run", "margin_calibration", "--jobs", "0"], "--jobs: expected an integer >= 1"),
        (["run", "margin_calibration", "--jobs", "-1"], "--jobs: expected an integer >= 1, got -1"),
        (["run", "margin_calibration", "--dask", "not-an-address"], "--dask: expected a scheduler address"),
        (["run", "margin_calibration", "--dask", ""], "--dask: expected a scheduler address"),
        (["run", "margin_calibration", "--dask", "http://127.0.0.1:8786"], "--dask: expected a scheduler address"),
        (["run", "margin_calibration", "--out", "/etc/hostname"], "--out: /etc/hostname exists and is not a folder"),
        (["run", "margin_calibration", "--out", "/etc/hostname/sub"], "--out: cannot write to /etc/hostname/sub"),
        (["report", "--out", "/etc/hostname"], "--out: /etc/hostname exists and is not a folder"),
        (["run", "margin_calibration", "--seed", "-1"], "--seed: expected an integer >= 0"),
        (["frobnicate"], "invalid choice: 'frobnicate' (choose from"),
        (["run"], "the following arguments are required: NAME"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    """In process (``main``, which the entry point calls), so that twelve interpreter start-ups do not cost the test
    command 40 s; the entry point itself is checked below."""
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own errors exit
        code = e.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_sim"], "unknown sim 'no_such_sim'; choose from: "),
        (["frobnicate"], "invalid choice: 'frobnicate' (choose from"),
    ],
)
def test_bad_input_through_the_entry_point_exits_2_with_one_line(args, message):
    r = _run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_list_names_sims_and_claims(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "margin_calibration" in out
    assert "margin_calibration.logistic.closed_form" in out


def test_run_then_report_rebuilds_without_computing(toy_sim, tmp_path, capsys):
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    assert "cells: 6 computed, 0 reused" in capsys.readouterr().out
    report = tmp_path / "figures" / "quick" / "REPORT.md"
    report.unlink()
    (tmp_path / "figures" / "quick" / "claims.json").unlink()
    assert main(["report", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "0 computed, 6 reused" in out
    text = report.read_text()
    assert "`toy.mean_zero`" in text and "![toy: hist](toy/hist.png)" in text
    # a registered sim without results is listed as not run, with the command that runs it
    assert "| [`margin_calibration`](#margin_calibration) | H-consistency and surrogate losses | not run |" in text
    assert "`python -m sims run margin_calibration --quick`" in text
    assert (tmp_path / "figures" / "quick" / "toy" / "hist.png").exists()
    assert (tmp_path / "figures" / "quick" / "toy" / "hist.pdf").exists()
    claims = json.loads((tmp_path / "figures" / "quick" / "claims.json").read_text())
    assert claims[0]["id"] == "toy.mean_zero" and claims[0]["verdict"] == "PASS"
    assert claims[0]["status"] == "current" and claims[0]["computed_at"] and claims[0]["computed_commit"]


def test_report_with_nothing_saved_writes_nothing_and_exits_1(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "REPORT.md").write_text("committed report")
    r = _run("report", "--out", str(tmp_path))
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and "python -m sims all" in r.stderr
    assert (figures / "REPORT.md").read_text() == "committed report"
    assert sorted(p.name for p in figures.iterdir()) == ["REPORT.md"]


@pytest.fixture
def two_toys(toy_sim):
    import dataclasses

    from sims.engine.core import register, unregister

    other = register(dataclasses.replace(toy_sim, name="toy_b"))
    yield toy_sim, other
    unregister("toy_b")


def test_running_a_subset_keeps_every_other_row(two_toys, tmp_path, capsys):
    """The report only grows: running one sim keeps the other's rows, stamped, and never redraws its figures."""
    fig_dir = tmp_path / "figures" / "quick"
    assert main(["run", "toy", "toy_b", "--quick", "--out", str(tmp_path)]) == 0
    before = json.loads((fig_dir / "claims.json").read_text())
    b_png = fig_dir / "toy_b" / "hist.png"
    mtime = b_png.stat().st_mtime_ns
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    after = json.loads((fig_dir / "claims.json").read_text())
    assert [r["id"] for r in after if r["sim"] == "toy_b"] == [r["id"] for r in before if r["sim"] == "toy_b"]
    kept = [r for r in after if r["sim"] == "toy_b"]
    assert all(r["status"] == "kept" for r in kept)
    assert kept[0]["computed_at"] == next(r for r in before if r["sim"] == "toy_b")["computed_at"]
    assert b_png.stat().st_mtime_ns == mtime  # not redrawn
    text = (fig_dir / "REPORT.md").read_text()
    assert "**2 PASS, 0 FAIL, 0 observations** over 2 claims" in text


def test_rows_of_changed_code_are_marked_stale_and_not_counted(two_toys, tmp_path, capsys):
    fig_dir = tmp_path / "figures" / "quick"
    assert main(["run", "toy", "toy_b", "--quick", "--out", str(tmp_path)]) == 0
    rows = json.loads((fig_dir / "claims.json").read_text())
    for r in rows:
        if r["sim"] == "toy_b":
            r["row_fingerprint"] = "0000000000000000"  # as if computed by other code
    (fig_dir / "claims.json").write_text(json.dumps(rows))
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    text = (fig_dir / "REPORT.md").read_text()
    assert "**1 PASS, 0 FAIL, 0 observations** over 1 claims" in text
    assert "**1 sims (1 claims) are stale**" in text and "PASS (stale)" in text
    after = json.loads((fig_dir / "claims.json").read_text())
    assert {r["sim"]: r["status"] for r in after} == {"toy": "current", "toy_b": "stale"}


def test_cached_rerun_redraws_nothing(toy_sim, tmp_path, capsys):
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    png = tmp_path / "figures" / "quick" / "toy" / "hist.png"
    mtime = png.stat().st_mtime_ns
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    assert png.stat().st_mtime_ns == mtime
    manifest = json.loads((png.parent / "manifest.json").read_text())
    assert manifest["files"] == ["hist.png", "hist.pdf"] and manifest["results_digest"]


def test_progress_line_per_sim_without_a_terminal(toy_sim, tmp_path, capsys):
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 0
    assert "[1/1] toy: 6 computed, 0 reused, 1 claims" in capsys.readouterr().err


def test_failing_claim_gives_exit_1(toy_sim, tmp_path, capsys):
    from conftest import TOY_WRONG

    TOY_WRONG["flag"] = True
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 1
    assert "FAIL toy.mean_zero" in capsys.readouterr().out


def test_cell_error_gives_exit_1_and_resume_hint(toy_sim, tmp_path, capsys):
    from conftest import TOY_FAIL_AT

    TOY_FAIL_AT["i"] = 2
    assert main(["run", "toy", "--quick", "--out", str(tmp_path)]) == 1
    assert "re-run to resume" in capsys.readouterr().err


@pytest.mark.slow
def test_figure_command_all_quick(quick_all, quick_results_dir):
    """The main job's command, in quick mode: every sim runs, every claim passes, report written."""
    r, _ = quick_all
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout
    report = quick_results_dir / "figures" / "quick" / "REPORT.md"
    assert report.exists() and (quick_results_dir / "figures" / "quick" / "REPORT.html").exists()
    text = report.read_text()
    for name in ("margin_calibration", "comp_sum_tightness", "perceptron_limit", "nc_balanced"):
        assert f"### {name}\n" in text  # its section
        assert f"`{name}." in text  # and at least one of its claims
    assert "not run" not in text.split("## Contents: every sim")[1].split("\n## ")[0]  # every sim ran
    assert len(r.stderr.strip().splitlines()) >= len(registry())  # one progress line per sim (stderr is no tty)


def test_fingerprints_are_pinned_before_anything_is_computed(toy_sim, tmp_path, monkeypatch):
    """A run fingerprints every sim's code right after import, before its first cell: a source file edited during a
    long run cannot lend its new fingerprint to cells computed by the old code."""
    import sims.engine.cli as cli

    events = []
    real_pin, real_run = cli.pin_fingerprints, cli.run_many
    monkeypatch.setattr(cli, "pin_fingerprints", lambda s: events.append(("pin", len(list(s)))) or real_pin([]))
    monkeypatch.setattr(cli, "run_many", lambda *a, **k: events.append(("run", a[0][0].name)) or real_run(*a, **k))
    assert main(["run", toy_sim.name, "--quick", "--out", str(tmp_path)]) == 0
    assert events[0] == ("pin", len(registry())) and events[1] == ("run", toy_sim.name)
