"""Every notebook runs top to bottom, headless, in quick mode, writing into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, quick_all, quick_results_dir, monkeypatch):
    # after the quick run of every sim (quick_all), so that notebooks show its figures instead of drawing their own
    monkeypatch.setenv("THEORY_SIMS_QUICK", "1")
    monkeypatch.setenv("THEORY_SIMS_OUT", str(quick_results_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "notebooks are committed without outputs"
    )
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_notebook_layout_never_targets_the_committed_figures(monkeypatch):
    from sims.engine.notebook import notebook_layout
    from sims.engine.store import PROJECT_ROOT

    monkeypatch.delenv("THEORY_SIMS_QUICK", raising=False)
    monkeypatch.delenv("THEORY_SIMS_OUT", raising=False)
    layout = notebook_layout()
    assert layout.figures_dir.is_relative_to(layout.results_dir)
    assert not layout.figures_dir.is_relative_to(PROJECT_ROOT / "figures")


def test_ensure_results_writes_no_report(toy_sim, tmp_path, monkeypatch):
    from sims.engine.notebook import ensure_results

    monkeypatch.setenv("THEORY_SIMS_QUICK", "1")
    monkeypatch.setenv("THEORY_SIMS_OUT", str(tmp_path))
    outcomes, layout = ensure_results(["toy"])
    assert [c.verdict for c in outcomes[0].claims] == ["PASS"]
    assert not list(tmp_path.rglob("REPORT.md")) and not list(tmp_path.rglob("claims.json"))
    assert not (tmp_path / "figures").exists()
    assert all(p.is_relative_to(layout.results_dir) for p in outcomes[0].figures)
