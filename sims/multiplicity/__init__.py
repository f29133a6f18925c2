"""Sims for predictive multiplicity of L2-regularised logistic regression (Watson-Daniels, Parkes, Ustun 2023).

Importing this package registers its sims, one module per sim."""

from sims.multiplicity import (  # noqa: F401  (registers the sims)
    multiplicity_exactness,
    multiplicity_measures,
    multiplicity_small_eps,
    multiplicity_soundness,
)
