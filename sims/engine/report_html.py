"""``REPORT.html``: the verification report as one self-contained page.

Everything is inside the file: the figures as PNG data URIs, the styles and the few lines of script (no network, no
CDN), so the page can be mailed, archived or opened from a file manager. It has a navigation bar by area and sim, the
summary with its maths rendered (LaTeX between ``$...$`` becomes MathML, which browsers render natively), each sim's
figures and claims table, each claim's details folded under its id, and a filter by verdict and role that hides and
shows rows and says how many are shown. Prose is markdown, rendered by Python-Markdown.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from pathlib import Path

import latex2mathml.converter
import markdown

from sims.engine.claims import ROLE_LABELS, Claim
from sims.engine.core import registry
from sims.engine.provenance import full_citation, short_citation
from sims.engine.report_model import STATUS_TEXT, SimEntry, citation_counts, num, run_command, stamp

VERDICT_COLOUR = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INFO": "#57606a"}
VERDICT_TEXT = {"PASS": "PASS", "FAIL": "FAIL", "INFO": "INFO"}  # INFO: an observation, not judged

_MATH = re.compile(r"\$([^$\n]+?)\$")

CSS = """
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg2:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg)}
nav{position:fixed;top:0;left:0;bottom:0;width:260px;overflow-y:auto;padding:12px 14px;background:var(--bg2);
 border-right:1px solid var(--line);font-size:13px}
nav a{color:var(--fg);text-decoration:none}nav a:hover{text-decoration:underline}
nav .area{font-weight:600;margin-top:10px}nav ul{list-style:none;margin:2px 0;padding-left:10px}
main{margin-left:260px;padding:18px 32px;max-width:1250px}
h1{margin-top:0}h2{border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:36px}
h3{margin-top:28px}code{background:var(--bg2);padding:0 3px;border-radius:3px;font-size:90%}
img.fig{max-width:100%;border:1px solid var(--line);margin:6px 0}
table{border-collapse:collapse;width:100%;margin:8px 0 4px}
td,th{border:1px solid var(--line);padding:3px 6px;vertical-align:top;font-size:13px;text-align:left}
th{background:var(--bg2)}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.verdict{font-weight:700;white-space:nowrap}
details>summary{cursor:pointer}details.claim div{margin:4px 0 6px 14px;font-size:13px}
.role{color:var(--muted);font-style:italic}.muted{color:var(--muted)}
#filter{position:sticky;top:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 10px;
 margin:10px 0;z-index:2;font-size:13px}
#filter label{margin-right:10px;white-space:nowrap}
.stale{background:#fff8c5}
"""

SCRIPT = """
function applyFilter(){
  var on=function(kind){var s={};document.querySelectorAll('#filter input[data-'+kind+']').forEach(function(b){
    s[b.getAttribute('data-'+kind)]=b.checked;});return s;};
  var v=on('verdict'),r=on('role'),shown=0,rows=document.querySelectorAll('tr.claim');
  rows.forEach(function(tr){var ok=v[tr.dataset.verdict]&&r[tr.dataset.role];tr.hidden=!ok;if(ok)shown++;});
  document.getElementById('shown').textContent=shown+' of '+rows.length+' claims shown';
}
document.querySelectorAll('#filter input').forEach(function(b){b.addEventListener('change',applyFilter);});
applyFilter();
"""


def _slug(text: str) -> str:
    return "area-" + re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def markdown_html(text: str) -> str:
    """Markdown to HTML, with ``$...$`` rendered as MathML first (kept out of the markdown parser's way)."""
    maths: list[str] = []

    def stash(m: re.Match[str]) -> str:
        maths.append(latex2mathml.converter.convert(m.group(1)))
        return f"\x00MATH{len(maths) - 1}\x00"

    out = markdown.markdown(_MATH.sub(stash, text), extensions=["tables"])
    return re.sub("\x00MATH(\\d+)\x00", lambda m: maths[int(m.group(1))], out)


def _image(figures_dir: Path, rel: str, alt: str) -> str:
    path = figures_dir / rel
    try:
        data = base64.b64encode(path.read_bytes()).decode()
    except OSError:
        return f'<p class="muted">figure <code>{html.escape(rel)}</code> is missing: re-run the sim</p>'
    return f'<img class="fig" src="data:image/png;base64,{data}" alt="{html.escape(alt)}" title="{html.escape(rel)}">'


def _num(x: float | None) -> str:
    return html.escape(num(x))


def _refs(c: Claim) -> str:
    return "; ".join(f'<a href="#ref-{html.escape(k)}">{html.escape(short_citation(k))}</a>' for k in c.refs)


def _claim_row(c: Claim, counted: bool) -> str:
    role = ROLE_LABELS[c.role]
    source = f"{_refs(c)}, {html.escape(c.place)} ({html.escape(c.source_status)})" if c.refs else "no source recorded"
    details = [
        f"<div><b>Statement:</b> {html.escape(c.statement)}</div>",
        f"<div><b>Source:</b> {_refs(c) or 'none recorded'}, {html.escape(c.place)}. "
        f"<i>{html.escape(c.source_status)}</i>: {html.escape(c.source_basis)}.</div>",
        f"<div><b>Check:</b> {html.escape(c.method)}</div>",
        f"<div><b>Tolerance:</b> {_num(c.tolerance)}: {html.escape(c.tolerance_reason)}</div>",
    ]
    if c.details:
        details.append(f"<div><b>Details:</b> {html.escape(c.details)}</div>")
    verdict = VERDICT_TEXT[c.verdict] + ("" if counted else " (stale)")
    return (
        f'<tr class="claim{"" if counted else " stale"}" data-verdict="{c.verdict}" data-role="{c.role}">'
        f'<td class="verdict" style="color:{VERDICT_COLOUR[c.verdict]}">{verdict}</td>'
        f'<td><details class="claim"><summary><code>{html.escape(c.id)}</code>'
        + (f' <span class="role">({html.escape(role)})</span>' if role else "")
        + f"</summary>{''.join(details)}</details></td>"
        f"<td>{html.escape(c.quantity)}</td><td>{html.escape(c.relation)}</td>"
        f'<td class="num">{_num(c.predicted)}</td><td class="num">{_num(c.measured)}</td>'
        f'<td class="num">{_num(c.tolerance)}</td><td class="num">{_num(c.slack)}</td><td>{source}</td></tr>'
    )


def render_html(entries: Sequence[SimEntry], figures_dir: Path, quick: bool, intro_md: str) -> str:
    """The whole page (see the module docstring); ``intro_md`` is the report's opening in markdown (header, counts,
    summary), whose images are embedded and whose links to sims point at the sections below."""
    sims = registry()
    areas: dict[str, list[SimEntry]] = {}
    for e in entries:
        areas.setdefault(e.area, []).append(e)

    nav = ['<a href="#top"><b>Verification report</b></a>', '<div><a href="#summary">Summary</a></div>']
    for area, es in areas.items():
        nav.append(f'<div class="area"><a href="#{_slug(area)}">{html.escape(area)}</a></div><ul>')
        nav += [f'<li><a href="#{e.name}">{e.name}</a></li>' for e in es]
        nav.append("</ul>")
    nav.append('<div class="area"><a href="#references">References</a></div>')

    intro = markdown_html(intro_md.replace("# Verification report\n", "", 1))
    intro = intro.replace("<h2>Summary</h2>", '<h2 id="summary">Summary</h2>', 1)
    # the summary's figures are paths relative to the figures folder: embed them
    intro = re.sub(
        r'<img alt="([^"]*)" src="([^"]+\.png)"\s*/?>', lambda m: _image(figures_dir, m.group(2), m.group(1)), intro
    )

    roles = sorted({c.role for e in entries for c in e.claims}, key=list(ROLE_LABELS).index)
    verdicts = [v for v in VERDICT_TEXT if any(c.verdict == v for e in entries for c in e.claims)]
    filt = ['<div id="filter"><b>Show:</b> ']
    filt += [f'<label><input type="checkbox" checked data-verdict="{v}"> {VERDICT_TEXT[v]}</label>' for v in verdicts]
    filt.append(" &nbsp;|&nbsp; ")
    filt += [
        f'<label><input type="checkbox" checked data-role="{r}"> {html.escape(ROLE_LABELS[r] or "claim")}</label>'
        for r in roles
    ]
    filt.append(' &nbsp; <span id="shown" class="muted"></span></div>')

    body = []
    for area, es in areas.items():
        body.append(f'<h2 id="{_slug(area)}">{html.escape(area)}</h2>')
        for e in es:
            body.append(f'<h3 id="{e.name}">{e.name}</h3><p>{html.escape(sims[e.name].description)}</p>')
            if e.status == "not run":
                body.append(f"<p><i>Not run.</i> <code>{html.escape(run_command(e.name, quick))}</code></p>")
                continue
            body.append(
                f'<p class="muted"><i>{html.escape(STATUS_TEXT[e.status])}</i>; computed at '
                f"{html.escape(stamp(e))}, {e.n_cells or '?'} cells, {_num(e.compute_s)} s of compute.</p>"
            )
            body += [_image(figures_dir, p, f"{e.name}: {Path(p).stem}") for p in e.figures]
            body.append(
                "<table><thead><tr><th>verdict</th><th>claim (click for details)</th><th>quantity</th>"
                "<th>relation</th><th>predicted</th><th>measured</th><th>tolerance</th><th>slack</th>"
                "<th>source</th></tr></thead><tbody>"
            )
            body += [_claim_row(c, e.counted) for c in e.claims]
            body.append("</tbody></table>")

    used = citation_counts([c for e in entries for c in e.claims])
    body.append('<h2 id="references">References</h2><ul>')
    body += [
        f'<li id="ref-{html.escape(k)}"><b>{html.escape(short_citation(k))}</b> (<code>{html.escape(k)}</code>, '
        f"{used[k]} claims). {html.escape(full_citation(k))}</li>"
        for k in used
    ]
    body.append("</ul>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<link rel="icon" href="data:,"><title>theory-sims verification report</title>'
        f"<style>{CSS}</style></head><body><nav>{''.join(nav)}</nav>"
        f'<main><h1 id="top">Verification report</h1>{intro}{"".join(filt)}{"".join(body)}</main>'
        f"<script>{SCRIPT}</script></body></html>"
    )
