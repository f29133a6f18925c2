"""``REPORT.md``: the verification report in markdown (renders on a code-hosting site), from the report model.

The opening (header, counts, summary) comes from :func:`sims.engine.report_model.opening`; this module adds the
contents table, one section per area and sim (figures, claims table, folded details) and the references.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sims.engine.claims import ROLE_LABELS, Claim
from sims.engine.core import registry
from sims.engine.deprecation import alias_names
from sims.engine.provenance import full_citation, short_citation
from sims.engine.report_model import CONTENTS, STATUS_TEXT, SimEntry, citation_counts, num, run_command, stamp


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


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


def _contents(entries: Sequence[SimEntry]) -> list[str]:
    lines = [
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
            f"{num(e.compute_s)} | {stamp(e) if e.status != 'not run' else '–'} |"
        )
    return [*lines, ""]


def _claim_details(c: Claim) -> list[str]:
    lines = [
        f"**`{c.id}`**",
        "",
        f"- **Statement:** {c.statement}",
        f"- **Source:** {_source_detail(c)}",
        f"- **Check:** {c.method}",
        f"- **Tolerance:** {num(c.tolerance)}: {c.tolerance_reason}",
        f"- **Verdict:** {c.verdict} (predicted {num(c.predicted)}, measured {num(c.measured)}, "
        f"slack {num(c.slack)})" + (f"; figure `{c.figure}`" if c.figure else ""),
    ]
    if c.details:
        lines.append(f"- **Details:** {c.details}")
    return [*lines, ""]


def _section(e: SimEntry, description: str, quick: bool) -> list[str]:
    """One sim's section: description, status, figures, claims table and the claims' details (folded)."""
    lines = [f"### {e.name}", "", description, ""]
    if e.status == "not run":
        return [*lines, f"*Not run.* `{run_command(e.name, quick)}` computes it.", ""]
    lines += [
        f"*{STATUS_TEXT[e.status]}*; computed at {stamp(e)}, {e.n_cells or '?'} cells, "
        f"{num(e.compute_s)} s of compute.",
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
            f"| **{verdict}** | `{c.id}`{role} | {_md(c.quantity)} | {c.relation} | {num(c.predicted)} | "
            f"{num(c.measured)} | {num(c.tolerance)} | {num(c.slack)} | {_source_cell(c)} |"
        )
    lines += ["", "<details><summary>Claim details</summary>", ""]
    for c in e.claims:
        lines += _claim_details(c)
    return [*lines, "</details>", ""]


def render_markdown(entries: Sequence[SimEntry], quick: bool, intro_md: str) -> str:
    """The whole of REPORT.md: ``intro_md`` (the model's opening), then the contents, the sections and references."""
    sims = registry()  # one copy of the registry for the whole report
    lines = [intro_md, *_contents(entries)]
    area = None
    for e in entries:
        if e.area != area:
            area = e.area
            lines += [f"## {area}", ""]
        lines += _section(e, sims[e.name].description, quick)
    lines += _references_section([c for e in entries for c in e.claims])
    return "\n".join(lines)


# Names that lived here before the report was split into a model, the markdown, the figures and the publishing step.
alias_names(
    __name__,
    {
        "write_report": "sims.engine.publish:write_report",
        "save_figures": "sims.engine.figures:save_figures",
        "current_figures": "sims.engine.figures:current_figures",
        "MANIFEST": "sims.engine.figures:MANIFEST",
        "collect_entries": "sims.engine.report_model:collect_entries",
        "area_counts": "sims.engine.report_model:area_counts",
        "counted_claims": "sims.engine.report_model:counted_claims",
    },
)
