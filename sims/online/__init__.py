"""Sims for online learning: FTRL/OMD on the simplex, and optimistic OMD in the SEA model (theory/online.py).

Importing this package registers its sims, one module per sim."""

from sims.online import online_ftrl, sea_optimistic_omd, sea_rates  # noqa: F401  (registers the sims)
