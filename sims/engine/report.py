"""Figures and the verification report, built only from saved results.

``figures/REPORT.md`` (and ``REPORT.html``) hold a summary table of every claim, grouped by area, with
verdict and slack and a link to its figure; ``figures/claims.json`` holds the same rows for programs.
"""

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files; no display is ever needed

import matplotlib.pyplot as plt

import theory
from sims.engine.core import ROLE_LABELS, Claim, Results, Sim, registry
from sims.engine.store import atomic_write_bytes, git_commit

STYLE: dict[str, Any] = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "font.family": "DejaVu Sans",
}


def figure(nrows: int = 1, ncols: int = 1, **kw: Any):
    """A new figure in the shared style (use inside a sim's ``figures`` function)."""
    with plt.rc_context(STYLE):
        w, h = STYLE["figure.figsize"]
        kw.setdefault("figsize", (w * ncols if ncols > 1 else w, h * nrows if nrows > 1 else h))
        kw.setdefault("layout", "constrained")
        return plt.subplots(nrows, ncols, **kw)


def save_figures(sim: Sim, config: Any, results: Results, figures_dir: Path) -> list[Path]:
    """Draw ``sim``'s figures from its results and save each as PNG (web) and PDF (papers)."""
    written = []
    with plt.rc_context(STYLE):
        figs = sim.figures(config, results)
        for name, fig in figs.items():
            for ext in ("png", "pdf"):
                buf = io.BytesIO()
                fig.savefig(buf, format=ext, metadata=_metadata(ext))
                path = figures_dir / sim.name / f"{name}.{ext}"
                atomic_write_bytes(path, buf.getvalue())
                written.append(path)
            plt.close(fig)
    return written


def _metadata(ext: str) -> dict[str, Any]:
    # no creation date: the same results give byte-identical figures
    if ext == "pdf":
        return {"CreationDate": None, "Creator": f"theory-sims {theory.__version__}"}
    return {"Software": f"theory-sims {theory.__version__}"}


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e5):
        return f"{x:.3g}"
    return f"{x:.4g}"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def write_report(outcomes: Sequence[Any], figures_dir: Path, quick: bool, seed: int) -> Path:
    """Write REPORT.md, REPORT.html and claims.json for the given sim outcomes."""
    sims = registry()
    figures_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for o in outcomes:
        for c in o.claims:
            rows.append((sims[o.name].area if o.name in sims else "?", o.name, c))
    rows.sort(key=lambda r: (r[0], r[1]))
    n_pass = sum(c.verdict == "PASS" for *_, c in rows)
    n_fail = sum(c.verdict == "FAIL" for *_, c in rows)
    n_info = sum(c.verdict == "INFO" for *_, c in rows)
    incomplete = [o for o in outcomes if o.missing]

    lines = [
        "# Verification report",
        "",
        f"Mode **{'quick' if quick else 'full'}**, root seed {seed}, theory-sims {theory.__version__}, "
        f"commit `{git_commit() or 'unknown'}`, built {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        "by `python -m sims report` from saved results.",
        "",
        f"**{n_pass} PASS, {n_fail} FAIL, {n_info} observations** over {len(rows)} claims.",
        "",
        "How to read a row: *predicted* is the published value or bound, *measured* the independent "
        "computation (Monte Carlo, brute force, numerical optimisation), compared by *relation* within "
        "*tolerance* (its derivation is in the details). *Slack* is the room left before the verdict "
        "flips (positive: holds). Rows marked *negative control* state something known to be false, and "
        "rows marked *published statement refuted* state a published claim that the numbers contradict "
        "(counter-example in the details): both PASS when the check detects the violation.",
        "",
    ]
    if incomplete:
        lines += [
            "Sims without complete results (run them with `python -m sims run NAME`): "
            + ", ".join(f"`{o.name}` ({len(o.missing)} cells missing)" for o in incomplete),
            "",
        ]
    for a, group in groupby(rows, key=lambda r: r[0]):
        lines += [
            f"## {a}",
            "",
            "| verdict | claim | quantity | relation | predicted | measured | tolerance | slack | figure |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for _, name, c in group:
            fig = f"[fig]({name}/{c.figure}.png)" if c.figure else ""
            neg = f" *({ROLE_LABELS[c.role]})*" if ROLE_LABELS[c.role] else ""
            lines.append(
                f"| **{c.verdict}** | [`{c.id}`](#{_anchor(c.id)}){neg} | {_md(c.quantity)} | "
                f"{c.relation} | {_num(c.predicted)} | {_num(c.measured)} | {_num(c.tolerance)} | "
                f"{_num(c.slack)} | {fig} |"
            )
        lines.append("")
    lines += ["## Claim details", ""]
    for _, name, c in rows:
        lines += [
            f"### {c.id}",
            "",
            f"- **Statement:** {c.statement}",
            f"- **Source:** {c.source}",
            f"- **Check:** {c.method} (sim `{name}`)",
            f"- **Tolerance:** {_num(c.tolerance)}: {c.tolerance_reason}",
            f"- **Verdict:** {c.verdict} (predicted {_num(c.predicted)}, measured {_num(c.measured)}, "
            f"slack {_num(c.slack)})",
        ]
        if c.details:
            lines.append(f"- **Details:** {c.details}")
        if c.figure:
            lines += ["", f"![{c.figure}]({name}/{c.figure}.png)"]
        lines.append("")
    md = "\n".join(lines)
    atomic_write_bytes(figures_dir / "REPORT.md", md.encode())
    atomic_write_bytes(figures_dir / "REPORT.html", _html(rows, md).encode())
    claims_json = [{"area": a, "sim": name, **c.to_dict()} for a, name, c in rows]
    atomic_write_bytes(
        figures_dir / "claims.json",
        (json.dumps(claims_json, indent=1, default=str) + "\n").encode(),
    )
    return figures_dir / "REPORT.md"


def _anchor(claim_id: str) -> str:
    return "".join(ch for ch in claim_id.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def _html(rows: list[tuple[str, str, Claim]], md: str) -> str:
    colour = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INFO": "#6e7781"}
    body = []
    for a, group in groupby(rows, key=lambda r: r[0]):
        body.append(
            f"<h2>{html.escape(a)}</h2><table><tr><th>verdict</th><th>claim</th>"
            "<th>statement</th><th>predicted</th><th>measured</th><th>tolerance</th>"
            "<th>slack</th><th>figure</th></tr>"
        )
        for _, name, c in group:
            fig = f'<a href="{name}/{c.figure}.png">fig</a>' if c.figure else ""
            body.append(
                f'<tr><td style="color:{colour[c.verdict]};font-weight:bold">{c.verdict}</td>'
                f"<td><code>{html.escape(c.id)}</code></td><td>{html.escape(c.statement)}<br><small>"
                f"{html.escape(c.source)}; tol: {html.escape(c.tolerance_reason)}</small></td>"
                f"<td>{_num(c.predicted)}</td><td>{_num(c.measured)}</td><td>{_num(c.tolerance)}</td>"
                f"<td>{_num(c.slack)}</td><td>{fig}</td></tr>"
            )
        body.append("</table>")
    head = md.split("## ", 1)[0]
    intro = "".join(f"<p>{html.escape(p)}</p>" for p in head.split("\n\n")[1:] if p.strip())
    return (
        "<!doctype html><meta charset='utf-8'><title>theory-sims verification report</title>"
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:13px}</style>"
        f"<h1>Verification report</h1>{intro}{''.join(body)}"
    )
