"""What an area is, and the registry the areas fill: the only way the engine learns about them.

An area is a room ``sims/<area>/``: its sims (one module per sim), its public helpers (``common.py``), its source
table (``sources.py``) and its findings (``findings.py``). Its ``__init__`` imports its sims (which register
themselves with :func:`sims.engine.core.register`) and registers one :class:`Area` here. The engine never imports an
area, by name or by string: the report, the provenance and the notebook helpers read this registry.

Findings are prose with placeholders ``{claim id}`` (the claim's measured value) or ``{claim id:field}``
(``predicted``, ``slack``, ``verdict``), filled from the claims of the report being built (:func:`fill`): the numbers
in the summary are always those of the rows below them, never typed in by hand. A placeholder whose claim is missing
(a sim not run, a claim renamed) shows as "(not computed: id)", and the report test fails on it. Maths between
``$...$`` is LaTeX: the markdown report leaves it to the viewer, the HTML report renders it as MathML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sims.engine.provenance import Provenance


@dataclass(frozen=True)
class Area:
    """One area: ``title`` (as its sims name it in ``Sim.area``), the package that holds it, its source table, its
    summary findings and the one figure (``sim/figure.png``) the report's summary shows for it."""

    title: str
    package: str
    sources: tuple[Provenance, ...]
    findings: tuple[str, ...]
    figure: str

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ValueError(f"title must be a non-empty string; got {self.title!r}")
        if not all(isinstance(p, Provenance) for p in self.sources):
            raise TypeError("sources must be a tuple of Provenance (sims.engine.provenance.cite)")
        if not self.figure.endswith(".png") or "/" not in self.figure:
            raise ValueError(f"figure must name 'sim/figure.png'; got {self.figure!r}")


_AREAS: dict[str, Area] = {}


def register_area(area: Area) -> Area:
    """Make ``area`` known to the report (its title is the key ``Sim.area`` refers to)."""
    if area.title in _AREAS and _AREAS[area.title] != area:
        raise ValueError(f"an area titled {area.title!r} is already registered")
    _AREAS[area.title] = area
    return area


def areas() -> dict[str, Area]:
    """Every registered area by title, in the order they registered (importing ``sims`` registers them)."""
    return dict(_AREAS)


def sources_of(area_title: str) -> tuple[Provenance, ...]:
    """The source table of the area titled ``area_title``; empty for a sim outside the project's areas (a test's
    toy sim, a user's script), whose claims then carry no source."""
    area = _AREAS.get(area_title)
    return area.sources if area is not None else ()


# a claim id has at least one dot, which LaTeX groups such as {1:T} or {T} never have
_ID = r"[A-Za-z0-9_=><+-]+(?:\.[A-Za-z0-9_=><+-]+)+"
_PLACEHOLDER = re.compile(r"\{(" + _ID + r")(?::(measured|predicted|slack|verdict))?\}")


def _fmt(x: Any) -> str:
    if isinstance(x, str):
        return x
    x = float(x)
    if math.isnan(x):
        return "n/a"
    return f"{x:.3g}"


def fill(text: str, claims: Mapping[str, Any]) -> str:
    """``text`` with each placeholder replaced by the named claim's field (see the module docstring)."""

    def sub(m: re.Match[str]) -> str:
        c = claims.get(m.group(1))
        if c is None:
            return f"(not computed: {m.group(1)})"
        field = m.group(2) or "measured"
        return _fmt(getattr(c, field))

    return _PLACEHOLDER.sub(sub, text)


def placeholders(text: str) -> list[str]:
    """The claim ids a finding refers to."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(text)]
