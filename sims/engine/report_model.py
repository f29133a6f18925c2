"""The report's model: every registered sim's entry (current, kept, stale or not run), its counts and the opening
(header, counts and the per-area summary), from which ``report`` (markdown) and ``report_html`` (one page) both render.

Each sim's rows come from, in this order:

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

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import theory
from sims.engine.areas import areas, fill, sources_of
from sims.engine.claims import Claim
from sims.engine.core import registry
from sims.engine.provenance import STATUS_TEXT as SOURCE_STATUS_TEXT
from sims.engine.provenance import STATUSES, attribute, short_citation
from sims.engine.store import git_commit, row_fingerprint

Status = Literal["current", "kept", "stale", "not run"]
STATUS_TEXT = {
    "current": "computed by the current code",
    "kept": "kept from an earlier run of the current code",
    "stale": "STALE: computed by code that has changed since; re-run it",
    "not run": "not run",
}
CONTENTS = "## Contents: every sim"  # the heading after the report's opening (header, counts, summary)


def num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "−∞"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e5):
        return f"{x:.3g}"
    return f"{x:.4g}"


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
        table = sources_of(sim.area)
        if name in done:
            o = done[name]
            pngs = [p.relative_to(figures_dir).as_posix() for p in o.figures if p.suffix == ".png"]
            entries.append(
                SimEntry(
                    name,
                    sim.area,
                    "current",
                    [attribute(c, table) for c in o.claims],
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
            claims = [attribute(Claim.from_dict(r), table) for r in rows]
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


def stamp(e: SimEntry) -> str:
    commit = (e.commit or "unknown")[:12]
    date = (e.computed_at or "")[:10] or "date unknown"
    return f"{commit}, {date}"


def run_command(name: str, quick: bool) -> str:
    return f"python -m sims run {name}" + (" --quick" if quick else "")


def _status_line(claims: Sequence[Claim]) -> str:
    counts = {s: sum(c.source_status == s for c in claims) for s in STATUSES}
    missing = sum(not c.source_status for c in claims)
    line = "**Sources:** " + ", ".join(f"{counts[s]} {s} ({SOURCE_STATUS_TEXT[s]})" for s in STATUSES)
    return line + (f", **{missing} without a recorded source**." if missing else ".")


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
    figure (each area's ``findings.py``, registered with its :class:`~sims.engine.areas.Area`)."""
    claims = counted_claims(entries)
    present = {e.area for e in entries}
    out = ["## Summary", ""]
    for area in areas().values():
        if area.title not in present:
            continue
        sims_of = [e.name for e in entries if e.area == area.title]
        out += [
            f"**{area.title}.** {area_counts(entries, area.title)}: "
            + ", ".join(f"[`{n}`](#{n})" for n in sims_of)
            + ".",
            "",
        ]
        out += [f"- {fill(f, claims)}" for f in area.findings]
        out += ["", f"![{area.title}: {area.figure}]({area.figure})", ""]
    return out


def citation_counts(claims: Sequence[Claim]) -> dict[str, int]:
    """How many of ``claims`` cite each key, in the order the References list them (by short citation)."""
    used: dict[str, int] = {}
    for c in claims:
        for k in c.refs:
            used[k] = used.get(k, 0) + 1
    return {k: used[k] for k in sorted(used, key=lambda k: short_citation(k).lower())}


HOW_TO_READ = (
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
    "where)."
)


def opening(entries: Sequence[SimEntry], quick: bool, seed: int) -> str:
    """The report's opening in markdown, up to the contents: header, counts, sources, stale and not-run sims, the
    per-area summary and how to read a row. Both renderers start with it."""
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
            + ", ".join(f"`{e.name}` (`{run_command(e.name, quick)}`)" for e in by_status["not run"]),
            "",
        ]
    lines += _summary_lines(entries)
    lines += [HOW_TO_READ, ""]
    return "\n".join(lines)


def claims_rows(entries: Sequence[SimEntry]) -> list[dict[str, Any]]:
    """``claims.json``: one row per claim of every entry, with its sim's status and stamps."""
    return [
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
