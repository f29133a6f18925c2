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
    import subprocess

    def tracked_changes() -> str:
        r = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=path.parent, text=True, capture_output=True
        )
        return r.stdout if r.returncode == 0 else ""

    before = tracked_changes()
    nb = nbformat.read(path, as_version=4)  # executed in memory: the committed file keeps its full-mode outputs
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert tracked_changes() == before  # executing a notebook changes no tracked file


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_executed_on_the_full_results(path):
    """Browsing the repository shows every notebook with its outputs (``python -m sims notebooks`` after ``all``)."""
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("theory_sims", {}).get("mode") == "full", "run `python -m sims notebooks`"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, "no figure in the executed notebook"
    text = " ".join(o.get("text", "") for c in code for o in c.outputs)
    assert "quick presets" not in text and "TqdmWarning" not in text
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    assert len(md) >= 4  # an introduction and, per result, its statement and how to read its figure


def test_notebooks_show_quick_presets_when_full_results_are_missing(toy_sim, tmp_path, monkeypatch, capsys):
    from sims.engine.notebook import notebook_layout

    monkeypatch.delenv("THEORY_SIMS_QUICK", raising=False)
    monkeypatch.setenv("THEORY_SIMS_OUT", str(tmp_path))
    layout = notebook_layout(["toy"])
    assert layout.quick
    assert "Showing the quick presets: full results of toy are not saved here" in capsys.readouterr().out
    monkeypatch.setenv("THEORY_SIMS_QUICK", "0")
    assert not notebook_layout(["toy"]).quick


def test_notebook_layout_never_targets_the_committed_figures(monkeypatch):
    from sims.engine.notebook import notebook_layout
    from sims.engine.store import PROJECT_ROOT

    monkeypatch.setenv("THEORY_SIMS_QUICK", "1")
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
