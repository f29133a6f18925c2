"""The registry is the contract: every sim's claims match its declared specs, and its quick run passes.

Driven by the registry, so a new sim is covered by being registered (as scikit-learn's loss tests run over every
registered loss). The claims come from the session's one quick run of every sim (``quick_all``).
"""

from __future__ import annotations

import pytest

from sims.engine.core import registry

SIMS = sorted(registry())


def test_every_sim_declares_claims_and_lives_in_its_own_module():
    for name, sim in registry().items():
        assert sim.claims, f"{name} declares no ClaimSpec"
        assert sim.compute.__module__.rsplit(".", 1)[-1] == name, f"{name} lives in {sim.compute.__module__}"
        area = sim.compute.__module__.rsplit(".", 1)[0]
        homes = {sim.compute.__module__, f"{area}._common"}  # its own module, or the area's shared helpers
        assert all(f.__module__ in homes for f in (sim.cells, sim.check, sim.figures)), name


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
