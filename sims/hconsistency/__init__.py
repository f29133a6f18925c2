"""Sims for H-consistency: calibration functions checked by brute-force minimisation.

Importing this package registers its sims, one module per sim."""

from sims.hconsistency import (  # noqa: F401  (registers the sims)
    comp_sum_bounded,
    comp_sum_budget,
    comp_sum_tightness,
    hconsistency_bound,
    ldr_calibration,
    ldr_dual_form,
    ldr_label_noise,
    ldr_topk_consistency,
    margin_calibration,
    minimizability_gaps,
)
