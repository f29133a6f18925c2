"""What a sim is, the registry that the runner and the report read, cell keys and the seed scheme.

A sim is a name, a config dataclass with ``quick()`` and ``full()`` presets, a grid of cells, a pure
function ``compute(config, cell, seed) -> dict of numpy arrays``, a ``check`` that turns the results of
all cells into claims, and a ``figures`` function that turns the same results into matplotlib figures.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Claim, ClaimSpec

Cell = Mapping[str, Any]
Arrays = dict[str, NDArray]
Results = dict[str, Arrays]  # cell key -> arrays


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


def single_cell(config: Any) -> list[Cell]:
    """The grid of a sim that computes everything in one cell (its key is ``all``)."""
    return [{}]


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


def seed_sequence(seed: int, sim_name: str, key: str) -> np.random.SeedSequence:
    """The seed of cell ``key`` of sim ``sim_name`` under root seed ``seed``.

    ``SeedSequence(seed, spawn_key=(crc32(sim_name), crc32(key)))``: a child of the root that depends only on the
    sim's name and the cell's parameters, so numbers are identical whatever ``--jobs``, the executor or the order
    in which cells finish. Every random quantity of a cell (data sets, loss tables, starts) must derive from it.
    """
    return np.random.SeedSequence(seed, spawn_key=(zlib.crc32(sim_name.encode()), zlib.crc32(key.encode())))


def shared_seed(seed: np.random.SeedSequence, *names: str) -> np.random.SeedSequence:
    """A stream shared by every cell that names the same data (a loss table, an adversary's signs), for the same
    root seed: ``SeedSequence(root, spawn_key=(crc32(name), ...))``.

    Cells that must see the *same* instance (several policies on one loss table) draw it from here instead of from
    their own cell seed; it still follows ``--seed``, unlike a literal seed would.
    """
    if not isinstance(seed, np.random.SeedSequence):
        raise TypeError(f"seed must be a numpy SeedSequence (a cell's seed); got {type(seed).__name__}")
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"names must be one or more non-empty strings; got {names!r}")
    return np.random.SeedSequence(seed.entropy, spawn_key=tuple(zlib.crc32(n.encode()) for n in names))
