"""Helpers that notebooks call, so that no notebook holds logic a test cannot reach.

A notebook never writes the committed ``figures/`` or the report: results go to the (untracked) results folder and
its figures are drawn into ``results/<mode>/notebook-figures/``. Only ``python -m sims run/all/report`` write
``figures/``.

Which presets a notebook shows: ``THEORY_SIMS_QUICK=1`` the quick ones, ``THEORY_SIMS_QUICK=0`` the full ones
(computing what is missing: up to hours). Unset (a reader who just opens the notebook), the full results when every
sim the notebook needs has them saved (after ``python -m sims all``), else the quick presets, computed in about a
minute with a progress bar, and a note saying so. ``THEORY_SIMS_OUT=DIR`` puts results under DIR instead of the
project root.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from sims.engine.areas import areas, fill, sources_of
from sims.engine.claims import ROLE_LABELS
from sims.engine.core import get, registry
from sims.engine.figures import current_figures, save_figures
from sims.engine.provenance import attribute
from sims.engine.runner import Layout, SimOutcome, default_layout, load_results, report_only, run_sim
from sims.engine.store import PROJECT_ROOT, atomic_write_bytes, git_commit


def notebook_layout(names: Sequence[str] | None = None, seed: int = 0) -> Layout:
    """The layout chosen by the environment (mode and output folder, see the module docstring) for the sims
    ``names`` (default: all); figures go under the results."""
    env = os.environ.get("THEORY_SIMS_QUICK", "").strip().lower()
    out = os.environ.get("THEORY_SIMS_OUT") or None
    if env in ("1", "true", "yes"):
        quick = True
    elif env in ("0", "false", "no"):
        quick = False
    else:  # unset: full results if all are saved, else the quick presets (never an hour of compute unasked)
        full = default_layout(False, out)
        missing = [n for n in (names or sorted(registry())) if load_results(get(n), full, seed)[1]]
        quick = bool(missing)
        if missing:
            print(
                f"Showing the quick presets: full results of {', '.join(missing)} are not saved here "
                "(`python -m sims all` computes them; or set THEORY_SIMS_QUICK=0 to compute them now)."
            )
    base = default_layout(quick, out)
    return Layout(base.out, base.quick, figures_override=base.results_dir / "notebook-figures", formats=("png",))


def ensure_results(
    names: Sequence[str] | None = None, layout: Layout | None = None, seed: int = 0
) -> tuple[list[SimOutcome], Layout]:
    """Load saved results of the named sims (default: all), computing only the missing cells (with progress).

    Returns the outcomes (claims and figure paths) and the layout. No report is written.
    """
    names = list(names or sorted(registry()))
    layout = layout or notebook_layout(names, seed)
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
    rows = [
        "| verdict | claim | role | measured | predicted | slack | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        table = sources_of(get(o.name).area)
        for c in (attribute(c, table) for c in o.claims):
            source = f"{c.source} ({c.source_status})" if c.source else "no source recorded"
            rows.append(
                f"| {c.verdict} | `{c.id}` | {ROLE_LABELS[c.role] or 'claim'} | {c.measured:.4g} | "
                f"{c.predicted:.4g} | {c.slack:.3g} | {source.replace('|', '/')} |"
            )
    return "\n".join(rows)


NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


def execute_notebooks(names: Sequence[str], layout: Layout, seed: int = 0, timeout: int = 600) -> int:
    """``python -m sims notebooks``: run each notebook top to bottom on the saved results of ``layout``'s mode and
    save it with its outputs, so that the repository shows every notebook executed.

    Full mode with the default folder writes ``notebooks/*.ipynb`` in place (atomically); any other mode or folder
    writes ``<results>/executed-notebooks/``. Refuses (exit 1, nothing written) unless every sim has complete saved
    results, so that a committed notebook never shows quick presets or waits on hours of compute. Returns the exit
    status: 0, or 1 when a result is missing or a cell raises.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    paths = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    if names:
        known = {p.stem: p for p in paths}
        unknown = [n for n in names if n not in known]
        if unknown:
            print(f"unknown notebook {', '.join(unknown)}; choose from: {', '.join(known)}", file=sys.stderr)
            return 2
        paths = [known[n] for n in names]
    missing = [n for n, sim in sorted(registry().items()) if load_results(sim, layout, seed)[1]]
    if missing:
        flag = " --quick" if layout.quick else ""
        print(
            f"no complete saved results for {', '.join(missing)} in {layout.results_dir}; nothing was written. "
            f"Run `python -m sims all{flag}` first.",
            file=sys.stderr,
        )
        return 1
    in_place = not layout.quick and layout.out.resolve() == PROJECT_ROOT.resolve()
    target = NOTEBOOKS_DIR if in_place else layout.results_dir / "executed-notebooks"
    target.mkdir(parents=True, exist_ok=True)
    env = {"THEORY_SIMS_QUICK": "1" if layout.quick else "0", "THEORY_SIMS_OUT": str(layout.out), "MPLBACKEND": "Agg"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits them
    try:
        for path in paths:
            t0 = time.perf_counter()
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            )
            try:
                client.execute()
            except CellExecutionError as e:
                print(f"{path.name}: a cell raised; nothing was written for it\n{e}", file=sys.stderr)
                return 1
            nb.metadata["theory_sims"] = {"mode": layout.mode, "seed": seed, "commit": git_commit()}
            out = target / path.name
            atomic_write_bytes(out, (nbformat.writes(nb) + "\n").encode())
            n_code = sum(c.cell_type == "code" for c in nb.cells)
            print(f"{path.name}: {len(nb.cells)} cells ({n_code} code), {time.perf_counter() - t0:.1f} s -> {out}")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return 0


def figure_path(outcomes: Sequence[SimOutcome], sim: str, name: str) -> Path:
    """The PNG of figure ``name`` of ``sim`` among ``outcomes`` (as loaded by ``ensure_results``)."""
    for o in outcomes:
        if o.name == sim:
            for p in o.figures:
                if p.suffix == ".png" and p.stem == name:
                    return p
            have = sorted(p.stem for p in o.figures if p.suffix == ".png")
            raise ValueError(f"name must be a figure of {sim}: one of {have}; got {name!r}")
    raise ValueError(f"sim must be one of the loaded sims {[o.name for o in outcomes]}; got {sim!r}")


def show_figure(outcomes: Sequence[SimOutcome], sim: str, name: str):
    """The figure as an IPython image (embedded in the notebook, so a saved notebook shows it)."""
    from IPython.display import Image

    return Image(filename=str(figure_path(outcomes, sim, name)))


def findings_markdown(outcomes: Sequence[SimOutcome], area: str) -> str:
    """The report's summary findings of ``area`` (an area's title, as in ``sims.engine.areas.areas()``), filled from
    the claims of ``outcomes``."""
    known = areas()
    if area not in known:
        raise ValueError(f"area must be one of {list(known)}; got {area!r}")
    claims = {c.id: c for o in outcomes for c in o.claims}
    return "\n".join(f"- {fill(f, claims)}" for f in known[area].findings)
