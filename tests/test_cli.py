"""`python -m sims`: exit codes, one-line errors, and report-only rebuilds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sims.cli import main


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sims", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_sim"], "unknown sim 'no_such_sim'; choose from: "),
        (["run", "margin_calibration", "--jobs", "0"], "--jobs: expected an integer >= 1"),
        (["run", "margin_calibration", "--seed", "-1"], "--seed: expected an integer >= 0"),
        (["frobnicate"], "invalid choice: 'frobnicate' (choose from"),
        (["run"], "the following arguments are required: NAME"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message):
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
    assert main(["report", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "0 computed, 6 reused" in out
    text = report.read_text()
    assert "toy.mean_zero" in text and "[fig](toy/hist.png)" in text
    assert "margin_calibration" in text  # a sim without results is listed as incomplete
    assert (tmp_path / "figures" / "quick" / "toy" / "hist.png").exists()
    assert (tmp_path / "figures" / "quick" / "toy" / "hist.pdf").exists()
    claims = json.loads((tmp_path / "figures" / "quick" / "claims.json").read_text())
    assert claims[0]["id"] == "toy.mean_zero" and claims[0]["verdict"] == "PASS"


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
def test_figure_command_all_quick(quick_results_dir):
    """The main job's command, in quick mode: every sim runs, every claim passes, report written."""
    r = _run("all", "--quick", "--jobs", "2", "--out", str(quick_results_dir))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout
    report = quick_results_dir / "figures" / "quick" / "REPORT.md"
    assert report.exists() and (quick_results_dir / "figures" / "quick" / "REPORT.html").exists()
    for name in ("margin_calibration", "comp_sum_tightness", "perceptron_limit", "nc_balanced"):
        assert f"`{name}." in report.read_text() or name in report.read_text()
