"""sims: experiments that check the results in ``theory``, and the engine that runs them.

``sims.engine`` holds the machinery (sims and claims, the results store, the runner, figures and the report, the
command line) and knows no area; each area is a room ``sims/<area>/``: one module per sim, named as the sim, the
area's public helpers (``common.py``), its source table (``sources.py``) and its summary (``findings.py``). Importing
this package registers every built-in area and sim.
"""

from sims import (  # noqa: F401  (their sims)
    bandits,
    estimation,
    hconsistency,
    in_context,
    ldr,
    logistic_gd,
    multiplicity,
    neural_collapse,
    online,
    optimizers,
    preference,
    width_scaling,
)
from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Sim, get, register, registry

__all__ = ["Claim", "ClaimSpec", "Sim", "get", "register", "registry"]
