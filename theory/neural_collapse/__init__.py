"""Neural-collapse geometry: simplex ETF, NC1-NC4, and closed-form minimisers of deep linear UFMs.

H. Dang, T. Tran, S. Osher, H. Tran-The, N. Ho, T. Nguyen, "Neural Collapse in Deep Linear Networks: From
Balanced to Imbalanced Data" (ICML 2023); V. Papyan, X. Y. Han, D. L. Donoho, "Prevalence of neural collapse
during the terminal phase of deep learning training" (PNAS 2020) for the NC1-NC4 definitions.

Unconstrained-feature model (UFM): features H (d x N), class sizes n_1..n_K (N = sum n_k), one-hot targets
Y (K x N), weights W_L (K x d), W_{L-1}, ..., W_1 (d x d); MSE objective
    ||W_L...W_1 H (+ b 1^T) - Y||_F^2 / (2N) + (lambda_W/2) sum_l ||W_l||_F^2 + (lambda_H/2) ||H||_F^2,
the CE objective replacing the first term by the mean cross-entropy. The bias b is not regularised.

Two modules (every name is re-exported here, so ``from theory.neural_collapse import ...`` works as before):

- ``metrics``: the simplex ETF and the NC1-NC4 measures;
- ``ufm``: closed-form minimisers of the deep linear MSE UFM, their collapse thresholds, and numerical
  minimisers of the MSE and CE objectives.
"""

from theory.neural_collapse._base import MAX_CLASSES, MAX_DEPTH, MAX_FEATURES, MAX_LAMBDA, MIN_LAMBDA, RULES
from theory.neural_collapse.metrics import NCMetrics, etf_gram, nc_metrics, simplex_etf
from theory.neural_collapse.ufm import (
    UFM_MSE_ARGS,
    TrainedUFM,
    UFMSolution,
    collapse_ratio_threshold,
    collapse_threshold,
    stationary_ratio_threshold,
    train_ufm,
    ufm_mse_parameters,
    ufm_mse_solution,
    ufm_objective,
)

__all__ = [
    "MAX_CLASSES",
    "MAX_DEPTH",
    "MAX_FEATURES",
    "MAX_LAMBDA",
    "MIN_LAMBDA",
    "RULES",
    "UFM_MSE_ARGS",
    "NCMetrics",
    "TrainedUFM",
    "UFMSolution",
    "collapse_ratio_threshold",
    "collapse_threshold",
    "etf_gram",
    "nc_metrics",
    "simplex_etf",
    "stationary_ratio_threshold",
    "train_ufm",
    "ufm_mse_parameters",
    "ufm_mse_solution",
    "ufm_objective",
]
