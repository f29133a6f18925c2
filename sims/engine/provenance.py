"""Where each claim's statement comes from and how surely: references, per-area source tables, attribution.

Conventions, stated once:

- ``references.bib`` at the project root holds every cited work (authors, title, venue, year, arXiv id or DOI where
  confirmed). ``theorysims`` is this project itself, cited by statements derived here.
- Each area keeps ``sims/<area>/sources.py`` with ``SOURCES`` (registered with its
  :class:`~sims.engine.areas.Area`): a tuple of :class:`Provenance`, each mapping claim-id
  patterns (``fnmatch`` rules, as :class:`~sims.engine.claims.ClaimSpec`) to one :class:`Source`. Every claim an
  area emits matches exactly one entry (``tests/test_provenance.py`` enforces it on the quick run).
- ``status`` says how surely the statement is known, from the strongest:

  ``verbatim``  compared with the primary text; ``basis`` says where it was read;
  ``restated``  the form a secondary source gives (a survey, a textbook, a later paper, or this project's own
                docstring written from the standard statement); ``basis`` says which, and that the primary text was
                not re-read;
  ``derived``   derived in this project; ``basis`` says where the derivation is (a docstring, a sympy test).

- A statement shown false is labelled by that status, never by what a sim wished it to be: ``refutation``
  ("published statement refuted") only for a ``verbatim`` source, ``restated_refuted`` for a ``restated`` one and
  ``conjecture_rejected`` for a ``derived`` one. Negative controls keep their role.

Provenance is presentation: it is attached when a report is built, to current and kept rows alike, and never enters
a cached cell, so upgrading a citation (say, once a theorem's text is found) rebuilds the report without recomputing.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import bibtexparser
from bibtexparser.bparser import BibTexParser

from sims.engine.claims import Claim
from sims.engine.store import PROJECT_ROOT

Status = Literal["verbatim", "restated", "derived"]
STATUSES: tuple[Status, ...] = ("verbatim", "restated", "derived")
STATUS_TEXT = {
    "verbatim": "checked against the primary text",
    "restated": "as restated by a secondary source",
    "derived": "derived in this project",
}
# The role of a statement shown false (expect="violated", not a negative control), by how surely we know it.
REFUTED_ROLE = {"verbatim": "refutation", "restated": "restated_refuted", "derived": "conjecture_rejected"}
REFERENCES_FILE = PROJECT_ROOT / "references.bib"


@dataclass(frozen=True)
class Source:
    """Where a statement comes from: keys into references.bib, the exact place, how surely, and the basis."""

    refs: tuple[str, ...]
    place: str
    status: Status
    basis: str

    def __post_init__(self) -> None:
        if isinstance(self.refs, str) or not self.refs or not all(isinstance(k, str) and k for k in self.refs):
            raise TypeError(f"refs must be a non-empty tuple of references.bib keys; got {self.refs!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")
        for name in ("place", "basis"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"{name} must say where (a theorem, a docstring...); got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Provenance:
    """The source of every claim whose id matches one of ``claims`` (fnmatch patterns)."""

    claims: tuple[str, ...]
    source: Source

    def matches(self, claim_id: str) -> bool:
        return any(fnmatch.fnmatchcase(claim_id, p) for p in self.claims)


def cite(
    *claims: str, refs: str | tuple[str, ...], place: str, status: Status, basis: str
) -> Provenance:  # the one constructor the source tables use
    """``cite("sim.claim_pattern", ..., refs="key", place="Thm 3.2", status="verbatim", basis="read in ...")``."""
    if not claims:
        raise ValueError("cite needs at least one claim-id pattern")
    return Provenance(tuple(claims), Source((refs,) if isinstance(refs, str) else tuple(refs), place, status, basis))


# ---------------------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------------------


@cache
def references(path: Path = REFERENCES_FILE) -> dict[str, dict[str, str]]:
    """Every entry of references.bib by key (fields lower-cased, braces kept as written); empty when the file is
    absent (a copy of the package without the project root), in which case citations show their keys."""
    if not Path(path).is_file():
        return {}

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    db = bibtexparser.loads(Path(path).read_text(), parser=parser)
    return {e["ID"]: dict(e) for e in db.entries}


def _plain(s: str) -> str:
    """TeX accents and braces off, for display: {\\'a} -> a, {KL-UCB} -> KL-UCB."""
    s = re.sub(r"\{\\[`'^\"~=.uvHc]\{?([A-Za-z])\}?\}", r"\1", s)
    s = re.sub(r"\\[`'^\"~=.uvHc]\{?([A-Za-z])\}?", r"\1", s)
    return s.replace("{", "").replace("}", "").replace("--", "-")


def _surnames(entry: dict[str, str]) -> list[str]:
    authors = [a.strip() for a in _plain(entry.get("author", "")).split(" and ") if a.strip()]
    return [a.split(",")[0] if "," in a else a.split()[-1] for a in authors] or ["Anonymous"]


def short_citation(key: str) -> str:
    """'Tyurin (2025)', 'Garrod and Keating (2024)', 'Mao, Mohri and Zhong (2023)', 'Dang et al. (2023)'."""
    refs = references()
    if not refs:
        return key
    e = refs.get(key)
    if e is None:
        raise KeyError(f"{key!r} is not a key of {REFERENCES_FILE.name}")
    if key == "theorysims":
        return "this project"
    s = _surnames(e)
    who = (
        s[0]
        if len(s) == 1
        else " and ".join(s)
        if len(s) == 2
        else (f"{', '.join(s[:-1])} and {s[-1]}" if len(s) == 3 else f"{s[0]} et al.")
    )
    return f"{who} ({e.get('year', 'n.d.')})"


def full_citation(key: str) -> str:
    """Authors, year, title, venue, and the arXiv id or DOI when recorded."""
    refs = references()
    if not refs:
        return f"{key} ({REFERENCES_FILE.name} not found)"
    e = refs[key]
    authors = ", ".join(a.strip() for a in _plain(e.get("author", "")).split(" and "))
    venue = e.get("booktitle") or e.get("journal") or e.get("publisher") or e.get("howpublished") or ""
    parts = [f"{authors} ({e.get('year', 'n.d.')}). {_plain(e.get('title', ''))}."]
    if venue:
        vol = f", vol. {e['volume']}" if "volume" in e else ""
        pages = f", pp. {_plain(e['pages'])}" if "pages" in e else ""
        parts.append(f"{_plain(venue)}{vol}{pages}.")
    if "eprint" in e:
        parts.append(f"arXiv:{e['eprint']}.")
    if "doi" in e:
        parts.append(f"doi:{e['doi']}.")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------------------
# Source tables and attribution
# ---------------------------------------------------------------------------------------------------------


def matching(claim_id: str, table: tuple[Provenance, ...]) -> list[Provenance]:
    return [p for p in table if p.matches(claim_id)]


def attribute(claim: Claim, table: tuple[Provenance, ...]) -> Claim:
    """The claim with its source fields filled from ``table`` (its area's ``SOURCES``, as
    :func:`sims.engine.areas.sources_of` gives it), and its role set by the source's status.

    A claim that matches no entry (or several) keeps empty source fields; the report counts it as unsourced and the
    tests fail on it.
    """
    found = matching(claim.id, table)
    if len(found) != 1:
        return dataclasses.replace(claim, source="", refs=(), place="", source_status="", source_basis="")
    src = found[0].source
    role = claim.role
    if claim.expect == "violated" and role != "negative_control":
        role = REFUTED_ROLE[src.status]
    cites = "; ".join(short_citation(k) for k in src.refs)
    return dataclasses.replace(
        claim,
        source=f"{cites}, {src.place}",
        refs=src.refs,
        place=src.place,
        source_status=src.status,
        source_basis=src.basis,
        role=role,
    )
