"""What a sim is, what a claim is, and the registry that the runner and the report read.

A sim is a name, a config dataclass with ``quick()`` and ``full()`` presets, a grid of cells, a pure
function ``compute(config, cell, seed) -> dict of numpy arrays``, a ``check`` that turns the results of
all cells into claims, and a ``figures`` function that turns the same results into matplotlib figures.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Cell = Mapping[str, Any]
Arrays = dict[str, NDArray]
Results = dict[str, Arrays]  # cell key -> arrays

Relation = Literal["<=", ">=", "==", "info"]
Expect = Literal["holds", "violated"]
Role = Literal["claim", "negative_control", "refutation", "observation"]
ROLE_LABELS = {
    "claim": "",
    "negative_control": "negative control",
    "refutation": "published statement refuted",
    "observation": "observation",
}


@dataclass(frozen=True)
class Claim:
    """One checked statement, with everything a reviewer needs to re-judge it.

    ``relation`` says how ``measured`` is compared with ``predicted`` within ``tolerance``:
    ``"<="`` (measured <= predicted + tol, e.g. a bound), ``">="``, ``"=="`` (|measured - predicted|
    <= tol) or ``"info"`` (an observation, reported but not judged). ``expect="violated"`` marks a
    statement known to be wrong, whose check PASSes when it detects the violation; ``role`` says why it
    is wrong: a deliberate ``negative_control``, or a published statement this project ``refutation``s
    (the counter-example is in ``details``).
    """

    id: str
    statement: str
    source: str
    method: str
    quantity: str
    predicted: float
    measured: float
    tolerance: float
    tolerance_reason: str
    relation: Relation = "<="
    expect: Expect = "holds"
    role: Role = "claim"
    figure: str | None = None
    details: str = ""

    @property
    def holds(self) -> bool | None:
        """Whether the statement holds on the measurement (None for observations)."""
        m, p, tol = self.measured, self.predicted, self.tolerance
        if self.relation == "info":
            return None
        if math.isnan(m) or math.isnan(p):
            return False
        if self.relation == "<=":
            return m <= p + tol
        if self.relation == ">=":
            return m >= p - tol
        return abs(m - p) <= tol

    @property
    def verdict(self) -> Literal["PASS", "FAIL", "INFO"]:
        h = self.holds
        if h is None:
            return "INFO"
        if math.isnan(self.measured) or math.isnan(self.predicted):
            return "FAIL"  # a broken measurement is never a detected violation
        return "PASS" if h == (self.expect == "holds") else "FAIL"

    @property
    def slack(self) -> float:
        """Room left before the statement flips: positive means it holds with that margin."""
        m, p, tol = self.measured, self.predicted, self.tolerance
        if self.relation == "<=":
            return p + tol - m
        if self.relation == ">=":
            return m - p + tol
        if self.relation == "==":
            return tol - abs(m - p)
        return float("nan")

    @classmethod
    def observation(cls, **fields: Any) -> Claim:
        """A reported, unjudged measurement (relation ``info``, role ``observation``, no tolerance)."""
        fields.setdefault("predicted", float("nan"))
        return cls(tolerance=0.0, tolerance_reason="observation", relation="info", role="observation", **fields)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(verdict=self.verdict, slack=self.slack)
        return d


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as announced by ``python -m sims list`` before anything is computed."""

    id: str
    statement: str


@dataclass(frozen=True)
class Sim:
    name: str
    area: str
    description: str
    config_cls: type
    cells: Callable[[Any], Sequence[Cell]]
    compute: Callable[[Any, Cell, np.random.SeedSequence], Arrays]
    check: Callable[[Any, Results], list[Claim]]
    figures: Callable[[Any, Results], dict[str, Any]]
    claims: tuple[ClaimSpec, ...] = field(default_factory=tuple)

    def config(self, quick: bool) -> Any:
        return self.config_cls.quick() if quick else self.config_cls.full()


_REGISTRY: dict[str, Sim] = {}


def register(sim: Sim) -> Sim:
    if sim.name in _REGISTRY and _REGISTRY[sim.name] is not sim:
        raise ValueError(f"a sim named {sim.name!r} is already registered")
    _REGISTRY[sim.name] = sim
    return sim


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registry() -> dict[str, Sim]:
    """All registered sims by name (importing ``sims`` registers the built-in ones)."""
    return dict(_REGISTRY)


def get(name: str) -> Sim:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown sim {name!r}; choose from: {', '.join(sorted(_REGISTRY))}") from None


def cell_key(cell: Cell) -> str:
    """A stable, filesystem-safe name for a cell, e.g. ``loss=squared_hinge,n=3``."""
    parts = [f"{k}={_fmt(v)}" for k, v in sorted(cell.items())]
    return re.sub(r"[^A-Za-z0-9_=.,+-]+", "-", ",".join(parts)) or "all"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "-".join(_fmt(x) for x in v)
    return str(v)


def config_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a config dataclass (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
