"""Provenance: every claim cites references.bib, a place and how surely; roles follow that status.

Mirrors ``sims/engine/provenance.py`` and the per-area ``sims/<area>/sources.py`` tables.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from sims.engine import provenance as pv
from sims.engine.areas import areas, sources_of
from sims.engine.claims import EXACT, Claim, bound, refutation
from sims.engine.core import registry

ROOT = Path(__file__).resolve().parents[1]
AREAS = sorted(areas())
TABLES = {a: areas()[a].sources for a in AREAS}


def test_every_area_has_a_source_table_and_every_sim_an_area():
    assert AREAS and all(TABLES[a] for a in AREAS)
    assert {s.area for s in registry().values()} <= set(AREAS)


@pytest.mark.parametrize("area", AREAS)
def test_every_cited_key_resolves_in_references_bib(area):
    keys = pv.references()
    missing = sorted({k for p in TABLES[area] for k in p.source.refs if k not in keys})
    assert not missing, f"{area}.sources cites keys missing from references.bib: {missing}"


def test_references_bib_entries_have_what_a_reader_needs():
    for key, e in pv.references().items():
        assert e.get("title") and e.get("year") and e.get("author"), key
        assert pv.full_citation(key).count(".") >= 2, key


def test_short_citations():
    assert pv.short_citation("tyurin2025logistic") == "Tyurin (2025)"
    assert pv.short_citation("garrod2024persistence") == "Garrod and Keating (2024)"
    assert pv.short_citation("mao2023crossentropy") == "Mao, Mohri and Zhong (2023)"
    assert pv.short_citation("dang2023neural") == "Dang et al. (2023)"
    assert pv.short_citation("lattimore2020bandit") == "Lattimore and Szepesvari (2020)"
    with pytest.raises(KeyError, match=r"not a key of references\.bib"):
        pv.short_citation("nobody1900")


def test_tyurin_is_the_aaai_paper_with_its_arxiv_id():
    e = pv.references()["tyurin2025logistic"]
    assert e["eprint"] == "2412.08424" and "AAAI" in e["booktitle"]


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        ({"refs": "a", "place": "Thm 1", "status": "verbatim", "basis": "read"}, TypeError, "refs must be"),
        ({"refs": (), "place": "Thm 1", "status": "verbatim", "basis": "read"}, TypeError, "refs must be"),
        ({"refs": ("a",), "place": "Thm 1", "status": "published", "basis": "x"}, ValueError, "status must be one"),
        ({"refs": ("a",), "place": " ", "status": "derived", "basis": "x"}, ValueError, "place must say where"),
        ({"refs": ("a",), "place": "Thm 1", "status": "derived", "basis": ""}, ValueError, "basis must say where"),
    ],
)
def test_source_rejects_bad_fields(kw, exc, match):
    with pytest.raises(exc, match=match):
        pv.Source(**kw)


def _claim(**kw) -> Claim:
    base = dict(id="x.y", statement="s", method="m", quantity="q", predicted=0.0, measured=1.0, tol=EXACT)
    return (refutation if kw.pop("refuted", False) else bound)(**(base | kw))


@pytest.mark.parametrize(
    ("status", "role"),
    [("verbatim", "refutation"), ("restated", "restated_refuted"), ("derived", "conjecture_rejected")],
)
def test_the_role_of_a_refuted_statement_follows_how_surely_it_is_known(status, role):
    table = (pv.cite("x.*", refs="theorysims", place="p", status=status, basis="b"),)
    c = pv.attribute(_claim(refuted=True), table)
    assert (c.role, c.source_status, c.refs, c.place) == (role, status, ("theorysims",), "p")
    assert c.source == "this project, p"
    # a judged claim that holds keeps its role; a negative control keeps its role whatever the status
    assert pv.attribute(_claim(), table).role == "claim"
    nc = dataclasses.replace(_claim(refuted=True), role="negative_control")
    assert pv.attribute(nc, table).role == "negative_control"


def test_an_unmatched_or_ambiguous_claim_gets_no_source():
    two = (
        pv.cite("x.*", refs="theorysims", place="p", status="derived", basis="b"),
        pv.cite("x.y", refs="theorysims", place="q", status="derived", basis="b"),
    )
    for table in ((), two):
        c = pv.attribute(_claim(), table)
        assert (c.refs, c.source_status, c.source) == ((), "", "")


@pytest.mark.slow
def test_every_quick_claim_has_exactly_one_source(quick_all):
    _, rows = quick_all
    by_sim = {n: s.area for n, s in registry().items()}
    bad = []
    for r in rows:
        n = len(pv.matching(r["id"], sources_of(by_sim[r["sim"]])))
        if n != 1:
            bad.append((r["id"], n))
    assert not bad, f"claims matching no source entry (0) or several: {bad}"
    assert all(r["source_status"] in pv.STATUSES and r["refs"] and r["place"] for r in rows)


def _committed_rows() -> list[dict]:
    return json.loads((ROOT / "figures" / "claims.json").read_text())


def test_committed_report_every_claim_is_sourced_and_refutations_are_verbatim():
    rows = _committed_rows()
    keys = pv.references()
    for r in rows:
        assert r["refs"] and all(k in keys for k in r["refs"]), r["id"]
        assert r["place"] and r["source_status"] in pv.STATUSES and r["source_basis"], r["id"]
        if r["role"] == "refutation":
            assert r["source_status"] == "verbatim", r["id"]
        if r["expect"] == "violated" and r["role"] != "negative_control":
            assert r["role"] == pv.REFUTED_ROLE[r["source_status"]], r["id"]


def test_committed_report_uses_every_source_entry():
    ids = [r["id"] for r in _committed_rows()]
    unused = [(a, p.claims) for a in AREAS for p in TABLES[a] if not any(p.matches(i) for i in ids)]
    assert not unused, f"source entries matching no claim of the committed report: {unused}"


def test_report_prints_sources_statuses_and_references():
    md = (ROOT / "figures" / "REPORT.md").read_text()
    assert "**Sources:**" in md and "## References" in md
    for k in {k for r in _committed_rows() for k in r["refs"]}:
        assert f'<a id="ref-{k}"></a>' in md, k


def test_no_text_of_the_product_refers_to_issues():
    files = [*ROOT.glob("theory/**/*.py"), *ROOT.glob("sims/**/*.py"), ROOT / "README.md", ROOT / "figures/REPORT.md"]
    hits = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in files
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bissues?\b", line, re.IGNORECASE)
    ]
    assert not hits, hits
