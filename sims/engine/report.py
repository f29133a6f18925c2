"""Figures and the verification report, built only from saved results; the report only grows.

``figures/REPORT.md`` (and ``REPORT.html``, ``claims.json``) always cover every registered sim. Each sim's rows
come from, in this order:

1. this run (``current``): the sim was run or rebuilt now from complete saved results;
2. the previous report in the same folder (``kept``): rows computed earlier, by code whose ``row_fingerprint`` is
   the current one, with the same seed and mode, so still what the code says; they are stamped with the commit and
   date they were computed at;
3. the previous report, computed by code that has changed since (``stale``): shown, struck from the counts, and
   marked as not current;
4. nothing (``not run``): listed with the command that runs it.

So running a subset (``run NAME``, a notebook) updates that subset's rows and keeps every other sim's rows, and a
``report`` with nothing saved changes nothing (the CLI refuses before calling ``write_report``).
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import theory
from sims.engine.claims import ROLE_LABELS, Claim
from sims.engine.core import Results, Sim, registry
from sims.engine.plotting import style
from sims.engine.provenance import STATUS_TEXT as SOURCE_STATUS_TEXT
from sims.engine.provenance import STATUSES, attribute, full_citation, short_citation
from sims.engine.store import atomic_write_bytes, git_commit, row_fingerprint

Status = Literal["current", "kept", "stale", "not run"]
STATUS_TEXT = {
    "current": "computed by the current code",
    "kept": "kept from an earlier run of the current code",
    "stale": "STALE: computed by code that has changed since; re-run it",
    "not run": "not run",
}


MANIFEST = "manifest.json"
CONTENTS = "## Contents: every sim"  # the heading after the report's opening (header, counts, summary)


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
    stamp = _figure_stamp(sim, digest, formats)
    current = current_figures(sim, figures_dir, digest, formats)
    if current is not None:
        return current
    written = []
    with style():
        figs = sim.figures(config, results)
        for name, fig in figs.items():
            for ext in formats:
                buf = io.BytesIO()
                fig.savefig(buf, format=ext, metadata=_metadata(ext))
                path = folder / f"{name}.{ext}"
                atomic_write_bytes(path, buf.getvalue())
                written.append(path)
    for old in folder.glob("*"):
        if old.suffix in (".png", ".pdf") and old not in written:
            old.unlink()
    manifest = stamp | {"files": [p.name for p in written]}
    atomic_write_bytes(folder / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode())
    return written


def _figure_stamp(sim: Sim, digest: str | None, formats: tuple[str, ...]) -> dict[str, Any]:
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
        want = _figure_stamp(sim, digest, formats)
        same = all(manifest.get(k) == want[k] for k in ("results_digest", "row_fingerprint"))
        if same and set(formats) <= set(manifest.get("formats", ())) and all(f.is_file() for f in files):
            return [f for f in files if f.suffix.lstrip(".") in formats]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _metadata(ext: str) -> dict[str, Any]:
    # no creation date: the same results give byte-identical figures
    if ext == "pdf":
        return {"CreationDate": None, "Creator": f"theory-sims {theory.__version__}"}
    return {"Software": f"theory-sims {theory.__version__}"}


def _num(x: float | None) -> str:
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


@dataclass
class SimEntry:
    """One sim's part of the report."""

    name: str
    area: str
    status: Status
    claims: list[Claim] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # PNG paths relative to the figures folder
    commit: str | None = None
    computed_at: str | None = None
    compute_s: float | None = None
    n_cells: int | None = None
    fingerprint: str | None = None
    seed: int | None = None
    mode: str | None = None

    @property
    def counted(self) -> bool:
        return self.status in ("current", "kept")


def _previous_rows(figures_dir: Path) -> dict[str, list[dict[str, Any]]]:
    try:
        rows = json.loads((figures_dir / "claims.json").read_text())
    except (OSError, ValueError):
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, dict) and "sim" in r and "id" in r:
            out.setdefault(r["sim"], []).append(r)
    return out


def _pngs(figures_dir: Path, name: str) -> list[str]:
    return sorted(p.relative_to(figures_dir).as_posix() for p in (figures_dir / name).glob("*.png"))


def collect_entries(outcomes: Sequence[Any], figures_dir: Path, quick: bool, seed: int) -> list[SimEntry]:
    """Every registered sim's entry: from ``outcomes`` where complete, else the previous report, else not run."""
    mode = "quick" if quick else "full"
    done = {o.name: o for o in outcomes if o.complete}
    previous = _previous_rows(figures_dir)
    entries = []
    for name, sim in registry().items():
        fp = row_fingerprint(sim.compute.__module__)
        module = sim.compute.__module__
        if name in done:
            o = done[name]
            pngs = [p.relative_to(figures_dir).as_posix() for p in o.figures if p.suffix == ".png"]
            entries.append(
                SimEntry(
                    name,
                    sim.area,
                    "current",
                    [attribute(c, module) for c in o.claims],
                    pngs or _pngs(figures_dir, name),
                    commit=o.commits[-1] if o.commits else git_commit(),
                    computed_at=o.computed_at,
                    compute_s=o.compute_s,
                    n_cells=len(o.computed) + len(o.skipped),
                    fingerprint=fp,
                    seed=seed,
                    mode=mode,
                )
            )
        elif name in previous:
            rows = previous[name]
            r0 = rows[0]
            same = all(r.get("row_fingerprint") == fp and r.get("seed") == seed and r.get("mode") == mode for r in rows)
            claims = [attribute(Claim.from_dict(r), module) for r in rows]
            entries.append(
                SimEntry(
                    name,
                    sim.area,
                    "kept" if same else "stale",
                    claims,
                    _pngs(figures_dir, name),
                    commit=r0.get("computed_commit"),
                    computed_at=r0.get("computed_at"),
                    compute_s=r0.get("compute_s"),
                    n_cells=r0.get("n_cells"),
                    fingerprint=r0.get("row_fingerprint"),
                    seed=r0.get("seed"),
                    mode=r0.get("mode"),
                )
            )
        else:
            entries.append(SimEntry(name, sim.area, "not run"))
    entries.sort(key=lambda e: (e.area, e.name))
    return entries


def _stamp(e: SimEntry) -> str:
    commit = (e.commit or "unknown")[:12]
    date = (e.computed_at or "")[:10] or "date unknown"
    return f"{commit}, {date}"


def _run_command(name: str, quick: bool) -> str:
    return f"python -m sims run {name}" + (" --quick" if quick else "")


def _status_line(claims: Sequence[Claim]) -> str:
    counts = {s: sum(c.source_status == s for c in claims) for s in STATUSES}
    missing = sum(not c.source_status for c in claims)
    line = "**Sources:** " + ", ".join(f"{counts[s]} {s} ({SOURCE_STATUS_TEXT[s]})" for s in STATUSES)
    return line + (f", **{missing} without a recorded source**." if missing else ".")


def _ref_links(c: Claim) -> str:
    return "; ".join(f"[{short_citation(k)}](#ref-{k})" for k in c.refs)


def _source_cell(c: Claim) -> str:
    if not c.refs:
        return "**no source recorded**"
    return f"{_ref_links(c)}, {_md(c.place)} ({c.source_status})"


def _source_detail(c: Claim) -> str:
    if not c.refs:
        return "**no source recorded**"
    return f"{_ref_links(c)}, {c.place}. *{c.source_status}*: {c.source_basis}."


def area_counts(entries: Sequence[SimEntry], area: str) -> str:
    """'N PASS, N FAIL, N observations over N claims of N sims' for the counted sims of ``area``."""
    es = [e for e in entries if e.area == area and e.counted]
    cs = [c for e in es for c in e.claims]
    v = [c.verdict for c in cs]
    return (
        f"**{v.count('PASS')} PASS, {v.count('FAIL')} FAIL, {v.count('INFO')} "
        f"observation{'' if v.count('INFO') == 1 else 's'}** over {len(cs)} claims of {len(es)} sims"
    )


def counted_claims(entries: Sequence[SimEntry]) -> dict[str, Claim]:
    """Claims of the counted (current or kept) sims by id: what the summary's placeholders are filled from."""
    return {c.id: c for e in entries if e.counted for c in e.claims}


def _summary_lines(entries: Sequence[SimEntry]) -> list[str]:
    """The report's opening: per area, its counts, the findings that matter (numbers from the rows below) and one
    figure (``sims.findings``)."""
    from sims.findings import SUMMARIES, fill

    claims = counted_claims(entries)
    areas = {e.area for e in entries}
    out = ["## Summary", ""]
    for summary in SUMMARIES:
        if summary.area not in areas:
            continue
        sims_of = [e.name for e in entries if e.area == summary.area]
        out += [
            f"**{summary.area}.** {area_counts(entries, summary.area)}: "
            + ", ".join(f"[`{n}`](#{n})" for n in sims_of)
            + ".",
            "",
        ]
        out += [f"- {fill(f, claims)}" for f in summary.findings]
        out += ["", f"![{summary.area}: {summary.figure}]({summary.figure})", ""]
    return out


def citation_counts(claims: Sequence[Claim]) -> dict[str, int]:
    """How many of ``claims`` cite each key, in the order the References list them (by short citation)."""
    used: dict[str, int] = {}
    for c in claims:
        for k in c.refs:
            used[k] = used.get(k, 0) + 1
    return {k: used[k] for k in sorted(used, key=lambda k: short_citation(k).lower())}


def _references_section(claims: Sequence[Claim]) -> list[str]:
    used = citation_counts(claims)
    out = [
        "## References",
        "",
        "Every work cited by a claim above (`references.bib`), with the number of claims citing it.",
        "",
    ]
    for k in used:
        out += [f'<a id="ref-{k}"></a>**{short_citation(k)}** (`{k}`, {used[k]} claims). {full_citation(k)}', ""]
    return out


def write_report(outcomes: Sequence[Any], figures_dir: Path, quick: bool, seed: int) -> Path:
    """Write REPORT.md, REPORT.html and claims.json covering every registered sim (see the module docstring)."""
    entries = collect_entries(outcomes, figures_dir, quick, seed)
    sims = registry()  # one copy of the registry for the whole report
    figures_dir.mkdir(parents=True, exist_ok=True)
    counted = [c for e in entries if e.counted for c in e.claims]
    n_pass = sum(c.verdict == "PASS" for c in counted)
    n_fail = sum(c.verdict == "FAIL" for c in counted)
    n_info = sum(c.verdict == "INFO" for c in counted)
    by_status = {s: [e for e in entries if e.status == s] for s in STATUS_TEXT}
    n_stale_rows = sum(len(e.claims) for e in by_status["stale"])
    total_compute = sum(e.compute_s or 0.0 for e in entries if e.counted)

    lines = [
        "# Verification report",
        "",
        f"Mode **{'quick' if quick else 'full'}**, root seed {seed}, theory-sims {theory.__version__}. Built "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{git_commit() or 'unknown'}` from saved results "
        "(`python -m sims report`); each sim below says the commit and date its results were computed at.",
        "",
        f"**{n_pass} PASS, {n_fail} FAIL, {n_info} observations** over {len(counted)} claims of "
        f"{len(by_status['current']) + len(by_status['kept'])} of {len(entries)} sims "
        f"({total_compute:.0f} s of cell compute).",
        "",
        _status_line(counted),
        "",
    ]
    if by_status["stale"]:
        lines += [
            f"**{len(by_status['stale'])} sims ({n_stale_rows} claims) are stale**: their rows were computed by code "
            "that has changed since and are not counted above: "
            + ", ".join(f"`{e.name}`" for e in by_status["stale"])
            + ". Re-run them.",
            "",
        ]
    if by_status["not run"]:
        lines += [
            "**Not run yet:** "
            + ", ".join(f"`{e.name}` (`{_run_command(e.name, quick)}`)" for e in by_status["not run"]),
            "",
        ]
    lines += _summary_lines(entries)
    lines += [
        "How to read a row: *predicted* is the stated value or bound, *measured* the independent computation "
        "(Monte Carlo, brute force, numerical optimisation), compared by *relation* within *tolerance* (its "
        "derivation is in the details). *Slack* is the room left before the verdict flips: positive means PASS "
        "with that margin. Rows marked *negative control* state something known to be false and rows marked "
        "*published statement refuted* a statement read in the primary text that the numbers contradict (rows "
        "marked *restated form refuted* refute the form a secondary source gives, and *our conjecture, shown false* "
        "one of this project's; counter-example in the details): all PASS when the check detects the violation, "
        "and their slack is how far beyond it the measurement lies. *Source* cites [References](#references) and "
        "says how surely the statement is known: *verbatim* (checked against the primary text), *restated* (the form "
        "a secondary source gives; the primary text not re-read) or *derived* (in this project; the details say "
        "where).",
        "",
        CONTENTS,
        "",
        "| sim | area | status | PASS | FAIL | obs | cells | compute (s) | computed at (commit, date) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        verdicts = [c.verdict for c in e.claims]
        lines.append(
            f"| [`{e.name}`](#{e.name}) | {e.area} | {e.status} | {verdicts.count('PASS')} | "
            f"{verdicts.count('FAIL')} | {verdicts.count('INFO')} | {e.n_cells if e.n_cells is not None else '–'} | "
            f"{_num(e.compute_s)} | {_stamp(e) if e.status != 'not run' else '–'} |"
        )
    lines.append("")
    area = None
    for e in entries:
        if e.area != area:
            area = e.area
            lines += [f"## {area}", ""]
        lines += [f"### {e.name}", ""]
        lines += [f"{sims[e.name].description}", ""]
        if e.status == "not run":
            lines += [f"*Not run.* `{_run_command(e.name, quick)}` computes it.", ""]
            continue
        lines += [
            f"*{STATUS_TEXT[e.status]}*; computed at {_stamp(e)}, {e.n_cells or '?'} cells, "
            f"{_num(e.compute_s)} s of compute.",
            "",
        ]
        for png in e.figures:
            lines += [f"![{e.name}: {Path(png).stem}]({png})", ""]
        lines += [
            "| verdict | claim | quantity | relation | predicted | measured | tolerance | slack | source |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in e.claims:
            role = f" *({ROLE_LABELS[c.role]})*" if ROLE_LABELS[c.role] else ""
            verdict = c.verdict if e.counted else f"{c.verdict} (stale)"
            lines.append(
                f"| **{verdict}** | `{c.id}`{role} | {_md(c.quantity)} | {c.relation} | {_num(c.predicted)} | "
                f"{_num(c.measured)} | {_num(c.tolerance)} | {_num(c.slack)} | {_source_cell(c)} |"
            )
        lines += ["", "<details><summary>Claim details</summary>", ""]
        for c in e.claims:
            lines += [
                f"**`{c.id}`**",
                "",
                f"- **Statement:** {c.statement}",
                f"- **Source:** {_source_detail(c)}",
                f"- **Check:** {c.method}",
                f"- **Tolerance:** {_num(c.tolerance)}: {c.tolerance_reason}",
                f"- **Verdict:** {c.verdict} (predicted {_num(c.predicted)}, measured {_num(c.measured)}, "
                f"slack {_num(c.slack)})" + (f"; figure `{c.figure}`" if c.figure else ""),
            ]
            if c.details:
                lines.append(f"- **Details:** {c.details}")
            lines.append("")
        lines += ["</details>", ""]
    lines += _references_section([c for e in entries for c in e.claims])
    md = "\n".join(lines)
    intro = "\n".join(lines[: lines.index(CONTENTS)])
    rows = [
        {
            "area": e.area,
            "sim": e.name,
            **c.to_dict(),
            "status": e.status,
            "computed_commit": e.commit,
            "computed_at": e.computed_at,
            "compute_s": e.compute_s,
            "n_cells": e.n_cells,
            "row_fingerprint": e.fingerprint,
            "seed": e.seed,
            "mode": e.mode,
        }
        for e in entries
        for c in e.claims
    ]
    atomic_write_bytes(figures_dir / "REPORT.md", md.encode())
    from sims.engine.report_html import render_html

    atomic_write_bytes(figures_dir / "REPORT.html", render_html(entries, figures_dir, quick, intro).encode())
    atomic_write_bytes(figures_dir / "claims.json", (json.dumps(rows, indent=1, default=str) + "\n").encode())
    return figures_dir / "REPORT.md"


def progress_line(i: int, n: int, outcome: Any, seconds: float) -> None:
    """One line per sim on stderr, also when it is not a terminal (CI logs, pipes)."""
    print(
        f"[{i}/{n}] {outcome.name}: {len(outcome.computed)} computed, {len(outcome.skipped)} reused, "
        f"{len(outcome.claims)} claims, {seconds:.1f} s of compute",
        file=sys.stderr,
        flush=True,
    )
