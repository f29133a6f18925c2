"""Figures, drawn only from saved results: each sim's PNG (web) and PDF (papers), with a manifest of what they were
drawn from, so a cached re-run redraws nothing and a notebook can show what a run drew without drawing anything.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import theory
from sims.engine.core import Results, Sim
from sims.engine.plotting import style
from sims.engine.store import atomic_write_bytes, row_fingerprint

MANIFEST = "manifest.json"


def save_figures(
    sim: Sim,
    config: Any,
    results: Results,
    figures_dir: Path,
    digest: str | None = None,
    formats: tuple[str, ...] = ("png", "pdf"),
) -> list[Path]:
    """Draw ``sim``'s figures from its results and save each as PNG (web) and PDF (papers).

    The sim's figure folder is generated only: files of figures the sim no longer draws are removed, and
    ``manifest.json`` records what the figures were drawn from (the results' ``digest`` and the drawing code's
    ``row_fingerprint``). When both match, the figures on disk are those this call would draw, and are reused.
    """
    folder = figures_dir / sim.name
    stamp = figure_stamp(sim, digest, formats)
    current = current_figures(sim, figures_dir, digest, formats)
    if current is not None:
        return current
    written = []
    with style():
        figs = sim.figures(config, results)
        for name, fig in figs.items():
            for ext in formats:
                buf = io.BytesIO()
                fig.savefig(buf, format=ext, metadata=png_pdf_metadata(ext))
                path = folder / f"{name}.{ext}"
                atomic_write_bytes(path, buf.getvalue())
                written.append(path)
    for old in folder.glob("*"):
        if old.suffix in (".png", ".pdf") and old not in written:
            old.unlink()
    manifest = stamp | {"files": [p.name for p in written]}
    atomic_write_bytes(folder / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())
    return written


def figure_stamp(sim: Sim, digest: str | None, formats: tuple[str, ...]) -> dict[str, Any]:
    return {
        "results_digest": digest,
        "row_fingerprint": row_fingerprint(sim.compute.__module__),
        "formats": list(formats),
    }


def current_figures(
    sim: Sim, figures_dir: Path, digest: str | None, formats: tuple[str, ...] = ("png", "pdf")
) -> list[Path] | None:
    """The figure files in ``figures_dir`` if its manifest says they were drawn from these results (``digest``)
    by the current drawing code in (at least) these formats; else None. Read-only: notebooks use it to show the
    figures a run drew without drawing (or writing) anything."""
    if digest is None:
        return None
    folder = figures_dir / sim.name
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = [folder / f for f in manifest["files"]]
        want = figure_stamp(sim, digest, formats)
        same = all(manifest.get(k) == want[k] for k in ("results_digest", "row_fingerprint"))
        if same and set(formats) <= set(manifest.get("formats", ())) and all(f.is_file() for f in files):
            return [f for f in files if f.suffix.lstrip(".") in formats]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def png_pdf_metadata(ext: str) -> dict[str, Any]:
    # no creation date: the same results give byte-identical figures
    if ext == "pdf":
        return {"CreationDate": None, "Creator": f"theory-sims {theory.__version__}"}
    return {"Software": f"theory-sims {theory.__version__}"}
