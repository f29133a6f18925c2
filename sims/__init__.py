"""sims: experiments that check the results in ``theory``, a resumable runner, figures and a report.

Importing this package registers every built-in sim (one module per area).
"""

from sims import bandits, hconsistency, logistic_gd, multiplicity, neural_collapse, online  # noqa: F401  (their sims)
from sims.core import Claim, ClaimSpec, Sim, get, register, registry

__all__ = ["Claim", "ClaimSpec", "Sim", "get", "register", "registry"]
