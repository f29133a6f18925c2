"""Sims for in-context linear regression with one layer of linear self-attention (Mahankali et al. 2024).

Importing this package registers its sims, one module per sim."""

from sims.in_context import (  # noqa: F401  (registers the sims)
    icl_lsa_global,
    icl_nonlinear_targets,
    icl_optimal_step,
    icl_preconditioned,
)
