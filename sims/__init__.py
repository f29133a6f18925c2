"""sims: experiments that check the results in ``theory``, and the engine that runs them.

``sims.engine`` holds the machinery (sims and claims, the results store, the runner, figures and the report, the
command line); each area is a package ``sims/<area>/`` with one module per sim, named as the sim, and the area's
shared helpers in ``sims/<area>/_common.py``. Importing this package registers every built-in sim.
"""

from sims import (  # noqa: F401  (their sims)
    bandits,
    hconsistency,
    in_context,
    logistic_gd,
    multiplicity,
    neural_collapse,
    online,
)
from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Sim, get, register, registry

__all__ = ["Claim", "ClaimSpec", "Sim", "get", "register", "registry"]
