"""Helpers that notebooks call, so that no notebook holds logic a test cannot reach.

Environment variables read here (set by the test suite to run notebooks headless and small):
``THEORY_SIMS_QUICK=1`` selects the quick presets; ``THEORY_SIMS_OUT=DIR`` puts results and figures
under DIR instead of the project root.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sims.engine.core import get, registry
from sims.engine.report import write_report
from sims.engine.runner import Layout, SimOutcome, default_layout, load_results, report_only, run_sim


def notebook_layout() -> Layout:
    """The layout chosen by the environment (quick mode and output folder)."""
    quick = os.environ.get("THEORY_SIMS_QUICK", "0").strip().lower() in ("1", "true", "yes")
    return default_layout(quick, os.environ.get("THEORY_SIMS_OUT") or None)


def ensure_results(
    names: Sequence[str] | None = None, layout: Layout | None = None, seed: int = 0
) -> tuple[list[SimOutcome], Layout]:
    """Load saved results of the named sims (default: all), computing only the missing cells.

    Returns the outcomes (claims and figure paths) and the layout; the report is rewritten.
    """
    layout = layout or notebook_layout()
    names = list(names or sorted(registry()))
    outcomes = []
    for name in names:
        _, missing = load_results(get(name), layout, seed)
        if missing:
            outcomes.append(run_sim(get(name), layout, seed=seed, progress=False))
        else:
            outcomes += report_only(layout, seed, [name])
    write_report(outcomes, layout.figures_dir, layout.quick, seed)
    return outcomes, layout


def claims_markdown(outcomes: Sequence[SimOutcome]) -> str:
    """A compact markdown table of the claims of the given outcomes."""
    rows = ["| verdict | claim | measured | predicted | slack |", "|---|---|---|---|---|"]
    for o in outcomes:
        for c in o.claims:
            rows.append(f"| {c.verdict} | `{c.id}` | {c.measured:.4g} | {c.predicted:.4g} | {c.slack:.3g} |")
    return "\n".join(rows)


def figure_paths(outcomes: Sequence[SimOutcome]) -> list[Path]:
    """PNG figures of the given outcomes, in order."""
    return [p for o in outcomes for p in o.figures if p.suffix == ".png"]
