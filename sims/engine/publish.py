"""Write the verification report: ``REPORT.md``, ``REPORT.html`` and ``claims.json`` from one report model.

The straight line of a run ends here: runner (cells) -> store -> figures -> this module, which builds the model
(:mod:`sims.engine.report_model`) once and hands it to both renderers (:mod:`sims.engine.report`, markdown, and
:mod:`sims.engine.report_html`, one page), which never import each other. The report only grows: see the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sims.engine.report import render_markdown
from sims.engine.report_html import render_html
from sims.engine.report_model import claims_rows, collect_entries, opening
from sims.engine.store import atomic_write_bytes


def write_report(outcomes: Sequence[Any], figures_dir: Path, quick: bool, seed: int) -> Path:
    """Write REPORT.md, REPORT.html and claims.json covering every registered sim; returns REPORT.md's path."""
    entries = collect_entries(outcomes, figures_dir, quick, seed)
    figures_dir.mkdir(parents=True, exist_ok=True)
    intro = opening(entries, quick, seed)
    atomic_write_bytes(figures_dir / "REPORT.md", render_markdown(entries, quick, intro).encode())
    atomic_write_bytes(figures_dir / "REPORT.html", render_html(entries, figures_dir, quick, intro).encode())
    rows = claims_rows(entries)
    atomic_write_bytes(figures_dir / "claims.json", (json.dumps(rows, indent=1, default=str) + "\n").encode())
    _write_cell_costs(outcomes, figures_dir / "cell_costs.json")
    return figures_dir / "REPORT.md"


def _write_cell_costs(outcomes: Sequence[Any], path: Path) -> None:
    """Each cell's last wall time, by sim, merged into what the file held (a run of some sims keeps the others'):
    the scheduling hints of a clone that has no results yet (see ``runner.run_sims``). Not a measurement shown as
    current: the report's own compute column comes from the sidecars."""
    try:
        costs = json.loads(path.read_text())
        costs = costs if isinstance(costs, dict) else {}
    except (OSError, ValueError):
        costs = {}
    for o in outcomes:
        if getattr(o, "cell_s", None):
            costs[o.name] = dict(sorted(o.cell_s.items()))
    atomic_write_bytes(path, (json.dumps(dict(sorted(costs.items())), indent=1) + "\n").encode())
