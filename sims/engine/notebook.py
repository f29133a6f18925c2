"""Helpers that notebooks call, so that no notebook holds logic a test cannot reach.

A notebook never writes the committed ``figures/`` or the report: results go to the (untracked) results folder and
its figures are drawn into ``results/<mode>/notebook-figures/``. Only ``python -m sims run/all/report`` write
``figures/``.

Environment variables read here (set by the test suite to run notebooks headless and small):
``THEORY_SIMS_QUICK=1`` selects the quick presets; ``THEORY_SIMS_OUT=DIR`` puts results under DIR instead of the
project root.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sims.engine.core import get, registry
from sims.engine.report import current_figures, save_figures
from sims.engine.runner import Layout, SimOutcome, default_layout, load_results, report_only, run_sim


def notebook_layout() -> Layout:
    """The layout chosen by the environment (quick mode and output folder); figures go under the results."""
    quick = os.environ.get("THEORY_SIMS_QUICK", "0").strip().lower() in ("1", "true", "yes")
    base = default_layout(quick, os.environ.get("THEORY_SIMS_OUT") or None)
    return Layout(base.out, base.quick, figures_override=base.results_dir / "notebook-figures", formats=("png",))


def ensure_results(
    names: Sequence[str] | None = None, layout: Layout | None = None, seed: int = 0
) -> tuple[list[SimOutcome], Layout]:
    """Load saved results of the named sims (default: all), computing only the missing cells (with progress).

    Returns the outcomes (claims and figure paths) and the layout. No report is written.
    """
    layout = layout or notebook_layout()
    names = list(names or sorted(registry()))
    run_figures = Layout(layout.out, layout.quick).figures_dir  # what `python -m sims` drew (read, never written)
    outcomes = []
    for name in names:
        sim = get(name)
        _, missing = load_results(sim, layout, seed)
        if missing:
            outcomes.append(run_sim(sim, layout, seed=seed, progress=True))
            continue
        (outcome,) = report_only(layout, seed, [name], draw=False)
        drawn = current_figures(sim, run_figures, outcome.results_digest, layout.formats)
        if drawn is None:  # no current figures from a run: draw them into the notebook's own folder
            results, _ = load_results(sim, layout, seed)
            drawn = save_figures(
                sim, sim.config(layout.quick), results, layout.figures_dir, outcome.results_digest, layout.formats
            )
        outcome.figures = drawn
        outcomes.append(outcome)
    return outcomes, layout


def claims_markdown(outcomes: Sequence[SimOutcome]) -> str:
    """A compact markdown table of the claims of the given outcomes, with their roles and sources (attached from the
    areas' source tables, as in the report)."""
    from sims.engine.claims import ROLE_LABELS
    from sims.engine.provenance import attribute

    rows = [
        "| verdict | claim | role | measured | predicted | slack | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        module = get(o.name).compute.__module__
        for c in (attribute(c, module) for c in o.claims):
            source = f"{c.source} ({c.source_status})" if c.source else "no source recorded"
            rows.append(
                f"| {c.verdict} | `{c.id}` | {ROLE_LABELS[c.role] or 'claim'} | {c.measured:.4g} | "
                f"{c.predicted:.4g} | {c.slack:.3g} | {source.replace('|', '/')} |"
            )
    return "\n".join(rows)


def figure_paths(outcomes: Sequence[SimOutcome]) -> list[Path]:
    """PNG figures of the given outcomes, in order."""
    return [p for o in outcomes for p in o.figures if p.suffix == ".png"]
