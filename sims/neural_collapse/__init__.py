"""Sims for neural-collapse geometry of unconstrained-feature models (Dang et al. 2023) and a real MLP.

Importing this package registers its sims, one module per sim."""

from sims.neural_collapse import (  # noqa: F401  (registers the sims)
    nc_balanced,
    nc_deep_ce_optimality,
    nc_imbalanced_ce,
    nc_imbalanced_mse,
    nc_mlp_digits,
    nc_stationary_windows,
)
