"""The registry is the contract: every sim's claims match its declared specs, and its quick run passes.

Driven by the registry, so a new sim is covered by being registered (as scikit-learn's loss tests run over every
registered loss). The claims come from the session's one quick run of every sim (``quick_all``).
"""

from __future__ import annotations

import importlib

import pytest

from sims.engine.areas import areas
from sims.engine.core import registry

SIMS = sorted(registry())


SHAPE = ("cells", "compute", "check", "figures")  # what every sim module defines, under these names


@pytest.mark.parametrize("name", SIMS)
def test_every_sim_module_has_the_one_shape(name):
    """One shape per sim: the module ``sims/<area>/<name>.py`` defines its config ``<Name>Config`` (quick and full),
    ``cells``, ``compute``, ``check``, ``figures``, ``CLAIMS`` and ``SIM`` (the registered sim made of exactly those),
    and its area is the room's own."""
    sim = registry()[name]
    module = importlib.import_module(sim.compute.__module__)
    room = importlib.import_module(module.__name__.rsplit(".", 1)[0])
    assert module.__name__.rsplit(".", 1)[-1] == name, f"{name} lives in {module.__name__}"
    assert module.SIM is sim and module.CLAIMS == sim.claims and sim.claims, name
    for attr in SHAPE:
        assert getattr(module, attr) is getattr(sim, attr), f"{name}: SIM.{attr} is not the module's {attr}"
    assert sim.compute.__module__ == module.__name__ and sim.check.__module__ == module.__name__
    config = sim.config_cls
    assert config.__module__ == module.__name__ and config.__name__.endswith("Config"), config
    assert config.__name__.lower() == name.replace("_", "") + "config", f"{config.__name__} is not named for {name}"
    assert isinstance(config.quick(), config) and isinstance(config.full(), config)
    assert sim.area == room.AREA and sim.area in areas(), name


def test_config_names_are_distinct():
    names = [s.config_cls.__name__ for s in registry().values()]
    assert len(set(names)) == len(names)


@pytest.mark.slow
@pytest.mark.parametrize("name", SIMS)
def test_claims_match_specs_and_pass(quick_all, name):
    _, rows = quick_all
    sim = registry()[name]
    mine = [r for r in rows if r["sim"] == name]
    assert mine, f"{name} produced no claims in the quick run"
    ids = [r["id"] for r in mine]
    assert len(set(ids)) == len(ids), "claim ids are unique"
    assert all(i.startswith(name + ".") for i in ids), [i for i in ids if not i.startswith(name + ".")]
    unmatched = [i for i in ids if not any(s.matches(i) for s in sim.claims)]
    assert not unmatched, f"claims matching no declared ClaimSpec: {unmatched}"
    unused = [s.id for s in sim.claims if not any(s.matches(i) for i in ids)]
    assert not unused, f"declared specs matching no produced claim: {unused}"
    failed = [r["id"] for r in mine if r["verdict"] == "FAIL"]
    assert not failed, f"quick run FAILs: {failed}"
    assert all(r["status"] == "current" for r in mine)
    for r in mine:  # a claim that is judged says why its tolerance is what it is
        if r["relation"] != "info":
            assert r["tolerance_reason"].strip() and "as above" not in r["tolerance_reason"], r["id"]
